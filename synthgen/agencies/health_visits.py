"""Health visiting: the mandated reviews of the Healthy Child Programme that fall due during the period.

A review is due by the end of its window; which reviews are on time, late or missed is set by rank so each
review's on-time share is England's exactly (OHID health visitor service delivery metrics; the shares are the
health_visit_* parameters), and the rank follows the child's risk plus neglect: risky households miss more.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.health_records import Columns, days_between, labels, period, person_columns, plus
from synthgen.kernel.arrays import top
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

VISITS = (
    # type, window opens (days after birth), due by
    ("new_birth", 10, 14),
    ("6_8_week", 42, 56),
    ("1_year", 274, 365),
    ("2_2_half_year", 730, 913),
)
"""The four post-birth mandated reviews of the Healthy Child Programme, each due by the end of its window; the
shares on time and late and the latest late visit are parameters (health_visit_on_time_share.<type>, ...)."""


def health_visits(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """The reviews that fall due during the period.

    A review is due by the end of its window (14 days for the new-birth visit, 8 weeks, 12 months, 2.5 years);
    the children due in the period are those whose deadline falls in it. Which reviews are late or missed is set
    by rank, so each review's on-time share is England's exactly (up to rounding), and the rank follows the
    child's risk plus neglect: risky households miss more. A visit that would fall after the period's end is
    not yet on the record (null, as it would be in an extract taken then).
    """
    params = plan.params
    p = pop.people
    start, end = period(plan)
    live = p.resident
    dob = p.date_of_birth.astype("datetime64[D]")
    kinds, all_rows, all_due, all_visit, all_within = [], [], [], [], []
    for kind, (name, opens, due_by) in enumerate(VISITS):
        on_time = params[f"health_visit_on_time_share.{name}"]
        late = params[f"health_visit_late_share.{name}"]
        late_max = int(params[f"health_visit_latest_late_days.{name}"])
        due = plus(dob, due_by)
        rows = np.flatnonzero(live & (due >= start) & (due <= end))
        n = len(rows)
        due = due[rows]
        neglect = sim.needs["neglect"][rows]
        score = sim.risk[rows] + params["health_visit_neglect_weight"] * neglect + rng.normal(0.0, 1.0, n)
        not_on_time = top(score, round((1.0 - on_time) * n))
        late_given_not = late / (1.0 - on_time)
        neglected_late = params["health_visit_neglect_late_factor"] * late_given_not
        is_late = not_on_time & (rng.random(n) < np.where(neglect, neglected_late, late_given_not))
        opened = np.maximum(plus(dob[rows], opens), start)
        visit = np.where(
            not_on_time,
            days_between(rng, plus(due, 1), plus(due, late_max)),
            days_between(rng, opened, due),
        )
        visit[(not_on_time & ~is_late) | (visit > end)] = np.datetime64("NaT")
        kinds.append(np.full(n, kind))
        all_rows.append(rows)
        all_due.append(due)
        all_visit.append(visit)
        all_within.append(~not_on_time)
    rows = np.concatenate(all_rows)
    kind_of = np.concatenate(kinds)
    new_birth = kind_of == 0
    columns: Columns = {
        **person_columns(plan, pop, rows),
        "visit_type": labels(tuple(v[0] for v in VISITS), kind_of),
        "due_date": pa.array(np.concatenate(all_due), pa.date32()),
        "visit_date": pa.array(np.concatenate(all_visit), pa.date32()),
        # the new-birth visit's own measure (OHID C2); the other reviews have none
        "within_14_days": pa.array(np.concatenate(all_within), pa.bool_(), mask=~new_birth),
    }
    return rows, columns
