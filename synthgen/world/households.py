"""Household composition: how many households of each type, and who is in each.

Households carry the structure everything else hangs on (who are parents, children, partners), so they are
drawn first, as whole columns: one row per household with its type and member counts. Shares are the area's
(the plan's demography: England's 2021 census figures, as no open table by local authority was found); the
child-count distributions and other design choices are in reference/data/parameters/population.csv with their
sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.reference import Parameters

TYPES = reference.household_types()[0]
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


def _capped_poisson_mean(mean: float, cap: int) -> float:
    """E[min(Poisson(mean), cap)]: the mean of the capped draws below."""
    below = sum(k * math.exp(-mean) * mean**k / math.factorial(k) for k in range(cap))
    at_or_above = 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(cap))
    return below + cap * at_or_above


def expected_members(params: Parameters) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per household type (TYPES order), as draw_households makes them: the expected people, dependent children
    (every one of them under 18) and people of the 66+ types. Used to fit household shares to an area's ages."""

    def mean_children(prefix: str) -> float:
        shares = params.series(prefix)
        return sum(int(k) * v for k, v in shares.items()) / sum(shares.values())

    couple, lone = mean_children("children_couple"), mean_children("children_lone")
    grown = 1 + _capped_poisson_mean(
        params["nondependent_children_mean_extra"], int(params["nondependent_children_max_extra"])
    )
    sharers = 1 + _capped_poisson_mean(
        params["other_household_adults_mean_extra"], int(params["other_household_adults_max_extra"])
    )
    grandparents = 1 + params["other_family_two_grandparents_share"]
    size = {
        "one_person_under_66": 1.0,
        "one_person_66_plus": 1.0,
        "couple_no_children": 2.0,
        "couple_66_plus": 2.0,
        "couple_dependent_children": 2.0 + couple,
        "couple_nondependent_children": 2.0 + grown,
        "lone_parent_dependent_children": 1.0 + lone,
        "lone_parent_nondependent_children": 1.0 + grown,
        "other_with_dependent_children": 1.0 + params["other_family_partner_share"] + couple + grandparents,
        "other_no_dependent_children": 1.0 + sharers,
    }
    children = {"couple_dependent_children": couple, "lone_parent_dependent_children": lone}
    children["other_with_dependent_children"] = couple
    old = {"one_person_66_plus": 1.0, "couple_66_plus": 2.0}
    return (
        np.array([size[t] for t in TYPES]),
        np.array([children.get(t, 0.0) for t in TYPES]),
        np.array([old.get(t, 0.0) for t in TYPES]),
    )


def draw_households(
    rng: np.random.Generator, params: Parameters, people: int, shares: NDArray[np.float64]
) -> Households:
    """Households holding exactly `people` people, with the composition `shares` (by type, in TYPES order).

    Households are drawn until the running total reaches the target; the last one is resized (a single person, a
    couple or a couple with children) so the total is exact, which shifts the composition by one household.
    """
    n = int(people / 2.2) + 64
    kind = rng.choice(len(TYPES), size=n, p=shares / shares.sum())
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
