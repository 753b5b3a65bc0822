"""Babies born during the period: new people, with a mother (and a father at home, where there is one).

Births are truth like the population, but they arrive during the year, so they are kept apart from the
population at the start: the agencies that meet a newborn (the GP practice registering the baby, the health
visitor's new-birth visit) make records from here, and the truth lists the babies with their parents.
Mothers are women of the area aged 16-45, chosen with England's spread of mothers' ages; the count is England's
birth rate per head of the shard's residents over the period. A baby is named in its mother's or its father's
tradition, and not as one of the children already at home.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.arrays import weighted_sample
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world import given_names
from synthgen.world.ethnicity import mixed_ethnicity_table
from synthgen.world.population import ID_STRIDE, ROLE, Population


@dataclass(frozen=True)
class Births:
    """One row per baby born in the shard during the period."""

    person_id: NDArray[np.int64]
    household: NDArray[np.int64]  # row in Population.household_*
    mother: NDArray[np.int64]  # person row of the mother
    father: NDArray[np.int64]  # person row of a father at home, or -1
    date_of_birth: NDArray[np.datetime64]
    female: NDArray[np.bool_]
    ethnicity: NDArray[np.int64]
    given_name: NDArray[np.int64]
    middle_1: NDArray[np.int64]
    middle_2: NDArray[np.int64]
    surname_1: NDArray[np.int64]
    surname_2: NDArray[np.int64]
    nhs_number: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.person_id)


def births(plan: Plan, pop: Population) -> tuple[Births, NDArray[np.object_]]:
    """The babies born in one shard during the period, and the shard's NHS numbers still unused after them."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "births")
    p = pop.people
    residents = int(p.resident.sum())
    count = round(params["birth_rate"] * residents * plan.days / 365.25)
    adult_roles = np.isin(p.role, [ROLE["parent"], ROLE["partner"], ROLE["single"], ROLE["child"], ROLE["sharer"]])
    weight = np.zeros(len(p.person_id))
    # births by mother's age band, each share labelled by its band (mother_age_share.16_19)
    for label, share in params.series("mother_age_share").items():
        lo, hi = (int(age) for age in label.split("_"))
        band = p.resident & p.female & adult_roles & (p.age >= lo) & (p.age <= hi)
        weight[band] = share / max(int(band.sum()), 1)
    mother = np.sort(weighted_sample(rng, weight, count))
    count = len(mother)
    household = p.household[mother]
    # the father at home: the mother's partner (the head's partner, or the head), where he is a man
    head, partner = pop.household_head[household], pop.household_partner[household]
    father = np.where(mother == head, partner, np.where(mother == partner, head, -1))
    father = np.where((father >= 0) & ~p.female[np.maximum(father, 0)], father, -1)
    has_father = father >= 0
    dob = np.datetime64(plan.period_start, "D") + rng.integers(0, plan.days, count).astype("timedelta64[D]")
    female = rng.random(count) >= params["male_birth_share"]
    ethnicity = p.ethnicity[mother].copy()
    mixed = mixed_ethnicity_table()
    ethnicity[has_father] = mixed[p.ethnicity[mother[has_father]], p.ethnicity[father[has_father]]]
    tradition = given_names.child_traditions(rng, (mother, father), p.name_tradition, p.name_tradition[mother])
    _, given, middle_1, middle_2 = given_names.draw_forenames(rng, plan.params, tradition, female, dob)
    _not_a_siblings_name(rng, pop, household, given, given_names.pool_keys(tradition, female, dob))
    # a baby with its father at home takes his surname; otherwise its mother's
    surname_1 = np.where(has_father, p.surname_1[np.maximum(father, 0)], p.surname_1[mother])
    surname_2 = np.where(has_father, p.surname_2[np.maximum(father, 0)], p.surname_2[mother])
    spare = pop.spare_nhs_numbers
    nhs = spare[:count]
    start_id = pop.shard * ID_STRIDE + len(p.person_id)
    born = Births(
        person_id=start_id + np.arange(count, dtype=np.int64),
        household=household,
        mother=mother,
        father=father,
        date_of_birth=dob,
        female=female,
        ethnicity=ethnicity,
        given_name=given,
        middle_1=middle_1,
        middle_2=middle_2,
        surname_1=surname_1,
        surname_2=surname_2,
        nhs_number=np.asarray(nhs, dtype=object),
    )
    return born, spare[count:]


def _not_a_siblings_name(
    rng: np.random.Generator,
    pop: Population,
    household: NDArray[np.int64],
    given: NDArray[np.int64],
    keys: NDArray[np.int64],
) -> None:
    """Draw again, in place, the name of a baby that a child at home (or a baby born before it) already has."""
    p = pop.people
    children = np.flatnonzero(p.role == ROLE["child"])
    span = len(given_names.forename_vocabulary())
    taken = p.household[children] * span + p.given_name[children]
    for attempt in range(4 * given_names.ROUNDS):
        key = household * span + given
        order = np.lexsort((np.arange(len(key)), key))
        again = np.zeros(len(key), bool)
        again[order[1:]] = key[order][1:] == key[order][:-1]  # a twin, or two babies of one household
        again |= np.isin(key, taken)
        if not again.any():
            return
        rows = np.flatnonzero(again)
        given[rows] = given_names.draw_one(rng, keys[rows], whole_group=attempt >= given_names.ROUNDS)
