"""One shard of a run: its world, a loop over the producers, then what the shard does for every producer alike.

The world is the shard's people and households, their year (needs and risks), births and deaths. The producers
run in order, each reading the world and what earlier ones made (synthgen/agencies/producer.py); the shard
then drops event records dated after their person's death, puts every person-level table through the
data-quality model into the linkage view, and derives the truth. Tables are gathered in the registry's order,
so the bytes written do not depend on the order the producers run in (person-level tables in the order
of their table codes, event tables as declared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import quality, signals, tables, truth
from synthgen.agencies import AgencyTable, filtered, front_door, health, police, school, school_events, social_care
from synthgen.agencies.producer import Changes, Context, Keyed, PersonRecords, Produced
from synthgen.linkage import view as linkage_view
from synthgen.scenario.plan import Plan
from synthgen.truth.records import with_known_on
from synthgen.world import births, deaths, storylines
from synthgen.world.population import build_population
from synthgen.world.simulate import simulate

Producer = Callable[[Context], Produced]


def plant_storylines(ctx: Context) -> Produced:
    """Place the shard's planted storylines and mark them in the simulation, before any agency reads it (a
    template with school events needs a pupil, so after the register)."""
    ctx.script = storylines.place(ctx.plan, ctx.pop, ctx.sim, ctx.born, ctx.died, ctx.person_upn)
    return Produced()


PRODUCERS: tuple[tuple[str | None, Producer], ...] = (
    ("school", school.register),
    (None, plant_storylines),
    ("police", police.produce),
    ("health", health.produce),
    ("school", school_events.produce),
    ("social_care", social_care.produce),
    ("social_care", front_door.produce),
)
"""Each producer, with the agency whose switch in the scenario turns it on (None: always), in the order they run."""


@dataclass(frozen=True)
class Shard:
    """Everything one shard contributes: tables written in record-id order across all shards, and truth tables
    (concatenated in shard order)."""

    keyed: list[Keyed]
    truth: dict[str, pa.Table]


def _world(plan: Plan, shard: int) -> Context:
    pop = build_population(plan, shard)
    born, spare_nhs = births.births(plan, pop)
    return Context(
        plan=plan,
        pop=pop,
        sim=simulate(plan, pop),
        born=born,
        spare_nhs=spare_nhs,
        died=deaths.deaths(plan, pop),
        person_upn=np.full(len(pop.people.person_id), None, dtype=object),
    )


def _after_deaths(ctx: Context, table: AgencyTable) -> AgencyTable:
    """The table without the records dated after their person's death, where the registry says records end there
    (a person's GP registration outlives them; their A&E attendances do not)."""
    entry = tables.table(table.path)
    if not entry.ends_at_death:
        return table
    day = table.day if table.day is not None else signals.days(table.table.column(entry.event_date or ""))
    return filtered(table, ctx.alive(table.person_id, day))


def _order(path: str) -> int:
    return [t.path for t in tables.all_tables()].index(path)


def shard_tables(plan: Plan, shard: int, pairs: bool = False) -> Shard:
    """Run the shard's producers and derive what the shard writes."""
    ctx = _world(plan, shard)
    held: list[quality.Degraded] = []
    events: list[AgencyTable] = []
    keyed: list[Keyed] = []
    produced_truth: dict[str, pa.Table] = {}
    enabled = plan.scenario.agencies
    people = quality.PersonGroups.of(plan, ctx.pop, ctx.born)  # the same for every table the shard degrades
    for agency, produce in PRODUCERS:
        if agency is not None and not getattr(enabled, agency).enabled:
            continue
        made = produce(ctx)
        for table in made.events:
            table = _after_deaths(ctx, table)
            ctx.made[table.path] = table
            events.append(table)
        # a person-level table as the agency holds it, errors and all, for what later producers copy from it (a
        # police notification carries the police's spelling)
        for person in made.persons:
            degraded = _degrade(ctx, person, people)
            ctx.held[person.records.path] = degraded.agency
            ctx.held_changes[person.records.path] = Changes(
                degraded.log_rows,
                np.asarray(quality.KINDS, dtype=object)[degraded.log_kinds],
                np.asarray(quality.FIELDS, dtype=object)[degraded.log_fields],
            )
            held.append(degraded)
        keyed += made.others
        produced_truth.update(made.truth)
    events.sort(key=lambda table: _order(table.path))
    held.sort(key=lambda degraded: tables.table(degraded.agency.path).code or 0)  # the record-id space's order
    keyed += [Keyed(table.path, table.table, table.key) for table in events]
    records, summaries = _linkage_view(ctx, held, keyed)
    sources = [signals.source_of(table) for table in events]
    return Shard(keyed, truth.shard_truth(ctx, records, summaries, events, sources, produced_truth, pairs))


def _columns(path: str) -> quality.Columns:
    entry = tables.table(path)
    if entry.person is None or entry.code is None:
        raise ValueError(f"{path} is not declared person-level")
    return entry.person


def _degrade(ctx: Context, person: PersonRecords, people: quality.PersonGroups) -> quality.Degraded:
    """A person-level table through the data-quality model, with the error rates of the agency that holds it."""
    plan = ctx.plan
    agency = person.records
    entry = tables.table(agency.path)
    scenario = plan.scenario
    rates = quality.rates_for(scenario.data_quality.profile, scenario.data_quality.rates)
    rates_of = entry.quality_rates or agency.source
    return quality.degrade(
        plan,
        ctx.pop,
        agency,
        _columns(agency.path),
        rates.get(rates_of, {}),
        entry.code or 0,
        person.spare_identifiers,
        person.own_identifiers,
        person.given,
        quality.BirthDates(person.checked_birth_dates),
        quality.Scaling.of(quality.plan_rules(plan), rates_of, people, ctx.pop.shard),
    )


def _linkage_view(
    ctx: Context, held: list[quality.Degraded], keyed: list[Keyed]
) -> tuple[list[pa.Table], list[pa.Table]]:
    """Each person-level table as the agency holds it (its file) into the linkage view; returns the truth of every
    linkage record and the data-quality model's summaries."""
    views: list[pa.Table] = []
    keys: list[NDArray[np.uint64]] = []
    records: list[pa.Table] = []
    summaries: list[pa.Table] = []
    for degraded in held:
        agency = degraded.agency
        code = tables.table(agency.path).code or 0
        keyed.append(Keyed(agency.path, agency.table, agency.key))
        view, key, truth_records = linkage_view.linkage_part(
            degraded, _columns(agency.path), code, ctx.plan.record_key, ctx.pop.shard
        )
        truth_records = with_known_on(ctx, truth_records, agency)
        views.append(view)
        keys.append(key)
        records.append(truth_records)
        summaries.append(degraded.summary())
    if views:
        keyed.append(Keyed("linkage/records", pa.concat_tables(views), np.concatenate(keys)))
    return records, summaries
