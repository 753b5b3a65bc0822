"""The reference MASH's scores on the demo are the ones recorded in evaluations/mash-demo.*."""

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
from run_mash import answered_scores  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "evaluations" / "mash-demo.yaml").read_text())
RECORDED = json.loads((ROOT / "evaluations" / "mash-demo.results.json").read_text())


@cache
def _scored(run: Path, method: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        return answered_scores(run, method, Path(scratch))


@pytest.mark.parametrize("method", CONFIG["methods"])
def test_recorded_mash_scores_are_what_the_code_gives(method: str, demo_run: Path) -> None:
    """Rerun `python evaluations/run_mash.py evaluations/mash-demo.yaml` after a change that moves them."""
    assert CONFIG["profiles"] == ["realistic"]  # the demo_run fixture is the realistic profile
    scored = _scored(demo_run, method)
    recorded = {k: v for k, v in RECORDED["profiles"]["realistic"][method].items() if k != "in_band"}
    assert scored == recorded
    for name, (low, high) in CONFIG["bands"].items():
        assert low <= scored[name] <= high, name
