"""Health events over the period: A&E attendances, health-visiting reviews, maternity bookings, CAMHS referrals.

The GP register (health.py) says who the NHS knows. This module says what happened to them during the period,
as the trust, the health-visiting service, the maternity unit and CAMHS each record it. The same truth that
drives the other agencies drives these records (simulate.py), so the signals co-occur as they do in life: a
neglected or physically abused child comes to A&E more often and more often injured, a child who self-harms
or is sexually exploited comes with a mental-health crisis or an overdose and is referred to CAMHS, a
health-visiting review is missed more often in a risky household, and a booking midwife notes a concern more
often where there is domestic abuse or substance misuse.

Every calibrated rate is met by construction in expectation (rates are normalised within the groups they are
quoted for, so risk decides who, not how many) and the tests hold each to its tolerance:

- A&E: 659.6 attendances per 1,000 children under five a year (uk-facts.md C, 2019/20), 720 per 1,000
  infants (uk-facts.md C, BMC HSR 2022); about 345 per 1,000 residents overall (design, see
  ae_attendances_per_1000).
- New-birth visits: 85.2% within 14 days of birth (OHID health visitor service delivery metrics 2024/25).
- Maternity bookings: one per birth, 9.7 births per 1,000 residents a year (ONS Births in E&W 2023, the
  `birth_rate` parameter; population.md 3), mothers' ages in population.md 3's shape.
- CAMHS: 8% of children referred in a year (uk-facts.md C: 949,200 of 11.9m, 2022/23).

Each table is made by a module of its own (ae_attendances, health_visits, maternity_bookings, camhs_referrals)
from the numbers in the run's plan (parameters/health.csv, each with its source).

Names, dates of birth and NHS numbers are the person's true values (the data-quality model adds errors later);
only the trust's own missing NHS numbers are made here, as they are a property of how A&E registers patients.

Scope: the population is the one alive at the start of the period. Babies born during the period are not
people in it, so their new-birth and 6-8 week reviews are not made: the new-birth visits here are those of
babies born in the 14 days before the start (whose visits fall due in the period), and maternity bookings stand
for the births they lead to, without adding the babies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES, AgencyTable
from synthgen.agencies.ae_attendances import ARRIVAL_MODES, COMPLAINTS, DISCHARGES, ae_attendances
from synthgen.agencies.camhs_referrals import camhs_referrals
from synthgen.agencies.health_visits import VISITS, health_visits
from synthgen.agencies.maternity_bookings import maternity_bookings
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

__all__ = [
    "ARRIVAL_MODES",
    "COMPLAINTS",
    "DISCHARGES",
    "TABLES",
    "VISITS",
    "HealthEvents",
    "health_events",
]

TABLES = ("ae_attendances", "health_visits", "maternity_bookings", "camhs_referrals")


@dataclass(frozen=True)
class HealthEvents:
    """One shard's health event tables, with the truth of whose record each row is kept alongside."""

    ae_attendances: pa.Table
    health_visits: pa.Table
    maternity_bookings: pa.Table
    camhs_referrals: pa.Table
    person_ids: dict[str, NDArray[np.int64]]  # per table: the person row (into pop.people) of each record
    keys: dict[str, NDArray[np.uint64]]  # per table: the numeric record id of each record (the writer's order)

    def agency_tables(self, pop: Population) -> list[AgencyTable]:
        """The tables in the form the writers take, with person rows turned into truth person ids."""
        return [
            AgencyTable(
                "health", name, getattr(self, name), self.keys[name], pop.people.person_id[self.person_ids[name]]
            )
            for name in TABLES
        ]


def health_events(plan: Plan, pop: Population, sim: Simulation, born: Births | None = None) -> HealthEvents:
    """A&E attendances, health-visiting reviews, maternity bookings and CAMHS referrals of one shard's residents.

    Each table draws from its own child of the shard's 'health-events' stream, so changing one table's model
    never shifts another's numbers.
    """
    ae_rng, visit_rng, maternity_rng, camhs_rng = shard_stream(plan.seed, pop.shard, "health-events").spawn(4)
    built = {
        "ae_attendances": ae_attendances(ae_rng, plan, pop, sim),
        "health_visits": health_visits(visit_rng, plan, pop, sim),
        "maternity_bookings": maternity_bookings(maternity_rng, plan, pop, sim, born),
        "camhs_referrals": camhs_referrals(camhs_rng, plan, pop, sim),
    }
    keys = {}
    tables = {}
    for name, (rows, columns) in built.items():
        key = record_ids(plan.record_key, TABLE_CODES[f"health/{name}"], pop.shard, len(rows))
        keys[name] = key
        tables[name] = pa.table({"record_id": format_record_ids(key), **columns})
    return HealthEvents(
        ae_attendances=tables["ae_attendances"],
        health_visits=tables["health_visits"],
        maternity_bookings=tables["maternity_bookings"],
        camhs_referrals=tables["camhs_referrals"],
        person_ids={name: rows for name, (rows, _) in built.items()},
        keys=keys,
    )
