"""Group-dependent errors: the mechanisms a scenario leaves, their multipliers per row, the same random draws
whatever the multipliers, and every mechanism's source written down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen import person_groups, reference
from synthgen.errors import ScenarioError
from synthgen.quality.changes import Log, RowScale, chosen
from synthgen.quality.mechanisms import PersonGroups, Rule, Scaling, rules_for
from synthgen.scenario.loader import load_scenario


def test_every_mechanism_names_known_groups_errors_and_a_source() -> None:
    rules = reference.quality_groups()
    assert {r.mechanism for r in rules} >= {"transliteration", "name_order", "recent_arrival", "address_churn"}
    for rule in rules:
        assert rule.group in person_groups.LABELS[rule.dimension], rule
        assert rule.multiplier > 0 and rule.errors and rule.source, rule
        assert rule.status in ("assumption", "published"), rule


def test_a_scenario_switches_mechanisms_off_or_changes_them() -> None:
    shipped = rules_for(True, [], {})
    assert rules_for(False, [], {}) == ()
    assert {r.mechanism for r in rules_for(True, ["name_order"], {})} == {r.mechanism for r in shipped} - {"name_order"}
    black = person_groups.ETHNIC_GROUPS.index("Black")
    changed = rules_for(True, [], {"recent_arrival": {"Black": 4.0, "White": 1.5}})
    arrival = {r.group: r.multiplier for r in changed if r.mechanism == "recent_arrival"}
    assert arrival[black] == 4.0 and arrival[person_groups.ETHNIC_GROUPS.index("White")] == 1.5
    assert black not in {
        r.group for r in rules_for(True, [], {"recent_arrival": {"Black": 1.0}}) if r.mechanism == "recent_arrival"
    }


def test_unknown_mechanisms_and_groups_are_scenario_errors(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario()
    with pytest.raises(ScenarioError, match="unknown mechanism 'nope'"):
        load_scenario(path, {"data_quality.mechanisms.off": ["nope"]})
    with pytest.raises(ScenarioError, match="recent_arrival: unknown ethnic_group 'Purple'"):
        load_scenario(path, {"data_quality.mechanisms.multipliers": {"recent_arrival": {"Purple": 2.0}}})


def test_mechanisms_as_shipped_leave_the_scenario_hash_alone(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario()
    plain = load_scenario(path).model_dump(mode="json")
    explicit = load_scenario(path, {"data_quality.mechanisms.enabled": True}).model_dump(mode="json")
    assert plain == explicit and "mechanisms" not in plain["data_quality"]


def test_a_person_in_two_groups_takes_the_product() -> None:
    codes = {
        "ethnic_group": np.array([2, 2, 0]),  # Asian, Asian, White
        "age_band": np.array([0, 3, 0]),
        "sex": np.array([0, 0, 0]),
        "deprivation_quintile": np.array([4, 4, 4]),
    }
    error = ("given_name", "typo")
    rules = (
        Rule("a", "ethnic_group", 2, 0, 2.0, (error,), None),
        Rule("b", "age_band", 0, 0, 3.0, (error,), None),
    )
    scale = Scaling(rules, PersonGroups(codes, np.array([0, 12, 0])), 0).rows(np.array([0, 1, 2, -5]))
    assert scale is not None
    assert scale.by_error[error].tolist() == [6.0, 2.0, 3.0, 1.0]  # -5: nobody, so no multiplier


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.5), st.lists(st.floats(1.0, 5.0), min_size=50, max_size=50))
def test_multipliers_only_add_errors_to_the_rows_they_touch(seed: int, rate: float, factors: list[float]) -> None:
    """The same random numbers are drawn whatever the multipliers: a row with multiplier 1 gets what it got
    without any, and a row with a higher one keeps its error and may gain one."""
    eligible = np.ones(50, bool)
    rates = {("given_name", "typo"): rate}
    plain = chosen(np.random.default_rng(seed), eligible, rates, "given_name", "typo", Log())
    log = Log(scale=RowScale({("given_name", "typo"): np.array(factors)}))
    scaled = chosen(np.random.default_rng(seed), eligible, rates, "given_name", "typo", log)
    assert set(plain.tolist()) <= set(scaled.tolist())
    ones = [i for i, f in enumerate(factors) if f == 1.0]
    assert set(plain.tolist()) & set(ones) == set(scaled.tolist()) & set(ones)
    assert log.expected[("given_name", "typo")] == pytest.approx(sum(min(rate * f, 1.0) for f in factors))
