"""What each task of `synthgen generate` costs: CPU (user and system apart), page faults and disk I/O per task.

benchmarks/generate.py gives each phase's totals; this finds the terms that grow faster than the people, by
running the same generation with every task wrapped so that the worker running it records its own resource usage
before and after (getrusage of the worker process, which runs one task at a time; /proc/self/io for the bytes it
read from and wrote to the disk). The table sums each kind of task (a shard, a keyed table's merge, a truth
table's merge, a namesake bucket, ...) and gives its median per task, so two sizes side by side show which kind of
task costs more per task (or per row) in the larger run.

    python benchmarks/tasks.py --sizes 1000000 4000000 --scenario benchmarks/scale.yaml
    python benchmarks/tasks.py --sizes 200000 --by-table          # each table's merges apart
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scale.yaml"


def _io() -> dict[str, int]:
    """This process's bytes read from and written to storage so far (0 where /proc/self/io cannot be read)."""
    found = {"read_bytes": 0, "write_bytes": 0}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/io").read_text().splitlines():
            name, _, value = line.partition(": ")
            if name in found:
                found[name] = int(value)
    return found


class Measured:
    """A task's function (named, so that it pickles to a spawned worker whatever the parent patched) that appends
    its resource usage to a log as one JSON line."""

    def __init__(self, module: str, name: str, log: str, label: str) -> None:
        self.module, self.name, self.log, self.label = module, name, log, label

    def __call__(self, *args: Any) -> Any:
        function = getattr(importlib.import_module(self.module), self.name)
        before, io_before, start = resource.getrusage(resource.RUSAGE_SELF), _io(), time.perf_counter()
        result = function(*args)
        after, io_after = resource.getrusage(resource.RUSAGE_SELF), _io()
        line = {
            "task": self.name,
            "label": self.label,
            "user": after.ru_utime - before.ru_utime,
            "sys": after.ru_stime - before.ru_stime,
            "minflt": after.ru_minflt - before.ru_minflt,
            "majflt": after.ru_majflt - before.ru_majflt,
            "read_mib": (io_after["read_bytes"] - io_before["read_bytes"]) / 2**20,
            "write_mib": (io_after["write_bytes"] - io_before["write_bytes"]) / 2**20,
            "wall": time.perf_counter() - start,
            "maxrss_mib": after.ru_maxrss / 1024,
            "pid": os.getpid(),
        }
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
        return result


def _label(function: Any, args: Sequence[Any]) -> str:
    """Which table a task writes (merges), else its kind alone."""
    for arg in args:
        if isinstance(arg, str) and (arg.startswith(("agencies/", "truth/", "linkage/")) or "/" in arg[:12]):
            return arg
    return str(function.__name__)


def _run(scenario: str, people: int, workers: int, out: str, log: str, options: dict[str, Any]) -> None:
    """In a fresh process: generate with every task measured; the parent's own usage per phase goes to the log."""
    import synthgen
    from synthgen import pipeline

    original = pipeline._round

    def measured_round(engine: Any, tasks: Sequence[Any], stage: str, report: Any) -> list[Any]:
        wrapped = [
            (Measured(function.__module__, function.__name__, log, _label(function, args)), args)
            for function, args in tasks
        ]
        return original(engine, wrapped, stage, report)

    pipeline._round = measured_round  # type: ignore[assignment]
    loaded = synthgen.load_scenario(scenario, {"population.people": people})
    before = resource.getrusage(resource.RUSAGE_SELF)
    synthgen.generate(loaded, out, workers=workers, overwrite=True, **options)
    after = resource.getrusage(resource.RUSAGE_SELF)
    line = {
        "task": "parent",
        "label": "parent",
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "minflt": after.ru_minflt - before.ru_minflt,
        "majflt": after.ru_majflt - before.ru_majflt,
        "maxrss_mib": after.ru_maxrss / 1024,
    }
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def summarise(lines: list[dict[str, Any]], key: str) -> dict[str, dict[str, float]]:
    """Per kind of task: how many, CPU user and system summed, faults summed, and the median CPU of one."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        grouped[line[key]].append(line)
    table: dict[str, dict[str, float]] = {}
    for name, found in sorted(grouped.items()):
        table[name] = {
            "tasks": len(found),
            "user": sum(f["user"] for f in found),
            "sys": sum(f["sys"] for f in found),
            "minflt_k": sum(f["minflt"] for f in found) / 1000,
            "majflt": sum(f["majflt"] for f in found),
            "read_mib": sum(f.get("read_mib", 0.0) for f in found),
            "write_mib": sum(f.get("write_mib", 0.0) for f in found),
            "median_cpu": statistics.median(f["user"] + f["sys"] for f in found),
            "maxrss_mib": max(f["maxrss_mib"] for f in found),
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--out", type=Path, default=None, help="where to write the runs (default: a temporary folder)")
    parser.add_argument("--options", default="{}", help="JSON of extra synthgen.generate arguments")
    parser.add_argument("--by-table", action="store_true", help="each table's merges apart")
    parser.add_argument("--keep-log", type=Path, default=None, help="also write every task's line to this file")
    parser.add_argument("--run", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        scenario, people, workers, out, log = args.run
        _run(scenario, int(people), int(workers), out, log, json.loads(args.options))
        return
    import subprocess

    print(f"scenario {args.scenario}, {args.workers} workers, options {args.options}; load {os.getloadavg()}")
    header = (
        f"{'people':>10} {'task':>34} {'tasks':>6} {'user s':>8} {'sys s':>7} {'minflt k':>9} {'majflt':>7} "
        f"{'read MiB':>9} {'write MiB':>9} {'med CPU s':>9} {'max MiB':>8}"
    )
    print(header)
    print("-" * len(header))
    scratch = Path(tempfile.mkdtemp(dir=args.out))
    try:
        for people in args.sizes:
            out, log = scratch / f"run-{people}", scratch / f"tasks-{people}.jsonl"
            command = [sys.executable, __file__, "--options", args.options, "--run", str(args.scenario)]
            subprocess.run([*command, str(people), str(args.workers), str(out), str(log)], check=True)
            lines = [json.loads(line) for line in log.read_text().splitlines()]
            if args.keep_log:
                with args.keep_log.open("a", encoding="utf-8") as kept:
                    kept.writelines(json.dumps({**line, "people": people}) + "\n" for line in lines)
            for name, row in summarise(lines, "label" if args.by_table else "task").items():
                print(
                    f"{people:>10,} {name[-34:]:>34} {row['tasks']:>6.0f} {row['user']:>8.2f} {row['sys']:>7.2f} "
                    f"{row['minflt_k']:>9.0f} {row['majflt']:>7.0f} {row['read_mib']:>9.0f} {row['write_mib']:>9.0f} "
                    f"{row['median_cpu']:>9.3f} {row['maxrss_mib']:>8.0f}"
                )
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
