"""Sex: parents by the shape of their family, children at the sex ratio at birth, everyone else to the pyramid.

A family's shape decides its parents' sexes (most lone parents are mothers; in most step-families the children
are the woman's), so it is drawn first. Everyone not fixed by a family makes up what the age pyramid's female
share still lacks, age by age (as with ages), so that lone mothers and step-families do not tilt the whole
population. Once sexes are known, each household's mother and father at home follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.reference import AgePyramid, Parameters
from synthgen.world.ages import Twins
from synthgen.world.members import Members


@dataclass(frozen=True)
class Families:
    """Per household: the shape of the family its children belong to, drawn before anyone's sex."""

    step: NDArray[np.bool_]  # a couple with dependent children, not all of them the couple's own
    fathers_children: NDArray[np.bool_]  # a step-family whose earlier children are the man's
    head_female: NDArray[np.bool_]  # for households with children: the head is the mother


@dataclass(frozen=True)
class Parents:
    """Per household: the mother and the father at home as person rows, and the family's shape."""

    mother: NDArray[np.int64]  # the woman of a couple, else the head
    father: NDArray[np.int64]  # the man of a couple, or a man at the head; -1 for none
    step: NDArray[np.bool_]
    fathers_children: NDArray[np.bool_]


def draw_families(rng: np.random.Generator, params: Parameters, m: Members) -> Families:
    """Lone fathers and step-families (and whose children a step-family's earlier ones are)."""
    hh = m.households
    lone_father = ~hh.has_partner & m.with_children & (rng.random(m.n_hh) >= params["lone_parent_mother_share"])
    step = m.with_children & hh.has_partner & hh.dependent & (rng.random(m.n_hh) < params["stepfamily_share"])
    fathers_children = step & (rng.random(m.n_hh) >= params["stepfamily_mother_children_share"])
    head_female = np.where(hh.has_partner, ~fathers_children, ~lone_father)
    return Families(step, fathers_children, head_female)


def draw_sexes(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    age: NDArray[np.float64],
    families: Families,
    twins: Twins,
    pyramid: AgePyramid,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Whether each person is female, and per household whether the couple (one without children) is same-sex."""
    hh, head_row, partner_row, kid = m.households, m.head_row, m.partner_row, m.kid
    with_children = m.with_children
    couple_parents = with_children & hh.has_partner
    female = np.zeros(m.n, bool)
    fixed = np.zeros(m.n, bool)
    female[head_row[with_children]] = families.head_female[with_children]
    female[partner_row[couple_parents]] = ~families.head_female[couple_parents]
    female[kid] = rng.random(len(kid)) >= params["male_birth_share"]
    twins_follow = kid[twins.follows]
    keep_sex = rng.random(len(twins_follow)) < params["twin_same_sex_share"]
    female[twins_follow[keep_sex]] = female[twins_follow[keep_sex] - 1]
    fixed[head_row[with_children]] = True
    fixed[partner_row[couple_parents]] = True
    fixed[kid] = True
    couples_no_children = hh.has_partner & ~with_children
    couple_heads = head_row[couples_no_children]
    years = np.minimum(age.astype(np.int64), 99)
    singles = ~fixed & ~m.partner_slot
    singles[couple_heads] = False
    wanted_female = pyramid.shares * m.n * pyramid.female_share
    placed_female = np.bincount(years[fixed], weights=female[fixed].astype(float), minlength=100)
    couples_female = np.bincount(years[couple_heads], minlength=100)  # two people, one woman on average
    single_count = np.bincount(years[singles], minlength=100)
    share = np.clip((wanted_female - placed_female - couples_female) / np.maximum(single_count, 1), 0.02, 0.98)
    female[singles] = rng.random(int(singles.sum())) < share[years[singles]]
    female[couple_heads] = rng.random(len(couple_heads)) < params["couple_head_female_share"]
    same_sex = couples_no_children & (rng.random(m.n_hh) < params["same_sex_couple_share"])
    female[partner_row[couples_no_children]] = np.where(
        same_sex[couples_no_children],
        female[head_row[couples_no_children]],
        ~female[head_row[couples_no_children]],
    )
    return female, same_sex


def parents_at_home(m: Members, families: Families, female: NDArray[np.bool_]) -> Parents:
    """Each household's mother and father at home, once sexes are known."""
    head_row, partner_row = m.head_row, m.partner_row
    return Parents(
        mother=np.where(female[head_row], head_row, np.where(m.households.has_partner, partner_row, head_row)),
        father=np.where(female[head_row], partner_row, head_row),
        step=families.step,
        fathers_children=families.fathers_children,
    )
