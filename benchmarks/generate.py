"""Where `synthgen generate` spends its time and memory, phase by phase, against the I/O floor.

Each size runs as a fresh process (several times; the table shows medians). The process reports each phase as it
starts (shards, merge, run-level passes, manifest); memory is sampled every 20 ms from /proc for every process
of the run apart: the parent (the one that calls `synthgen.generate`) and the largest single worker. The floor
is what pyarrow alone needs to read every table of the finished run back and write it again (zstd), measured in a
fresh process right after each run, on that run's files: each run's ratio to the floor is taken from two
measurements seconds apart (this machine's speed drifts by a fifth within minutes), and the table gives the
median of those ratios beside the medians of the runs and of the floors. Each run writes a fresh folder, removed
after its floor (outside the measurement), so no run pays for deleting another. Several sizes are measured in
rounds, one run of each size a round in the order given: the last lines give each size's median time as a multiple
of the first size's, and the same ratio within each round, from runs made one after the other rather than
minutes apart. The baseline for the whole approach, a per-row Faker generator, is printed with --faker.

    python benchmarks/generate.py                                   # 1M people, 2 workers, 3 runs
    python benchmarks/generate.py --sizes 1000000 4000000 10000000 --runs 3 --scenario benchmarks/scale.yaml
    PYTHONPATH=/path/to/old/checkout python benchmarks/generate.py  # an older synthgen, the same measurement

benchmarks/scale.yaml (all of Hampshire) holds ten million people; scenarios/birmingham.yaml at most 8.6 million.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import process_cpu, process_rss, process_tree

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "birmingham.yaml"
PHASES = ("shards", "merge", "passes", "manifest")


def _child(scenario: str, people: int, workers: int, out: str, extra: dict[str, Any]) -> None:
    """In the measured process: generate, printing `PHASE name` as each phase starts."""
    import synthgen
    from synthgen import pipeline
    from synthgen.outputs import parquet

    def mark(name: str) -> None:
        print(f"PHASE {name} {time.perf_counter()}", flush=True)

    seen: set[str] = set()

    def report(stage: str, done: int, total: int) -> None:
        if stage not in seen:
            seen.add(stage)
            mark(stage)
        if stage == "shards" and done == total and "merge" not in seen:  # older synthgen: no merge start
            seen.add("merge")
            mark("merge")

    if not hasattr(pipeline, "PHASES"):  # an older synthgen reports only shards and merges: wrap its passes
        _wrap(pipeline, "_hard_negatives", lambda: mark("passes"))
        _wrap(parquet, "write_manifest", lambda: mark("manifest"))
    loaded = synthgen.load_scenario(scenario, {"population.people": people})
    mark("shards")
    seen.add("shards")
    synthgen.generate(loaded, out, workers=workers, overwrite=True, progress=report, **extra)
    mark("end")


def _wrap(module: Any, name: str, before: Callable[[], None]) -> None:
    original = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        before()
        return original(*args, **kwargs)

    setattr(module, name, wrapped)


def _floor(run: str, scratch: str) -> None:
    """In a fresh process: read every table of the run with pyarrow and write it again; print the seconds."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    manifest = json.loads((Path(run) / "manifest.json").read_text())
    start = time.perf_counter()
    for number, entry in enumerate(manifest["tables"]):
        source = Path(run) / entry["path"]
        table = ds.dataset(source, format="parquet").to_table() if source.is_dir() else pq.read_table(source)
        pq.write_table(table, Path(scratch) / f"{number}.parquet", compression="zstd")
    print(f"FLOOR {time.perf_counter() - start} {time.process_time()}", flush=True)


def measure_run(command: list[str]) -> dict[str, Any]:
    """One measured run: seconds per phase and, per phase, the peak RSS of the parent and of the largest worker."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    marks: list[tuple[str, float]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("PHASE "):
                _, name, at = line.split()
                marks.append((name, float(at)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    parent: dict[str, int] = {}
    worker: dict[str, int] = {}
    cpu: dict[str, float] = {}
    used: dict[int, float] = {}  # each process's CPU seconds when last seen (a process gone keeps its last figure)
    before, phase = 0.0, "start"
    while process.poll() is None:
        now = marks[-1][0] if marks else "start"
        pids = process_tree(process.pid)
        for pid in pids:
            used[pid] = max(used.get(pid, 0.0), process_cpu(pid))
        total = sum(used.values())
        if now != phase:
            before, phase = total, now
        cpu[phase] = total - before
        sizes = {pid: process_rss(pid) for pid in pids}
        parent[phase] = max(parent.get(phase, 0), sizes.get(process.pid, 0))
        others = [size for pid, size in sizes.items() if pid != process.pid]
        worker[phase] = max(worker.get(phase, 0), max(others, default=0))
        time.sleep(0.02)
    reader.join()
    if process.returncode:
        raise SystemExit(f"{command} failed with exit code {process.returncode}")
    seconds = {name: after - at for (name, at), (_, after) in itertools.pairwise(marks)}
    seconds["total"] = marks[-1][1] - marks[0][1]
    parent["total"] = max(parent.values())
    worker["total"] = max(worker.values())
    cpu["total"] = sum(cpu.get(phase, 0.0) for phase in PHASES)
    return {"seconds": seconds, "parent": parent, "worker": worker, "cpu": cpu}


def floor_seconds(out: Path) -> tuple[float, float]:
    """The floor's wall and CPU seconds for one finished run, in a fresh process (one run of it swung from 7 to
    11 s on the same files, so each run gets its own)."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            [sys.executable, __file__, "--floor", str(out), scratch], check=True, capture_output=True, text=True
        )
    wall, cpu = result.stdout.split()[-2:]
    return float(wall), float(cpu)


