"""The reference linkers' scores on the demo stay inside the bands recorded in evaluations/linkage-demo.yaml."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from synthgen.evaluation.linkage import evaluate_linkage
from synthgen.linkage import link

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "evaluations" / "linkage-demo.yaml").read_text())
RECORDED = json.loads((ROOT / "evaluations" / "linkage-demo.results.json").read_text())


@cache
def _scored(run: Path, method: str) -> dict[str, Any]:
    """A reference linker's predictions for a run, scored (once per run and method: the linkers take seconds)."""
    with tempfile.TemporaryDirectory() as scratch:
        predictions = Path(scratch) / "p.parquet"
        pq.write_table(link(pq.read_table(run / "linkage/records.parquet"), method), predictions)
        return evaluate_linkage(run, predictions).as_dict()


@pytest.mark.parametrize("method", CONFIG["methods"])
@pytest.mark.parametrize("profile", CONFIG["profiles"])
def test_reference_linker_scores_stay_in_their_band(profile: str, method: str, demo_run: Path, clean_run: Path) -> None:
    scored = _scored(demo_run if profile == "realistic" else clean_run, method)
    band = CONFIG["bands"][profile][method]
    lo, hi = band["pairwise_f1"]
    assert lo <= scored["pairwise"]["f1"] <= hi
    lo, hi = band["bcubed_f1"]
    assert lo <= scored["bcubed"]["f1"] <= hi


@pytest.mark.parametrize("method", CONFIG["methods"])
@pytest.mark.parametrize("profile", CONFIG["profiles"])
def test_recorded_demo_scores_are_what_the_code_gives(
    profile: str, method: str, demo_run: Path, clean_run: Path
) -> None:
    """The scores quoted from evaluations/linkage-demo.results.json are the scores a user gets today (rerun
    `python evaluations/run.py evaluations/linkage-demo.yaml` after a change that moves them)."""
    scored = _scored(demo_run if profile == "realistic" else clean_run, method)
    recorded = RECORDED["profiles"][profile][method]
    assert recorded["pairwise_f1"] == round(scored["pairwise"]["f1"], 4)
    assert recorded["bcubed_f1"] == round(scored["bcubed"]["f1"], 4)
    assert recorded["recall_by_source_pair"] == scored["recall_by_source_pair"]


def test_the_probabilistic_linker_beats_the_deterministic_one_on_realistic_data(demo_run: Path) -> None:
    scores = {method: _scored(demo_run, method)["pairwise"] for method in ("exact", "fellegi-sunter")}
    assert scores["fellegi-sunter"]["recall"] > scores["exact"]["recall"] + 0.05
    assert scores["fellegi-sunter"]["f1"] > scores["exact"]["f1"]
