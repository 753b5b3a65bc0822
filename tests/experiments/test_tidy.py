"""An evaluation's JSON as tidy rows: one row per metric, each value the JSON's own."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import synthgen
from synthgen.experiments import tidy
from synthgen.experiments.grid import Cell
from tests.conftest import SCENARIO

CELL = Cell("small", "realistic", 7, "exact")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tidy")
    (folder / "s.yaml").write_text(SCENARIO.format(name="small", seed=7, people=2000), encoding="utf-8")
    synthgen.generate(synthgen.load_scenario(folder / "s.yaml"), folder / "run")
    return folder / "run"


def _at(result: Mapping[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value[part]
    return value


def _check(result: dict[str, Any], evaluation: str) -> None:
    table = tidy.cell_table(CELL, evaluation, result)
    rows = table.to_pylist()
    overall = [r for r in rows if r["group_kind"] == tidy.ALL]
    assert overall, "no metric of the run as a whole"
    for row in overall:
        assert row["value"] == _at(result, row["metric"])
    keys = [(r["metric"], r["group_kind"], r["group"]) for r in rows]
    assert len(keys) == len(set(keys)), "a metric given twice"
    grouped = [
        r for r in rows if r["lower"] is not None or r["group_kind"] in {g["dimension"] for g in result["by_group"]}
    ]
    expected = [(g["metric"], g["dimension"], g["group"], g["value"], g["low"], g["high"]) for g in result["by_group"]]
    assert [(r["metric"], r["group_kind"], r["group"], r["value"], r["lower"], r["upper"]) for r in grouped] == expected
    assert {r["scenario_sha256"] for r in rows} == {result["provenance"]["run_scenario_sha256"]}
    assert {(r["scenario"], r["quality"], r["seed"], r["system"], r["evaluation"]) for r in rows} == {
        ("small", "realistic", 7, "exact", evaluation)
    }
    assert table.schema == tidy.SCHEMA


def test_linkage_rows_are_the_jsons(small_run: Path, tmp_path: Path) -> None:
    synthgen.link(small_run, "exact", out=tmp_path / "p.parquet")
    result = synthgen.evaluate_linkage(small_run, tmp_path / "p.parquet").as_dict()
    _check(result, "linkage")
    metrics = {r[0] for r in tidy.overall(result)}
    assert {"pairwise.recall", "pairwise.precision", "pairwise.f1", "bcubed.f1", "adjusted_rand_index"} <= metrics
    assert not any(m.startswith(("cluster_sizes", "splits", "provenance", "examples")) for m in metrics)
    by_kind = [r for r in tidy.breakdowns(result) if r[1] == "error_kind"]
    assert len(by_kind) == len(result["recall_by_error_kind"])


def test_sharing_and_mash_rows_are_the_jsons(small_run: Path, tmp_path: Path) -> None:
    synthgen.screen(small_run, method="exact", out=tmp_path / "f.parquet", disclosures=tmp_path / "d.parquet")
    _check(synthgen.evaluate_sharing(small_run, tmp_path / "f.parquet", tmp_path / "d.parquet").as_dict(), "sharing")
    synthgen.mash(small_run, "exact", out=tmp_path / "r.parquet")
    _check(synthgen.evaluate_mash(small_run, tmp_path / "r.parquet").as_dict(), "mash")


leaves = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.none())
sections = st.recursive(
    st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), leaves, max_size=4),
    lambda inner: st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), inner, min_size=1, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), sections, max_size=4))
def test_every_number_in_a_section_is_one_row(result: dict[str, Any]) -> None:
    result = {k: v for k, v in result.items() if k not in tidy.NOT_SCORES | tidy.HISTOGRAMS}
    expected: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        for key, inner in value.items():
            if key in tidy.HISTOGRAMS:
                continue
            if isinstance(inner, dict):
                walk(f"{prefix}.{key}", inner)
            else:
                expected[f"{prefix}.{key}"] = None if inner is None else float(inner)

    for key, section in result.items():
        walk(key, section)
    rows = tidy.overall(result)
    assert {r[0]: r[3] for r in rows} == expected
    assert len(rows) == len(expected)
