"""The agencies' numbers are the run's parameters: every one in the agency files is read by a model, a family is
never also a plain name, and a scenario's rates reach the agencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from synthgen import load_scenario, make_plan, reference
from synthgen.agencies.police import police_tables
from synthgen.reference import Parameters
from synthgen.shard import shard_tables
from synthgen.world.population import build_population
from synthgen.world.simulate import simulate
from tests.conftest import SCENARIO

AGENCY_FILES = ("health.csv", "police.csv", "school.csv", "social_care.csv")
NOT_READ: set[str] = set()
"""Figures in the agency files that no model reads (none: the re-referral share places last year's referrals)."""


def agency_parameters() -> set[str]:
    return {row["name"] for row in reference.parameter_rows() if row["file"] in AGENCY_FILES}


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The names of the parameters read while the test runs (one by one, or as a family)."""
    names: set[str] = set()
    getitem, series = Parameters.__getitem__, Parameters.series

    def recorded_getitem(self: Parameters, name: str) -> float:
        names.add(name)
        return getitem(self, name)

    def recorded_series(self: Parameters, prefix: str) -> dict[str, float]:
        family = series(self, prefix)
        names.update(f"{prefix}.{label}" for label in family)
        return family

    monkeypatch.setattr(Parameters, "__getitem__", recorded_getitem)
    monkeypatch.setattr(Parameters, "series", recorded_series)
    yield names


def test_every_agency_parameter_is_read(write_scenario: Callable[..., Path], read: set[str]) -> None:
    plan = make_plan(load_scenario(write_scenario(people=20_000)))
    shard_tables(plan, 0)
    assert sorted(agency_parameters() - read) == sorted(NOT_READ)


def test_no_family_shares_a_name_with_a_parameter() -> None:
    """`series(prefix)` reads `prefix.<label>`: a plain name that is also a family's prefix would be ambiguous."""
    names = {row["name"] for row in reference.parameter_rows()}
    prefixes = {name.rsplit(".", 1)[0] for name in names if "." in name}
    assert sorted(names & prefixes) == []


def test_a_scenarios_rates_reach_the_police(write_scenario: Callable[..., Path]) -> None:
    text = SCENARIO.format(name="r", seed=7, people=20_000)
    default = make_plan(load_scenario(write_scenario(text)))
    none = make_plan(load_scenario(write_scenario(text + "rates:\n  domestic_abuse_crimes_per_1000: 0\n")))
    pop = build_population(default, 0)
    sim = simulate(default, pop)
    counted = {}
    for name, plan in (("default", default), ("none", none)):
        incidents = police_tables(plan, pop, sim).incidents
        kinds = incidents["incident_type"].to_numpy(zero_copy_only=False)
        counted[name] = int(np.sum(kinds == "domestic_abuse"))
    assert counted["default"] > 100
    assert counted["none"] == 0
