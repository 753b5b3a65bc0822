"""The population looks like its authority (Birmingham here: younger and far more diverse than England): shares
within stated tolerances of the authority's own figures, and families that hang together.

Tolerances are absolute percentage points on a 200,000-person population, where sampling noise is a tenth of
them or less; they state how close the model is, not how lucky a seed was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from synthgen import load_scenario, make_plan, reference
from synthgen.reference import local
from synthgen.scenario.plan import Plan
from synthgen.world.households import TYPES, expected_members
from synthgen.world.population import RELATIONSHIPS, ROLE, Population, build_population
from tests.conftest import SCENARIO


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(
        "scenario_version: 1\nname: big\nseed: 11\npopulation: {people: 200000}\n"
        "area: {la_number: 330, la_name: Birmingham, outward_codes: [B1, B5, B10, B11, B12, B13, B14]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
    )
    return make_plan(load_scenario(path))


@pytest.fixture(scope="module")
def populations(plan: Plan) -> list[Population]:
    return [build_population(plan, shard) for shard in range(plan.shards)]


def residents(pops: list[Population], column: str) -> np.ndarray:
    return np.concatenate([getattr(p.people, column)[p.people.resident] for p in pops])


def test_exactly_the_requested_residents(populations: list[Population]) -> None:
    assert sum(int(p.people.resident.sum()) for p in populations) == 200_000


@pytest.mark.parametrize(
    ("lo", "hi", "tolerance"),
    [
        (0, 4, 0.5),
        (5, 9, 0.5),
        (10, 14, 0.5),
        (15, 19, 0.5),
        (20, 29, 0.6),
        (30, 39, 0.6),
        (40, 49, 0.6),
        (50, 59, 0.6),
        (60, 69, 0.6),
        (70, 79, 0.6),
        (80, 99, 0.5),
    ],
)
def test_age_bands_follow_the_authoritys_pyramid(
    populations: list[Population], lo: int, hi: int, tolerance: float
) -> None:
    age = residents(populations, "age")
    generated = np.mean((age >= lo) & (age <= hi)) * 100
    reference_share = local.age_pyramid(330).shares[lo : hi + 1].sum() * 100
    assert generated == pytest.approx(reference_share, abs=tolerance)


def test_sex_ratio(populations: list[Population]) -> None:
    # Census 2021: 51.05% of Birmingham's residents are female
    assert residents(populations, "female").mean() == pytest.approx(local.female_share(330), abs=0.01)


@pytest.mark.parametrize("group", ["White", "Mixed", "Asian", "Black", "Other"])
def test_ethnic_groups_at_the_authoritys_census_shares(populations: list[Population], group: str) -> None:
    groups = np.array(reference.ethnicities().groups)[residents(populations, "ethnicity")]
    census = local.ethnicity(330).group_shares()[group] * 100  # Birmingham: White 48.6, Asian 31.0, Black 11.0
    assert np.mean(groups == group) * 100 == pytest.approx(census, abs=0.8)


def test_household_composition(plan: Plan, populations: list[Population]) -> None:
    """England's composition reweighted to Birmingham's ages: more families with children, fewer older people
    living alone."""
    kinds = np.concatenate([p.household_kind[p.household_in_area] for p in populations])
    shares = plan.demography.households
    generated = np.bincount(kinds, minlength=len(TYPES)) / len(kinds) * 100
    for name, got, want in zip(TYPES, generated, shares * 100, strict=True):
        assert got == pytest.approx(want, abs=0.6), name
    england = local.household_composition(None).shares
    assert shares[TYPES.index("couple_dependent_children")] > england[TYPES.index("couple_dependent_children")] + 0.03
    assert shares[TYPES.index("one_person_66_plus")] < england[TYPES.index("one_person_66_plus")] - 0.02
    size = 200_000 / len(kinds)
    expected = np.dot(shares, expected_members(plan.params)[0])
    assert size == pytest.approx(expected, abs=0.08)


def test_twins_share(populations: list[Population]) -> None:
    child = residents(populations, "age") < 18
    assert residents(populations, "twin")[child].mean() == pytest.approx(0.029, abs=0.006)  # 1 in 34 born a twin


def _relations(pop: Population, kind: str) -> tuple[np.ndarray, np.ndarray]:
    person, relative, kinds = pop.relationships
    chosen = kinds == RELATIONSHIPS.index(kind)
    return person[chosen], relative[chosen]


def test_parents_are_old_enough_and_of_the_right_sex(populations: list[Population]) -> None:
    for pop in populations:
        p = pop.people
        for kind, female in (("mother", True), ("father", False)):
            child, parent = _relations(pop, kind)
            assert np.all(p.female[parent] == female)
            gap_days = (p.date_of_birth[child] - p.date_of_birth[parent]).astype(int)
            assert gap_days.min() >= 15 * 365
            assert np.all(p.household[child] == p.household[parent])


def test_every_dependent_child_has_a_parent_at_home(populations: list[Population]) -> None:
    for pop in populations:
        children = np.flatnonzero(pop.people.role == ROLE["child"])
        mothers, _ = _relations(pop, "mother")
        fathers, _ = _relations(pop, "father")
        assert np.isin(children, np.concatenate([mothers, fathers])).all()


def test_symmetric_relationships(populations: list[Population]) -> None:
    for pop in populations:
        for kind in ("partner", "sibling", "half_sibling"):
            a, b = _relations(pop, kind)
            assert set(zip(a.tolist(), b.tolist(), strict=True)) == set(zip(b.tolist(), a.tolist(), strict=True)), kind
    assert sum(len(_relations(pop, "half_sibling")[0]) for pop in populations) > 0
    assert sum(len(_relations(pop, "step_parent")[0]) for pop in populations) > 0


def test_household_head_and_partner_agree_with_the_members_and_relationships(populations: list[Population]) -> None:
    for pop in populations:
        household = pop.people.household
        assert (household[pop.household_head] == np.arange(len(pop.household_id))).all()
        assert (np.searchsorted(household, np.arange(len(pop.household_id))) == pop.household_head).all()
        a, b = _relations(pop, "partner")
        couple = pop.household_partner >= 0
        expected = set(zip(pop.household_head[couple].tolist(), pop.household_partner[couple].tolist(), strict=True))
        assert expected == {(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x < y}


def test_children_mostly_carry_a_parents_surname_with_the_real_exceptions(
    populations: list[Population],
) -> None:
    same, differ, double = 0, 0, 0
    for pop in populations:
        p = pop.people
        for kind in ("mother", "father"):
            child, parent = _relations(pop, kind)
            young = p.age[child] < 18
            match = p.surname_1[child][young] == p.surname_1[parent][young]
            same += int(match.sum())
            differ += int((~match).sum())
        double += int((p.surname_2[p.role == ROLE["child"]] >= 0).sum())
    share_same = same / (same + differ)
    assert 0.75 < share_same < 0.95  # mother's maiden name, an absent father's, step-families, Begum/Kaur
    assert double > 0


def test_ninos_for_adults_only(populations: list[Population]) -> None:
    for pop in populations:
        p = pop.people
        has = np.array([value is not None for value in p.nino])
        assert np.array_equal(has, p.age >= 16)


def test_the_plans_numbers_reach_the_population(write_scenario: Callable[..., Path]) -> None:
    # numbers that were constants in code are the plan's: no boys born, no twins
    rates = "rates:\n  male_birth_share: 0.0\n  twin_interval_share: 0.0\n"
    plan = make_plan(load_scenario(write_scenario(SCENARIO.format(name="r", seed=7, people=3000) + rates)))
    people = build_population(plan, 0).people
    children = people.role == ROLE["child"]
    assert people.female[children].all()
    assert not people.twin.any()
