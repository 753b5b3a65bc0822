"""Who carries which name in a family: marriage, children's surnames, step-families, namesakes, sexed forms, and
the given names parents choose.

Names are what linkers compare first, so the reasons they differ inside a family are modelled as they are in
England: a wife who takes her husband's surname (or double-barrels), children of cohabiting parents or lone
mothers carrying either parent's surname, a step-family's earlier children known by the step-parent's surname, a
son named after his father, and surnames whose form depends on sex (Kowalska beside Kowalski). Given names follow
the parents' traditions, differ between full siblings and pair twins (synthgen.world.given_names).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.reference import Parameters
from synthgen.world import given_names
from synthgen.world.ages import Twins
from synthgen.world.members import Members
from synthgen.world.names import SurnamePools, name_groups, sexed_surnames, surname_pools, surnames_like, surnames_of
from synthgen.world.sexes import Parents


@dataclass(frozen=True)
class Names:
    """Every person's names as indices into the shard's vocabularies (-1 for none)."""

    forenames: tuple[str, ...]
    surnames: tuple[str, ...]
    given: NDArray[np.int64]
    middle_1: NDArray[np.int64]
    middle_2: NDArray[np.int64]
    surname_1: NDArray[np.int64]
    surname_2: NDArray[np.int64]
    birth_surname: NDArray[np.int64]
    birth_surname_2: NDArray[np.int64]
    preferred_surname_1: NDArray[np.int64]
    preferred_surname_2: NDArray[np.int64]
    same_name_relative: NDArray[np.bool_]  # per person: shares a given name with a parent or child at home
    earlier: NDArray[np.bool_]  # per child: a step-family's child from an earlier relationship of one partner
    tradition: NDArray[np.int64]  # per person: naming tradition (index into reference.name_traditions().traditions)


def draw_names(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    people: tuple[Parents, NDArray[np.bool_], NDArray[np.bool_], Twins],
    age: NDArray[np.float64],
    whole_age: NDArray[np.int64],
    dob: NDArray[np.datetime64],
    ethnicity: NDArray[np.int64],
    arab_share: float,
) -> Names:
    """Surnames that follow the family, then given names from the parents' traditions (`people`: the parents at
    home, who is female, which couples are same-sex, the twins; `arab_share`: the area's Arab share of "any other
    ethnic group").

    Which of a step-family's children are from an earlier relationship is drawn here too, at its place in the
    stream, as it decides whose surname they carry."""
    parents, female, same_sex, twins = people
    pools = surname_pools()
    birth, tradition = surnames_of(rng, name_groups(rng, ethnicity, arab_share), pools)
    tradition[m.grandparent] = tradition[m.head_row[m.owner[m.grandparent]]]  # they carry the head's surname
    surname_1, surname_2, married = _marriages(rng, params, m, female, same_sex, age, birth)
    kid_s1, kid_s2, earlier, absent = _children_surnames(
        rng, params, m, (parents, twins.follows), female, married, (ethnicity, arab_share), pools, birth, surname_1,
        surname_2,
    )  # fmt: skip
    surname_1[m.kid] = kid_s1
    surname_2[m.kid] = kid_s2
    birth_2 = np.full(m.n, -1)
    birth[m.kid] = kid_s1  # a child's birth surname is the one it carries (no marriage yet)
    birth_2[m.kid] = kid_s2
    tradition[m.kid] = given_names.child_traditions(rng, own_parents(m, parents, earlier, female), tradition, absent)
    forenames, given, middle_1, middle_2 = given_names.draw_forenames(rng, params, tradition, female, dob)
    preferred_1, preferred_2 = _known_by_step_parent(rng, params, m, parents, earlier, kid_s1, surname_1, surname_2)
    same_name_relative, junior = _namesakes(rng, params, m, parents, earlier, female, given)
    keys = given_names.pool_keys(tradition, female, dob)
    twin_first = m.kid[:-1][twins.follows[1:]]
    given_names.twins_alike(rng, params, twin_first, m.kid[1:][twins.follows[1:]], given, keys)
    siblings = given_names.Siblings(m.kid, m.kid_hh, junior)
    given_names.distinct_siblings(rng, siblings, given, keys)
    middle_1 = np.where(middle_1 == given, -1, middle_1)
    middle_2 = np.where((middle_2 == given) | (middle_1 < 0), -1, middle_2)
    surname_1, surname_2, birth, birth_2 = sexed_surnames(
        rng, pools.vocab, female, ethnicity, whole_age, surname_1, surname_2, birth, birth_2
    )
    return Names(
        forenames=forenames,
        surnames=pools.vocab,
        given=given,
        middle_1=middle_1,
        middle_2=middle_2,
        surname_1=surname_1,
        surname_2=surname_2,
        birth_surname=birth,
        birth_surname_2=birth_2,
        preferred_surname_1=preferred_1,
        preferred_surname_2=preferred_2,
        same_name_relative=same_name_relative,
        earlier=earlier,
        tradition=tradition,
    )


def own_parents(
    m: Members, parents: Parents, earlier: NDArray[np.bool_], female: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each child's own mother and father at home (rows, -1 where absent): a step-family's earlier children have
    only one of the couple."""
    kid_hh, head = m.kid_hh, m.head_row[m.kid_hh]
    couple = m.households.has_partner[kid_hh]
    fathers_children = parents.fathers_children[kid_hh]
    has_mother = (~earlier | ~fathers_children) & (couple | female[head])
    has_father = (~earlier | fathers_children) & (couple | ~female[head])
    mother = np.where(has_mother, parents.mother[kid_hh], -1)
    father = np.where(has_father, parents.father[kid_hh], -1)
    return mother, father


