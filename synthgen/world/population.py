"""The people of one shard: who lives with whom, their ages, sex, ethnicity, names, addresses and identifiers.

This is truth: the population as it really is, before any agency writes anything down. Everything is built as
whole columns over the shard's people; the only Python loops run over small sets of categories (name pools,
household roles), never over people.

Ages come in two kinds. Children's and parents' ages are constrained by family structure (sibling gaps, the
mother's age at the first birth); everyone else's age is drawn from what the England age pyramid still lacks
once the families are placed, so that the whole population matches the pyramid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import reference
from synthgen.kernel import identifiers
from synthgen.kernel.arrays import categorical, first_of_runs, rank_within
from synthgen.kernel.dates import age_on
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.households import Households, T, draw_households

ROLES = ("single", "partner", "parent", "child", "grandparent", "sharer")
ROLE = {name: index for index, name in enumerate(ROLES)}
RELATIONSHIPS = ("mother", "father", "step_parent", "sibling", "half_sibling", "partner", "grandparent")
ID_STRIDE = 10_000_000
"""Truth ids are shard * ID_STRIDE + position: readable, unique, and never shown to a system under test."""


@dataclass
class People:
    """One row per person (residents first, then former residents still on local lists)."""

    person_id: NDArray[np.int64]
    household: NDArray[np.int64]  # row in Population.household_*
    role: NDArray[np.int64]
    female: NDArray[np.bool_]
    date_of_birth: NDArray[np.datetime64]
    age: NDArray[np.int64]  # whole years at the start of the period
    ethnicity: NDArray[np.int64]  # index into reference.ethnicities().codes
    given_name: NDArray[np.int64]  # index into Population.forenames
    middle_1: NDArray[np.int64]  # -1 when none
    middle_2: NDArray[np.int64]
    surname_1: NDArray[np.int64]  # index into Population.surnames
    surname_2: NDArray[np.int64]  # second half of a double-barrelled surname, -1 when none
    birth_surname: NDArray[np.int64]
    birth_surname_2: NDArray[np.int64]  # second half when born with a double-barrelled surname, -1 when none
    preferred_surname_1: NDArray[np.int64]  # the surname used day to day when it differs (step-families); -1
    preferred_surname_2: NDArray[np.int64]
    twin: NDArray[np.bool_]
    same_name_relative: NDArray[np.bool_]  # shares a given name with a parent or child at home
    resident: NDArray[np.bool_]
    nhs_number: NDArray[np.object_]
    nino: NDArray[np.object_]  # None under 16


@dataclass(frozen=True)
class Addresses:
    """Where each household lives: at the start, at the end (after any move during the period), and before.

    Address ids: a household's start address has the household's id; an address moved into during the period
    gets an id of its own (shard * ID_STRIDE + 9,000,000 + n)."""

    start_postcode: NDArray[np.int64]
    start_number: NDArray[np.int64]
    postcode: NDArray[np.int64]  # at the end of the period
    number: NDArray[np.int64]
    address_id: NDArray[np.int64]  # at the end of the period
    moved_on: NDArray[np.datetime64]  # the day of a move within the area during the period, NaT for none
    previous_postcode: NDArray[np.int64]  # the address before (a move before or during the period), -1 for none
    previous_number: NDArray[np.int64]
    previous_address_id: NDArray[np.int64]  # -1 for none


def _moves(
    plan: Plan,
    shard: int,
    in_area: NDArray[np.bool_],
    postcode: NDArray[np.int64],
    number: NDArray[np.int64],
    previous: NDArray[np.int64],
    household_id: NDArray[np.int64],
) -> Addresses:
    """Moves within the area during the period (own stream, so the rest of the population is unchanged by them).

    A household that moves leaves its start address behind as its previous address, which agencies that were not
    told still hold (the data-quality model's stale addresses); households that moved in before the period left
    another household's current address behind."""
    rng = shard_stream(plan.seed, shard, "moves")
    params = plan.params
    n = len(postcode)
    movers = np.flatnonzero(in_area & (rng.random(n) < params["in_period_move_share"] * plan.days / 365.25))
    shard_postcodes = np.flatnonzero(plan.shard_of_postcode == shard)
    destination = shard_postcodes[rng.integers(0, len(shard_postcodes), len(movers))]
    highest = np.zeros(len(plan.postcodes.postcode), np.int64)
    np.maximum.at(highest, postcode, number)
    # new homes are numbered after the postcode's existing ones, so no two households share an address
    new_number = highest[destination] + 2 * (rank_within(destination) + 1)
    end_postcode, end_number = postcode.copy(), number.copy()
    end_postcode[movers], end_number[movers] = destination, new_number
    address_id = household_id.copy()
    address_id[movers] = shard * ID_STRIDE + 9_000_000 + np.arange(len(movers))
    moved_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    moved_on[movers] = np.datetime64(plan.period_start, "D") + rng.integers(1, plan.days, len(movers)).astype(
        "timedelta64[D]"
    )
    had = previous >= 0
    previous_postcode = np.where(had, postcode[np.maximum(previous, 0)], -1)
    previous_number = np.where(had, number[np.maximum(previous, 0)], -1)
    previous_id = np.where(had, household_id[np.maximum(previous, 0)], -1)
    previous_postcode[movers], previous_number[movers], previous_id[movers] = (
        postcode[movers],
        number[movers],
        household_id[movers],
    )
    return Addresses(
        start_postcode=postcode,
        start_number=number,
        postcode=end_postcode,
        number=end_number,
        address_id=address_id,
        moved_on=moved_on,
        previous_postcode=previous_postcode,
        previous_number=previous_number,
        previous_address_id=previous_id,
    )


@dataclass
class Population:
    shard: int
    people: People
    household_id: NDArray[np.int64]
    household_kind: NDArray[np.int64]
    household_in_area: NDArray[np.bool_]
    household_deprivation: NDArray[np.float64]  # 0 (least) .. 1 (most deprived); drives FSM and later risk
    household_postcode: NDArray[np.int64]  # index into Plan.postcodes: the address at the end of the period
    household_number: NDArray[np.int64]  # house number at the end of the period
    household_moved_out: NDArray[np.datetime64]  # NaT for residents
    household_size: NDArray[np.int64]  # members of each household
    household_head: NDArray[np.int64]  # person row of each household's head, its first member (rows go by household)
    household_partner: NDArray[np.int64]  # person row of the head's partner, -1 for none
    mother: NDArray[np.int64]  # per person: row of the mother at home, -1 for none
    father: NDArray[np.int64]  # per person: row of the father at home, -1 for none
    addresses: Addresses  # start and end addresses, moves during the period, previous addresses
    relationships: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]  # person row, relative row, kind
    spare_nhs_numbers: NDArray[np.object_]  # unused numbers of this shard's part, for duplicate registrations
    forenames: tuple[str, ...]
    surnames: tuple[str, ...]


