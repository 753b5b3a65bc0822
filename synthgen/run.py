"""Running a plan: shards (in this process or a pool of workers), then one merge into the run folder.

The run is written to a hidden temporary folder beside the destination and renamed into place only when complete
(manifest last), so an interrupted or failed run never leaves anything that looks like a finished one.
"""

from __future__ import annotations

import multiprocessing
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pyarrow as pa

from synthgen import __version__, truth
from synthgen.agencies import AgencyTable, health, school
from synthgen.errors import SynthgenError
from synthgen.population import build_population
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario
from synthgen.writers import parquet

Progress = Callable[[str, int, int], None]
TRUTH_TABLES = ("people", "households", "addresses", "relationships", "records")


def shard_tables(plan: Plan, shard: int) -> tuple[list[AgencyTable], dict[str, pa.Table]]:
    """Everything one shard contributes: its agency tables and its truth tables (the pure core's output)."""
    pop = build_population(plan, shard)
    agencies: list[AgencyTable] = []
    upn = pa.nulls(len(pop.people.person_id), pa.string())
    if plan.scenario.agencies.health.enabled:
        agencies.append(health.gp_registrations(plan, pop))
    if plan.scenario.agencies.school.enabled:
        pupils, upn = school.pupils(plan, pop)
        agencies.append(pupils)
    records = [truth.records_table(a.source, a.name, a.table.column("record_id"), a.person_id) for a in agencies]
    tables = {
        "people": truth.people_table(pop, upn),
        "households": truth.households_table(pop),
        "addresses": truth.addresses_table(plan, pop),
        "relationships": truth.relationships_table(pop),
        "records": pa.concat_tables(records)
        if records
        else truth.records_table("", "", pa.array([], pa.string()), pa.array([], pa.int64()).to_numpy()),
    }
    return agencies, tables


def _run_shard(plan: Plan, shard: int, parts: Path) -> dict[str, int]:
    agencies, tables = shard_tables(plan, shard)
    counts = {}
    for agency in agencies:
        parquet.write_part(parts / agency.path / f"{shard:05d}.arrow", agency.table, agency.key, plan.shards)
        counts[agency.path] = agency.table.num_rows
    for name, table in tables.items():
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


def _prepare(out: Path, overwrite: bool) -> Path:
    if out.exists() and not overwrite:
        raise SynthgenError(f"{out} already exists; pass --overwrite to replace it")
    if out.exists() and not (out / "manifest.json").exists() and any(out.iterdir()):
        raise SynthgenError(f"{out} is a folder that is not a synthgen run; refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"


def generate(
    scenario: Scenario,
    out: str | Path,
    *,
    workers: int = 1,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate a run from a validated scenario into folder `out`; return its manifest.

    The bytes written depend only on the scenario (and synthgen's version), never on `workers`.
    """
    out = Path(out)
    if workers < 1:
        raise SynthgenError("--workers must be at least 1")
    temp = _prepare(out, overwrite)
    plan = make_plan(scenario)
    report = progress or (lambda stage, done, total: None)
    try:
        parts = temp / "_parts"
        report("shards", 0, plan.shards)
        if workers == 1 or plan.shards == 1:
            for shard in range(plan.shards):
                _run_shard(plan, shard, parts)
                report("shards", shard + 1, plan.shards)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, plan.shards), mp_context=context) as pool:
                futures = [pool.submit(_run_shard, plan, shard, parts) for shard in range(plan.shards)]
                for done, future in enumerate(as_completed(futures), start=1):
                    future.result()
                    report("shards", done, plan.shards)
        written = _merge(plan, temp, parts, report)
        shutil.rmtree(parts)
        manifest = parquet.write_manifest(temp, _header(plan), written)
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            out.rename(old)
            temp.rename(out)
            shutil.rmtree(old)
        else:
            temp.rename(out)
        return manifest
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def _merge(plan: Plan, temp: Path, parts: Path, report: Progress) -> list[tuple[str, int]]:
    written: list[tuple[str, int]] = []
    shards = [f"{shard:05d}.arrow" for shard in range(plan.shards)]
    keyed = sorted(p.relative_to(parts) for p in parts.glob("agencies/*/*") if p.is_dir())
    total = len(keyed) + len(TRUTH_TABLES)
    for done, table_dir in enumerate(keyed, start=1):
        relative = f"{table_dir}.parquet"
        rows = parquet.merge_shuffled(
            [parts / table_dir / s for s in shards],
            temp / relative,
            plan.shards,
            _metadata(plan, str(table_dir)),
        )
        written.append((relative, rows))
        report("merge", done, total)
    for done, name in enumerate(TRUTH_TABLES, start=len(keyed) + 1):
        relative = f"truth/{name}.parquet"
        rows = parquet.merge_in_order(
            [parts / "truth" / name / s for s in shards], temp / relative, _metadata(plan, f"truth/{name}")
        )
        written.append((relative, rows))
        report("merge", done, total)
    if plan.scenario.agencies.health.enabled:
        relative = "agencies/health/practices.parquet"
        written.append(
            (
                relative,
                parquet.write_table(health.practices(plan), temp / relative, _metadata(plan, relative)),
            )
        )
    if plan.scenario.agencies.school.enabled:
        relative = "agencies/school/schools.parquet"
        written.append(
            (
                relative,
                parquet.write_table(school.schools_table(plan), temp / relative, _metadata(plan, relative)),
            )
        )
    return written


def _header(plan: Plan) -> dict[str, Any]:
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
    }
