"""CPU time and peak memory of `synthgen feed` beside `synthgen generate` on the same run (the issue asks the feed
of a year in at most twice the time of generating it, in bounded memory: a peak that stops growing with the run).

Each command runs as a fresh process; CPU seconds are its user + system time (this machine is shared and loaded,
so wall time says little), peak memory the largest resident memory of its process tree, sampled every 20 ms. With
`--runs N` each feed is written N times and every run is printed, then the medians; the run is generated once.

    python benchmarks/feed.py                              # the demo and a 200,000-person Birmingham run
    python benchmarks/feed.py --people 1000000 --keep /tmp/feed-runs
    python benchmarks/feed.py --people 200000 1000000 2000000 --feeds daily --runs 2 --keep /tmp/feed-runs --reuse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure_cpu, synthgen

ROOT = Path(__file__).resolve().parents[1]
FEEDS = {
    "daily": ["--cadence", "daily"],
    "weekly": ["--cadence", "weekly"],
    "snapshot": ["--snapshot-on", "2024-10-15"],
}


def cpu_and_peak(command: list[str]) -> tuple[float, float, int]:
    """CPU seconds (user + system of the finished child), wall seconds and peak resident bytes of one command."""
    wall, cpu, peak = measure_cpu(command)
    return cpu, wall, peak


def line(name: str, label: str, cpu: float, wall: float, peak: float) -> str:
    return f"{name:<18} {label:<22} {cpu:>8.1f} {wall:>8.1f} {peak / 2**20:>9.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="*", default=[0, 200_000], help="0: the demo as shipped")
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the runs and feeds in")
    parser.add_argument("--feeds", nargs="*", choices=tuple(FEEDS), default=list(FEEDS), help="feeds to write")
    parser.add_argument("--runs", type=int, default=1, help="times each feed is written (medians printed)")
    parser.add_argument("--reuse", action="store_true", help="keep a run already in --keep (generation not timed)")
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="feed-bench-"))
    print(f"{'run':<18} {'command':<22} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9}", flush=True)
    for people in args.people:
        name = "demo" if people == 0 else f"birmingham-{people}"
        scenario = ROOT / "scenarios" / ("demo.yaml" if people == 0 else "birmingham.yaml")
        run = scratch / name
        if not (args.reuse and (run / "manifest.json").exists()):
            generate = synthgen("generate", str(scenario), "-o", str(run), "--overwrite", "--quiet")
            if people:
                generate += ["--people", str(people)]
            print(line(name, "generate", *cpu_and_peak(generate)), flush=True)
        for feed in args.feeds:
            out = scratch / f"{name}-feed-{feed}"
            command = [*synthgen("feed", str(run), "-o", str(out), *FEEDS[feed]), "--overwrite"]
            results = []
            for _ in range(args.runs):
                results.append(cpu_and_peak(command))
                print(line(name, f"feed {feed}", *results[-1]), flush=True)
            if args.runs > 1:
                medians = [statistics.median(r[i] for r in results) for i in range(3)]
                print(line(name, f"feed {feed} (median)", *medians), flush=True)


if __name__ == "__main__":
    main()
