"""The people around a record's person, for errors that copy a relative's details (a date of birth or an
identifier taken from someone else in the household)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.world.population import ROLE, Population

TRIES = 8
"""Draws of another member before giving up on finding one of the same generation (households are small)."""


def household_member(
    rng: np.random.Generator, pop: Population, person: NDArray[np.int64], same_generation: bool = False
) -> NDArray[np.int64]:
    """Another member of each person's household, or -1 for people who live alone (or are not rows: -1). With
    `same_generation`, a child's brother or sister or an adult's fellow adult, or -1 where none is found: the date
    of birth given for a child by mistake is a sibling's (quality_rates.csv), not a parent's."""
    missing = person < 0
    person = np.where(missing, 0, person)
    starts = pop.household_head  # a household's first member: rows go by household
    hh = pop.people.household[person]
    size = pop.household_size[hh]
    within = np.maximum(size, 1)
    if not same_generation:
        offset = (person - starts[hh] + rng.integers(1, np.maximum(size, 2))) % within
        result: NDArray[np.int64] = np.where((size > 1) & ~missing, starts[hh] + offset, -1)
        return result
    draws = rng.integers(1, np.maximum(size, 2)[:, None], (len(person), TRIES))  # never the person themself
    candidates = starts[hh][:, None] + ((person - starts[hh])[:, None] + draws) % within[:, None]
    child = pop.people.role == ROLE["child"]
    alike = child[candidates] == child[person][:, None]
    first = np.argmax(alike, axis=1)
    rows = np.arange(len(person))
    found = alike[rows, first] & (size > 1) & ~missing
    chosen: NDArray[np.int64] = np.where(found, candidates[rows, first], -1)
    return chosen
