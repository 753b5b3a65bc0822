"""A run on a Dask LocalCluster against the same run in a local pool: wall and CPU seconds, and whether the bytes
are equal (every table's sha256 in the manifests, and the manifests themselves).

Each engine runs `--runs` times, alternating, so both see the same load; the table shows medians. CPU seconds
are those of the whole process tree (the cluster's workers are this process's children).

    python benchmarks/dask_cluster.py                          # 250,000 people, 2 workers, 3 runs each
    python benchmarks/dask_cluster.py --people 1000000 --partitioned
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import process_cpu, process_tree

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"


def _tree_cpu(used: dict[int, float]) -> float:
    """CPU seconds of this process and its children so far (a child gone keeps its last figure)."""
    for pid in process_tree(os.getpid()):
        used[pid] = max(used.get(pid, 0.0), process_cpu(pid))
    return sum(used.values())


def timed(run: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float]:
    """Wall and CPU seconds of `run`, CPU sampled every 20 ms across the process tree."""
    used: dict[int, float] = {}
    _tree_cpu(used)
    start_cpu = sum(used.values())
    start = time.perf_counter()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            _tree_cpu(used)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run(*args, **kwargs)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return wall, _tree_cpu(used) - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--partitioned", action="store_true")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    import synthgen

    scenario = synthgen.load_scenario(args.scenario, {"population.people": args.people})
    print(f"synthgen {synthgen.__version__}; {os.cpu_count()} cores; load {os.getloadavg()}")
    print(f"{args.people:,} people, {args.workers} workers, partitioned {args.partitioned}, {args.runs} runs each")
    scratch = Path(tempfile.mkdtemp())
    times: dict[str, list[tuple[float, float]]] = {"local pool": [], "LocalCluster": []}
    try:
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            for number in range(args.runs):
                for engine, extra in (("local pool", {"workers": args.workers}), ("LocalCluster", {"client": client})):
                    out = scratch / f"{engine.replace(' ', '-')}-{number}"
                    times[engine].append(timed(synthgen.generate, scenario, out, partitioned=args.partitioned, **extra))
            manifests = [
                (scratch / f"{name}-0" / "manifest.json").read_bytes() for name in ("local-pool", "LocalCluster")
            ]
        for engine, measured in times.items():
            wall = statistics.median(w for w, _ in measured)
            cpu = statistics.median(c for _, c in measured)
            each = ", ".join(f"{w:.1f}" for w, _ in measured)
            print(f"{engine:>13}: {wall:7.2f} s wall, {cpu:7.2f} s CPU (runs {each} s)")
        print(f"manifests (every file's sha256) byte-identical: {manifests[0] == manifests[1]}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
