"""What agencies record of the babies born during the period: the GP registration and the new-birth visit.

A baby is registered with the family's practice a few weeks after birth (registrations after the period's end
are not yet on the list) and the health visitor's new-birth visit is due within 14 days: 85.2% are on time in
England (OHID 2024/25), late ones come within a month, a few are missed, and the late and missed ones fall on
the households with most adversity. The shares are parameters (health_visit_on_time_share.new_birth,
new_birth_visit_missed_share), as are the weights of the practice chosen (gp_practice_choice_weight).
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
    local_ids,
    name_columns,
    nearest,
)
from synthgen.kernel import strings
from synthgen.kernel.arrays import top
from synthgen.kernel.record_ids import format_record_ids, record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation


def _names(plan: Plan, pop: Population, born: Births, rows: np.ndarray) -> dict[str, pa.Array]:
    home = pop.household_postcode[born.household[rows]]
    return {
        **name_columns(pop, born, rows),
        "date_of_birth": pa.array(born.date_of_birth[rows], pa.date32()),
        "sex": pc.if_else(pa.array(born.female[rows]), strings.text("2"), strings.text("1")),
        "postcode": strings.taken(plan.postcodes.postcode, home),
    }


def newborn_registrations(plan: Plan, pop: Population, born: Births, after: int) -> AgencyTable:
    """GP registrations of this period's babies, numbered after the register's first `after` rows."""
    rng = shard_stream(plan.seed, pop.shard, "newborns")
    end = np.datetime64(plan.period_end, "D")
    registered_on = born.date_of_birth + rng.integers(7, 43, len(born)).astype("timedelta64[D]")
    rows = np.flatnonzero(registered_on <= end)
    home = pop.household_postcode[born.household[rows]]
    pcs = plan.postcodes
    practice_pc = plan.practices.postcode_index
    choice = tuple(plan.params.series("gp_practice_choice_weight").values())
    near = nearest(
        pcs.easting[home], pcs.northing[home], pcs.easting[practice_pc], pcs.northing[practice_pc], len(choice)
    )
    practice = choose_nearby(rng, near, choice, plan.practices.size)
    code = TABLE_CODES["health/gp_registrations"]
    key = record_ids_from(plan.record_key, code, pop.shard, after, len(rows))
    local = record_ids_from(plan.record_key, code + LOCAL_ID_OFFSET, pop.shard, after, len(rows))
    names = _names(plan, pop, born, rows)
    table = pa.table(
        {
            "record_id": format_record_ids(key),
            "nhs_number": pa.array(born.nhs_number[rows], pa.string()),
            "local_patient_id": local_ids(local),
            "given_name": names["given_name"],
            "middle_names": names["middle_names"],
            "family_name": names["family_name"],
            "date_of_birth": names["date_of_birth"],
            "sex": names["sex"],
            **address_columns(plan, pop, born.household[rows], town=True),
            "practice_ods_code": strings.taken(plan.practices.code, practice),
            "registration_date": pa.array(registered_on[rows], pa.date32()),
        }
    )
    return AgencyTable("health", "gp_registrations", table, key, born.person_id[rows])


def new_birth_visits(plan: Plan, pop: Population, born: Births, sim: Simulation, after: int) -> AgencyTable:
    """New-birth visits of this period's babies, numbered after the visits table's first `after` rows."""
    rng = shard_stream(plan.seed, pop.shard, "new-birth-visits")
    end = np.datetime64(plan.period_end, "D")
    due = born.date_of_birth + np.timedelta64(14, "D")
    rows = np.flatnonzero(due <= end)
    n = len(rows)
    # the households with most adversity are late or missed first (by rank, so the on-time share is England's)
    score = sim.household_adversity[born.household[rows]] + rng.normal(0.0, 1.0, n)
    not_on_time = top(score, round((1 - plan.params["health_visit_on_time_share.new_birth"]) * n))
    missed = top(score, round(plan.params["new_birth_visit_missed_share"] * n))
    dob = born.date_of_birth[rows]
    visit = np.where(
        not_on_time,
        dob + rng.integers(15, 31, n).astype("timedelta64[D]"),
        dob + rng.integers(7, 15, n).astype("timedelta64[D]"),
    )
    visit[missed | (visit > end)] = np.datetime64("NaT")
    key = record_ids_from(plan.record_key, TABLE_CODES["health/health_visits"], pop.shard, after, n)
    names = _names(plan, pop, born, rows)
    table = pa.table(
        {
            "record_id": format_record_ids(key),
            "nhs_number": pa.array(born.nhs_number[rows], pa.string()),
            "given_name": names["given_name"],
            "family_name": names["family_name"],
            "date_of_birth": names["date_of_birth"],
            "sex": names["sex"],
            "postcode": names["postcode"],
            "visit_type": strings.repeated("new_birth", n),
            "due_date": pa.array(due[rows], pa.date32()),
            "visit_date": pa.array(visit, pa.date32()),
            "within_14_days": pa.array(~not_on_time),
        }
    )
    return AgencyTable("health", "health_visits", table, key, born.person_id[rows])
