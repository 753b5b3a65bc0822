"""The people of one shard: who lives with whom, their ages, sex, ethnicity, names, addresses and identifiers.

This is truth: the population as it really is, before any agency writes anything down. Everything is built as
whole columns over the shard's people; the only Python loops run over small sets of categories (name pools,
household roles), never over people. Each step has its own module, called here in the order of the shard's
"population" stream, since the order of the draws is what makes a seed give the same people:
members (households and roles), ages, sexes, ethnicity, names, relationships, addresses, deprivation,
identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel import identifiers
from synthgen.kernel.dates import age_on
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan, spare_nhs_numbers
from synthgen.world import ages, sexes
from synthgen.world.addresses import Addresses, place_households
from synthgen.world.ethnicity import draw_ethnicity
from synthgen.world.family_names import Names, draw_names
from synthgen.world.households import Households, T
from synthgen.world.members import ROLE, ROLES, Members, assemble
from synthgen.world.relationships import RELATIONSHIPS, Relationships, parent_at_home, relationships

__all__ = [
    "ID_STRIDE",
    "RELATIONSHIPS",
    "ROLE",
    "ROLES",
    "Addresses",
    "People",
    "Population",
    "build_population",
]

ID_STRIDE = 10_000_000
"""Truth ids are shard * ID_STRIDE + position: readable, unique, and never shown to a system under test."""
NEW_ADDRESS_OFFSET = 9_000_000
"""Addresses moved into during the period are numbered from shard * ID_STRIDE + NEW_ADDRESS_OFFSET."""


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
    name_tradition: NDArray[np.int64]  # naming tradition (index into reference.name_traditions().traditions)
    same_name_relative: NDArray[np.bool_]  # shares a given name with a parent or child at home
    resident: NDArray[np.bool_]
    nhs_number: NDArray[np.object_]
    nino: NDArray[np.object_]  # None under 16


@dataclass
class Population:
    """One shard's people and households, as truth: what every later step (events, agencies, truth) reads."""

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
    relationships: Relationships  # person row, relative row, kind
    spare_nhs_numbers: NDArray[np.object_]  # unused numbers of this shard's part, for duplicate registrations
    forenames: tuple[str, ...]
    surnames: tuple[str, ...]


def build_population(plan: Plan, shard: int) -> Population:
    """The residents of one shard, plus former residents whose GP registrations remain (list inflation)."""
    params = plan.params
    rng = shard_stream(plan.seed, shard, "population")
    residents = plan.shard_people[shard]
    area = plan.demography
    m = assemble(rng, params, residents, round(residents * params["former_resident_share"]), area.households)
    age, twins = ages.draw_ages(rng, params, m, area.ages)
    families = sexes.draw_families(rng, params, m)
    female, same_sex = sexes.draw_sexes(rng, params, m, age, families, twins, area.ages)
    age = ages.partner_ages(rng, params, m, age, female)
    start = np.datetime64(plan.period_start, "D")
    dob = start - np.floor(age * 365.2425).astype("timedelta64[D]") - np.timedelta64(1, "D")
    whole_age = age_on(dob, plan.period_start)
    parents = sexes.parents_at_home(m, families, female)
    ethnicity = draw_ethnicity(rng, params, m, parents, area.ethnicity)
    people_of = (parents, female, same_sex, twins)
    names = draw_names(rng, params, m, people_of, age, whole_age, dob, ethnicity, area.arab_share_of_other)
    rel = relationships(m, parents, names.earlier, female)
    household_id = shard * ID_STRIDE + np.arange(m.n_hh, dtype=np.int64)
    addresses, moved_out = place_households(
        rng, params, plan, shard, m.in_area, household_id, shard * ID_STRIDE + NEW_ADDRESS_OFFSET
    )
    deprivation = _deprivation(rng, params, m.households, plan.places.decile[addresses.start_postcode])
    nhs, spare_nhs, nino = _identifiers(rng, params, plan, shard, whole_age)
    people = _people(shard, m, names, female, dob, whole_age, ethnicity, twins.twin, nhs, nino)
    return Population(
        shard=shard,
        people=people,
        household_id=household_id,
        household_kind=m.households.kind,
        household_in_area=m.in_area,
        household_deprivation=deprivation,
        household_postcode=addresses.postcode,
        household_number=addresses.number,
        household_moved_out=moved_out,
        household_size=m.households.size,
        household_head=m.head_row,
        household_partner=m.partner_row,
        mother=parent_at_home(m.n, rel, "mother"),
        father=parent_at_home(m.n, rel, "father"),
        addresses=addresses,
        relationships=rel,
        spare_nhs_numbers=spare_nhs,
        forenames=names.forenames,
        surnames=names.surnames,
    )


