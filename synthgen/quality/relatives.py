"""The people around a record's person, for errors that copy a relative's details (a date of birth or an
identifier taken from someone else in the household)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.world.population import Population


def household_member(rng: np.random.Generator, pop: Population, person: NDArray[np.int64]) -> NDArray[np.int64]:
    """Another member of each person's household, or -1 for people who live alone (or are not rows: -1)."""
    missing = person < 0
    person = np.where(missing, 0, person)
    starts = pop.household_head  # a household's first member: rows go by household
    hh = pop.people.household[person]
    size = pop.household_size[hh]
    offset = (person - starts[hh] + rng.integers(1, np.maximum(size, 2))) % np.maximum(size, 1)
    result: NDArray[np.int64] = np.where((size > 1) & ~missing, starts[hh] + offset, -1)
    return result