def measure_rounds(
    command: list[str], workers: int, scratch: Path, sizes: list[int], runs: int
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, dict[str, int]]]:
    """`runs` rounds, each one run of every size in turn, each run followed by its floor and then removed: sizes
    measured minutes apart would carry this machine's drift into their ratio, so each round's ratio compares runs
    made one after the other. Returns each size's runs (in round order) and its rows and stored bytes."""
    measured: dict[int, list[dict[str, Any]]] = {people: [] for people in sizes}
    stored: dict[int, dict[str, int]] = {}
    for number in range(runs):
        for people in sizes:
            out = scratch / f"run-{people}-{number}"
            run = measure_run([*command, str(people), str(workers), str(out)])
            run["floor"], run["floor_cpu"] = floor_seconds(out)
            measured[people].append(run)
            if people not in stored:  # the same scenario and size make the same files every round
                manifest = json.loads((out / "manifest.json").read_text())
                stored[people] = {
                    "rows": sum(int(t["rows"]) for t in manifest["tables"]),
                    "bytes": sum(int(t["bytes"]) for t in manifest["tables"]),
                }
            shutil.rmtree(out, ignore_errors=True)
    return measured, stored


def _median(runs: list[dict[str, Any]], kind: str, phase: str) -> float:
    return statistics.median(run[kind].get(phase, 0) for run in runs)


def faker_baseline(rows: int = 20_000) -> float:
    """Rows per second of a per-row Faker generator: the approach synthgen's column-wise design replaces."""
    from faker import Faker

    fake = Faker("en_GB")
    Faker.seed(1)
    start = time.perf_counter()
    for _ in range(rows):
        (fake.first_name(), fake.last_name(), fake.date_of_birth(), fake.street_address(), fake.postcode())
    return rows / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--out", type=Path, default=None, help="where to write the runs (default: a temporary folder)")
    parser.add_argument("--options", default="{}", help="JSON of extra synthgen.generate arguments")
    parser.add_argument("--faker", action="store_true", help="also print the per-row Faker baseline")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scenario, people, workers, out = args.child
        _child(scenario, int(people), int(workers), out, json.loads(args.options))
        return
    if args.floor:
        _floor(*args.floor)
        return
    import synthgen

    print(f"synthgen {synthgen.__version__} from {Path(synthgen.__file__).parent}; {os.cpu_count()} cores; ")
    print(f"scenario {args.scenario}, {args.workers} workers, options {args.options}; load {os.getloadavg()}")
    if args.faker:
        print(f"baseline: per-row Faker (en_GB), {faker_baseline():,.0f} person rows/s")
    header = f"{'people':>11} {'phase':>9} {'seconds':>8} {'CPU s':>8} {'parent MiB':>11} {'worker MiB':>11}"
    print(header)
    print("-" * len(header))
    scratch = Path(tempfile.mkdtemp(dir=args.out))
    try:
        command = [sys.executable, __file__, "--options", args.options, "--child", str(args.scenario)]
        measured, stored = measure_rounds(command, args.workers, scratch, args.sizes, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for people, runs in measured.items():
        floor = statistics.median(run["floor"] for run in runs)
        floor_cpu = statistics.median(run["floor_cpu"] for run in runs)
        for phase in (*PHASES, "total"):
            print(
                f"{people:>11,} {phase:>9} {_median(runs, 'seconds', phase):>8.2f} "
                f"{_median(runs, 'cpu', phase):>8.2f} "
                f"{_median(runs, 'parent', phase) / 2**20:>11.0f} {_median(runs, 'worker', phase) / 2**20:>11.0f}"
            )
        ratio = statistics.median(run["seconds"]["total"] / run["floor"] for run in runs)
        ratio_cpu = statistics.median(run["cpu"]["total"] / run["floor_cpu"] for run in runs)
        each = ", ".join(f"{run['seconds']['total']:.1f} / {run['floor']:.1f}" for run in runs)
        print(
            f"{people:>11,}     floor {floor:>8.2f} {floor_cpu:>8.2f}   run/floor {ratio:.2f} "
            f"(CPU {ratio_cpu:.2f}); {stored[people]['rows']:,} rows, {stored[people]['bytes'] / 2**20:,.0f} MiB; "
            f"each run / its floor: {each} s"
        )
    first = args.sizes[0]
    for people in args.sizes[1:]:
        rounds = [
            run["seconds"]["total"] / base["seconds"]["total"]
            for base, run in zip(measured[first], measured[people], strict=True)
        ]
        medians = _median(measured[people], "seconds", "total") / _median(measured[first], "seconds", "total")
        print(
            f"{people:,} people took {medians:.2f} times the median time of {first:,}; "
            f"in each round: {', '.join(f'{ratio:.2f}' for ratio in rounds)} (median {statistics.median(rounds):.2f})"
        )
    print(f"medians of {args.runs} runs, one run of each size a round; load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