def _members(households: Households) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Household row and position (0 = head) of every member."""
    sizes = households.size
    owner = np.repeat(np.arange(len(sizes)), sizes)
    start = np.cumsum(sizes) - sizes
    return owner, np.arange(int(sizes.sum())) - start[owner]


def _parent_at_home(
    n: int, relationships: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]], kind: str
) -> NDArray[np.int64]:
    """Each person's mother (or father) at home as a row, -1 for none: for errors that copy a parent's details."""
    person, relative, kinds = relationships
    result = np.full(n, -1)
    chosen = kinds == RELATIONSHIPS.index(kind)
    result[person[chosen]] = relative[chosen]
    return result


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


def build_population(plan: Plan, shard: int) -> Population:
    """The residents of one shard, plus former residents whose GP registrations remain (list inflation)."""
    params = plan.params
    rng = shard_stream(plan.seed, shard, "population")
    residents = plan.shard_people[shard]
    formers = round(residents * params["former_resident_share"])
    hh_res = draw_households(rng, plan.params, residents)
    hh_old = draw_households(rng, plan.params, formers)
    hh = Households(
        *(
            np.concatenate([getattr(hh_res, f), getattr(hh_old, f)])
            for f in ("kind", "has_partner", "children", "extras")
        )
    )
    in_area = np.r_[np.ones(len(hh_res.kind), bool), np.zeros(len(hh_old.kind), bool)]
    n_hh = len(hh.kind)
    owner, position = _members(hh)
    n = len(owner)
    partner_slot = hh.has_partner[owner] & (position == 1)
    first_child = 1 + hh.has_partner.astype(np.int64)
    is_child = (position >= first_child[owner]) & (position < (first_child + hh.children)[owner])
    is_extra = position >= (first_child + hh.children)[owner]
    is_head = position == 0
    with_children = hh.children > 0
    kind = hh.kind[owner]
    role = np.full(n, ROLE["single"])
    role[partner_slot | (is_head & hh.has_partner[owner])] = ROLE["partner"]
    role[(is_head | partner_slot) & with_children[owner]] = ROLE["parent"]
    role[is_child] = ROLE["child"]
    role[is_extra & (kind == T["other_with_dependent_children"])] = ROLE["grandparent"]
    sharer = kind == T["other_no_dependent_children"]
    role[sharer] = ROLE["sharer"]
    head_row = np.cumsum(hh.size) - hh.size  # member row of each household's head
    partner_row = np.where(hh.has_partner, head_row + 1, -1)

    # --- children's ages: sibling gaps (twins have none), youngest placed so the eldest is under 18 ---
    kid = np.flatnonzero(is_child)
    kid_hh = owner[kid]
    kid_pos = position[kid] - first_child[kid_hh]
    twin_next = rng.random(len(kid)) < params["twin_interval_share"]
    gap = np.where(
        kid_pos == 0,
        0.0,
        np.where(
            twin_next,
            0.0,
            params["sibling_gap_years_min"]
            + rng.gamma(params["sibling_gap_years_shape"], params["sibling_gap_years_scale"], len(kid)),
        ),
    )
    span: NDArray[np.float64] = np.bincount(kid_hh, weights=gap, minlength=n_hh).astype(np.float64)
    limit = np.where(hh.dependent, 17.5, 20.0)
    squeeze = np.minimum(1.0, limit / np.maximum(span, 1e-9))
    gap = gap * squeeze[kid_hh]
    span = span * squeeze
    since_eldest = _groupwise_cumsum(gap, kid_hh)
    grown = rng.gamma(2.0, 3.5, n_hh)
    grown = np.where(grown > 30.0, rng.random(n_hh) * 30.0, grown)  # redrawn, not clamped onto one age
    youngest = 18.0 + grown  # grown-up children still at home
    dependent_hh = hh.dependent & with_children
    youngest[dependent_hh] = _place_youngest(
        rng, span[kid_hh] - since_eldest, kid_hh, dependent_hh, span, reference.age_pyramid().shares[:18] * n
    )
    eldest_age = youngest + span
    age = np.full(n, np.nan)
    age[kid] = youngest[kid_hh] + span[kid_hh] - since_eldest
    twin = np.zeros(n, bool)
    # a child born on the same day as the one before in its household, and that one: twins
    same_as_previous = np.zeros(len(kid), bool)
    same_as_previous[1:] = (gap[1:] == 0) & (kid_hh[1:] == kid_hh[:-1])
    twin[kid[same_as_previous]] = True
    twin[kid[:-1][same_as_previous[1:]]] = True

    # --- parents: the first parent's age at the eldest's birth; partners a few years apart ---
    at_first_birth = np.clip(
        rng.normal(params["mother_age_first_birth_mean"], params["mother_age_first_birth_sd"], n_hh),
        16.0,
        np.maximum(16.0, 46.0 - span),
    )
    parent_hh = with_children
    age[head_row[parent_hh]] = eldest_age[parent_hh] + at_first_birth[parent_hh]
    couple_parents = parent_hh & hh.has_partner
    gap_years = rng.normal(params["father_age_gap_mean"], params["father_age_gap_sd"], n_hh)
    age[partner_row[couple_parents]] = np.maximum(
        age[head_row[couple_parents]] + gap_years[couple_parents], eldest_age[couple_parents] + 17.0
    )
    grandparent = np.flatnonzero(role == ROLE["grandparent"])
    age[grandparent] = age[head_row[owner[grandparent]]] + rng.normal(28.0, 5.0, len(grandparent))

    # --- everyone else: what the age pyramid still lacks ---
    pyramid = reference.age_pyramid()
    placed = np.bincount(np.clip(age[~np.isnan(age)].astype(np.int64), 0, 99), minlength=100)
    lacking = np.clip(pyramid.shares * n - placed, 0.0, None)
    free_heads = is_head & ~with_children[owner] & ~sharer
    coupled = hh.has_partner[owner]
    older = np.isin(kind, [T["one_person_66_plus"], T["couple_66_plus"]])
    # most constrained first; each group takes its ages out of what is still lacking (a partner counts twice)
    for mask, lo, hi in (
        (free_heads & older, 66, 99),
        (free_heads & ~older & ~coupled, 18, 65),
        (sharer, 18, 64),
        (free_heads & ~older & coupled, 18, 90),
    ):
        where = np.flatnonzero(mask)
        age[where] = _draw_ages(rng, lacking, lo, hi, len(where))
        taken = np.bincount(age[where].astype(np.int64), weights=1.0 + coupled[where], minlength=100)
        lacking = np.clip(lacking - taken, 0.0, None)
    free_partners = np.flatnonzero(partner_slot & ~with_children[owner])
    age[free_partners] = age[head_row[owner[free_partners]]]  # refined below, once sexes are known

    age = _within(rng, age, 0.0, 99.0)
    # sex: parents by family type, children 105:100; everyone else makes up what the pyramid still lacks, age by
    # age (as with ages), so that lone mothers and step-families do not tilt the whole population
    lone_father = ~hh.has_partner & with_children & (rng.random(n_hh) >= params["lone_parent_mother_share"])
    step = with_children & hh.has_partner & hh.dependent & (rng.random(n_hh) < params["stepfamily_share"])
    fathers_children = step & (rng.random(n_hh) >= params["stepfamily_mother_children_share"])
    head_female = np.where(hh.has_partner, ~fathers_children, ~lone_father)
    female = np.zeros(n, bool)
    fixed = np.zeros(n, bool)
    female[head_row[with_children]] = head_female[with_children]
    female[partner_row[couple_parents]] = ~head_female[couple_parents]
    female[kid] = rng.random(len(kid)) >= 0.512
    twins_follow = kid[same_as_previous]
    keep_sex = rng.random(len(twins_follow)) < 2 / 3
    female[twins_follow[keep_sex]] = female[twins_follow[keep_sex] - 1]
    fixed[head_row[with_children]] = True
    fixed[partner_row[couple_parents]] = True
    fixed[kid] = True
    couples_no_children = hh.has_partner & ~with_children
    couple_heads = head_row[couples_no_children]
    years = np.minimum(age.astype(np.int64), 99)
    singles = ~fixed & ~partner_slot
    singles[couple_heads] = False
    wanted_female = pyramid.shares * n * pyramid.female_share
    placed_female = np.bincount(years[fixed], weights=female[fixed].astype(float), minlength=100)
    couples_female = np.bincount(years[couple_heads], minlength=100)  # two people, one woman on average
    single_count = np.bincount(years[singles], minlength=100)
    share = np.clip((wanted_female - placed_female - couples_female) / np.maximum(single_count, 1), 0.02, 0.98)
    female[singles] = rng.random(int(singles.sum())) < share[years[singles]]
    female[couple_heads] = rng.random(len(couple_heads)) < 0.5
    same_sex = couples_no_children & (rng.random(n_hh) < params["same_sex_couple_share"])
    female[partner_row[couples_no_children]] = np.where(
        same_sex[couples_no_children],
        female[head_row[couples_no_children]],
        ~female[head_row[couples_no_children]],
    )
    # a man is typically a few years older than his female partner
    partners = partner_row[couples_no_children]
    sign = np.where(female[couple_heads] == female[partners], 0.0, np.where(female[couple_heads], 1.0, -1.0))
    offset = sign * params["father_age_gap_mean"] + rng.normal(0.0, params["partner_age_gap_sd"], len(partners))
    floor = np.where(np.isin(hh.kind[couples_no_children], [T["couple_66_plus"]]), 66.0, 18.0)
    age[partners] = _within(rng, age[couple_heads] + offset, floor, 99.0)
    age = _within(rng, age, 0.0, 99.0)

    # --- dates of birth and whole-year ages at the start of the period ---
    start = np.datetime64(plan.period_start, "D")
    dob = start - np.floor(age * 365.2425).astype("timedelta64[D]") - np.timedelta64(1, "D")
    whole_age = age_on(dob, plan.period_start)

    # --- ethnicity: households share one; couples sometimes differ; children of mixed parentage are Mixed ---
    eth = reference.ethnicities()
    groups = np.array(eth.groups)
    adult_shares = eth.shares * np.where(groups == "Mixed", params["adult_mixed_share_factor"], 1.0)
    adult_shares = adult_shares / adult_shares.sum()
    household_eth = rng.choice(len(eth.codes), size=n_hh, p=adult_shares)
    ethnicity = household_eth[owner]
    other = rng.choice(len(eth.codes), size=n, p=adult_shares)
    inter = partner_slot & (rng.random(n) < params["inter_ethnic_couple_share"])
    ethnicity[inter] = other[inter]
    ethnicity[sharer] = other[sharer]
    mixed = mixed_ethnicity_table()
    mother_row = np.where(female[head_row], head_row, np.where(hh.has_partner, partner_row, head_row))
    father_row = np.where(female[head_row], partner_row, head_row)
    absent_father = rng.choice(len(eth.codes), size=n_hh, p=adult_shares)
    absent = np.where(rng.random(n_hh) < params["lone_mother_mixed_child_share"], absent_father, household_eth)
    kid_mother = ethnicity[mother_row[kid_hh]]
    kid_father = np.where(
        hh.has_partner[kid_hh] & ~step[kid_hh], ethnicity[np.maximum(father_row[kid_hh], 0)], absent[kid_hh]
    )
    ethnicity[kid] = mixed[kid_mother, kid_father]

    # --- names: forenames by tradition, sex and birth decade; surnames follow the family ---
    forenames, given, middle_1, middle_2 = draw_forenames(rng, plan.params, ethnicity, female, dob)
    surnames_vocab, surname_codes, surname_weights = _surname_vocab()
    birth = _surnames_like(rng, ethnicity, surname_codes, surname_weights)
    surname_1 = birth.copy()
    surname_2 = np.full(n, -1)
    married = hh.has_partner & (rng.random(n_hh) < _married_share(plan.params, age[head_row]))
    wife = np.where(female[head_row], head_row, partner_row)
    husband = np.where(female[head_row], partner_row, head_row)
    opposite = married & ~same_sex
    u = rng.random(n_hh)
    takes = opposite & (u < params["wife_takes_surname"])
    double = opposite & (u >= 1 - params["double_barrel_on_marriage"]) & (birth[husband] != birth[wife])
    surname_1[wife[takes]] = birth[husband[takes]]
    for row in (wife[double], husband[double]):
        surname_1[row] = birth[husband[double]]
        surname_2[row] = birth[wife[double]]
    surname_1[grandparent] = birth[head_row[owner[grandparent]]]

    # children: the joint children of a couple, a lone parent's, and a step-family's earlier children
    n_earlier = np.where(step, 1 + (rng.random(n_hh) * hh.children).astype(np.int64), 0)
    earlier = kid_pos < n_earlier[kid_hh]
    rule = rng.random(n_hh)
    kid_s1 = np.empty(len(kid), np.int64)
    kid_s2 = np.full(len(kid), -1)
    mother_k, father_k = mother_row[kid_hh], father_row[kid_hh]
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
    fathers_own = alone & ((~hh.has_partner[kid_hh] & ~female[head_row[kid_hh]]) | fathers_children[kid_hh])
    kid_s1[fathers_own] = surname_1[head_row[kid_hh[fathers_own]]]
    kid_s2[fathers_own] = surname_2[head_row[kid_hh[fathers_own]]]
    mothers_own = alone & ~fathers_own
    absent_surname = _surnames_like(rng, ethnicity[head_row], surname_codes, surname_weights)
    own = r < params["lone_mother_child_own_surname"]
    both = r >= 1 - params["lone_mother_child_double_barrel"]
    mother_name = np.where(hh.has_partner[kid_hh], birth[mother_k], surname_1[mother_k])
    both &= absent_surname[kid_hh] != mother_name
    kid_s1[mothers_own] = np.where(own[mothers_own], mother_name[mothers_own], absent_surname[kid_hh[mothers_own]])
    kid_s2[mothers_own & both] = mother_name[mothers_own & both]
    kid_s1[mothers_own & both] = absent_surname[kid_hh[mothers_own & both]]
    surname_1[kid] = kid_s1
    surname_2[kid] = kid_s2
    birth_2 = np.full(n, -1)
    birth[kid] = kid_s1  # a child's birth surname is the one it carries (no marriage yet)
    birth_2[kid] = kid_s2
    preferred_1 = np.full(n, -1)
    preferred_2 = np.full(n, -1)
    known_by_step = earlier & (rng.random(len(kid)) < 0.3) & (kid_s1 != surname_1[head_row[kid_hh]])
    step_parent_row = np.where(fathers_children[kid_hh], mother_k, np.maximum(father_k, 0))
    preferred_1[kid[known_by_step]] = surname_1[step_parent_row[known_by_step]]
    preferred_2[kid[known_by_step]] = surname_2[step_parent_row[known_by_step]]

    # a son named after his father (and now and then a daughter after her mother): a hard negative for linkers
    parent_at_home = np.where(earlier & ~fathers_children[kid_hh], -1, father_row[kid_hh])
    junior = (parent_at_home >= 0) & ~female[kid] & (rng.random(len(kid)) < params["son_named_after_father_share"])
    mother_at_home = np.where(earlier & fathers_children[kid_hh], -1, mother_row[kid_hh])
    junior_f = (
        (mother_at_home >= 0) & female[kid] & (rng.random(len(kid)) < params["daughter_named_after_mother_share"])
    )
    junior_f &= female[np.maximum(mother_at_home, 0)]
    namesake = np.where(junior, parent_at_home, np.where(junior_f, mother_at_home, -1))
    named = namesake >= 0
    given[kid[named]] = given[namesake[named]]
    same_name_relative = np.zeros(n, bool)
    same_name_relative[kid[named]] = True
    same_name_relative[namesake[named]] = True

    surname_1, surname_2, birth, birth_2 = _sexed_surnames(
        rng, surnames_vocab, female, ethnicity, whole_age, surname_1, surname_2, birth, birth_2
    )

    # --- relationships ---
    rel = _relationships(
        kid,
        kid_hh,
        earlier,
        hh,
        head_row,
        partner_row,
        mother_row,
        father_row,
        fathers_children,
        step,
        owner,
        grandparent,
        female,
    )

    # --- addresses: each household a house number in one of this shard's postcodes ---
    shard_postcodes = np.flatnonzero(plan.shard_of_postcode == shard)
    postcode = shard_postcodes[rng.integers(0, len(shard_postcodes), n_hh)]
    number = 1 + 2 * rank_within(postcode, rng.random(n_hh)) + (postcode % 2)
    # households that moved in recently left an old address behind, which some agencies still hold; the old
    # address is another household's current one, as it is in life
    recent = in_area & (rng.random(n_hh) < params["recent_mover_share"])
    previous = np.full(n_hh, -1)
    previous[recent] = (np.flatnonzero(recent) + rng.integers(1, max(n_hh, 2), int(recent.sum()))) % n_hh
    moved = np.full(n_hh, np.datetime64("NaT"), dtype="datetime64[D]")
    moved[~in_area] = start - rng.integers(30, 6 * 365, int((~in_area).sum())).astype("timedelta64[D]")
    addresses = _moves(plan, shard, in_area, postcode, number, previous, shard * ID_STRIDE + np.arange(n_hh))

    deprivation = np.clip(
        rng.beta(2.0, 3.0, n_hh)
        + 0.15 * (hh.kind == T["lone_parent_dependent_children"])
        + 0.03 * np.maximum(hh.children - 2, 0),
        0.0,
        1.0,
    )

    # --- identifiers ---
    spare = int(n * params["spare_nhs_number_share"]) + 16  # for duplicate registrations made by agencies
    numbers = identifiers.allocate_nhs_numbers(rng, n + spare, identifiers.segment(*plan.nhs_bases, shard, plan.shards))
    nhs, spare_nhs = numbers[:n], numbers[n:]
    nino = np.full(n, None, dtype=object)
    adult = whole_age >= 16
    nino[adult] = identifiers.allocate_ninos(rng, int(adult.sum()), shard, plan.shards)

    people = People(
        person_id=shard * ID_STRIDE + np.arange(n, dtype=np.int64),
        household=owner,
        role=role,
        female=female,
        date_of_birth=dob,
        age=whole_age,
        ethnicity=ethnicity,
        given_name=given,
        middle_1=middle_1,
        middle_2=middle_2,
        surname_1=surname_1,
        surname_2=surname_2,
        birth_surname=birth,
        birth_surname_2=birth_2,
        preferred_surname_1=preferred_1,
        preferred_surname_2=preferred_2,
        twin=twin,
        same_name_relative=same_name_relative,
        resident=in_area[owner],
        nhs_number=np.asarray(nhs, dtype=object),
        nino=nino,
    )
    return Population(
        shard=shard,
        people=people,
        household_id=shard * ID_STRIDE + np.arange(n_hh, dtype=np.int64),
        household_kind=hh.kind,
        household_in_area=in_area,
        household_deprivation=deprivation,
        household_postcode=addresses.postcode,
        household_number=addresses.number,
        household_moved_out=moved,
        household_size=hh.size,
        household_head=head_row,
        household_partner=partner_row,
        mother=_parent_at_home(n, rel, "mother"),
        father=_parent_at_home(n, rel, "father"),
        addresses=addresses,
        relationships=rel,
        spare_nhs_numbers=np.asarray(spare_nhs, dtype=object),
        forenames=forenames,
        surnames=surnames_vocab,
    )


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
        family_score = np.zeros((len(batch_sorted), len(grid)))
        np.add.at(family_score, family, score)
        family_fits = np.ones((len(batch_sorted), len(grid)), bool)
        np.logical_and.at(family_fits, family, fits)
        weight = np.where(family_fits, np.maximum(family_score, 1e-6), 0.0)
        weight[~family_fits.any(axis=1), 0] = 1.0
        step = categorical(rng, weight)
        placed = np.clip(grid[step] + rng.uniform(-0.125, 0.125, len(step)), 0.0, None)
        result[batch_sorted] = placed
        kid_ages = placed[family] + offset[kids]
        lacking = np.clip(lacking - np.bincount(np.minimum(kid_ages, 17.99).astype(np.int64), minlength=18), 0.0, None)
    return result[households]


def _married_share(params: Parameters, age: NDArray[np.float64]) -> NDArray[np.float64]:
    bands = [(30, "married_share_under_30"), (45, "married_share_30_44"), (65, "married_share_45_64")]
    share = np.full(len(age), params["married_share_65_plus"])
    for upper, name in reversed(bands):
        share = np.where(age < upper, params[name], share)
    return share


def _name_groups(rng: np.random.Generator, ethnicity: NDArray[np.int64]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = categorical(rng, reference.name_group_matrix()[ethnicity])
    return result


def draw_forenames(
    rng: np.random.Generator,
    params: Parameters,
    ethnicity: NDArray[np.int64],
    female: NDArray[np.bool_],
    dob: NDArray[np.datetime64],
) -> tuple[tuple[str, ...], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Given and middle names: one draw per person from the pool of their tradition, sex and birth decade."""
    group_ids = reference.name_group_ids()
    vocab = tuple(sorted({name for pool in reference.forename_pools().values() for name in pool.names}))
    index = {name: i for i, name in enumerate(vocab)}
    group = _name_groups(rng, ethnicity)
    decade = np.clip((dob.astype("datetime64[Y]").astype(np.int64) + 1970) // 10 * 10, 1920, 2020)
    key = (group * 2 + female) * 3000 + decade
    draws = [np.empty(len(key), np.int64) for _ in range(3)]
    for k in np.unique(key):
        where = np.flatnonzero(key == k)
        g, sex, d = int(k // 3000 // 2), "F" if (k // 3000) % 2 else "M", int(k % 3000)
        pool = reference.forename_pool(group_ids[g], sex, d)
        codes = np.array([index[name] for name in pool.names])
        for draw in draws:
            draw[where] = codes[rng.choice(len(codes), size=len(where), p=pool.weights)]
    u = rng.random(len(key))
    middle_1 = np.where(u < params["middle_name_share"], draws[1], -1)
    middle_2 = np.where(u < params["two_middle_names_share"], draws[2], -1)
    middle_1 = np.where(middle_1 == draws[0], -1, middle_1)
    middle_2 = np.where((middle_2 == draws[0]) | (middle_2 == middle_1) | (middle_1 < 0), -1, middle_2)
    return vocab, draws[0], middle_1, middle_2


def _feminine(name: str) -> str:
    for form in reference.surname_forms():
        if form.rule == "female_suffix" and name.endswith(form.match):
            return name[: -len(form.match)] + form.replacement
    return name


def _surname_vocab() -> tuple[tuple[str, ...], dict[str, NDArray[np.int64]], dict[str, NDArray[np.float64]]]:
    pools = reference.surname_pools()
    base = {name for pool in pools.values() for name in pool.names}
    extra = {f.replacement for f in reference.surname_forms()} | {_feminine(name) for name in base}
    vocab = tuple(sorted(base | extra))
    index = {name: i for i, name in enumerate(vocab)}
    codes = {g: np.array([index[name] for name in pool.names]) for g, pool in pools.items()}
    return vocab, codes, {g: pool.weights for g, pool in pools.items()}


def _surnames_like(
    rng: np.random.Generator,
    ethnicity: NDArray[np.int64],
    codes: dict[str, NDArray[np.int64]],
    weights: dict[str, NDArray[np.float64]],
) -> NDArray[np.int64]:
    """A surname for each person from the pool of a naming tradition drawn for their ethnicity."""
    group_ids = reference.name_group_ids()
    group = _name_groups(rng, ethnicity)
    result = np.empty(len(ethnicity), np.int64)
    for g in np.unique(group):
        where = np.flatnonzero(group == g)
        name = group_ids[int(g)]
        result[where] = codes[name][rng.choice(len(codes[name]), size=len(where), p=weights[name])]
    return result


def _sexed_surnames(
    rng: np.random.Generator,
    vocab: tuple[str, ...],
    female: NDArray[np.bool_],
    ethnicity: NDArray[np.int64],
    age: NDArray[np.int64],
    *names: NDArray[np.int64],
) -> tuple[NDArray[np.int64], ...]:
    """Apply the surname forms that depend on sex (reference/data/surname_forms.csv) to women and girls.

    These make a mother's surname differ from her husband's and children's for reasons a linker must know:
    Kowalska beside Kowalski, Kaur beside Singh, Begum beside Miah.
    """
    index = {name: i for i, name in enumerate(vocab)}
    feminine = np.array([index[_feminine(name)] for name in vocab])
    codes = reference.ethnicities().codes
    result = [column.copy() for column in names]
    u = rng.random(len(female))
    for column in result:
        valid = female & (column >= 0)
        column[valid] = feminine[column[valid]]
    for form in reference.surname_forms():
        chosen = female & (u < form.share) & (age >= form.min_age)
        if form.rule == "title":
            chosen &= ethnicity == codes.index(form.ethnicity)
            for first, second in ((result[0], result[1]), (result[2], result[3])):
                first[chosen] = index[form.replacement]
                second[chosen] = -1
        elif form.rule == "female_form":
            for column in result:
                column[chosen & (column == index[form.match])] = index[form.replacement]
    return tuple(result)


def pairs_within(members: NDArray[np.int64], group: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every ordered pair (a, b), a != b, of members sharing a group (members sorted by group)."""
    counts = np.bincount(np.searchsorted(np.unique(group), group))
    start = np.repeat(np.cumsum(counts) - counts, counts)
    size = np.repeat(counts, counts)
    a = np.repeat(np.arange(len(members)), size)
    b = np.repeat(start, size) + (np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size))
    keep = a != b
    return a[keep], b[keep]


def _relationships(
    kid: NDArray[np.int64],
    kid_hh: NDArray[np.int64],
    earlier: NDArray[np.bool_],
    hh: Households,
    head_row: NDArray[np.int64],
    partner_row: NDArray[np.int64],
    mother_row: NDArray[np.int64],
    father_row: NDArray[np.int64],
    fathers_children: NDArray[np.bool_],
    step: NDArray[np.bool_],
    owner: NDArray[np.int64],
    grandparent: NDArray[np.int64],
    female: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Directed rows (person, relative, kind): 'relative is the person's <kind>'."""
    R = {name: index for index, name in enumerate(RELATIONSHIPS)}
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
    add(kid[has_mother], mother_row[kid_hh[has_mother]], R["mother"])
    add(kid[has_father], father_row[kid_hh[has_father]], R["father"])
    step_kid = earlier
    step_parent = np.where(fathers_children[kid_hh], mother_row[kid_hh], father_row[kid_hh])
    add(kid[step_kid], step_parent[step_kid], R["step_parent"])
    a, b = pairs_within(kid, kid_hh)
    half = earlier[a] != earlier[b]
    add(kid[a], kid[b], np.where(half, R["half_sibling"], R["sibling"]))
    grandchildren_of = owner[grandparent]
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
