"""A scenario is loaded strictly and every problem is reported at once, as file:line: path: message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from synthgen import ScenarioError, load_scenario, make_plan, reference


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [line.replace(f"{path}", "s.yaml") for line in caught.value.lines]


def test_template_scenario_loads(write_scenario: Callable[..., Path]) -> None:
    scenario = load_scenario(write_scenario())
    assert scenario.population.people == 2000
    assert scenario.data_quality.profile == "realistic"
    assert scenario.identifiers.nhs_numbers == "test"


def test_every_problem_is_reported_at_once_with_its_line(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: Bad Name
        seed: -1
        populaton:
          people: 10
        area:
          la_number: 999
          la_name: Nowhere
          outward_codes: [S60]
        period:
          start: 2024-04-01
          end: 2024-03-01
        data_quality:
          profile: perfect
        """
    )
    assert problems(path) == [
        "s.yaml:1: population: is required",
        "s.yaml:2: name: 'Bad Name' must be lowercase letters, digits, '-' or '_' "
        "(at most 64; it names the run folder)",
        "s.yaml:3: seed: must be greater than or equal to 0",
        "s.yaml:4: populaton: unknown key; did you mean 'population'? (allowed: agencies, area, data_quality, "
        "description, front_door, identifiers, name, outputs, period, population, rates, scenario_version, seed, "
        "sharing, storylines)",
        "s.yaml:7: area.la_number: 999 is not a DfE local-authority number (3 digits, e.g. 372 for Rotherham)",
        "s.yaml:12: period.end: 2024-03-01 is not after start 2024-04-01",
        "s.yaml:14: data_quality.profile: must be one of 'clean', 'realistic' or 'messy', not 'perfect'",
    ]


def test_area_must_agree_with_the_la(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: area
        seed: 1
        population: {people: 100}
        area:
          la_number: 372
          la_name: Sheffield
          outward_codes: [S60, B1, 60S]
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    assert problems(path) == [
        "s.yaml:7: area.la_name: 'Sheffield' does not match LA 372, which is 'Rotherham'",
        "s.yaml:8: area.outward_codes[2]: '60S' is not an outward postcode "
        "(the part before the space, e.g. 'S60' or 'SW1A')",
    ]


def test_outward_codes_outside_the_la_are_named(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: area
        seed: 1
        population: {people: 100}
        area: {la_number: 372, la_name: Rotherham, outward_codes: [S60, B1]}
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    assert problems(path) == ["s.yaml:5: area.outward_codes: B1 has no postcodes in Rotherham (372)"]


def test_the_plan_keeps_only_the_las_postcodes_of_an_outward_code_spanning_two_las(
    write_scenario: Callable[..., Path],
) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: area
        seed: 1
        population: {people: 100}
        area: {la_number: 213, la_name: Westminster, outward_codes: [SE1]}
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    plan = make_plan(load_scenario(path))
    assert set(plan.postcodes.district) <= plan.la.district_codes
    assert 0 < len(plan.postcodes.postcode) < len(reference.postcodes_in(["SE1"]).postcode)


def test_people_must_fit_the_las_own_postcodes(write_scenario: Callable[..., Path]) -> None:
    """SE1 has thousands of postcodes but one in Westminster: 60,000 people cannot live there."""
    path = write_scenario(
        """\
        scenario_version: 1
        name: area
        seed: 1
        population: {people: 60000}
        area: {la_number: 213, la_name: Westminster, outward_codes: [SE1]}
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    assert problems(path) == [
        "s.yaml:5: area.outward_codes: Westminster has 1 postcode in these outward codes, room for at most 250 "
        "people (250 a postcode), not 60,000; add outward codes",
        "s.yaml:5: area.outward_codes: needs at least 2 postcodes of Westminster for 60,000 people",
    ]


def test_wrong_types_are_errors_not_coercions(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: types
        seed: "7"
        population:
          people: 20,000
        area: {la_number: 372, la_name: Rotherham, outward_codes: S60}
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    assert problems(path) == [
        "s.yaml:3: seed: must be a valid integer",
        "s.yaml:5: population.people: must be a valid integer",
        "s.yaml:6: area.outward_codes: must be a valid list",
    ]


def test_a_key_given_twice_is_an_error(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        """\
        scenario_version: 1
        name: twice
        seed: 1
        seed: 2
        population: {people: 100}
        area: {la_number: 372, la_name: Rotherham, outward_codes: [S60]}
        period: {start: 2024-04-01, end: 2025-03-31}
        """
    )
    assert problems(path) == ["s.yaml:4: seed: is given more than once"]


def test_population_too_large_for_the_test_nhs_range(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(people=1_000_000)
    assert problems(path) == [
        "s.yaml:5: identifiers.nhs_numbers: 'test' holds NHS numbers for about 852,894 people, too few for "
        "1,000,000; use 'unallocated' for larger runs"
    ]


def test_population_too_large_for_its_postcodes(write_scenario: Callable[..., Path]) -> None:
    text = (
        "scenario_version: 1\nname: dense\nseed: 1\npopulation: {people: 500000}\n"
        "area: {la_number: 372, la_name: Rotherham, outward_codes: [S60]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
    )
    lines = problems(write_scenario(text))
    assert len(lines) == 1
    assert lines[0].startswith("s.yaml:5: area.outward_codes: ")
    assert lines[0].endswith("(250 a postcode), not 500,000; add outward codes")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed\n", "s.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>'"),
        ("- a\n- b\n", "s.yaml:1: must be a mapping of keys (scenario_version, name, seed, ...)"),
        ("", "s.yaml:1: must be a mapping of keys (scenario_version, name, seed, ...)"),
    ],
)
def test_unreadable_yaml(write_scenario: Callable[..., Path], text: str, expected: str) -> None:
    assert problems(write_scenario(text)) == [expected]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "nope.yaml")
    assert caught.value.lines == [f"{tmp_path / 'nope.yaml'}: scenario file not found"]


def test_overrides_are_validated_like_the_file(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario()
    assert load_scenario(path, {"seed": 99, "population.people": 500}).population.people == 500
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, {"population.people": -3})
    assert caught.value.lines == [f"{path}:5: population.people: must be greater than 0"]


def test_rates_are_validated_by_name(write_scenario: Callable[..., Path]) -> None:
    text = (
        "scenario_version: 1\nname: rates\nseed: 1\npopulation: {people: 100}\n"
        "area: {la_number: 372, la_name: Rotherham, outward_codes: [S60]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
        "rates: {referals_per_10k_children: 700}\n"
    )
    assert problems(write_scenario(text)) == [
        "s.yaml:7: rates: unknown rate 'referals_per_10k_children'; did you mean 'referrals_per_10k_children'? "
        "(the names are in synthgen/reference/data/parameters/)"
    ]