def _married_share(params: Parameters, age: NDArray[np.float64]) -> NDArray[np.float64]:
    """The chance that a couple is married, by the head's age (younger couples cohabit more)."""
    bands = [(30, "married_share.under_30"), (45, "married_share.30_44"), (65, "married_share.45_64")]
    share = np.full(len(age), params["married_share.65_plus"])
    for upper, name in reversed(bands):
        share = np.where(age < upper, params[name], share)
    return share


def _marriages(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    female: NDArray[np.bool_],
    same_sex: NDArray[np.bool_],
    age: NDArray[np.float64],
    birth: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Adults' surnames after marriage (a wife who takes her husband's, a couple who double-barrel; grandparents
    carry the head's birth surname), and which households' couples are married."""
    head_row, partner_row = m.head_row, m.partner_row
    surname_1 = birth.copy()
    surname_2 = np.full(m.n, -1)
    married = m.households.has_partner & (rng.random(m.n_hh) < _married_share(params, age[head_row]))
    wife = np.where(female[head_row], head_row, partner_row)
    husband = np.where(female[head_row], partner_row, head_row)
    opposite = married & ~same_sex
    u = rng.random(m.n_hh)
    takes = opposite & (u < params["wife_takes_surname"])
    double = opposite & (u >= 1 - params["double_barrel_on_marriage"]) & (birth[husband] != birth[wife])
    surname_1[wife[takes]] = birth[husband[takes]]
    for row in (wife[double], husband[double]):
        surname_1[row] = birth[husband[double]]
        surname_2[row] = birth[wife[double]]
    surname_1[m.grandparent] = birth[head_row[m.owner[m.grandparent]]]
    return surname_1, surname_2, married


def _children_surnames(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    family: tuple[Parents, NDArray[np.bool_]],
    female: NDArray[np.bool_],
    married: NDArray[np.bool_],
    origin: tuple[NDArray[np.int64], float],
    pools: SurnamePools,
    birth: NDArray[np.int64],
    surname_1: NDArray[np.int64],
    surname_2: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """Each child's surname (two halves, -1 for none), which children are a step-family's earlier ones, and the
    naming tradition of each child's absent parent (`family`: the parents at home and, per child, whether it is
    its elder's twin; `origin`: everyone's ethnicity and the area's Arab share of "any other ethnic group", from
    which the absent parent's surname is drawn).

    A couple's joint children carry the father's surname when the parents are married, and mostly when they
    cohabit; a lone father's or a father's earlier children carry his; a lone mother's (or a mother's earlier)
    children carry hers, the absent father's, or both."""
    parents, twins_follow = family
    hh, kid_hh = m.households, m.kid_hh
    n_earlier = np.where(parents.step, 1 + (rng.random(m.n_hh) * hh.children).astype(np.int64), 0)
    earlier = m.kid_pos < n_earlier[kid_hh]
    for _ in range(2):  # twins (and triplets) are both earlier children or both the couple's
        earlier[1:] |= twins_follow[1:] & earlier[:-1]
    rule = rng.random(m.n_hh)
    kid_s1 = np.empty(len(m.kid), np.int64)
    kid_s2 = np.full(len(m.kid), -1)
    mother_k, father_k = parents.mother[kid_hh], parents.father[kid_hh]
    father_s1 = surname_1[np.maximum(father_k, 0)]
    father_s2 = surname_2[np.maximum(father_k, 0)]
    mother_s1, mother_s2 = surname_1[mother_k], surname_2[mother_k]
    joint = hh.has_partner[kid_hh] & ~earlier
    married_k = married[kid_hh]
    r = rule[kid_hh]
    cohab_father = r < params["cohabiting_child_father_surname"]
    cohab_mother = ~cohab_father & (
        r < params["cohabiting_child_father_surname"] + params["cohabiting_child_mother_surname"]
    )
    use_father = joint & (married_k | cohab_father)
    use_mother = joint & ~married_k & cohab_mother
    use_double = joint & ~use_father & ~use_mother & (father_s1 != birth[mother_k])
    use_father |= joint & ~use_father & ~use_mother & ~use_double
    kid_s1[use_father], kid_s2[use_father] = father_s1[use_father], father_s2[use_father]
    kid_s1[use_mother], kid_s2[use_mother] = mother_s1[use_mother], mother_s2[use_mother]
    kid_s1[use_double] = father_s1[use_double]
    kid_s2[use_double] = np.where(father_s2[use_double] < 0, birth[mother_k[use_double]], father_s2[use_double])
    # without the other parent at home: a lone father's or a father's earlier children carry his name
    alone = ~joint
    head_k = m.head_row[kid_hh]
    fathers_own = alone & ((~hh.has_partner[kid_hh] & ~female[head_k]) | parents.fathers_children[kid_hh])
    kid_s1[fathers_own] = surname_1[head_k[fathers_own]]
    kid_s2[fathers_own] = surname_2[head_k[fathers_own]]
    mothers_own = alone & ~fathers_own
    ethnicity, arab_share = origin
    absent_surname, absent_tradition = surnames_like(rng, ethnicity[m.head_row], pools, arab_share)
    own = r < params["lone_mother_child_own_surname"]
    both = r >= 1 - params["lone_mother_child_double_barrel"]
    mother_name = np.where(hh.has_partner[kid_hh], birth[mother_k], surname_1[mother_k])
    both &= absent_surname[kid_hh] != mother_name
    kid_s1[mothers_own] = np.where(own[mothers_own], mother_name[mothers_own], absent_surname[kid_hh[mothers_own]])
    kid_s2[mothers_own & both] = mother_name[mothers_own & both]
    kid_s1[mothers_own & both] = absent_surname[kid_hh[mothers_own & both]]
    return kid_s1, kid_s2, earlier, absent_tradition[kid_hh]


