"""Ages: children's and parents' constrained by the family, everyone else's by what the age pyramid still lacks.

Children's and parents' ages are constrained by family structure (sibling gaps, the mother's age at the first
birth); everyone else's age is drawn from what the area's age pyramid (the local authority's own, from the plan)
still lacks once the families are placed, so that the whole population matches the pyramid. Ages are continuous
years here; dates of birth follow from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import categorical, first_of_runs, rank_within
from synthgen.reference import AgePyramid, Parameters
from synthgen.world.households import T
from synthgen.world.members import Members


@dataclass(frozen=True)
class Twins:
    """Twins among the children: born on the same day as a brother or sister."""

    twin: NDArray[np.bool_]  # per person
    follows: NDArray[np.bool_]  # per child (row of Members.kid): born on the same day as the child before it


def draw_ages(
    rng: np.random.Generator, params: Parameters, m: Members, pyramid: AgePyramid
) -> tuple[NDArray[np.float64], Twins]:
    """Everyone's age, and the twins; the partner of a childless couple takes the head's age for now (partner_ages
    sets it once sexes are known)."""
    age = np.full(m.n, np.nan)
    span, eldest_age, twins = _children(rng, params, m, age, pyramid)
    _parents(rng, params, m, age, span, eldest_age)
    _everyone_else(rng, params, m, age, pyramid)
    return _within(rng, age, 0.0, 99.0), twins


def _children(
    rng: np.random.Generator, params: Parameters, m: Members, age: NDArray[np.float64], pyramid: AgePyramid
) -> tuple[NDArray[np.float64], NDArray[np.float64], Twins]:
    """Children's ages, set in `age`: sibling gaps (twins have none), the youngest placed so the eldest of a
    family with dependent children is under 18. Returns each household's span of births, its eldest child's age
    and the twins."""
    hh, kid, kid_hh = m.households, m.kid, m.kid_hh
    twin_next = rng.random(len(kid)) < params["twin_interval_share"]
    gap = np.where(
        m.kid_pos == 0,
        0.0,
        np.where(
            twin_next,
            0.0,
            params["sibling_gap_years_min"]
            + rng.gamma(params["sibling_gap_years_shape"], params["sibling_gap_years_scale"], len(kid)),
        ),
    )
    span: NDArray[np.float64] = np.bincount(kid_hh, weights=gap, minlength=m.n_hh).astype(np.float64)
    limit = np.where(hh.dependent, params["sibling_span_max_dependent"], params["sibling_span_max_grown_up"])
    squeeze = np.minimum(1.0, limit / np.maximum(span, 1e-9))
    gap = gap * squeeze[kid_hh]
    span = span * squeeze
    since_eldest = _groupwise_cumsum(gap, kid_hh)
    grown = rng.gamma(params["grown_up_child_age_shape"], params["grown_up_child_age_scale"], m.n_hh)
    most = params["grown_up_child_age_max_extra"]
    grown = np.where(grown > most, rng.random(m.n_hh) * most, grown)  # redrawn, not clamped onto one age
    youngest = 18.0 + grown  # grown-up children still at home
    dependent_hh = hh.dependent & m.with_children
    youngest[dependent_hh] = _place_youngest(
        rng, span[kid_hh] - since_eldest, kid_hh, dependent_hh, span, pyramid.shares[:18] * m.n
    )
    age[kid] = youngest[kid_hh] + span[kid_hh] - since_eldest
    twin = np.zeros(m.n, bool)
    # a child born on the same day as the one before in its household, and that one: twins
    same_as_previous = np.zeros(len(kid), bool)
    same_as_previous[1:] = (gap[1:] == 0) & (kid_hh[1:] == kid_hh[:-1])
    twin[kid[same_as_previous]] = True
    twin[kid[:-1][same_as_previous[1:]]] = True
    return span, youngest + span, Twins(twin, same_as_previous)


def _parents(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    age: NDArray[np.float64],
    span: NDArray[np.float64],
    eldest_age: NDArray[np.float64],
) -> None:
    """Parents' and grandparents' ages, set in `age`: the first parent's age at the eldest's birth, partners a
    few years apart, grandparents a generation above the head."""
    hh, head_row, partner_row = m.households, m.head_row, m.partner_row
    low, high = params["mother_age_first_birth_min"], params["mother_age_first_birth_max"]
    at_first_birth = np.clip(
        rng.normal(params["mother_age_first_birth_mean"], params["mother_age_first_birth_sd"], m.n_hh),
        low,
        np.maximum(low, high - span),
    )
    parent_hh = m.with_children
    age[head_row[parent_hh]] = eldest_age[parent_hh] + at_first_birth[parent_hh]
    couple_parents = parent_hh & hh.has_partner
    gap_years = rng.normal(params["father_age_gap_mean"], params["father_age_gap_sd"], m.n_hh)
    age[partner_row[couple_parents]] = np.maximum(
        age[head_row[couple_parents]] + gap_years[couple_parents],
        eldest_age[couple_parents] + params["father_age_first_birth_min"],
    )
    grandparent = m.grandparent
    age[grandparent] = age[head_row[m.owner[grandparent]]] + rng.normal(
        params["grandparent_age_gap_mean"], params["grandparent_age_gap_sd"], len(grandparent)
    )


def _everyone_else(
    rng: np.random.Generator, params: Parameters, m: Members, age: NDArray[np.float64], pyramid: AgePyramid
) -> None:
    """The ages of people outside families with children, set in `age`, from what the age pyramid still lacks.

    The most constrained go first (the over-66 households, then people living alone, sharers, childless couples);
    each group takes its ages out of what is still lacking, a partner counting twice."""
    hh, owner = m.households, m.owner
    placed = np.bincount(np.clip(age[~np.isnan(age)].astype(np.int64), 0, 99), minlength=100)
    lacking = np.clip(pyramid.shares * m.n - placed, 0.0, None)
    free_heads = m.is_head & ~m.with_children[owner] & ~m.sharer
    coupled = hh.has_partner[owner]
    older = np.isin(hh.kind[owner], [T["one_person_66_plus"], T["couple_66_plus"]])
    for mask, lo, hi in (
        (free_heads & older, 66, 99),
        (free_heads & ~older & ~coupled, 18, 65),
        (m.sharer, 18, int(params["sharer_age_max"])),
        (free_heads & ~older & coupled, 18, int(params["couple_no_children_age_max"])),
    ):
        where = np.flatnonzero(mask)
        age[where] = _draw_ages(rng, lacking, lo, hi, len(where))
        taken = np.bincount(age[where].astype(np.int64), weights=1.0 + coupled[where], minlength=100)
        lacking = np.clip(lacking - taken, 0.0, None)
    free_partners = np.flatnonzero(m.partner_slot & ~m.with_children[owner])
    age[free_partners] = age[m.head_row[owner[free_partners]]]  # refined by partner_ages, once sexes are known


def partner_ages(
    rng: np.random.Generator, params: Parameters, m: Members, age: NDArray[np.float64], female: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Ages with the partners of childless couples set a few years from the head: a man is typically a few years
    older than his female partner."""
    hh = m.households
    age = age.copy()
    couples_no_children = hh.has_partner & ~m.with_children
    couple_heads = m.head_row[couples_no_children]
    partners = m.partner_row[couples_no_children]
    sign = np.where(female[couple_heads] == female[partners], 0.0, np.where(female[couple_heads], 1.0, -1.0))
    offset = sign * params["father_age_gap_mean"] + rng.normal(0.0, params["partner_age_gap_sd"], len(partners))
    floor = np.where(np.isin(hh.kind[couples_no_children], [T["couple_66_plus"]]), 66.0, 18.0)
    age[partners] = _within(rng, age[couple_heads] + offset, floor, 99.0)
    return _within(rng, age, 0.0, 99.0)


