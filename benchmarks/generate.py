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
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import median_measure, synthgen

from synthgen.run_folder import open_run

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"


def command(people: int, workers: int, out: Path, scenario: Path = SCENARIO) -> list[str]:
    return synthgen(
        "generate", str(scenario), "-o", str(out), "--overwrite", "--quiet", "--people", str(people),
        "--workers", str(workers),
    )  # fmt: skip


def rows_written(out: Path) -> dict[str, int]:
    return {str(t["path"]): int(t["rows"]) for t in open_run(out).manifest["tables"]}


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
                seconds, peak = median_measure(command(people, workers, out), args.runs)
                tables = rows_written(out)
                rows = sum(tables.values())
                print(
                    f"{people:>10,} {workers:>7} {seconds:>8.2f} {people / seconds:>10,.0f} {rows / seconds:>11,.0f} "
                    f"{rows / seconds / baseline:>8.0f} {peak / 2**20:>9.0f}"
                )
            print(
                "    rows: " + ", ".join(f"{path.removesuffix('.parquet')} {n:,}" for path, n in sorted(tables.items()))
            )
        # the data-quality model's cost: the same run with the `clean` profile (linkage view still written)
        clean = Path(scratch) / "clean.yaml"
        clean.write_text(SCENARIO.read_text().replace("profile: realistic", "profile: clean"))
        people, workers = max(args.sizes), max(args.workers)
        realistic = median_measure(command(people, workers, out), args.runs)[0]
        without = median_measure(command(people, workers, out, clean), args.runs)[0]
        print()
        print(
            f"error model: {people:,} people, {workers} workers: realistic {realistic:.2f} s, clean {without:.2f} s "
            f"(x{realistic / without:.2f})"
        )
        shutil.rmtree(out, ignore_errors=True)
    print()
    print(f"medians of {args.runs} runs; rows/s counts every table written (agency, linkage and truth)")


if __name__ == "__main__":
    main()
