"""Places that read true: each postcode district's own post town, streets that run along consecutive postcodes with
house numbers spread as real ones are, and GP practices and schools as many and as large as the area's people
and pupils make them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from synthgen import load_scenario, make_plan
from synthgen.reference import local
from synthgen.scenario import places
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population, build_population

ROTHERHAM = """\
scenario_version: 1
name: places
seed: 9
population: {{people: {people}}}
area: {{la_number: 372, la_name: Rotherham, outward_codes: [S25, S26, S60, S61, S63, S64, S65, S66, S81]}}
period: {{start: 2024-04-01, end: 2025-03-31}}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(ROTHERHAM.format(people=120_000))
    return make_plan(load_scenario(path))


@pytest.fixture(scope="module")
def populations(plan: Plan) -> list[Population]:
    return [build_population(plan, shard) for shard in range(plan.shards)]


def test_each_postcode_district_has_its_own_post_town(plan: Plan) -> None:
    """Rotherham's addresses are not all 'Sheffield': S60-S66 are Rotherham, S25 and S26 Sheffield, S64
    Mexborough, S81 Worksop (Wikipedia's list of postcode districts)."""
    towns = dict(zip(plan.postcodes.outward.tolist(), plan.towns.tolist(), strict=True))
    assert {code: towns[code] for code in ("S25", "S26", "S60", "S61", "S64", "S65", "S81")} == {
        "S25": "Sheffield",
        "S26": "Sheffield",
        "S60": "Rotherham",
        "S61": "Rotherham",
        "S64": "Mexborough",
        "S65": "Rotherham",
        "S81": "Worksop",
    }
    assert all(towns[code] == local.post_town(code) for code in towns)


def test_streets_run_along_consecutive_postcodes_of_one_sector_and_one_shard(plan: Plan) -> None:
    street, postcode = plan.places.street, plan.postcodes.postcode
    assert np.all(np.diff(street) >= 0)  # runs of consecutive postcodes
    sector = np.array([code[:-2] for code in postcode.tolist()])
    for column in (sector, plan.shard_of_postcode, plan.streets):
        changes = (column[1:] != column[:-1]) & (street[1:] == street[:-1])
        assert not changes.any()  # a street never leaves its sector or its shard, and keeps its name
    lengths = np.bincount(street)
    assert lengths.max() >= 8 and np.mean(lengths == 1) > 0.3  # most streets short, a few long roads


def test_house_numbers_are_distinct_on_a_street_and_spread_like_real_ones(
    plan: Plan, populations: list[Population]
) -> None:
    for pop in populations:
        for postcode, number in (
            (pop.addresses.start_postcode, pop.addresses.start_number),
            (pop.addresses.postcode, pop.addresses.number),
        ):
            key = np.c_[plan.places.street[postcode], number]
            assert len(np.unique(key, axis=0)) == len(key)  # no two households at one address
    numbers = np.concatenate([pop.household_number for pop in populations])
    assert numbers.min() >= 1
    assert 8 <= np.median(numbers) <= 40  # not 1 to 16
    assert np.percentile(numbers, 99) > 90  # long roads run into the hundreds


def test_practices_and_schools_are_as_many_as_the_area_needs(plan: Plan) -> None:
    params = plan.params
    registered = 120_000 * (1 - params["not_gp_registered_share"] + params["former_resident_share"])
    assert len(plan.practices.code) == places.practice_count(params, 120_000)
    assert registered / len(plan.practices.code) == pytest.approx(params["gp_list_size_mean"], rel=0.1)
    for phase in ("primary", "secondary"):
        count = int(np.sum(plan.schools.kind == phase))
        assert count == places.school_count(params, 120_000, plan.demography.ages, phase) > 1
    assert plan.practices.size.mean() == pytest.approx(1.0)
    assert plan.practices.size.max() / plan.practices.size.min() > 3  # some small practices, some large


def test_a_tiny_area_still_has_a_practice_and_a_school_of_each_phase(write_scenario: Callable[..., Path]) -> None:
    small = make_plan(load_scenario(write_scenario(people=300)))
    assert len(small.practices.code) == 1
    assert sorted(small.schools.kind.tolist()) == ["primary", "secondary"]


def test_a_tiny_list_size_gives_as_many_practices_as_there_are_codes(write_scenario: Callable[..., Path]) -> None:
    """A rate the scenario allows (any positive list size) plans, however few patients it gives a practice: the
    practices stop at the codes there are, with longer lists (found by hypothesis: a list of 0.001 patients asked
    for about 100,000 distinct codes out of 90,000 and raised numpy's error)."""
    scenario = load_scenario(write_scenario(people=100), {"rates.gp_list_size_mean": 0.001})
    practices = make_plan(scenario).practices.code
    assert len(practices) == places.PRACTICE_CODES
    assert len(np.unique(practices)) == len(practices)