def _groupwise_cumsum(values: NDArray[np.float64], group: NDArray[np.int64]) -> NDArray[np.float64]:
    """Running sum within each group of a group-sorted array."""
    total = np.cumsum(values)
    starts = np.maximum.accumulate(np.where(first_of_runs(group), np.arange(len(group)), 0))
    result: NDArray[np.float64] = total - total[starts] + values[starts]
    return result


def _within(
    rng: np.random.Generator, age: NDArray[np.float64], lo: float | NDArray[np.float64], hi: float
) -> NDArray[np.float64]:
    """Ages kept inside [lo, hi + 1): an age outside is redrawn within a year or two of the bound, not clamped
    onto it (clamping piles people onto one date of birth, which a linker would notice)."""
    lo_array = np.broadcast_to(np.asarray(lo, dtype=np.float64), age.shape)
    below = ~np.isnan(age) & (age < lo_array)
    above = ~np.isnan(age) & (age >= hi + 1.0)
    result = age.copy()
    result[below] = lo_array[below] + rng.random(int(below.sum())) * 2.0
    result[above] = hi + rng.random(int(above.sum()))
    return result


def _draw_ages(rng: np.random.Generator, weights: NDArray[np.float64], lo: int, hi: int, n: int) -> NDArray[np.float64]:
    """Continuous ages in [lo, hi + 1) with whole-year weights."""
    part = weights[lo : hi + 1] + 1e-9
    years = lo + rng.choice(len(part), size=n, p=part / part.sum())
    result: NDArray[np.float64] = years + rng.random(n)
    return result


