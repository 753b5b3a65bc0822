"""The people around a record's person, for errors that copy a relative's details (a date of birth or an
identifier taken from someone else in the household)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.world.population import ROLE, Population


def household_member(
    rng: np.random.Generator, pop: Population, person: NDArray[np.int64], children_only: bool = False
) -> NDArray[np.int64]:
    """Another member of each person's household, or -1 for people who live alone (or are not rows: -1); with
    `children_only`, another child under 18 of the household (a sibling), or -1 where there is none."""
    missing = person < 0
    person = np.where(missing, 0, person)
    starts = pop.household_head  # a household's first member: rows go by household
    hh = pop.people.household[person]
    size = pop.household_size[hh]
    offset = (person - starts[hh] + rng.integers(1, np.maximum(size, 2))) % np.maximum(size, 1)
    result: NDArray[np.int64] = np.where((size > 1) & ~missing, starts[hh] + offset, -1)
    if children_only:
        p = pop.people
        rows = np.flatnonzero((p.role == ROLE["child"]) & (p.age < 18))  # by household, as all rows go
        count = np.bincount(p.household[rows], minlength=len(starts))[hh]
        first = np.searchsorted(rows, starts[hh])  # the household's first child
        own = np.searchsorted(rows, person) - first  # the person's place among them
        other = first + (own + rng.integers(1, np.maximum(count, 2))) % np.maximum(count, 1)
        found = (count > 1) & ~missing
        result = np.where(found, rows[np.minimum(other, len(rows) - 1)] if len(rows) else -1, -1)
    return result
