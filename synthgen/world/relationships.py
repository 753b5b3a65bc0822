"""Relationships at home, as truth: partners, mothers, fathers, step-parents, siblings, half-siblings, grandparents.

Each is a directed row (person, relative, kind), read "relative is the person's <kind>", so the truth table
answers "who is this child's mother?" without a join in the other direction. Only relatives living in the same
household are known: an absent father has no row.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.world.members import Members
from synthgen.world.sexes import Parents

RELATIONSHIPS = ("mother", "father", "step_parent", "sibling", "half_sibling", "partner", "grandparent")

Relationships = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
"""Person rows, relative rows, kinds (index into RELATIONSHIPS)."""


def ordered_pairs_within(
    members: NDArray[np.int64], group: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every ordered pair (a, b), a != b, of members sharing a group (members sorted by group), as positions.

    Both directions are listed (each sibling is the other's), unlike kernel.arrays.pairs_within, which lists
    each pair of equal keys once."""
    counts = np.bincount(np.searchsorted(np.unique(group), group))
    start = np.repeat(np.cumsum(counts) - counts, counts)
    size = np.repeat(counts, counts)
    a = np.repeat(np.arange(len(members)), size)
    b = np.repeat(start, size) + (np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size))
    keep = a != b
    return a[keep], b[keep]


def relationships(m: Members, parents: Parents, earlier: NDArray[np.bool_], female: NDArray[np.bool_]) -> Relationships:
    """Directed rows (person, relative, kind): 'relative is the person's <kind>'."""
    R = {name: index for index, name in enumerate(RELATIONSHIPS)}
    hh, kid, kid_hh, head_row, partner_row = m.households, m.kid, m.kid_hh, m.head_row, m.partner_row
    fathers_children = parents.fathers_children
    persons, relatives, kinds = [], [], []

    def add(p: NDArray[np.int64], r: NDArray[np.int64], k: int | NDArray[np.int64]) -> None:
        persons.append(p)
        relatives.append(r)
        kinds.append(np.broadcast_to(np.asarray(k, dtype=np.int64), p.shape).copy())

    couple = np.flatnonzero(hh.has_partner)
    add(head_row[couple], partner_row[couple], R["partner"])
    add(partner_row[couple], head_row[couple], R["partner"])
    # the parent at home who is the child's own (for earlier children of a step-family, only one of the two)
    own_mother = ~earlier | ~fathers_children[kid_hh]
    own_father = ~earlier | fathers_children[kid_hh]
    has_mother = own_mother & (hh.has_partner[kid_hh] | female[head_row[kid_hh]])
    has_father = own_father & (hh.has_partner[kid_hh] | ~female[head_row[kid_hh]])
    add(kid[has_mother], parents.mother[kid_hh[has_mother]], R["mother"])
    add(kid[has_father], parents.father[kid_hh[has_father]], R["father"])
    step_kid = earlier
    step_parent = np.where(fathers_children[kid_hh], parents.mother[kid_hh], parents.father[kid_hh])
    add(kid[step_kid], step_parent[step_kid], R["step_parent"])
    a, b = ordered_pairs_within(kid, kid_hh)
    half = earlier[a] != earlier[b]
    add(kid[a], kid[b], np.where(half, R["half_sibling"], R["sibling"]))
    grandparent = m.grandparent
    grandchildren_of = m.owner[grandparent]
    g_kids = np.isin(kid_hh, grandchildren_of)
    gk = kid[g_kids]
    gp_for_kid = np.searchsorted(grandchildren_of, kid_hh[g_kids])
    # each grandchild gets every grandparent of its household (households hold at most two)
    for offset in (0, 1):
        idx = gp_for_kid + offset
        ok = (idx < len(grandparent)) & (grandchildren_of[np.minimum(idx, len(grandparent) - 1)] == kid_hh[g_kids])
        add(gk[ok], grandparent[idx[ok]], R["grandparent"])
    if not persons:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(persons), np.concatenate(relatives), np.concatenate(kinds)


def parent_at_home(n: int, rows: Relationships, kind: str) -> NDArray[np.int64]:
    """Each person's mother (or father) at home as a row, -1 for none: for errors that copy a parent's details."""
    person, relative, kinds = rows
    result = np.full(n, -1)
    chosen = kinds == RELATIONSHIPS.index(kind)
    result[person[chosen]] = relative[chosen]
    return result