def _by_family(
    family: NDArray[np.int64], score: NDArray[np.float64], fits: NDArray[np.bool_], families: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each family's children's scores summed and fits all true, row by row over the grid: what np.add.at and
    np.logical_and.at give (each family's children added in the order they come), a child's place in its family
    at a time, as ufunc.at over rows of a matrix is slow."""
    family_score = np.zeros((families, score.shape[1]))
    family_fits = np.ones((families, fits.shape[1]), bool)
    rank = rank_within(family)
    for place in range(int(rank.max()) + 1 if len(rank) else 0):  # a family's children: a handful at most
        kids = rank == place
        family_score[family[kids]] += score[kids]  # each family once per place: no index repeats
        family_fits[family[kids]] &= fits[kids]
    return family_score, family_fits


def _place_youngest(
    rng: np.random.Generator,
    offset: NDArray[np.float64],
    kid_hh: NDArray[np.int64],
    households: NDArray[np.bool_],
    span: NDArray[np.float64],
    wanted: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The youngest dependent child's age in each family, chosen so that all children match the age pyramid.

    A family's children sit at fixed offsets above the youngest (the sibling gaps); each family picks where to
    place its youngest, in quarter-year steps, with chances in proportion to how many children of those ages
    the pyramid still lacks. Families with the widest spans choose first, in a few rounds, as they have the
    fewest places that fit under 18.
    """
    grid = np.arange(0.125, 18.0, 0.25)
    chosen = np.flatnonzero(households)
    order = chosen[np.argsort(-span[chosen], kind="stable")]
    lacking = wanted.astype(np.float64).copy()
    result = np.zeros(len(households))
    for batch in np.array_split(order, 4):
        if not len(batch):
            continue
        in_batch = np.isin(kid_hh, batch)
        kids = np.flatnonzero(in_batch)
        ages = grid[None, :] + offset[kids, None]
        fits = ages < 18.0
        score = np.where(fits, lacking[np.minimum(ages, 17.99).astype(np.int64)], 0.0)
        family = np.searchsorted(batch_sorted := np.sort(batch), kid_hh[kids])
        family_score, family_fits = _by_family(family, score, fits, len(batch_sorted))
        weight = np.where(family_fits, np.maximum(family_score, 1e-6), 0.0)
        weight[~family_fits.any(axis=1), 0] = 1.0
        step = categorical(rng, weight)
        placed = np.clip(grid[step] + rng.uniform(-0.125, 0.125, len(step)), 0.0, None)
        result[batch_sorted] = placed
        kid_ages = placed[family] + offset[kids]
        lacking = np.clip(lacking - np.bincount(np.minimum(kid_ages, 17.99).astype(np.int64), minlength=18), 0.0, None)
    return result[households]
