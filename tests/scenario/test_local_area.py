"""The scenario's authority reaches the plan: its people (ethnicity, ages, households fitted to those ages,
deprivation) and its own social-care rates as the defaults, which a scenario's `rates` still override."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from synthgen import load_scenario, make_plan
from synthgen.reference import Parameters, default_parameters, local
from synthgen.scenario.local_area import (
    demography,
    households_for_ages,
    local_parameters,
    local_rates,
    reporting_year,
)
from synthgen.world.households import TYPES
from tests.conftest import SCENARIO


def test_englands_ages_leave_englands_households_as_they_are() -> None:
    england = local.household_composition(None).shares
    fitted = households_for_ages(england, local.age_pyramid(None), Parameters())
    assert fitted == pytest.approx(england, abs=1e-9)


@pytest.mark.parametrize(("la_number", "more"), [(330, "couple_dependent_children"), (878, "one_person_66_plus")])
def test_an_authoritys_ages_move_its_households(la_number: int, more: str) -> None:
    """Birmingham (a quarter of its people children) has more families; Devon (a quarter over 65) more older
    people living alone."""
    england = local.household_composition(None).shares
    shares = demography(la_number, Parameters()).households
    assert shares[TYPES.index(more)] > england[TYPES.index(more)] * 1.2
    assert shares.sum() == pytest.approx(1.0)


def test_the_authoritys_own_rates_are_the_plans_defaults(write_scenario: Callable[..., Path]) -> None:
    plan = make_plan(load_scenario(write_scenario()))  # Rotherham, 2024-25
    rotherham = local.social_care_rates(372, 2025)
    assert plan.params["referrals_per_10k_children"] == rotherham.referrals.per_10k == 488.7
    assert plan.params["cp_at_31_march_per_10k_children"] == rotherham.cpp.per_10k
    assert plan.params["cla_at_31_march_per_10k_children"] == 80.0
    # flows the tables do not hold by authority move with the stock they feed
    ratio = rotherham.cpp.per_10k / local.social_care_rates(None, 2025).cpp.per_10k
    assert plan.params["cp_starts_per_10k_children"] == pytest.approx(
        default_parameters()["cp_starts_per_10k_children"] * ratio
    )
    assert plan.demography.ethnicity == pytest.approx(local.ethnicity(372).shares)
    assert np.all(plan.demography.ages.people == local.age_pyramid(372).people)


def test_a_scenarios_rates_override_the_authoritys(write_scenario: Callable[..., Path]) -> None:
    text = SCENARIO.format(name="r", seed=7, people=2000) + "rates:\n  referrals_per_10k_children: 700\n"
    plan = make_plan(load_scenario(write_scenario(text)))
    assert plan.params["referrals_per_10k_children"] == 700
    assert plan.params["cin_at_31_march_per_10k_children"] == local.social_care_rates(372, 2025).cin.per_10k


@pytest.mark.parametrize(
    ("end", "year"), [(dt.date(2025, 3, 31), 2025), (dt.date(2025, 3, 30), 2024), (dt.date(2023, 6, 30), 2023)]
)
def test_rates_are_for_the_reporting_year_the_period_ends_in(end: dt.date, year: int) -> None:
    assert reporting_year(end) == year
    rates = local_rates(372, end)
    assert rates["referrals_per_10k_children"].source.startswith(f"DfE {min(year, 2025)}, Rotherham")
    assert (
        local_parameters(372, end)["referrals_per_10k_children"] == local.social_care_rates(372, year).referrals.per_10k
    )
