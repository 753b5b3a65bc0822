"""Risk as truth: each need goes to exactly its share of the children of its ages, as the run's plan says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from synthgen import load_scenario, make_plan
from synthgen.world.population import ROLE, build_population
from synthgen.world.simulate import NEEDS, simulate
from tests.conftest import SCENARIO

RATES = "rates:\n  need_share.neglect: 0.1\n  need_min_age.neglect: 5\n"


def test_a_need_takes_the_share_and_ages_the_plan_gives(write_scenario: Callable[..., Path]) -> None:
    plan = make_plan(load_scenario(write_scenario(SCENARIO.format(name="r", seed=7, people=3000) + RATES)))
    pop = build_population(plan, 0)
    sim = simulate(plan, pop)
    p = pop.people
    child = p.resident & (p.age < 18) & (p.role == ROLE["child"])
    eligible = child & (p.age >= 5)
    neglect = sim.needs["neglect"]
    assert set(sim.needs) == set(NEEDS)
    assert int(neglect.sum()) == round(0.1 * int(eligible.sum()))
    assert not (neglect & ~eligible).any()
    assert np.isnat(sim.onset[~sim.any_need()]).all()
