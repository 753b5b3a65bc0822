"""Throughput and peak memory of `synthgen generate` at several sizes and worker counts.

Each configuration runs as a fresh `synthgen generate` process (as a user would run it) several times; the table
shows medians. Peak memory is the largest sum of resident memory over the process and its workers, sampled
every 20 ms from /proc. The baseline is a per-row Faker generator of the same kind of person rows
(name, date of birth, address, postcode), the approach synthgen's column-wise design replaces.

    python benchmarks/generate.py                 # 100k and 1M people, 1 and 2 workers, 3 runs each
    python benchmarks/generate.py --sizes 100000 --runs 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def _rss_tree(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack += _children(current)
    return total


def run_once(people: int, workers: int, out: Path) -> tuple[float, int, dict[str, int]]:
    command = [sys.executable, "-m", "synthgen", "generate", str(SCENARIO), "-o", str(out), "--overwrite", "--quiet"]
    command += ["--people", str(people), "--workers", str(workers)]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _rss_tree(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"generate failed with exit code {process.returncode}")
    manifest = json.loads((out / "manifest.json").read_text())
    return elapsed, peak, {t["path"]: t["rows"] for t in manifest["tables"]}


def faker_baseline(rows: int = 20_000) -> float:
    """Rows per second of a per-row Faker generator: the approach synthgen replaces."""
    from faker import Faker

    fake = Faker("en_GB")
    Faker.seed(1)
    start = time.perf_counter()
    for _ in range(rows):
        (fake.first_name(), fake.last_name(), fake.date_of_birth(), fake.street_address(), fake.postcode())
    return rows / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    baseline = faker_baseline()
    print(f"baseline: per-row Faker (en_GB), {baseline:,.0f} person rows/s on this machine ({os.cpu_count()} cores)")
    print()
    header = (
        f"{'people':>10} {'workers':>7} {'seconds':>8} {'people/s':>10} {'rows/s':>11} {'x faker':>8} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    tables: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        for people in args.sizes:
            for workers in args.workers:
                times, peaks = [], []
                for _ in range(args.runs):
                    elapsed, peak, tables = run_once(people, workers, out)
                    times.append(elapsed)
                    peaks.append(peak)
                seconds = statistics.median(times)
                rows = sum(tables.values())
                print(
                    f"{people:>10,} {workers:>7} {seconds:>8.2f} {people / seconds:>10,.0f} {rows / seconds:>11,.0f} "
                    f"{rows / seconds / baseline:>8.0f} {statistics.median(peaks) / 2**20:>9.0f}"
                )
            print(
                "    rows: " + ", ".join(f"{path.removesuffix('.parquet')} {n:,}" for path, n in sorted(tables.items()))
            )
        shutil.rmtree(out, ignore_errors=True)
    print()
    print(f"medians of {args.runs} runs; rows/s counts every table written (agency and truth)")


if __name__ == "__main__":
    main()
