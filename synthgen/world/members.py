"""Who is who in each household: the members in order (head, partner, children, other adults) and their roles.

A shard's people are laid out household by household, the head first, so every later step finds a family's
members by position rather than by search. Residents' households come first, then former residents' (people who
have left the area but are still on a local GP list).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.reference import Parameters
from synthgen.world.households import Households, T, draw_households

ROLES = ("single", "partner", "parent", "child", "grandparent", "sharer")
ROLE = {name: index for index, name in enumerate(ROLES)}


@dataclass(frozen=True)
class Members:
    """The shard's people laid out by household, and the rows that tie each family together."""

    households: Households  # residents' households first, then former residents'
    in_area: NDArray[np.bool_]  # per household: lives in the area at the start of the period
    owner: NDArray[np.int64]  # per person: household row
    position: NDArray[np.int64]  # per person: place in the household, 0 = head
    role: NDArray[np.int64]  # per person: index into ROLES
    is_head: NDArray[np.bool_]  # per person
    partner_slot: NDArray[np.bool_]  # per person: the head's partner
    sharer: NDArray[np.bool_]  # per person: lives in a household of unrelated adults
    head_row: NDArray[np.int64]  # per household: person row of the head
    partner_row: NDArray[np.int64]  # per household: person row of the head's partner, -1 for none
    kid: NDArray[np.int64]  # person rows of the children (dependent or grown up) living with a parent
    kid_hh: NDArray[np.int64]  # per child: household row
    kid_pos: NDArray[np.int64]  # per child: birth order in the household, 0 = eldest
    grandparent: NDArray[np.int64]  # person rows of the grandparents

    @property
    def n(self) -> int:
        return len(self.owner)

    @property
    def n_hh(self) -> int:
        return len(self.households.kind)

    @property
    def with_children(self) -> NDArray[np.bool_]:
        """Per household: has children (dependent or grown up) at home."""
        result: NDArray[np.bool_] = self.households.children > 0
        return result


def _positions(households: Households) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Household row and position (0 = head) of every member."""
    sizes = households.size
    owner = np.repeat(np.arange(len(sizes)), sizes)
    start = np.cumsum(sizes) - sizes
    return owner, np.arange(int(sizes.sum())) - start[owner]


def assemble(
    rng: np.random.Generator, params: Parameters, residents: int, formers: int, shares: NDArray[np.float64]
) -> Members:
    """Households for `residents` people of the area and `formers` people who have left it, laid out as members.

    `shares` are the households' types (the area's). Roles follow from a member's place and the household's type:
    the head and partner are parents when there are children, the extra adults of a three-generation household are
    grandparents, everyone in a household of unrelated adults is a sharer.
    """
    resident_hh = draw_households(rng, params, residents, shares)
    former_hh = draw_households(rng, params, formers, shares)
    hh = Households(
        *(
            np.concatenate([getattr(resident_hh, f), getattr(former_hh, f)])
            for f in ("kind", "has_partner", "children", "extras")
        )
    )
    in_area = np.r_[np.ones(len(resident_hh.kind), bool), np.zeros(len(former_hh.kind), bool)]
    owner, position = _positions(hh)
    partner_slot = hh.has_partner[owner] & (position == 1)
    first_child = 1 + hh.has_partner.astype(np.int64)
    is_child = (position >= first_child[owner]) & (position < (first_child + hh.children)[owner])
    is_extra = position >= (first_child + hh.children)[owner]
    is_head = position == 0
    with_children = hh.children > 0
    kind = hh.kind[owner]
    role = np.full(len(owner), ROLE["single"])
    role[partner_slot | (is_head & hh.has_partner[owner])] = ROLE["partner"]
    role[(is_head | partner_slot) & with_children[owner]] = ROLE["parent"]
    role[is_child] = ROLE["child"]
    role[is_extra & (kind == T["other_with_dependent_children"])] = ROLE["grandparent"]
    sharer = kind == T["other_no_dependent_children"]
    role[sharer] = ROLE["sharer"]
    head_row = np.cumsum(hh.size) - hh.size  # member row of each household's head
    kid = np.flatnonzero(is_child)
    kid_hh = owner[kid]
    return Members(
        households=hh,
        in_area=in_area,
        owner=owner,
        position=position,
        role=role,
        is_head=is_head,
        partner_slot=partner_slot,
        sharer=sharer,
        head_row=head_row,
        partner_row=np.where(hh.has_partner, head_row + 1, -1),
        kid=kid,
        kid_hh=kid_hh,
        kid_pos=position[kid] - first_child[kid_hh],
        grandparent=np.flatnonzero(role == ROLE["grandparent"]),
    )
