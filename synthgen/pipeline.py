"""Running a plan: shards (in this process or a pool of workers), then one merge into the run folder.

The run is written to a hidden temporary folder beside the destination and renamed into place only when complete
(manifest last), so an interrupted or failed run never leaves anything that looks like a finished one.
"""

from __future__ import annotations

import multiprocessing
import shutil
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen import __version__, tables, truth
from synthgen.agencies import health, school
from synthgen.errors import SynthgenError
from synthgen.outputs import folders, parquet
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario
from synthgen.shard import shard_tables

Progress = Callable[[str, int, int], None]
PLACES: dict[str, tuple[str, Callable[[Plan], pa.Table]]] = {
    "agencies/health/practices": ("health", health.practices),
    "agencies/school/schools": ("school", school.schools_table),
}
"""Tables an agency holds about places, not people: written once for the run, not per shard."""


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to the command that started it, which stops the pool and says so in one line (the
    terminal sends the signal to every process of the command, and a worker's KeyboardInterrupt is a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_shard(plan: Plan, shard: int, parts: Path, pairs: bool = False) -> dict[str, int]:
    made = shard_tables(plan, shard, pairs)
    counts = {}
    for item in made.keyed:
        parquet.write_part(parts / "shuffled" / item.path / f"{shard:05d}.arrow", item.table, item.key, plan.shards)
        counts[item.path] = item.table.num_rows
    for name, table in made.truth.items():
        parquet.write_part(parts / "truth" / name / f"{shard:05d}.arrow", table)
        counts[f"truth/{name}"] = table.num_rows
    return counts


def _metadata(plan: Plan, table: str) -> dict[str, str]:
    return {
        "synthgen.version": __version__,
        "synthgen.scenario_sha256": plan.scenario_sha256,
        "synthgen.seed": str(plan.seed),
        "synthgen.synthetic": "true",
        "synthgen.table": table,
    }


def generate(
    scenario: Scenario,
    out: str | Path,
    *,
    workers: int = 1,
    overwrite: bool = False,
    pairs: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate a run from a validated scenario into folder `out`; return its manifest.

    The bytes written depend only on the scenario (and synthgen's version), never on `workers`.
    """
    out = Path(out)
    if workers < 1:
        raise SynthgenError(f"workers must be at least 1, not {workers}")
    temp = folders.prepare(out, overwrite, folders.RUN)
    report = progress or (lambda stage, done, total: None)
    pool: ProcessPoolExecutor | None = None
    try:
        plan = make_plan(scenario)
        parts = temp / "_parts"
        report("shards", 0, plan.shards)
        if workers > 1 and plan.shards > 1:
            pool = ProcessPoolExecutor(
                max_workers=min(workers, plan.shards),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )
            futures = [pool.submit(_run_shard, plan, shard, parts, pairs) for shard in range(plan.shards)]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                report("shards", done, plan.shards)
        else:
            for shard in range(plan.shards):
                _run_shard(plan, shard, parts, pairs)
                report("shards", shard + 1, plan.shards)
        written = _merge(plan, temp, parts, report, pairs, pool)
        written.append(_hard_negatives(plan, temp, parts))
        shutil.rmtree(parts)
        manifest = parquet.write_manifest(temp, _header(plan, pairs), written)
        folders.put_in_place(temp, out)
        return manifest
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        folders.cleanup(temp)


def _shards(plan: Plan) -> list[str]:
    """Each shard's part file name."""
    return [f"{shard:05d}.arrow" for shard in range(plan.shards)]


def _merge_one(shuffled: bool, part_paths: list[Path], out: Path, buckets: int, metadata: dict[str, str]) -> int:
    """One table's file from its shards' parts, in the registry's schema (each column with its description)."""
    schema = tables.table(metadata["synthgen.table"]).schema
    if shuffled:
        return parquet.merge_shuffled(part_paths, out, buckets, metadata, schema)
    return parquet.merge_in_order(part_paths, out, metadata, schema)


def _merge(
    plan: Plan, temp: Path, parts: Path, report: Progress, pairs: bool, pool: ProcessPoolExecutor | None = None
) -> list[tuple[str, int]]:
    """Merge every table's shard parts into its file; tables are independent, so a pool merges them in parallel."""
    shards = _shards(plan)
    keyed = sorted(p.parent.relative_to(parts / "shuffled") for p in (parts / "shuffled").rglob("00000.arrow"))
    # truth/hard_negatives is written after the merge, with the namesakes found over the whole run
    names = [
        t.name
        for t in tables.all_tables()
        if t.path.startswith("truth/") and t.name != "hard_negatives" and (pairs or not t.optional)
    ]
    jobs: list[tuple[str, tuple[bool, list[Path], Path, int, dict[str, str]]]] = []
    for table_dir in keyed:
        relative = f"{table_dir}.parquet"
        paths = [parts / "shuffled" / table_dir / s for s in shards]
        jobs.append((relative, (True, paths, temp / relative, plan.shards, _metadata(plan, str(table_dir)))))
    for name in names:
        relative = f"truth/{name}.parquet"
        paths = [parts / "truth" / name / s for s in shards]
        jobs.append((relative, (False, paths, temp / relative, plan.shards, _metadata(plan, f"truth/{name}"))))
    written: list[tuple[str, int]] = []
    if pool is None:
        for done, (relative, args) in enumerate(jobs, start=1):
            written.append((relative, _merge_one(*args)))
            report("merge", done, len(jobs))
    else:
        # the largest tables first, so the pool is not left waiting on one big merge at the end
        order = sorted(jobs, key=lambda job: -sum(p.stat().st_size for p in job[1][1]))
        futures = {pool.submit(_merge_one, *args): relative for relative, args in order}
        for done, future in enumerate(as_completed(futures), start=1):
            written.append((futures[future], future.result()))
            report("merge", done, len(jobs))
    for relative, table in _reference_tables(plan):
        schema = tables.table(relative).schema
        written.append((relative, parquet.write_table(table, temp / relative, _metadata(plan, relative), schema)))
    return written


def _hard_negatives(plan: Plan, temp: Path, parts: Path) -> tuple[str, int]:
    """Write truth/hard_negatives: each shard's pairs, then the namesakes found over the whole merged truth."""
    truth_dir = temp / "truth"
    people = pq.read_table(
        truth_dir / "people.parquet", columns=["person_id", "household_id", "given_name", "family_name", "resident"]
    )
    homes = pq.read_table(truth_dir / "households.parquet", columns=["household_id", "address_id"])
    districts = pq.read_table(truth_dir / "addresses.parquet", columns=["address_id", "outward_code"])
    found = truth.namesakes(people, homes, districts)
    table = pa.concat_tables([parquet.read_part(parts / "truth" / "hard_negatives" / s) for s in _shards(plan)])
    table = pa.concat_tables([table, found.cast(table.schema)])
    relative = "truth/hard_negatives.parquet"
    schema = tables.table(relative).schema
    return relative, parquet.write_table(table, temp / relative, _metadata(plan, "truth/hard_negatives"), schema)


def _reference_tables(plan: Plan) -> list[tuple[str, pa.Table]]:
    """The agencies' tables about places, for the agencies the scenario enables."""
    enabled = plan.scenario.agencies
    return [
        (f"{path}.parquet", build(plan)) for path, (agency, build) in PLACES.items() if getattr(enabled, agency).enabled
    ]


def _header(plan: Plan, pairs: bool) -> dict[str, Any]:
    scenario = plan.scenario
    return {
        "synthgen_version": __version__,
        "synthetic": True,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_sha256": plan.scenario_sha256,
        "seed": plan.seed,
        "period": {"start": plan.period_start.isoformat(), "end": plan.period_end.isoformat()},
        "area": {"la_number": plan.la.number, "la_name": plan.la.name, "gss_code": plan.la.gss_code},
        "people": plan.people,
        "shards": plan.shards,
        "pairs": pairs,
    }
