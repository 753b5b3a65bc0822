"""Running a plan: shards (in this process or a pool of workers), then one merge into the run folder.

The run is written to a hidden temporary folder beside the destination and renamed into place only when complete
(manifest last), so an interrupted or failed run never leaves anything that looks like a finished one.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen import __version__, quality, signals, truth
from synthgen.agencies import (
    TABLE_CODES,
    AgencyTable,
    concatenated,
    filtered,
    health,
    health_events,
    newborns,
    police,
    school,
    school_events,
    social_care,
)
from synthgen.errors import SynthgenError
from synthgen.kernel.record_ids import parse_record_ids
from synthgen.linkage import view as linkage_view
from synthgen.outputs import folders, parquet
from synthgen.scenario.plan import Plan, make_plan
from synthgen.scenario.schema import Scenario
from synthgen.world import births, deaths, storylines
from synthgen.world.population import ID_STRIDE, Population, build_population
from synthgen.world.simulate import simulate

Progress = Callable[[str, int, int], None]
TRUTH_TABLES = (
    "people",
    "households",
    "addresses",
    "moves",
    "relationships",
    "records",
    "events",
    "hard_negatives",
    "quality",
    "risk",
    "signals",
    "storylines",
    "storyline_events",
)


EVENT_DATES = {
    "ae_attendances": "arrived_at",
    "camhs_referrals": "referral_date",
    "health_visits": "due_date",
    "maternity_bookings": "booking_date",
    "exclusions": "start_date",
    "moves": "move_date",
    "missing_education": "reported_date",
}
"""The date of each event table's events, for leaving out events after a person's death."""


def _day(when: pa.Array) -> pa.Array:
    """The date of each event, whether it is held as a date or a timestamp."""
    return pc.cast(pc.cast(when, pa.timestamp("s")), pa.date32()) if pa.types.is_timestamp(when.type) else when


def _alive(
    pop: Population, died: NDArray[np.datetime64], person_id: NDArray[np.int64], when: pa.Array
) -> NDArray[np.bool_]:
    """Whether each event happened while its person was alive (babies born in the period are alive)."""
    row = person_id - pop.shard * ID_STRIDE
    known = row < len(died)
    death = np.full(len(row), np.datetime64("NaT"), dtype="datetime64[D]")
    death[known] = died[row[known]]
    days = _day(when).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    result: NDArray[np.bool_] = np.isnat(death) | np.isnat(days) | (days <= death)
    return result


@dataclass(frozen=True)
class Shuffled:
    """A table written in random (record-id) order across all shards."""

    path: str
    table: pa.Table
    key: NDArray[np.uint64]


def shard_tables(plan: Plan, shard: int, pairs: bool = False) -> tuple[list[Shuffled], dict[str, pa.Table]]:
    """Everything one shard contributes: agency tables and the linkage view (shuffled), and truth tables."""
    pop = build_population(plan, shard)
    sim = simulate(plan, pop)
    born, spare_nhs = births.births(plan, pop)
    died = deaths.deaths(plan, pop)
    scenario = plan.scenario
    rates = quality.rates_for(scenario.data_quality.profile, scenario.data_quality.rates)
    upn = pa.nulls(len(pop.people.person_id), pa.string())
    person_upn: NDArray[np.object_] = np.full(len(pop.people.person_id), None, dtype=object)
    built: list[
        tuple[AgencyTable, quality.Columns, NDArray[np.object_] | None, dict[str, NDArray[np.object_]] | None]
    ] = []
    if scenario.agencies.health.enabled:
        columns = quality.Columns(identifier="nhs_number", female="2", male="1", local_id="local_patient_id")
        own = {"nhs_number": pop.people.nhs_number}
        register = health.gp_registrations(plan, pop)
        register = concatenated(register, newborns.newborn_registrations(plan, pop, born, register.table.num_rows))
        built.append((register, columns, spare_nhs, own))
    if scenario.agencies.school.enabled:
        pupils, upn = school.pupils(plan, pop)
        person_upn = upn.to_numpy(zero_copy_only=False).astype(object)
    # planted storylines mark the simulation before any agency reads it (None: the shard has none)
    script = storylines.place(plan, pop, sim, born, died, person_upn)
    if scenario.agencies.school.enabled:
        built.append((pupils, quality.Columns(identifier="upn"), None, {"upn": person_upn}))
        school_year = school_events.school_events(plan, pop, sim, pupils)
    shuffled: list[Shuffled] = []
    police_days: NDArray[np.int64] | None = None
    events: list[AgencyTable] = []  # event records (an attendance, an incident role): truth maps them to people
    sources: list[signals.Source] = []  # agency tables that may hold safeguarding signals, with whose rows they are
    if scenario.agencies.police.enabled:
        force = police.police_tables(plan, pop, sim, script.scripted_incidents() if script else ())
        if script:
            script.police_records(force.scripted_incident_ids)
        built.append((force.persons, quality.Columns(female="Female", male="Male"), None, None))
        incident_ids = force.incidents.column("incident_id").combine_chunks()
        incident_key = parse_record_ids(incident_ids)
        shuffled.append(Shuffled("agencies/police/incidents", force.incidents, incident_key))
        roles = force.incident_persons
        # each role's incident (its row in incidents): nobody is involved in an incident after they died
        incident = pc.index_in(roles.column("incident_id"), value_set=incident_ids).to_numpy()
        occurred = _day(force.incidents.column("occurred_at").combine_chunks().take(pa.array(incident)))
        alive = _alive(pop, died, pop.people.person_id[force.incident_person_id], occurred)
        roles = roles.filter(pa.array(alive))
        force_person = force.incident_person_id[alive]
        # the day of the period the police first met each person (for notifications to children's services)
        met_on = occurred.filter(pa.array(alive))
        met_day = (
            met_on.to_numpy(zero_copy_only=False).astype("datetime64[D]") - np.datetime64(plan.period_start, "D")
        ).astype(np.int64)
        police_days = np.full(len(pop.people.person_id), np.iinfo(np.int64).max)
        np.minimum.at(police_days, force_person, met_day)
        police_days[police_days == np.iinfo(np.int64).max] = -1
        role_key = incident_key[incident[alive]]
        shuffled.append(Shuffled("agencies/police/incident_persons", roles, role_key))
        # a role in an incident is known by the incident's id (and the police person id beside it)
        role_records = pa.table({"record_id": roles.column("incident_id")})
        events.append(
            AgencyTable("police", "incident_persons", role_records, role_key, pop.people.person_id[force_person])
        )
        # a role's incident (its type and time) is what makes it a safeguarding signal
        kind_of_incident = force.incidents.column("incident_type").combine_chunks().take(pa.array(incident[alive]))
        roles_seen = roles.append_column("incident_type", kind_of_incident).append_column("occurred_at", met_on)
        role_people = pop.people.person_id[force_person]
        sources.append(signals.Source("police", "incident_persons", roles_seen, roles["incident_id"], role_people))
    event_tables: list[AgencyTable] = []
    if scenario.agencies.health.enabled:
        health_tables = health_events.health_events(plan, pop, sim, born).agency_tables(pop)
        for index, table in enumerate(health_tables):
            if table.name == "health_visits":
                visits = newborns.new_birth_visits(plan, pop, born, sim, table.table.num_rows)
                health_tables[index] = concatenated(table, visits)
        event_tables += script.health_tables(health_tables) if script else health_tables
    if scenario.agencies.school.enabled:
        school_tables = school_year.agency_tables()
        event_tables += script.school_tables(school_tables, pupils) if script else school_tables
    for table in event_tables:
        column = EVENT_DATES.get(table.name)
        if column is not None:  # nothing happens to anyone after they died
            table = filtered(table, _alive(pop, died, table.person_id, table.table.column(column).combine_chunks()))
        shuffled.append(Shuffled(table.path, table.table, table.key))
        events.append(table)
        sources.append(signals.Source(table.source, table.name, table.table, table.table["record_id"], table.person_id))
    if scenario.agencies.social_care.enabled:
        care = social_care.social_care(plan, pop, sim, person_upn, born, police_days, died)
        columns = quality.Columns(identifier="upn", other_identifiers=("nhs_number",))
        own = {"upn": person_upn, "nhs_number": pop.people.nhs_number}
        built.append((care.children, columns, None, own))
        for name, id_column in social_care.EVENT_TABLES:
            table = getattr(care, name)
            key = parse_record_ids(table.column(id_column).combine_chunks())
            shuffled.append(Shuffled(f"agencies/social_care/{name}", table, key))
            # whose each event is, through the child's la_child_id: truth/events and the signals
            person = signals.la_child_people(care.children.table, care.children.person_id, table["la_child_id"])
            ids = table.column(id_column).combine_chunks()
            events.append(AgencyTable("social_care", name, pa.table({"record_id": ids}), key, person))
            sources.append(signals.Source("social_care", name, table, ids, person))
    linkage_parts, record_parts, summaries = [], [], []
    for agency, columns, extra, held in built:
        code = TABLE_CODES[f"{agency.source}/{agency.name}"]
        degraded = quality.degrade(plan, pop, agency, columns, rates.get(agency.source, {}), code, extra, held)
        shuffled.append(Shuffled(degraded.agency.path, degraded.agency.table, degraded.agency.key))
        view, key, records = linkage_view.linkage_part(degraded, columns, code, plan.record_key, shard)
        linkage_parts.append((view, key))
        record_parts.append(records)
        summaries.append(degraded.summary())
    if linkage_parts:
        shuffled.append(
            Shuffled(
                "linkage/records",
                pa.concat_tables([view for view, _ in linkage_parts]),
                np.concatenate([key for _, key in linkage_parts]),
            )
        )
    records_table = pa.concat_tables(record_parts) if record_parts else linkage_view.empty_records()
    tables = {
        "people": pa.concat_tables([truth.people_table(pop, upn, died), truth.newborns_table(pop, born)]),
        "households": truth.households_table(pop),
        "addresses": truth.addresses_table(plan, pop),
        "moves": truth.moves_table(pop),
        "relationships": pa.concat_tables([truth.relationships_table(pop), truth.newborn_relationships(pop, born)]),
        "records": records_table,
        "hard_negatives": truth.hard_negatives_table(pop),
        "quality": pa.concat_tables(summaries) if summaries else quality.empty_summary(),
        "risk": truth.risks_table(pop, sim),
        "events": truth.events_table(events),
        "storylines": script.storylines_table() if script else storylines.empty_storylines(),
        "storyline_events": script.events_table() if script else storylines.empty_events(),
    }
    period = (plan.period_start, plan.period_end)
    tables["signals"] = signals.signals(tables["people"], sources, period, tables.get("storyline_events"))
    if pairs:
        tables["pairs"] = linkage_view.true_pairs(records_table)
    return shuffled, tables


def _run_shard(plan: Plan, shard: int, parts: Path, pairs: bool = False) -> dict[str, int]:
    shuffled, tables = shard_tables(plan, shard, pairs)
    counts = {}
    for item in shuffled:
        parquet.write_part(parts / "shuffled" / item.path / f"{shard:05d}.arrow", item.table, item.key, plan.shards)
        counts[item.path] = item.table.num_rows
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
        raise SynthgenError("--workers must be at least 1")
    temp = folders.prepare(out, overwrite, "manifest.json", "a synthgen run")
    plan = make_plan(scenario)
    report = progress or (lambda stage, done, total: None)
    pool: ProcessPoolExecutor | None = None
    try:
        parts = temp / "_parts"
        report("shards", 0, plan.shards)
        if workers > 1 and plan.shards > 1:
            pool = ProcessPoolExecutor(
                max_workers=min(workers, plan.shards), mp_context=multiprocessing.get_context("spawn")
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
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def _shards(plan: Plan) -> list[str]:
    """Each shard's part file name."""
    return [f"{shard:05d}.arrow" for shard in range(plan.shards)]


