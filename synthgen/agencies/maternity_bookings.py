"""Maternity bookings: one per pregnancy at England's birth rate, the babies born in the period among them.

The booking midwife notes a concern more often where there is domestic abuse, substance misuse or parental
mental ill health at home, for a young mother, and for a late booking. The numbers are parameters
(parameters/health.csv: maternity_*, and the population's birth_rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.health_records import YEAR_DAYS, Columns, age_bands, band, days_between, period, person_columns
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ROLE, Population
from synthgen.world.simulate import Simulation


@dataclass(frozen=True)
class _Bookings:
    """Bookings as rows of the people: each mother, whether she booked late, the booking and the delivery."""

    rows: NDArray[np.int64]
    late: NDArray[np.bool_]
    booking: NDArray[np.datetime64]
    delivery: NDArray[np.datetime64]


def _late_share(params: Parameters, risky: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Each booking's chance of being late: higher with domestic abuse or substance misuse in the household."""
    result: NDArray[np.float64] = params["maternity_booking_late_share"] * np.where(
        risky, params["maternity_booking_late_risk_factor"], 1.0
    )
    return result


def _mothers(rng: np.random.Generator, plan: Plan, pop: Population) -> NDArray[np.int64]:
    """The women who book: the birth rate times residents times years, split by the mother's age at delivery in
    England's shape; within each age band, women are chosen by household role (couples first) with exactly that
    band's count."""
    params = plan.params
    p = pop.people
    start, _ = period(plan)
    age = p.age
    women = np.flatnonzero(p.resident & p.female & (age >= 16) & (age <= 45))
    # the age a woman will be at delivery, on average over the period: half the period plus about 6.5 months
    at_delivery = start + np.timedelta64(plan.days // 2 + 200, "D") - p.date_of_birth[women].astype("datetime64[D]")
    starts, age_shares = age_bands(params, "maternity_mother_age_share")
    age_band = band(at_delivery.astype(np.int64) / YEAR_DAYS, starts)
    role_weight = np.zeros(len(ROLE))
    for role, weight in params.series("maternity_role_weight").items():
        role_weight[ROLE[role]] = weight
    # weighted choice without replacement (Gumbel top-k): within a band, the highest log weight + Gumbel noise
    key = np.log(role_weight[p.role[women]] + 1e-12) + rng.gumbel(size=len(women))
    expected = params["birth_rate"] * int(p.resident.sum()) * plan.years
    shares = age_shares / sum(age_shares.tolist())
    chosen = []
    for b, share in enumerate(shares):
        where = np.flatnonzero(age_band == b)
        count = min(round(expected * share), len(where))
        chosen.append(women[where[np.argsort(-key[where], kind="stable")[:count]]])
    return np.sort(np.concatenate(chosen))


def _with_births(rng: np.random.Generator, plan: Plan, sim: Simulation, drawn: _Bookings, born: Births) -> _Bookings:
    """The babies born in the period are the bookings' deliveries: each mother booked about 28 weeks before the
    birth (those booked before the start are not this period's); the pregnancies drawn stand only for deliveries
    after the period."""
    start, end = period(plan)
    later = (drawn.delivery > end) & ~np.isin(drawn.rows, born.mother)
    risky = sim.domestic_abuse[born.household] | sim.substance_misuse[born.household]
    baby_late = rng.random(len(born)) < _late_share(plan.params, risky)
    baby_gestation = np.where(baby_late, rng.integers(91, 169, len(born)), rng.integers(70, 91, len(born)))
    baby_booking = born.date_of_birth - (280 - baby_gestation).astype("timedelta64[D]")
    booked = baby_booking >= start
    rows = np.r_[drawn.rows[later], born.mother[booked]]
    late = np.r_[drawn.late[later], baby_late[booked]]
    booking = np.r_[drawn.booking[later], baby_booking[booked]]
    delivery = np.r_[drawn.delivery[later], born.date_of_birth[booked]]
    order = np.argsort(rows, kind="stable")
    return _Bookings(rows[order], late[order], booking[order], delivery[order])


def maternity_bookings(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation, born: Births | None = None
) -> tuple[NDArray[np.int64], Columns]:
    """Booking appointments during the period, one per pregnancy, at England's birth rate.

    The booking falls about 10-12 weeks into the pregnancy (later for a late booking), so the expected delivery
    date is about 28 weeks later: in the period or after it.
    """
    params = plan.params
    p = pop.people
    start, end = period(plan)
    rows = _mothers(rng, plan, pop)
    n = len(rows)
    household = p.household[rows]
    late = rng.random(n) < _late_share(params, sim.domestic_abuse[household] | sim.substance_misuse[household])
    gestation = np.where(late, rng.integers(91, 169, n), rng.integers(70, 91, n))  # days since the last period
    booking = days_between(rng, np.full(n, start), np.full(n, end))
    delivery = booking + (280 - gestation).astype("timedelta64[D]")  # Naegele: 280 days from the last period
    bookings = _Bookings(rows, late, booking, delivery)
    if born is not None:
        bookings = _with_births(rng, plan, sim, bookings, born)
    rows, n = bookings.rows, len(bookings.rows)
    household = p.household[rows]
    under_18 = p.age[rows] < 18
    # concern noted at booking: a baseline, raised by each of the household's risks, youth, late booking
    share = params.series("maternity_concern_share")
    no_concern = (
        (1 - share["baseline"])
        * (1 - share["domestic_abuse"] * sim.domestic_abuse[household])
        * (1 - share["substance_misuse"] * sim.substance_misuse[household])
        * (1 - share["mental_health"] * sim.parental_mental_health[household])
        * (1 - share["under_18"] * under_18)
        * (1 - share["late_booking"] * bookings.late)
    )
    concern = rng.random(n) >= no_concern
    columns: Columns = {
        **person_columns(plan, pop, rows),
        "booking_date": pa.array(bookings.booking, pa.date32()),
        "expected_delivery_date": pa.array(bookings.delivery, pa.date32()),
        "safeguarding_concern": pa.array(concern, pa.bool_()),
    }
    return rows, columns
