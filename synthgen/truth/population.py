"""The population as it really is: people, households, addresses, moves, relationships, risks, and the pairs of
different people a linker can take for one."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import reference
from synthgen.kernel import strings
from synthgen.linkage import view as linkage_view
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.households import TYPES
from synthgen.world.population import RELATIONSHIPS, ROLES, Population
from synthgen.world.simulate import Simulation


def _labels(labels: tuple[str, ...], index: np.ndarray) -> pa.Array:
    return strings.labelled(labels, index)


def people_table(pop: Population, upn: pa.Array, died: np.ndarray) -> pa.Table:
    p = pop.people
    forenames = pa.array(pop.forenames, pa.string())
    surnames = pa.array(pop.surnames, pa.string())
    eth = reference.ethnicities()
    preferred = strings.surnames(surnames, p.preferred_surname_1, p.preferred_surname_2)
    return pa.table(
        {
            "person_id": pa.array(p.person_id),
            "household_id": pa.array(pop.household_id[p.household]),
            "household_role": _labels(ROLES, p.role),
            "sex": pc.if_else(pa.array(p.female), strings.text("F"), strings.text("M")),
            "date_of_birth": pa.array(p.date_of_birth, pa.date32()),
            "age_at_start": pa.array(p.age, pa.int16()),
            "ethnicity": _labels(eth.codes, p.ethnicity),
            "ethnic_group": _labels(eth.groups, p.ethnicity),
            "given_name": strings.names(forenames, p.given_name),
            "middle_names": strings.middle_names(forenames, p.middle_1, p.middle_2),
            "family_name": strings.surnames(surnames, p.surname_1, p.surname_2),
            "birth_family_name": strings.surnames(surnames, p.birth_surname, p.birth_surname_2),
            "preferred_family_name": preferred,
            "twin": pa.array(p.twin),
            "same_name_relative": pa.array(p.same_name_relative),
            "resident": pa.array(p.resident),
            "born_in_period": pa.array(np.zeros(len(p.person_id), bool)),
            "died_on": pa.array(died, pa.date32(), mask=np.isnat(died)),
            "nhs_number": pa.array(p.nhs_number, pa.string()),
            "nino": pa.array(p.nino, pa.string()),
            "upn": upn,
        }
    )


def newborns_table(pop: Population, born: Births) -> pa.Table:
    """The babies born during the period, in truth/people's columns (age at the start: -1, not yet born)."""
    n = len(born)
    forenames = pa.array(pop.forenames, pa.string())
    surnames = pa.array(pop.surnames, pa.string())
    eth = reference.ethnicities()
    family = strings.surnames(surnames, born.surname_1, born.surname_2)
    none = pa.nulls(n, pa.string())
    return pa.table(
        {
            "person_id": pa.array(born.person_id),
            "household_id": pa.array(pop.household_id[born.household]),
            "household_role": strings.repeated("child", n),
            "sex": pc.if_else(pa.array(born.female), strings.text("F"), strings.text("M")),
            "date_of_birth": pa.array(born.date_of_birth, pa.date32()),
            "age_at_start": pa.array(np.full(n, -1), pa.int16()),
            "ethnicity": _labels(eth.codes, born.ethnicity),
            "ethnic_group": _labels(eth.groups, born.ethnicity),
            "given_name": strings.names(forenames, born.given_name),
            "middle_names": strings.middle_names(forenames, born.middle_1, born.middle_2),
            "family_name": family,
            "birth_family_name": family,
            "preferred_family_name": none,
            "twin": pa.array(np.zeros(n, bool)),
            "same_name_relative": pa.array(np.zeros(n, bool)),
            "resident": pa.array(np.ones(n, bool)),
            "born_in_period": pa.array(np.ones(n, bool)),
            "died_on": pa.nulls(n, pa.date32()),
            "nhs_number": pa.array(born.nhs_number, pa.string()),
            "nino": none,
            "upn": none,
        }
    )


