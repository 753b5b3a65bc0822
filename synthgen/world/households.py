"""Household composition: how many households of each type, and who is in each.

Households carry the structure everything else hangs on (who are parents, children, partners), so they are
drawn first, as whole columns: one row per household with its type and member counts. Shares are England's
2021 census figures (reference/data/household_types.csv); the child-count distributions and other design
choices are in reference/data/parameters/population.csv with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.reference import Parameters

TYPES, _SHARES = reference.household_types()
T = {name: index for index, name in enumerate(TYPES)}
WITH_DEPENDENT_CHILDREN = (
    T["couple_dependent_children"],
    T["lone_parent_dependent_children"],
    T["other_with_dependent_children"],
)
WITH_GROWN_UP_CHILDREN = (T["couple_nondependent_children"], T["lone_parent_nondependent_children"])


@dataclass(frozen=True)
class Households:
    """One row per household: type and member counts (head + partner + children + extra adults)."""

    kind: NDArray[np.int64]
    has_partner: NDArray[np.bool_]
    children: NDArray[np.int64]
    extras: NDArray[np.int64]  # grandparents (other_with_dependent_children) or sharers (other_no_dependent_children)

    @property
    def size(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = 1 + self.has_partner.astype(np.int64) + self.children + self.extras
        return result

    @property
    def dependent(self) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = np.isin(self.kind, WITH_DEPENDENT_CHILDREN)
        return result


def _child_counts(rng: np.random.Generator, params: Parameters, prefix: str, n: int) -> NDArray[np.int64]:
    """How many children each of n families has, from the shares `prefix.<count>`."""
    shares = params.series(prefix)
    counts = np.array([int(label) for label in shares])
    weights = np.array(list(shares.values()))
    result: NDArray[np.int64] = counts[rng.choice(len(counts), size=n, p=weights / weights.sum())]
    return result


def draw_households(rng: np.random.Generator, params: Parameters, people: int) -> Households:
    """Households holding exactly `people` people, with England's composition.

    Households are drawn until the running total reaches the target; the last one is resized (a single person, a
    couple or a couple with children) so the total is exact, which shifts the composition by one household.
    """
    n = int(people / 2.2) + 64
    kind = rng.choice(len(TYPES), size=n, p=_SHARES / _SHARES.sum())
    has_partner = np.isin(
        kind,
        [
            T["couple_no_children"],
            T["couple_66_plus"],
            T["couple_dependent_children"],
            T["couple_nondependent_children"],
        ],
    )
    other_dep = kind == T["other_with_dependent_children"]
    has_partner |= other_dep & (rng.random(n) < params["other_family_partner_share"])
    children = np.zeros(n, dtype=np.int64)
    couple_dep = np.isin(kind, [T["couple_dependent_children"], T["other_with_dependent_children"]])
    children[couple_dep] = _child_counts(rng, params, "children_couple", int(couple_dep.sum()))
    lone_dep = kind == T["lone_parent_dependent_children"]
    children[lone_dep] = _child_counts(rng, params, "children_lone", int(lone_dep.sum()))
    grown = np.isin(kind, WITH_GROWN_UP_CHILDREN)
    extra_grown = np.minimum(
        rng.poisson(params["nondependent_children_mean_extra"], n), int(params["nondependent_children_max_extra"])
    )
    children[grown] = 1 + extra_grown[grown]
    extras = np.zeros(n, dtype=np.int64)
    extras[other_dep] = 1 + (rng.random(int(other_dep.sum())) < params["other_family_two_grandparents_share"])
    sharers = kind == T["other_no_dependent_children"]
    extra_sharers = 1 + np.minimum(
        rng.poisson(params["other_household_adults_mean_extra"], n), int(params["other_household_adults_max_extra"])
    )
    extras[sharers] = extra_sharers[sharers]
    drawn = Households(kind, has_partner, children, extras)
    total = np.cumsum(drawn.size)
    if total[-1] < people:
        raise AssertionError("household draw too small")  # n is sized with a wide margin
    keep = int(np.searchsorted(total, people, side="right"))
    short = people - (int(total[keep - 1]) if keep else 0)
    kind, children, extras = kind[:keep].copy(), children[:keep].copy(), extras[:keep].copy()
    has_partner = has_partner[:keep].copy()
    if short:
        last_kind = T["one_person_under_66"] if short == 1 else T["couple_no_children"]
        if short >= 3:
            last_kind = T["couple_dependent_children"]
        kind = np.append(kind, last_kind)
        has_partner = np.append(has_partner, short >= 2)
        children = np.append(children, max(0, short - 2))
        extras = np.append(extras, 0)
    return Households(kind, has_partner, children, extras)
