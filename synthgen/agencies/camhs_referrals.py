"""CAMHS referrals: at most one a child in the period, 8% of children a year, far more often for children in need.

Who is referred follows age, need and risk; where the referral comes from and why follow the kind of child
(abuse, exploitation, self-harm). The numbers are parameters (parameters/health.csv: camhs_*).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.health_records import (
    Columns,
    age_bands,
    band,
    days_between,
    labels,
    matrix,
    period,
    person_columns,
)
from synthgen.kernel.arrays import categorical, mean_or_one
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

SOURCES = ("GP", "education", "self/family", "A&E/acute", "social care", "police/youth justice", "other")
REASONS = (
    "anxiety",
    "low mood",
    "self-harm",
    "behaviour",
    "neurodevelopmental",
    "eating disorder",
    "trauma",
    "other",
)
KINDS = ("under_11", "age_11_17", "self_harm", "abuse_or_neglect", "exploitation_or_missing")
"""Kinds of child, each with its own sources and reasons (camhs_source_share.<kind>.<source>, camhs_reason_share)."""
ABUSE = ("neglect", "emotional_abuse", "physical_abuse", "sexual_abuse")
EXPLOITATION = ("child_sexual_exploitation", "child_criminal_exploitation", "going_missing")


def _chances(plan: Plan, pop: Population, sim: Simulation, children: NDArray[np.int64]) -> NDArray[np.float64]:
    """Each child's chance of a referral in the period: a common scale times its age weight, need and risk; the
    scale is solved so the chances average camhs_referral_share a year over the shard's children (a few
    fixed-point steps, as the largest chances are capped)."""
    params = plan.params
    age = pop.people.age[children]
    need_factor = np.ones(len(children))
    for name, multiplier in params.series("camhs_need_factor").items():
        need_factor = np.where(sim.needs[name][children], np.maximum(need_factor, multiplier), need_factor)
    starts, age_weight = age_bands(params, "camhs_age_weight")
    weight = age_weight[band(age, starts)] * need_factor * np.exp(params["camhs_risk_weight"] * sim.risk[children])
    target = min(params["camhs_referral_share"] * plan.years, 0.9)
    scale = target / max(mean_or_one(weight), 1e-12)
    for _ in range(6):
        chance = np.minimum(scale * weight, 0.95)
        scale *= target / max(mean_or_one(chance), 1e-12)
    result: NDArray[np.float64] = np.minimum(scale * weight, 0.95)
    return result


def camhs_referrals(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """At most one referral per child in the period, by the chances of _chances; the referral follows the need's
    onset when the need began during the period."""
    p = pop.people
    start, end = period(plan)
    children = np.flatnonzero(p.resident & (p.age < 18))
    age = p.age[children]
    needs = {name: mask[children] for name, mask in sim.needs.items()}
    referred = rng.random(len(children)) < _chances(plan, pop, sim, children)
    rows = children[referred]
    n = len(rows)

    def any_of(names: tuple[str, ...]) -> NDArray[np.bool_]:
        result = np.zeros(n, bool)
        for name in names:
            result |= needs[name][referred]
        return result

    self_harm = needs["self_harm"][referred]
    kind = np.where(
        self_harm, 2, np.where(any_of(ABUSE), 3, np.where(any_of(EXPLOITATION), 4, (age[referred] >= 11).astype(int)))
    )
    source = categorical(rng, matrix(plan.params, "camhs_source_share", KINDS)[kind])
    reason = categorical(rng, matrix(plan.params, "camhs_reason_share", KINDS)[kind])
    onset = sim.onset[rows]
    since = np.where(np.isnat(onset), start, np.maximum(onset, start))
    referral = days_between(rng, since, np.full(n, end))
    columns: Columns = {
        **person_columns(plan, pop, rows),
        "referral_date": pa.array(referral, pa.date32()),
        "referral_source": labels(SOURCES, source),
        "reason": labels(REASONS, reason),
    }
    return rows, columns
