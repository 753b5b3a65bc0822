"""The people around a record's person, for errors that copy a relative's details (a date of birth or an
identifier taken from someone else in the household)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.world.population import ROLE, Population

TRIES = 8
"""Members looked at, going round the household from the one drawn, for one of the same generation."""


def household_member(
    rng: np.random.Generator, pop: Population, person: NDArray[np.int64], same_generation: bool = False
) -> NDArray[np.int64]:
    """Another member of each person's household, or -1 for people who live alone (or are not rows: -1). With
    `same_generation`, a child's brother or sister under 18 or an adult's fellow adult, or -1 where none is found:
    the date of birth given for a child by mistake is a sibling's (quality_rates.csv), not a parent's (a
    looked-after child recorded with a parent's date fails SSDA903 351 and 352), nor a grown-up brother's. The same
    random numbers are drawn either way: the search goes round the household from the member drawn."""
    missing = person < 0
    person = np.where(missing, 0, person)
    starts = pop.household_head  # a household's first member: rows go by household
    hh = pop.people.household[person]
    size = pop.household_size[hh]
    within = np.maximum(size, 1)
    drawn = rng.integers(1, np.maximum(size, 2))
    offset = (person - starts[hh] + drawn) % within
    result: NDArray[np.int64] = np.where((size > 1) & ~missing, starts[hh] + offset, -1)
    if not same_generation:
        return result
    steps = (drawn[:, None] + np.arange(TRIES)[None, :]) % within[:, None]  # 0: the person themself
    candidates = starts[hh][:, None] + ((person - starts[hh])[:, None] + steps) % within[:, None]
    child = (pop.people.role == ROLE["child"]) & (pop.people.age < 18)  # a dependent child
    alike = (child[candidates] == child[person][:, None]) & (steps != 0)
    first = np.argmax(alike, axis=1)
    rows = np.arange(len(person))
    found = alike[rows, first] & (size > 1) & ~missing
    chosen: NDArray[np.int64] = np.where(found, candidates[rows, first], -1)
    return chosen
