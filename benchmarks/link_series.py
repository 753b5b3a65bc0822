"""CPU time, wall time and peak memory of the reference incremental linker (`synthgen link --incremental`) over a
run's daily and weekly feeds, and of scoring each series (`synthgen evaluate linkage RUN SERIES`).

Each command runs as a fresh process (see benchmarks/feed.py for how they are measured).

    python benchmarks/link_series.py                        # the demo as shipped
    python benchmarks/link_series.py --keep /tmp/series-bench --methods exact
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feed import cpu_and_peak
from measure import synthgen

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the run, feeds and series in")
    parser.add_argument("--methods", nargs="*", default=["exact", "fellegi-sunter"])
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="series-bench-"))
    run = scratch / "demo"
    if not run.exists():
        cpu_and_peak(synthgen("generate", str(ROOT / "scenarios" / "demo.yaml"), "-o", str(run), "--quiet"))
    print(f"{'cadence':<8} {'method':<15} {'command':<20} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9}")
    for cadence in ("daily", "weekly"):
        feed = scratch / f"feed-{cadence}"
        cpu_and_peak(synthgen("feed", str(run), "-o", str(feed), "--cadence", cadence, "--overwrite"))
        for method in args.methods:
            series = scratch / f"series-{cadence}-{method}"
            link = synthgen("link", str(feed), "--incremental", "--method", method, "-o", str(series), "--overwrite")
            score = synthgen("evaluate", "linkage", str(run), str(series))
            for label, command in (("link --incremental", link), ("evaluate linkage", score)):
                cpu, wall, peak = cpu_and_peak(command)
                print(
                    f"{cadence:<8} {method:<15} {label:<20} {cpu:>8.1f} {wall:>8.1f} {peak / 2**20:>9.0f}", flush=True
                )


if __name__ == "__main__":
    main()