def _people(
    shard: int,
    m: Members,
    names: Names,
    female: NDArray[np.bool_],
    dob: NDArray[np.datetime64],
    whole_age: NDArray[np.int64],
    ethnicity: NDArray[np.int64],
    twin: NDArray[np.bool_],
    nhs: NDArray[np.object_],
    nino: NDArray[np.object_],
) -> People:
    """The person columns, gathered from the steps that made them."""
    return People(
        person_id=shard * ID_STRIDE + np.arange(m.n, dtype=np.int64),
        household=m.owner,
        role=m.role,
        female=female,
        date_of_birth=dob,
        age=whole_age,
        ethnicity=ethnicity,
        given_name=names.given,
        middle_1=names.middle_1,
        middle_2=names.middle_2,
        surname_1=names.surname_1,
        surname_2=names.surname_2,
        birth_surname=names.birth_surname,
        birth_surname_2=names.birth_surname_2,
        preferred_surname_1=names.preferred_surname_1,
        preferred_surname_2=names.preferred_surname_2,
        twin=twin,
        name_tradition=names.tradition,
        same_name_relative=names.same_name_relative,
        resident=m.in_area[m.owner],
        nhs_number=nhs,
        nino=nino,
    )


def _deprivation(
    rng: np.random.Generator, params: Parameters, hh: Households, decile: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each household's deprivation, 0 (least) to 1 (most deprived): its neighbourhood's national IMD decile (the
    authority's own spread of deciles, synthgen.scenario.places) beside its own circumstances, higher for lone
    parents and large families; it drives free school meals and, later, the household's adversity."""
    area = (10.5 - decile) / 10  # decile 1 (the most deprived tenth of England) is 0.95
    weight = params["deprivation_area_weight"]
    result: NDArray[np.float64] = np.clip(
        weight * area
        + (1 - weight) * rng.beta(params["deprivation_beta_a"], params["deprivation_beta_b"], len(hh.kind))
        + params["deprivation_lone_parent"] * (hh.kind == T["lone_parent_dependent_children"])
        + params["deprivation_per_extra_child"]
        * np.maximum(hh.children - int(params["deprivation_children_before_extra"]), 0),
        0.0,
        1.0,
    )
    return result


def _identifiers(
    rng: np.random.Generator, params: Parameters, plan: Plan, shard: int, whole_age: NDArray[np.int64]
) -> tuple[NDArray[np.object_], NDArray[np.object_], NDArray[np.object_]]:
    """NHS numbers for everyone (with spares for duplicate registrations made by agencies, and for babies born
    in the period) from the shard's part of the run's range, and NINOs for everyone aged 16 or over."""
    n = len(whole_age)
    spare = spare_nhs_numbers(n, params, plan.days)
    numbers = identifiers.allocate_nhs_numbers(rng, n + spare, identifiers.segment(*plan.nhs_bases, shard, plan.shards))
    nino = np.full(n, None, dtype=object)
    adult = whole_age >= 16
    nino[adult] = identifiers.allocate_ninos(rng, int(adult.sum()), shard, plan.shards)
    return np.asarray(numbers[:n], dtype=object), np.asarray(numbers[n:], dtype=object), nino
