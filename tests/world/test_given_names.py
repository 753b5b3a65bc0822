"""Families read true: siblings at home never share a given name, a family's names follow its parents' one or two
traditions, and twins are often named alike but never the same (Birmingham: many traditions side by side)."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen import load_scenario, make_plan, reference
from synthgen.scenario.plan import Plan
from synthgen.world.given_names import forename_vocabulary
from synthgen.world.population import RELATIONSHIPS, ROLE, Population, build_population

PEOPLE = 60_000


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(
        f"scenario_version: 1\nname: names\nseed: 5\npopulation: {{people: {PEOPLE}}}\n"
        "area: {la_number: 330, la_name: Birmingham, outward_codes: [B1, B5, B10, B11, B12, B13, B14]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
    )
    return make_plan(load_scenario(path))


@pytest.fixture(scope="module")
def populations(plan: Plan) -> list[Population]:
    return [build_population(plan, shard) for shard in range(plan.shards)]


def _pairs(pop: Population, *kinds: str) -> tuple[np.ndarray, np.ndarray]:
    person, relative, kind = pop.relationships
    chosen = np.isin(kind, [RELATIONSHIPS.index(k) for k in kinds]) & (person < relative)
    return person[chosen], relative[chosen]


def test_no_two_siblings_at_home_share_a_given_name(populations: list[Population]) -> None:
    pairs = 0
    for pop in populations:
        a, b = _pairs(pop, "sibling", "half_sibling")
        pairs += len(a)
        assert not np.any(pop.people.given_name[a] == pop.people.given_name[b])
    assert pairs > 10_000


def test_twins_are_never_the_same_and_often_alike(populations: list[Population]) -> None:
    vocab = np.asarray(forename_vocabulary())
    alike, twins = 0, 0
    for pop in populations:
        a, b = _pairs(pop, "sibling")
        p = pop.people
        pair = p.date_of_birth[a] == p.date_of_birth[b]
        first, second = p.given_name[a[pair]], p.given_name[b[pair]]
        assert not np.any(first == second)
        initial = np.char.ljust(vocab, 1).astype("U1")
        alike += int(np.sum(initial[first] == initial[second]))
        twins += int(pair.sum())
    assert twins > 300
    # twin_names_alike_share (0.3) of pairs, less those whose pool had no fitting name, plus chance likeness
    assert 0.15 < alike / twins < 0.45


def test_a_familys_given_names_follow_its_parents_traditions(populations: list[Population]) -> None:
    """A child's tradition is its mother's or its father's (the absent one's, for a lone parent's child), so a
    family holds one or two; its given name is of that tradition (Jakub is Polish, Popescu Romanian: no Jakub
    Popescu)."""
    known = reference.name_traditions()
    vocab = forename_vocabulary()
    at_home = of_their_tradition = count = 0
    traditions_per_family: list[int] = []
    for pop in populations:
        p = pop.people
        children = np.flatnonzero((p.role == ROLE["child"]) & (p.age < 18))
        mother, father = pop.mother[children], pop.father[children]
        own = p.name_tradition[children]
        parents = (own == p.name_tradition[np.maximum(mother, 0)]) & (mother >= 0)
        parents |= (own == p.name_tradition[np.maximum(father, 0)]) & (father >= 0)
        at_home += int(parents.sum())
        count += len(children)
        # one or two traditions among the children of a family with both parents at home
        both = np.flatnonzero((mother >= 0) & (father >= 0))
        keys = np.unique(np.c_[p.household[children[both]], own[both]], axis=0)
        traditions_per_family += np.unique(keys[:, 0], return_counts=True)[1].tolist()
        sample = children[:: max(1, len(children) // 3000)]
        belongs = [
            known.belongs(known.traditions[t][0], "given", vocab[g], known.traditions[t][1])
            for t, g in zip(p.name_tradition[sample].tolist(), p.given_name[sample].tolist(), strict=True)
        ]
        of_their_tradition += float(np.mean(belongs)) / len(populations)
    assert at_home / count > 0.85  # the rest: a lone parent's child named in the absent parent's tradition
    assert max(traditions_per_family) <= 2
    assert of_their_tradition > 0.99  # a sibling who kept drawing a brother's name takes one from the group
