"""Police: incidents, the people in them, and the nominal records the force holds on those people.

A force's records system (Niche, Athena, Connect) holds incidents and, apart from them, one nominal record per
person it has met, linked to incidents by a role (victim, suspect, witness, child present, missing person).
Police meet people through what happens to them, so the incidents here come from the simulated year:

- domestic abuse in the households the simulation says live with it (a few one-off incidents elsewhere), with
  the household's children present at many of them and a DASH risk level that rises with repeat incidents;
- missing episodes of children who go missing or are exploited;
- background assaults, sexual offences, drug offences and anti-social behaviour, for which who is involved
  follows age, sex and the person's risk, plus the incidents that children's needs bring (physical and sexual
  abuse reported to the police, exploitation, county-lines drug arrests).

Domestic abuse and missing children are calibrated to England's figures (uk-facts.md D): 13.8 domestic-abuse-
related crimes per 1,000 residents a year with 42% of domestic incidents recorded as non-crime incidents, and 59
children in 10,000 reported missing a year, 2.9 episodes each. The background rates are design figures. Every
number is a parameter of the run's plan (parameters/police.csv, with its source); rates are per year and scale
with the length of the period. The incidents are gathered in police_incidents.py; this module turns them into the
force's tables.

Police take details orally, often in a hurry: about 8% of nominals hold an age instead of a date of birth. A
nominal gets a PNC ID when the person is arrested (the first arrest may have been years before the period). The
data-quality model adds the usual errors later; the names here are the person's own (the family name they go
by, which for a step-child may be the step-parent's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies import TABLE_CODES, AgencyTable, address_columns, name_columns
from synthgen.agencies.police_incidents import DASH_LEVELS as DASH_LEVELS
from synthgen.agencies.police_incidents import INCIDENT_TYPES as INCIDENT_TYPES
from synthgen.agencies.police_incidents import PERSON_ROLES as PERSON_ROLES
from synthgen.agencies.police_incidents import (
    IncidentBook,
    background,
    domestic_abuse,
    missing_children,
    needs,
)
from synthgen.agencies.producer import Context, Keyed, PersonRecords, Produced
from synthgen.kernel import identifiers, strings
from synthgen.kernel.dates import age_on
from synthgen.kernel.record_ids import format_record_ids, parse_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation


@dataclass(frozen=True)
class PoliceTables:
    """One shard's police records, and the truth of who each incident row is.

    `incidents`: incident_id, occurred_at, incident_type, crime, dash_risk (domestic abuse only), location_postcode;
    rows in incident-id order (a shuffle). `incident_persons`: incident_id, police_person_id, role.
    `persons`: the nominal records; its `record_id` IS the police person id that incident_persons calls
    `police_person_id`. `incident_person_id`: the population row of each incident_persons row (truth, aligned).
    """

    incidents: pa.Table
    incident_persons: pa.Table
    persons: AgencyTable
    incident_person_id: NDArray[np.int64]
    scripted_incident_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    """The incident id of each scripted incident, in the order they were given."""


@dataclass(frozen=True)
class ScriptedIncident:
    """An incident a planted storyline scripts (synthgen.storylines): it joins the book like any other, so its
    people get nominal records (and PNC IDs when arrested) that go through the data-quality model."""

    incident_type: str  # one of INCIDENT_TYPES
    occurred_at: np.datetime64  # to the second
    crime: bool
    location: int  # postcode row of the plan
    dash: int  # index into DASH_LEVELS, -1 for none
    person: tuple[int, ...]  # person rows
    role: tuple[str, ...]  # each person's role (PERSON_ROLES)
    arrested: tuple[bool, ...]


def _pnc_years(
    rng: np.random.Generator, plan: Plan, arrest_day: NDArray[np.datetime64], dob: NDArray[np.datetime64]
) -> NDArray[np.int64]:
    """Year of first arrest: the arrest's year or a few years before (exponential, mean pnc_years_before_mean),
    never before 10 (England's age of criminal responsibility)."""
    year = arrest_day.astype("datetime64[Y]").astype(np.int64) + 1970
    earliest = dob.astype("datetime64[Y]").astype(np.int64) + 1970 + 10
    back = np.floor(rng.exponential(plan.params["pnc_years_before_mean"], len(year))).astype(np.int64)
    result: NDArray[np.int64] = year - np.minimum(back, np.maximum(year - earliest, 0))
    return result


def _book(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    scripted: Sequence[ScriptedIncident],
    end: np.datetime64,
) -> tuple[IncidentBook, NDArray[np.int64]]:
    """The period's incidents and who was in them, gathered in a fixed order (domestic abuse, missing children,
    background crime, children's needs, then the scripted ones) so that the shard's stream stays put; with the
    position of each scripted incident in the book."""
    book = IncidentBook()
    domestic_abuse(rng, plan, pop, sim, book, end)
    scripted_missing = sum(part == "missing_person" for item in scripted for part in item.role)
    missing_children(rng, plan, pop, sim, book, end, scripted_missing)
    background(rng, plan, pop, sim, book, end)
    needs(rng, plan, pop, sim, book, end)
    scripted_at = np.zeros(len(scripted), np.int64)
    for index, item in enumerate(scripted):  # a handful, one block each
        dash = None if item.dash < 0 else np.array([item.dash], np.int64)
        time = np.array([item.occurred_at], "datetime64[s]")
        at = book.add(item.incident_type, time, np.array([item.crime]), np.array([item.location], np.int64), dash)
        scripted_at[index] = at[0]
        for who, part, held in zip(item.person, item.role, item.arrested, strict=True):
            book.involve(at, np.array([who], np.int64), part, np.array([held]))
    return book, scripted_at


def _incidents_table(plan: Plan, book: IncidentBook, inc_ids: pa.Array, inc_key: NDArray[np.uint64]) -> pa.Table:
    """The incidents in incident-id order (a shuffle, so that nothing but the data links a row to its cause)."""
    order = np.argsort(inc_key)
    time = np.concatenate(book.time)
    dash = np.concatenate(book.dash)
    return pa.table(
        {
            "incident_id": inc_ids.take(pa.array(order)),
            "occurred_at": pa.array(time[order], pa.timestamp("s")),
            "incident_type": pa.array(INCIDENT_TYPES, pa.string()).take(pa.array(np.concatenate(book.kind)[order])),
            "crime": pa.array(np.concatenate(book.crime)[order]),
            "dash_risk": pa.array(DASH_LEVELS, pa.string()).take(pa.array(dash[order], mask=dash[order] < 0)),
            "location_postcode": strings.taken(plan.postcodes.postcode, np.concatenate(book.location)[order]),
        }
    )


def _nominals(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    rows: NDArray[np.int64],
    nominal: NDArray[np.int64],
    seconds: NDArray[np.int64],
    arrested: NDArray[np.bool_],
) -> tuple[pa.Table, NDArray[np.uint64]]:
    """One nominal record per person met (`rows`; `nominal`: each involvement's nominal, at `seconds`), with the
    age when first met and a PNC ID for those arrested; and the records' ids."""
    p = pop.people
    key = record_ids(plan.record_key, TABLE_CODES["police/persons"], pop.shard, len(rows))
    first_seen = np.full(len(rows), np.iinfo(np.int64).max)
    np.minimum.at(first_seen, nominal, seconds)
    arrest_at = np.full(len(rows), np.iinfo(np.int64).max)
    np.minimum.at(arrest_at, nominal[arrested], seconds[arrested])
    was_arrested = arrest_at < np.iinfo(np.int64).max
    dob = p.date_of_birth[rows]
    age = age_on(dob, first_seen.astype("datetime64[s]"))
    arrested_rows = np.flatnonzero(was_arrested)
    years = _pnc_years(rng, plan, arrest_at[arrested_rows].astype("datetime64[s]"), dob[arrested_rows])
    pnc = np.full(len(rows), None, dtype=object)
    pnc[arrested_rows] = identifiers.allocate_pnc_ids(rng, years, pop.shard, plan.shards)

    # names as the person gives them; the data-quality model adds the name a person is known by, mishearings and
    # "age only" nominals (quality_rates.csv), and logs each
    table = pa.table(
        {
            "record_id": format_record_ids(key),
            **name_columns(pop, p, rows),
            "date_of_birth": pa.array(dob, pa.date32()),
            "age": pa.array(age, pa.int32()),
            "sex": pc.if_else(pa.array(p.female[rows]), strings.text("Female"), strings.text("Male")),
            **address_columns(plan, pop, p.household[rows]),
            "pnc_id": pa.array(pnc, pa.string()),
        }
    )
    return table, key


def police_tables(
    plan: Plan, pop: Population, sim: Simulation, scripted: Sequence[ScriptedIncident] = ()
) -> PoliceTables:
    """The shard's incidents, who was in them, and the force's nominal records; deterministic in (plan, pop, sim).

    persons.table's `record_id` is the police person id: incident_persons refers to it as `police_person_id`.
    `scripted` incidents (planted storylines) are added after the simulated ones.
    """
    rng = shard_stream(plan.seed, pop.shard, "police")
    end = np.datetime64(plan.period_end + dt.timedelta(days=1), "D")
    book, scripted_at = _book(rng, plan, pop, sim, scripted, end)
    inc_key = record_ids(plan.record_key, TABLE_CODES["police/incidents"], pop.shard, book.count)
    inc_ids = format_record_ids(inc_key)
    incidents = _incidents_table(plan, book, inc_ids, inc_key)

    # involvements, grouped by incident in incident-id order
    incident = np.concatenate(book.incident)
    person = np.concatenate(book.person)
    role = np.concatenate(book.role)
    arrested = np.concatenate(book.arrested)
    order = np.lexsort((role, inc_key[incident]))
    incident, person, role, arrested = incident[order], person[order], role[order], arrested[order]
    rows, nominal = np.unique(person, return_inverse=True)
    seconds = np.concatenate(book.time)[incident].astype(np.int64)
    table, key = _nominals(rng, plan, pop, rows, nominal, seconds, arrested)
    ids = table["record_id"].combine_chunks()
    incident_persons = pa.table(
        {
            "incident_id": inc_ids.take(pa.array(incident)),
            "police_person_id": ids.take(pa.array(nominal)),
            "role": pa.array(PERSON_ROLES, pa.string()).take(pa.array(role)),
        }
    )
    return PoliceTables(
        incidents=incidents,
        incident_persons=incident_persons,
        persons=AgencyTable("police", "persons", table, key, pop.people.person_id[rows]),
        incident_person_id=person,
        scripted_incident_ids=inc_ids.take(pa.array(scripted_at)),
    )


def produce(ctx: Context) -> Produced:
    """The force's incidents, who was in each, and its nominal records. A role is dated by its incident (the
    shard drops roles dated after their person's death) and carries the incident's type, time and DASH risk, which
    the safeguarding-signal rules and the front door read a role by."""
    script = ctx.script
    force = police_tables(ctx.plan, ctx.pop, ctx.sim, script.scripted_incidents() if script else ())
    if script:
        script.police_records(force.scripted_incident_ids)
    incident_ids = force.incidents.column("incident_id").combine_chunks()
    incident_key = parse_record_ids(incident_ids)
    # (int32 even when a short period has no incidents and the column has no type to give it)
    incident = pa.array(pc.index_in(force.incident_persons.column("incident_id"), value_set=incident_ids)).cast(
        pa.int32()
    )
    occurred = force.incidents.column("occurred_at").combine_chunks().take(incident)
    day = signals.days(occurred)
    kind = force.incidents.column("incident_type").combine_chunks().take(incident)
    dash = force.incidents.column("dash_risk").combine_chunks().take(incident)
    roles = AgencyTable(
        "police",
        "incident_persons",
        force.incident_persons,
        incident_key[incident.to_numpy()],
        ctx.pop.people.person_id[force.incident_person_id],
        day=day,
        context=pa.table({"incident_type": kind, "occurred_at": occurred, "dash_risk": dash}),
    )
    return Produced(
        persons=(PersonRecords(force.persons),),
        events=(roles,),
        others=(Keyed("agencies/police/incidents", force.incidents, incident_key),),
    )


def first_met_days(ctx: Context) -> NDArray[np.int64] | None:
    """The day of the period the police first met each person of the shard (-1: never), from the roles they
    were alive for, for the notifications the police send children's services; None without police."""
    roles = ctx.made.get("agencies/police/incident_persons")
    if roles is None or roles.day is None:
        return None
    never = np.iinfo(np.int64).max
    met = np.full(len(ctx.pop.people.person_id), never)
    np.minimum.at(met, roles.person_id - ctx.pop.shard * ID_STRIDE, ctx.period_day(roles.day))
    met[met == never] = -1
    return met
