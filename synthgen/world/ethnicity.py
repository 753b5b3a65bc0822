"""Ethnicity: households share one, couples sometimes differ, children of mixed parentage are Mixed.

Adults are drawn at the area's 2021 census shares (the local authority's own, from the plan) with the Mixed
groups scaled down (Mixed people are young, so most of
the census's Mixed people are children, who get the category from their parents here).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.reference import Parameters
from synthgen.world.members import Members
from synthgen.world.sexes import Parents


def mixed_ethnicity_table() -> NDArray[np.int64]:
    """The ethnicity of a child of parents with codes (mother, father): the 2021 census's Mixed categories."""
    eth = reference.ethnicities()
    code = {c: i for i, c in enumerate(eth.codes)}
    table = np.empty((len(eth.codes), len(eth.codes)), dtype=np.int64)
    for m, (mother, mgroup) in enumerate(zip(eth.codes, eth.groups, strict=True)):
        for f, (father, fgroup) in enumerate(zip(eth.codes, eth.groups, strict=True)):
            groups = {mgroup, fgroup}
            black = father if fgroup == "Black" else mother
            if mgroup == fgroup:
                table[m, f] = m
            elif "Mixed" in groups:
                table[m, f] = m if mgroup == "Mixed" else f
            elif groups == {"White", "Black"}:
                table[m, f] = code["MWBA"] if black == "BAFR" else code["MWBC"]
            elif groups == {"White", "Asian"}:
                table[m, f] = code["MWAS"]
            else:
                table[m, f] = code["MOTH"]
    return table


def _differing(shares: NDArray[np.float64], groups: NDArray[np.str_]) -> float:
    """The chance that two people drawn at random with these shares (by code) are of different groups."""
    by_group = np.array([shares[groups == g].sum() for g in np.unique(groups)]) / shares.sum()
    return float(1 - np.sum(by_group**2))


def draw_ethnicity(
    rng: np.random.Generator, params: Parameters, m: Members, parents: Parents, shares: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Each person's ethnicity (an index into reference.ethnicities().codes).

    `shares` are the area's, by code. A child takes the Mixed category of its mother and father at home; a lone
    mother's child sometimes has an absent father of another group, as does a step-family's child (whose father is
    not the man at home).
    """
    hh, kid, kid_hh = m.households, m.kid, m.kid_hh
    eth = reference.ethnicities()
    groups = np.array(eth.groups)
    adult_shares = shares * np.where(groups == "Mixed", params["adult_mixed_share_factor"], 1.0)
    adult_shares = adult_shares / adult_shares.sum()
    household_eth = rng.choice(len(eth.codes), size=m.n_hh, p=adult_shares)
    ethnicity = household_eth[m.owner]
    other = rng.choice(len(eth.codes), size=m.n, p=adult_shares)
    # a partner drawn at random from a diverse area is of another group far more often than from England as a
    # whole; people partner across groups about as often as England's shares were fitted to, so the chance of
    # drawing a partner (or an absent father) from the whole area shrinks where a random pair differs more often
    across = _differing(eth.shares / eth.shares.sum(), groups) / max(_differing(shares, groups), 1e-9)
    inter = m.partner_slot & (rng.random(m.n) < params["inter_ethnic_couple_share"] * min(across, 1.0))
    ethnicity[inter] = other[inter]
    ethnicity[m.sharer] = other[m.sharer]
    mixed = mixed_ethnicity_table()
    absent_father = rng.choice(len(eth.codes), size=m.n_hh, p=adult_shares)
    elsewhere = rng.random(m.n_hh) < params["lone_mother_mixed_child_share"] * min(across, 1.0)
    absent = np.where(elsewhere, absent_father, household_eth)
    kid_mother = ethnicity[parents.mother[kid_hh]]
    kid_father = np.where(
        hh.has_partner[kid_hh] & ~parents.step[kid_hh],
        ethnicity[np.maximum(parents.father[kid_hh], 0)],
        absent[kid_hh],
    )
    ethnicity[kid] = mixed[kid_mother, kid_father]
    result: NDArray[np.int64] = ethnicity
    return result