def _known_by_step_parent(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    parents: Parents,
    earlier: NDArray[np.bool_],
    kid_s1: NDArray[np.int64],
    surname_1: NDArray[np.int64],
    surname_2: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The surname some of a step-family's earlier children use day to day: the step-parent's (-1 for none)."""
    kid, kid_hh = m.kid, m.kid_hh
    preferred_1 = np.full(m.n, -1)
    preferred_2 = np.full(m.n, -1)
    known_by_step = (
        earlier
        & (rng.random(len(kid)) < params["stepchild_known_by_step_surname_share"])
        & (kid_s1 != surname_1[m.head_row[kid_hh]])
    )
    step_parent_row = np.where(
        parents.fathers_children[kid_hh], parents.mother[kid_hh], np.maximum(parents.father[kid_hh], 0)
    )
    preferred_1[kid[known_by_step]] = surname_1[step_parent_row[known_by_step]]
    preferred_2[kid[known_by_step]] = surname_2[step_parent_row[known_by_step]]
    return preferred_1, preferred_2


def _namesakes(
    rng: np.random.Generator,
    params: Parameters,
    m: Members,
    parents: Parents,
    earlier: NDArray[np.bool_],
    female: NDArray[np.bool_],
    given: NDArray[np.int64],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """A son named after his father (and now and then a daughter after her mother), set in `given`: a hard
    negative for linkers. A family names one son after his father at most (and one daughter after her mother).
    Returns who shares a given name with a parent or child at home, and (per child) the namesakes."""
    kid, kid_hh, fathers_children = m.kid, m.kid_hh, parents.fathers_children
    parent_at_home = np.where(earlier & ~fathers_children[kid_hh], -1, parents.father[kid_hh])
    junior = (parent_at_home >= 0) & ~female[kid] & (rng.random(len(kid)) < params["son_named_after_father_share"])
    mother_at_home = np.where(earlier & fathers_children[kid_hh], -1, parents.mother[kid_hh])
    junior_f = (
        (mother_at_home >= 0) & female[kid] & (rng.random(len(kid)) < params["daughter_named_after_mother_share"])
    )
    junior_f &= female[np.maximum(mother_at_home, 0)]
    namesake = np.where(junior, parent_at_home, np.where(junior_f, mother_at_home, -1))
    named = namesake >= 0
    # kids are in household order: the first named child of each household and sex keeps it
    chosen = np.flatnonzero(named)
    first = np.unique(kid_hh[chosen] * 2 + female[kid[chosen]], return_index=True)[1]
    named[np.setdiff1d(chosen, chosen[first])] = False
    given[kid[named]] = given[namesake[named]]
    same_name_relative = np.zeros(m.n, bool)
    same_name_relative[kid[named]] = True
    same_name_relative[namesake[named]] = True
    return same_name_relative, named
