"""Where `synthgen evaluate linkage` spends its time and memory: each phase of scoring one predictions file, with
its seconds and the process's resident memory before, at the peak (sampled every 5 ms) and after.

    python benchmarks/evaluate_phases.py RUN PREDICTIONS

Run it in a fresh process per file (as benchmarks/evaluate.py does for the totals); the phases are the functions
`synthgen.evaluation.linkage.score_linkage` calls, wrapped here, so the figures are of the code as it stands.
"""

from __future__ import annotations

import functools
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthgen.evaluation import adapters, linkage, metrics
from synthgen.linkage import view
from synthgen.run_folder import Run


def rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


class Phases:
    """Wraps functions so that each call is a row: name, seconds, MiB before, at the peak and after."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, int, int, int]] = []
        self.peak = 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mib())
            time.sleep(0.005)

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            before = rss_mib()
            self.peak = before
            start = time.perf_counter()
            result = function(*args, **kwargs)
            self.rows.append((name, time.perf_counter() - start, before, self.peak, rss_mib()))
            return result

        return wrapper


def main() -> None:
    run, predictions = sys.argv[1], sys.argv[2]
    phases = Phases()
    for module, name in [
        (adapters, "read_predictions"),
        (linkage, "_predicted_labels"),
        (metrics, "contingency_of_codes"),
        (metrics, "scores"),
        (view, "pair_rows"),
        (linkage, "_curve"),
        (linkage, "_recall_by_error_kind"),
        (linkage, "_recall_by_source_pair"),
        (linkage, "_hard_negative_merges"),
        (linkage, "_examples"),
        (linkage, "read_people"),
        (linkage, "linkage_groups"),
    ]:
        setattr(module, name, phases.timed(name, getattr(module, name)))
    read = Run.read
    Run.read = lambda self, table, *a, **k: phases.timed(f"read {table}", read)(self, table, *a, **k)  # type: ignore[method-assign]
    start, cpu = time.perf_counter(), time.process_time()
    scores = linkage.score_linkage(run, predictions)
    scores.as_dict()
    wall = time.perf_counter() - start
    print(f"{'phase':<30}{'seconds':>9}{'MiB before':>12}{'peak':>7}{'after':>7}")
    for name, seconds, before, peak, after in phases.rows:
        print(f"{name:<30}{seconds:>9.2f}{before:>12}{peak:>7}{after:>7}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{scores.records:,} records: {wall:.2f} s, {time.process_time() - cpu:.2f} CPU s, peak RSS {peak} MiB")


if __name__ == "__main__":
    main()
