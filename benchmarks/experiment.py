"""Wall time and peak memory (the whole process tree) of `synthgen experiment` on the shipped
20-seed demo experiment (20 runs of 20,000 people, both reference linkers: 40 cells), then of re-running it with
every cell in place (only the tables are rebuilt).

    python benchmarks/experiment.py                  # --workers 2
    python benchmarks/experiment.py --workers 1 --config experiments/demo-seeds.yaml
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure_cpu, synthgen

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "experiments" / "demo-seeds.yaml")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "experiment"
        command = synthgen("experiment", str(args.config), "-o", str(out), "--workers", str(args.workers), "--quiet")
        seconds, _, peak = measure_cpu(command)
        cells = len(list((out / "cells").rglob("*.json")))
        print(f"{args.config.name}: {cells} cells, --workers {args.workers}")
        per_cell = seconds * args.workers / max(cells, 1)
        print(f"  first run: {seconds:.1f} s wall, {per_cell:.1f} s a cell a worker")
        print(f"  peak memory {peak / 2**20:.0f} MB (every process)")
        seconds, _, peak = measure_cpu(command)
        print(f"  re-run, every cell in place: {seconds:.1f} s wall, peak memory {peak / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
