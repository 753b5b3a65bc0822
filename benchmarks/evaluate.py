"""Throughput and peak memory of `synthgen evaluate linkage` on a real run, and of the metrics core at 10M.

Predictions are made from the truth so that their size is known: the truth's own clusters, clusters with 5% of
records moved to a wrong cluster, and scored pairs (every true pair plus as many wrong ones). Each is scored in a
fresh process (median of several runs; memory sampled from /proc). The metrics core is then timed alone on 10M
records with 5% mislinked, in this process.

    python benchmarks/evaluate.py                 # uses (or makes) a 1M-person Birmingham run
    python benchmarks/evaluate.py --run output/t1m --runs 3
    python benchmarks/evaluate.py --people 2000000   # about 3 million records
    python benchmarks/evaluate.py --run RUN --baseline /path/to/older/checkout   # the two in turn, and their ratio

About 10 million records: a run of 6.3 million people of benchmarks/scale.yaml (`synthgen generate
benchmarks/scale.yaml --people 6300000 --partitioned -o RUN`), then `--run RUN`.

A run made without --pairs gets its scored pairs from the truth (a million true pairs and as many wrong ones).
Where a scoring spends its time and memory, phase by phase: benchmarks/evaluate_phases.py RUN PREDICTIONS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import baseline_env, measure, measure_cpu, median_measure_cpu, synthgen

from synthgen.linkage.view import pair_rows
from synthgen.run_folder import Run, open_run

ROOT = Path(__file__).resolve().parents[1]


def predictions(run: Run, scratch: Path) -> dict[str, Path]:
    truth = run.read("truth/records", ["record_id", "person_id"])
    rng = np.random.default_rng(1)
    person = truth["person_id"].to_numpy()
    noisy = person.copy()
    moved = rng.random(len(noisy)) < 0.05
    noisy[moved] = rng.choice(person, int(moved.sum()))
    if run.has("truth/pairs"):
        pairs = run.read("truth/pairs", ["unique_id_l", "unique_id_r"])
    else:  # a run made without --pairs: its true pairs from the truth (a million of them at most, to keep it small)
        left, right = pair_rows(person)
        keep = np.sort(rng.permutation(len(left))[:1_000_000])
        ids = truth["record_id"].combine_chunks()
        pairs = pa.table(
            {"unique_id_l": ids.take(pa.array(left[keep])), "unique_id_r": ids.take(pa.array(right[keep]))}
        )
    files = {
        "perfect clusters": pa.table({"record_id": truth["record_id"], "cluster_id": person}),
        "5% mislinked clusters": pa.table({"record_id": truth["record_id"], "cluster_id": noisy}),
    }
    if pairs is not None:
        n = pairs.num_rows
        ids = truth["record_id"].combine_chunks()
        wrong_l = ids.take(pa.array(rng.integers(0, truth.num_rows, n)))
        wrong_r = ids.take(pa.array(rng.integers(0, truth.num_rows, n)))
        files["scored pairs"] = pa.table(
            {
                "record_id_l": pa.concat_arrays([pairs["unique_id_l"].combine_chunks(), wrong_l]),
                "record_id_r": pa.concat_arrays([pairs["unique_id_r"].combine_chunks(), wrong_r]),
                "match_probability": pa.array(np.r_[rng.uniform(0.5, 1, n), rng.uniform(0, 0.7, n)]),
            }
        )
    paths = {}
    for name, table in files.items():
        path = scratch / f"{name.replace(' ', '_').replace('%', '')}.parquet"
        pq.write_table(table, path)
        paths[name] = path
    return paths


def core_at(records: int) -> tuple[float, float]:
    from synthgen.evaluation.metrics import cluster_metrics

    rng = np.random.default_rng(2)
    person = rng.integers(0, records // 3, records)
    predicted = person.copy()
    moved = rng.random(records) < 0.05
    predicted[moved] = rng.integers(0, records // 3, int(moved.sum()))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cluster_metrics(person, predicted)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return seconds, max(peak, before) / 1024


def in_turn(name: str, command: list[str], checkout: Path, runs: int, records: int) -> None:
    """This synthgen and an older checkout scoring the same predictions, one after the other `runs` times (figures
    from one machine's noisy minutes compare only when taken together): each one's medians, the ratio, and whether
    the two wrote the same JSON."""
    json_at = command.index("--json") + 1
    old_command = [*command[:json_at], command[json_at] + ".baseline", *command[json_at + 1 :]]
    now, before = [], []
    for _ in range(runs):
        now.append(measure_cpu(command))
        before.append(measure_cpu(old_command, checkout, baseline_env(checkout)))
    for label, results in ((name, now), ("  baseline", before)):
        seconds, cpu, peak = (statistics.median(r[i] for r in results) for i in range(3))
        print(f"{label:<24} {seconds:>8.2f} {cpu:>8.2f} {records / seconds:>12,.0f} {peak / 2**20:>9.0f}")
    ratio = statistics.median(r[0] for r in now) / statistics.median(r[0] for r in before)
    same = Path(command[json_at]).read_bytes() == Path(old_command[json_at]).read_bytes()
    print(f"{'  ratio':<24} {ratio:>8.2f}x the baseline's seconds; JSON {'identical' if same else 'DIFFERENT'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--run", type=Path, default=None, help="a run made with --pairs (default: make a 1M-person one)"
    )
    parser.add_argument("--people", type=int, default=1_000_000, help="the size of the run made (without --run)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--core-records", type=int, default=10_000_000)
    parser.add_argument("--baseline", type=Path, help="an older synthgen checkout, run in turn with this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        path = args.run.resolve() if args.run else None
        if path is None:
            path = scratch / "run"
            print(f"making a {args.people:,}-person run (birmingham.yaml, 2 workers, --pairs) ...")
            scenario = str(ROOT / "scenarios/birmingham.yaml")
            people = ["--people", str(args.people)]
            measure(synthgen("generate", scenario, "-o", str(path), "--quiet", "--workers", "2", "--pairs", *people))
        run = open_run(path)
        records = next(
            int(t["rows"]) for t in run.manifest["tables"] if str(t["path"]).removesuffix(".parquet") == "truth/records"
        )
        print(f"run {path}: {records:,} records")
        print(f"{'predictions':<24} {'seconds':>8} {'CPU s':>8} {'records/s':>12} {'peak MiB':>9}")
        for name, file in predictions(run, scratch).items():
            command = synthgen(
                "evaluate", "linkage", str(path), str(file), "--json", str(scratch / "s.json"), "--overwrite"
            )
            if args.baseline:
                in_turn(name, command, args.baseline.resolve(), args.runs, records)
                continue
            seconds, cpu, peak = median_measure_cpu(command, args.runs)
            print(f"{name:<24} {seconds:>8.2f} {cpu:>8.2f} {records / seconds:>12,.0f} {peak / 2**20:>9.0f}")
    core_seconds, core_peak = core_at(args.core_records)
    print(
        f"metrics core alone, {args.core_records:,} records (5% mislinked): {core_seconds:.2f} s, "
        f"peak RSS {core_peak:.0f} MiB"
    )
    print(f"medians of {args.runs} runs; each scoring run is a fresh `synthgen evaluate linkage` process")


if __name__ == "__main__":
    main()