def newborn_relationships(pop: Population, born: Births) -> pa.Table:
    """A baby's mother and father at home, and the mother's other children at home as (half-)siblings."""
    ids = pop.people.person_id
    person, relative, kind = pop.relationships
    is_mother = kind == RELATIONSHIPS.index("mother")
    # the mother's children at home: pairs (baby, child) where the child's mother is the baby's mother
    order = np.argsort(relative[is_mother], kind="stable")
    mothers, children = relative[is_mother][order], person[is_mother][order]
    lo = np.searchsorted(mothers, born.mother, side="left")
    hi = np.searchsorted(mothers, born.mother, side="right")
    counts = hi - lo
    baby = np.repeat(np.arange(len(born)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    sibling = children[np.repeat(lo, counts) + within]
    same_father = pop.father[sibling] == born.father[baby]
    sibling_kind = np.where(same_father, "sibling", "half_sibling").astype(object)
    has_father = born.father >= 0
    left = np.r_[born.person_id, born.person_id[has_father], born.person_id[baby], ids[sibling]]
    right = np.r_[ids[born.mother], ids[born.father[has_father]], ids[sibling], born.person_id[baby]]
    kinds = np.r_[
        np.full(len(born), "mother", dtype=object),
        np.full(int(has_father.sum()), "father", dtype=object),
        sibling_kind,
        sibling_kind,
    ]
    return pa.table(
        {"person_id": pa.array(left), "relative_id": pa.array(right), "relationship": pa.array(kinds, pa.string())}
    )


def households_table(pop: Population) -> pa.Table:
    a = pop.addresses
    return pa.table(
        {
            "household_id": pa.array(pop.household_id),
            "household_type": _labels(TYPES, pop.household_kind),
            "size": pa.array(pop.household_size, pa.int16()),
            "address_id": pa.array(a.address_id),  # where the household lives at the end of the period
            "in_area": pa.array(pop.household_in_area),
            "moved_out_on": pa.array(pop.household_moved_out, pa.date32()),
            "moved_on": pa.array(a.moved_on, pa.date32(), mask=np.isnat(a.moved_on)),
            "previous_address_id": pa.array(a.previous_address_id, mask=a.previous_address_id < 0),
            "deprivation": pa.array(np.round(pop.household_deprivation, 4)),
        }
    )


def _address_rows(plan: Plan, ids: np.ndarray, pc_index: np.ndarray, numbers: np.ndarray) -> pa.Table:
    street = strings.taken(plan.streets, pc_index)
    return pa.table(
        {
            "address_id": pa.array(ids),
            "house_number": pa.array(numbers, pa.int32()),
            "street": street,
            "address_line": strings.address_lines(strings.taken(plan.streets, pc_index), numbers),
            "town": strings.taken(plan.towns, pc_index),
            "postcode": strings.taken(plan.postcodes.postcode, pc_index),
            "outward_code": strings.taken(plan.postcodes.outward, pc_index),
            "la_number": pa.array(np.full(len(pc_index), plan.la.number), pa.int16()),
            "easting": pa.array(plan.postcodes.easting[pc_index]),
            "northing": pa.array(plan.postcodes.northing[pc_index]),
        }
    )


def addresses_table(plan: Plan, pop: Population) -> pa.Table:
    """Every address: each household's at the start (id = household id), and those moved into during the period."""
    a = pop.addresses
    movers = ~np.isnat(a.moved_on)
    return pa.concat_tables(
        [
            _address_rows(plan, pop.household_id, a.start_postcode, a.start_number),
            _address_rows(plan, a.address_id[movers], a.postcode[movers], a.number[movers]),
        ]
    )


def moves_table(pop: Population) -> pa.Table:
    """Moves within the area during the period: who moved, when, and from and to which address."""
    a = pop.addresses
    movers = ~np.isnat(a.moved_on)
    return pa.table(
        {
            "household_id": pa.array(pop.household_id[movers]),
            "moved_on": pa.array(a.moved_on[movers], pa.date32()),
            "from_address_id": pa.array(pop.household_id[movers]),
            "to_address_id": pa.array(a.address_id[movers]),
        }
    )


def relationships_table(pop: Population) -> pa.Table:
    person, relative, kind = pop.relationships
    ids = pop.people.person_id
    return pa.table(
        {
            "person_id": pa.array(ids[person]),
            "relative_id": pa.array(ids[relative]),
            "relationship": _labels(RELATIONSHIPS, kind),
        }
    )


def hard_negatives_table(pop: Population) -> pa.Table:
    """Pairs of different people that a linker can easily take for one: twins (same surname, birth date and
    address), a parent and child with the same name, and siblings. Built from the population, not the error model;
    strangers with the same name in the same district are added over the whole run (`namesakes`), as districts
    span shards.
    """
    p = pop.people
    person, relative, kind = pop.relationships
    sibling = np.isin(kind, [RELATIONSHIPS.index("sibling"), RELATIONSHIPS.index("half_sibling")]) & (person < relative)
    left, right = person[sibling], relative[sibling]
    twins = p.twin[left] & p.twin[right] & (p.date_of_birth[left] == p.date_of_birth[right])
    parent_kind = np.isin(kind, [RELATIONSHIPS.index("mother"), RELATIONSHIPS.index("father")])
    namesake = (
        parent_kind
        & (p.given_name[person] == p.given_name[relative])
        & (p.surname_1[person] == p.surname_1[relative])
        & (p.surname_2[person] == p.surname_2[relative])
    )
    labels = np.where(twins, "twins", "siblings")
    left = np.r_[left, np.minimum(person[namesake], relative[namesake])]
    right = np.r_[right, np.maximum(person[namesake], relative[namesake])]
    labels = np.r_[labels, np.full(int(namesake.sum()), "same_name_relatives")]
    return pa.table(
        {
            "person_id_l": pa.array(p.person_id[left]),
            "person_id_r": pa.array(p.person_id[right]),
            "kind": pa.array(labels.astype(object), pa.string()),
        }
    )


def risks_table(pop: Population, sim: Simulation) -> pa.Table:
    """What really put people at risk: household risk factors (for every member) and children's needs, with the
    date a child's need began and the child's risk as a percentile (severity) among the shard's children."""
    p = pop.people
    rows, kinds, onsets = [], [], []
    household_factors = {
        "domestic_abuse": sim.domestic_abuse,
        "parental_mental_health": sim.parental_mental_health,
        "parental_substance_misuse": sim.substance_misuse,
    }
    for kind, mask in household_factors.items():
        members = np.flatnonzero(mask[p.household])
        rows.append(members)
        kinds.append(np.full(len(members), kind, dtype=object))
        onsets.append(np.full(len(members), np.datetime64("NaT"), dtype="datetime64[D]"))
    for kind, mask in sim.needs.items():
        members = np.flatnonzero(mask)
        rows.append(members)
        kinds.append(np.full(len(members), kind, dtype=object))
        onsets.append(sim.onset[members])
    row = np.concatenate(rows)
    children = p.resident & (p.age < 18)
    rank = np.zeros(len(p.person_id))
    order = np.argsort(sim.risk[children], kind="stable")
    rank[np.flatnonzero(children)[order]] = (np.arange(len(order)) + 0.5) / max(len(order), 1)
    onset = np.concatenate(onsets)
    return pa.table(
        {
            "person_id": pa.array(p.person_id[row]),
            "kind": pa.array(np.concatenate(kinds), pa.string()),
            "onset": pa.array(onset, pa.date32(), mask=np.isnat(onset)),
            "severity": pa.array(np.round(rank[row], 4)),
        }
    )


NAMESAKE_GROUP_LIMIT = 20
"""Strangers sharing a full name in one outward code are hard negatives; a name shared by more people than this
in one district (a very common name) is left out rather than listed as every pair of them."""


NAMESAKE_COLUMNS = ["person_id", "household_id", "given_name", "family_name", "outward_code"]


def namesakes(people: pa.Table, homes: pa.Table, districts: pa.Table) -> pa.Table:
    """Strangers (different households) with the same full name in the same postcode district: truth/hard_negatives'
    `same_name_same_area` pairs (people: person_id, household_id, given_name, family_name, resident; homes:
    household_id, address_id; districts: address_id, outward_code)."""
    return namesakes_among(namesake_candidates(people, homes, districts))


def namesake_candidates(people: pa.Table, homes: pa.Table, districts: pa.Table) -> pa.Table:
    """The residents who may have a namesake, with their district (NAMESAKE_COLUMNS). Households never cross
    shards, so each shard finds its own; districts do, so the pairs are found over every shard's candidates in a
    district at once (`namesakes_among`)."""
    # the residents by their mask, not an expression: an expression's filter is an Acero plan over every column
    # (some 6 ms a shard's people once warm, 50 ms the first time in a process; the mask, under 1 ms)
    people = people.select(NAMESAKE_COLUMNS[:-1]).filter(people["resident"])
    # the joins people -> household -> address, as lookups: each household and address id is listed once
    home = pc.index_in(people["household_id"], value_set=homes["household_id"], skip_nulls=True)
    address = pc.index_in(homes["address_id"].take(home), value_set=districts["address_id"], skip_nulls=True)
    known = pc.is_valid(address)
    outward = districts["outward_code"].take(address.filter(known))
    return people.filter(known).append_column("outward_code", outward)


def namesakes_among(candidates: pa.Table) -> pa.Table:
    """The namesake pairs among candidates holding every candidate of their districts (one district, a bucket of
    them or the whole run), sorted by (person_id_l, person_id_r): the same pairs in the same order however the
    districts are grouped."""
    people = candidates.sort_by("person_id")  # a join's row order is not fixed: sort, so the bytes are
    key = pc.binary_join_element_wise(people["given_name"], people["family_name"], people["outward_code"], "|")
    group = pc.dictionary_encode(key.combine_chunks()).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(group)
    members = np.flatnonzero((counts[group] > 1) & (counts[group] <= NAMESAKE_GROUP_LIMIT))
    # rows are in person_id order, so each pair's left person has the smaller id
    left, right = linkage_view.pair_rows(group[members])
    left, right = members[left], members[right]
    household = people["household_id"].to_numpy()
    strangers = household[left] != household[right]
    # (person_id_l, person_id_r) order is (left row, right row) order: one sort of the two rows packed in a word
    packed = np.sort((left[strangers].astype(np.uint64) << np.uint64(32)) | right[strangers].astype(np.uint64))
    person = people["person_id"].to_numpy()
    return pa.table(
        {
            "person_id_l": pa.array(person[(packed >> np.uint64(32)).astype(np.int64)]),
            "person_id_r": pa.array(person[(packed & np.uint64(0xFFFFFFFF)).astype(np.int64)]),
            "kind": pa.repeat(pa.scalar("same_name_same_area", pa.string()), len(packed)),
        }
    )