def _merge_one(shuffled: bool, part_paths: list[Path], out: Path, buckets: int, metadata: dict[str, str]) -> int:
    if shuffled:
        return parquet.merge_shuffled(part_paths, out, buckets, metadata)
    return parquet.merge_in_order(part_paths, out, metadata)


def _merge(
    plan: Plan, temp: Path, parts: Path, report: Progress, pairs: bool, pool: ProcessPoolExecutor | None = None
) -> list[tuple[str, int]]:
    """Merge every table's shard parts into its file; tables are independent, so a pool merges them in parallel."""
    shards = _shards(plan)
    keyed = sorted(p.parent.relative_to(parts / "shuffled") for p in (parts / "shuffled").rglob("00000.arrow"))
    # truth/hard_negatives is written after the merge, with the namesakes found over the whole run
    names = [name for name in TRUTH_TABLES if name != "hard_negatives"] + (["pairs"] if pairs else [])
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
        written.append((relative, parquet.write_table(table, temp / relative, _metadata(plan, relative))))
    return written


NAMESAKE_GROUP_LIMIT = 20
"""Strangers sharing a full name in one outward code are hard negatives; a name shared by more people than this
in one district (a very common name) is left out rather than listed as every pair of them."""


def _hard_negatives(plan: Plan, temp: Path, parts: Path) -> tuple[str, int]:
    """Write truth/hard_negatives: each shard's pairs, then strangers with the same full name in the same postcode
    district.

    Districts span shards, so the namesakes are found once over the merged truth rather than shard by shard."""
    truth_dir = temp / "truth"
    people = pq.read_table(
        truth_dir / "people.parquet", columns=["person_id", "household_id", "given_name", "family_name", "resident"]
    )
    people = people.filter(pc.field("resident"))
    homes = pq.read_table(truth_dir / "households.parquet", columns=["household_id", "address_id"])
    districts = pq.read_table(truth_dir / "addresses.parquet", columns=["address_id", "outward_code"])
    people = people.join(homes, "household_id", join_type="inner").join(districts, "address_id", join_type="inner")
    people = people.sort_by("person_id")  # a join's row order is not fixed: sort, so the bytes are
    key = pc.binary_join_element_wise(people["given_name"], people["family_name"], people["outward_code"], "|")
    group = pc.dictionary_encode(key.combine_chunks()).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(group)
    members = np.flatnonzero((counts[group] > 1) & (counts[group] <= NAMESAKE_GROUP_LIMIT))
    # rows are in person_id order, so each pair's left person has the smaller id
    left, right = linkage_view.pair_rows(group[members])
    left, right = members[left], members[right]
    person = people["person_id"].to_numpy()
    household = people["household_id"].to_numpy()
    strangers = household[left] != household[right]
    found = pa.table(
        {
            "person_id_l": pa.array(person[left][strangers]),
            "person_id_r": pa.array(person[right][strangers]),
            "kind": pa.array(np.full(int(strangers.sum()), "same_name_same_area", dtype=object), pa.string()),
        }
    )
    found = found.sort_by([("person_id_l", "ascending"), ("person_id_r", "ascending")])
    table = pa.concat_tables([parquet.read_part(parts / "truth" / "hard_negatives" / s) for s in _shards(plan)])
    table = pa.concat_tables([table, found.cast(table.schema)])
    relative = "truth/hard_negatives.parquet"
    return relative, parquet.write_table(table, temp / relative, _metadata(plan, "truth/hard_negatives"))


def _reference_tables(plan: Plan) -> list[tuple[str, pa.Table]]:
    """Tables an agency holds about places, not people: written once, not per shard."""
    tables = []
    if plan.scenario.agencies.health.enabled:
        tables.append(("agencies/health/practices.parquet", health.practices(plan)))
    if plan.scenario.agencies.school.enabled:
        tables.append(("agencies/school/schools.parquet", school.schools_table(plan)))
    return tables


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
