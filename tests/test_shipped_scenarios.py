"""Every scenario we ship loads and validates: a user's first command must not fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen import load_scenario, make_plan

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def test_the_demo_is_shipped() -> None:
    assert "demo.yaml" in [p.name for p in SCENARIOS]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_validates_and_plans(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    plan = make_plan(scenario)
    assert plan.people == scenario.population.people
    assert len(plan.postcodes.postcode) > 0


def test_demo_is_one_reporting_year_of_about_20000_people() -> None:
    demo = load_scenario(SCENARIOS[[p.name for p in SCENARIOS].index("demo.yaml")])
    assert 15_000 <= demo.population.people <= 25_000
    assert (demo.period.start.month, demo.period.start.day) == (4, 1)
    assert (demo.period.end.month, demo.period.end.day) == (3, 31)
    assert demo.period.end.year == demo.period.start.year + 1
    assert demo.data_quality.profile == "realistic"
