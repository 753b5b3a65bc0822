"""Health: GP registrations, as a practice system (and the NHS spine behind it) holds them.

Every resident registered with a GP appears once, keyed by NHS number; people who moved out of the area but
never de-registered still appear at their old address. That is England's real list inflation (registered
patients exceed the resident population by about 4%, NHS Digital 2022), and it is a hard case for linkage.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.agencies import (
    LOCAL_ID_OFFSET,
    TABLE_CODES,
    AgencyTable,
    address_columns,
    choose_nearby,
    concatenated,
    health_events,
    local_ids,
    name_columns,
    nearest,
    newborns,
)
from synthgen.agencies.producer import Context, PersonRecords, Produced
from synthgen.kernel import strings
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population


def gp_registrations(plan: Plan, pop: Population) -> AgencyTable:
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "health")
    p = pop.people
    n = len(p.person_id)
    registered = ~p.resident | (rng.random(n) >= params["not_gp_registered_share"])
    rows = np.flatnonzero(registered)
    hh = p.household[rows]

    pcs = plan.postcodes
    home = pop.household_postcode
    practice_pc = plan.practices.postcode_index
    choice = tuple(params.series("gp_practice_choice_weight").values())  # the nearest most often
    near = nearest(
        pcs.easting[home], pcs.northing[home], pcs.easting[practice_pc], pcs.northing[practice_pc], len(choice)
    )
    # a larger practice draws more of its neighbours: list sizes spread as England's do
    household_practice = choose_nearby(rng, near, choice, plan.practices.size)
    own_choice = choose_nearby(rng, near, choice, plan.practices.size)
    same = rng.random(len(rows)) < params["household_same_practice_share"]
    practice = np.where(same, household_practice[hh], own_choice[hh])

    start = np.datetime64(plan.period_start, "D")
    dob = p.date_of_birth[rows]
    left = pop.household_moved_out[hh]
    last_seen = np.where(np.isnat(left), start, left)
    years_before = rng.exponential(params["gp_registration_years_mean"], len(rows)) * 365.25
    registered_on = np.maximum(dob + np.timedelta64(14, "D"), last_seen - years_before.astype("timedelta64[D]"))
    registered_on = np.minimum(registered_on, last_seen)

    key = record_ids(plan.record_key, TABLE_CODES["health/gp_registrations"], pop.shard, len(rows))
    local = record_ids(plan.record_key, TABLE_CODES["health/gp_registrations"] + LOCAL_ID_OFFSET, pop.shard, len(rows))
    table = pa.table(
        {
            "record_id": format_record_ids(key),
            "nhs_number": pa.array(p.nhs_number[rows], pa.string()),
            "local_patient_id": local_ids(local),
            **name_columns(pop, p, rows),
            "date_of_birth": pa.array(dob, pa.date32()),
            # NHS Data Dictionary 'person stated gender code': 1 male, 2 female
            "sex": pc.if_else(pa.array(p.female[rows]), strings.text("2"), strings.text("1")),
            **address_columns(plan, pop, hh, town=True),
            "practice_ods_code": strings.taken(plan.practices.code, practice),
            "registration_date": pa.array(registered_on, pa.date32()),
        }
    )
    return AgencyTable("health", "gp_registrations", table, key, p.person_id[rows])


def practices(plan: Plan) -> pa.Table:
    """The practices themselves: reference data the health agency holds."""
    s = plan.practices
    return pa.table(
        {
            "practice_ods_code": pa.array(s.code, pa.string()),
            "practice_name": pa.array(s.name, pa.string()),
            "postcode": strings.taken(plan.postcodes.postcode, s.postcode_index),
        }
    )


def produce(ctx: Context) -> Produced:
    """The GP register (with the period's babies registered at birth) and the year's health events (with the
    new-birth visits of those babies, and the planted storylines' attendances and missed visits)."""
    plan, pop = ctx.plan, ctx.pop
    register = gp_registrations(plan, pop)
    register = concatenated(register, newborns.newborn_registrations(plan, pop, ctx.born, register.table.num_rows))
    events = health_events.health_events(plan, pop, ctx.sim, ctx.born).agency_tables(pop)
    for index, table in enumerate(events):
        if table.name == "health_visits":
            visits = newborns.new_birth_visits(plan, pop, ctx.born, ctx.sim, table.table.num_rows)
            events[index] = concatenated(table, visits)
    if ctx.script:
        events = ctx.script.health_tables(events)
    own = {"nhs_number": pop.people.nhs_number}
    return Produced(persons=(PersonRecords(register, ctx.spare_nhs, own),), events=tuple(events))
