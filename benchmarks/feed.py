"""CPU time and peak memory of `synthgen feed` beside `synthgen generate` on the same run (the issue asks the feed
of a year in at most twice the time of generating it, in bounded memory).

Each command runs as a fresh process; CPU seconds are its user + system time (this machine is shared and loaded,
so wall time says little), peak memory the largest resident memory of its process tree, sampled every 20 ms.

    python benchmarks/feed.py                              # the demo and a 200,000-person Birmingham run
    python benchmarks/feed.py --people 1000000 --keep /tmp/feed-runs
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, synthgen

ROOT = Path(__file__).resolve().parents[1]


def cpu_and_peak(command: list[str]) -> tuple[float, float, int]:
    """CPU seconds (user + system of the finished child), wall seconds and peak resident bytes of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = measure(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="*", default=[0, 200_000], help="0: the demo as shipped")
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the runs and feeds in")
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="feed-bench-"))
    print(f"{'run':<18} {'command':<22} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9}")
    for people in args.people:
        name = "demo" if people == 0 else f"birmingham-{people}"
        scenario = ROOT / "scenarios" / ("demo.yaml" if people == 0 else "birmingham.yaml")
        run = scratch / name
        rows = []
        generate = synthgen("generate", str(scenario), "-o", str(run), "--overwrite", "--quiet")
        if people:
            generate += ["--people", str(people)]
        rows.append(("generate", cpu_and_peak(generate)))
        for cadence in ("daily", "weekly"):
            out = scratch / f"{name}-feed-{cadence}"
            command = synthgen("feed", str(run), "-o", str(out), "--cadence", cadence, "--overwrite")
            rows.append((f"feed --cadence {cadence}", cpu_and_peak(command)))
        snapshot = synthgen("feed", str(run), "-o", str(scratch / f"{name}-snap"), "--snapshot-on", "2024-10-15")
        rows.append(("feed --snapshot-on", cpu_and_peak([*snapshot, "--overwrite"])))
        for label, (cpu, wall, peak) in rows:
            print(f"{name:<18} {label:<22} {cpu:>8.1f} {wall:>8.1f} {peak / 2**20:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
