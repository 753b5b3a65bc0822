"""The summary across seeds: the mean and Student's t-interval of each metric, checked against numpy and scipy."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from synthgen.experiments import tidy
from synthgen.experiments.summary import summarise, t_quantile


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 19, 30, 99, 1000])
@pytest.mark.parametrize("p", [0.9, 0.975, 0.995])
def test_the_t_quantile_is_scipys(df: int, p: float) -> None:
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9)


def _results(values: dict[tuple[str, str], list[float | None]]) -> pa.Table:
    """A results table: per (system, metric) one row per seed."""
    rows = []
    for (system, metric), seed_values in values.items():
        for seed, value in enumerate(seed_values):
            rows.append(
                {"scenario": "s", "scenario_sha256": "h", "quality": "q", "seed": seed, "system": system,
                 "evaluation": "linkage", "metric": metric, "group_kind": "all", "group": "all", "value": value,
                 "lower": None, "upper": None, "synthgen_version": "0"}
            )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=tidy.SCHEMA)


@given(st.lists(st.floats(0, 1), min_size=2, max_size=30), st.lists(st.floats(0, 1), min_size=1, max_size=1))
def test_mean_and_interval_across_seeds(many: list[float], one: list[float]) -> None:
    summary = summarise(_results({("b", "recall"): many, ("a", "recall"): one})).to_pylist()
    assert [(r["system"], r["seeds"]) for r in summary] == [("b", len(many)), ("a", 1)]  # first appearance order
    values = np.array(many)
    mean, sd = values.mean(), values.std(ddof=1)
    half = stats.t.ppf(0.975, len(many) - 1) * sd / math.sqrt(len(many))
    row = summary[0]
    assert row["mean"] == pytest.approx(mean, abs=1e-12)
    assert row["sd"] == pytest.approx(sd, abs=1e-9)
    assert row["lower"] == pytest.approx(mean - half, abs=1e-9)
    assert row["upper"] == pytest.approx(mean + half, abs=1e-9)
    assert (row["min"], row["max"]) == (min(many), max(many))
    single = summary[1]
    assert single["mean"] == one[0] and single["sd"] is None and single["lower"] is None and single["upper"] is None


def test_seeds_without_a_value_are_not_counted() -> None:
    summary = summarise(_results({("a", "median_days"): [None, 2.0, 4.0, None]})).to_pylist()
    assert summary[0]["seeds"] == 2
    assert summary[0]["mean"] == 3.0
    none = summarise(_results({("a", "median_days"): [None, None]})).to_pylist()
    assert none[0]["seeds"] == 0 and none[0]["mean"] is None
