"""The model's numbers: one row each, with unit, status and source, and a scenario's rates reaching the run."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen import load_scenario, make_plan, reference
from synthgen.reference import Parameters
from tests.conftest import SCENARIO

RATES = "rates:\n  birth_rate: 0.02\n"
STATUSES = {"sourced", "derived", "design", "unconfirmed", "assumption"}


def test_every_parameter_has_a_value_unit_status_and_source() -> None:
    rows = reference.parameter_rows()
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names)), "a parameter is named in two files"
    for row in rows:
        assert list(row) == ["name", "value", "unit", "status", "source", "file"], row
        assert math.isfinite(float(row["value"])), row
        assert row["unit"].strip() and row["source"].strip(), row
        assert row["status"] in STATUSES, row


def test_a_scenarios_rates_are_carried_by_its_plan(write_scenario: Callable[..., Path]) -> None:
    plain = make_plan(load_scenario(write_scenario()))
    changed = make_plan(load_scenario(write_scenario(SCENARIO.format(name="r", seed=7, people=2000) + RATES)))
    # two plans in one process, each with its own numbers: nothing global is swapped between them
    assert plain.params["birth_rate"] == reference.default_parameters()["birth_rate"]
    assert changed.params["birth_rate"] == 0.02
    assert pickle.loads(pickle.dumps(changed.params))["birth_rate"] == 0.02  # as a worker process receives it


def test_a_family_of_numbers_reads_in_file_order() -> None:
    params = Parameters({"x.b": 2.0, "x.a": 1.0})
    assert params.series("x") == {"b": 2.0, "a": 1.0}
    assert list(params.values_of("x")) == [2.0, 1.0]
    with pytest.raises(KeyError):
        params["no_such_number"]


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(alphabet="ab.", max_size=6), st.floats(allow_nan=False), max_size=12),
    st.text(alphabet="ab.", max_size=4),
)
def test_a_family_is_every_name_under_its_prefix(overrides: dict[str, float], prefix: str) -> None:
    # the families are indexed in one pass; each must be what a scan of every name for `prefix.` finds
    params = Parameters(overrides)
    start = f"{prefix}."
    expected = {name[len(start) :]: value for name, value in params.items() if name.startswith(start)}
    assert params.series(prefix) == expected
    assert list(params.series(prefix)) == list(expected)  # in file order
