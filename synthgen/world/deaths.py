"""Deaths during the period, as truth, at England and Wales's age-specific rates (population.md 4).

Someone who dies leaves no record afterwards (no A&E attendance, no police incident, no health visit), but stays
on the GP list a while: deregistration lags death, one of the causes of list inflation NHS Digital names.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population

BANDS: tuple[tuple[int, int, str], ...] = (  # ages (from, to) of each rate death_rate.<label>
    (0, 0, "under_1"),
    (1, 15, "1_15"),
    (16, 24, "16_24"),
    (25, 44, "25_44"),
    (45, 64, "45_64"),
    (65, 74, "65_74"),
    (75, 84, "75_84"),
    (85, 200, "85_plus"),
)


def deaths(plan: Plan, pop: Population) -> NDArray[np.datetime64]:
    """The date each resident died during the period, NaT for everyone who did not."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "deaths")
    p = pop.people
    rate = np.zeros(len(p.person_id))
    for lo, hi, name in BANDS:
        rate[(p.age >= lo) & (p.age <= hi)] = params[f"death_rate.{name}"]
    chance = 1.0 - np.exp(-rate * plan.days / 365.25)
    died = p.resident & (rng.random(len(rate)) < chance)
    result = np.full(len(rate), np.datetime64("NaT"), dtype="datetime64[D]")
    result[died] = np.datetime64(plan.period_start, "D") + rng.integers(0, plan.days, int(died.sum())).astype(
        "timedelta64[D]"
    )
    return result
