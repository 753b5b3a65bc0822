"""The reference screening method's scores on the demo are the ones recorded in evaluations/sharing-demo.*."""

from __future__ import annotations

import json
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "evaluations"))
from run_sharing import screened_scores  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "evaluations" / "sharing-demo.yaml").read_text())
RECORDED = json.loads((ROOT / "evaluations" / "sharing-demo.results.json").read_text())


@cache
def _scored(run: Path, method: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        return screened_scores(run, method, CONFIG["window"], Path(scratch))


@pytest.mark.parametrize("method", CONFIG["methods"])
@pytest.mark.parametrize("profile", CONFIG["profiles"])
def test_recorded_screening_scores_are_what_the_code_gives(
    profile: str, method: str, demo_run: Path, clean_run: Path
) -> None:
    """Rerun `python evaluations/run_sharing.py evaluations/sharing-demo.yaml` after a change that moves them."""
    scored = _scored(demo_run if profile == "realistic" else clean_run, method)
    recorded = {k: v for k, v in RECORDED["profiles"][profile][method].items() if k != "in_band"}
    assert scored == recorded
    for name, (low, high) in CONFIG["bands"].items():
        assert low <= scored[name] <= high, name
