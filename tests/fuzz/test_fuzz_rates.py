"""A scenario's rates, anywhere validation allows, generate a run: validation accepts only what generation can do.

Each case sets one to three model numbers to values their ranges allow (often at an end: 0, 1, the most), with a
family of shares kept adding up to 1, and generates a small borough; nothing but a SynthgenError may escape (the
one a generator may still raise: a borough with no household suited to a planted storyline).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import synthgen
from synthgen.testing import rate_overrides
from tests.fuzz.conftest import examples

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return synthgen.load_scenario(ROOT / "scenarios" / "training.yaml").model_dump(mode="json")


@settings(max_examples=examples(6, 0.05), deadline=None, suppress_health_check=list(HealthCheck))
@given(chosen=rate_overrides(), storylines=st.booleans(), people=st.sampled_from([600, 1500]))
def test_rates_that_validate_generate(
    base: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    chosen: dict[str, float],
    storylines: bool,
    people: int,
) -> None:
    data = {**base, "rates": chosen, "population": {"people": people}}
    if not storylines:
        data.pop("storylines", None)
    try:
        scenario = synthgen.Scenario.model_validate(data)
    except ValueError:
        assume(False)  # a combination validation refuses (a minimum over its maximum): not a case for generation
    out = tmp_path_factory.getbasetemp() / f"rates-{uuid.uuid4().hex[:8]}"
    try:
        synthgen.generate(scenario, out)
        event("generated")
    except synthgen.SynthgenError:
        event("refused by generation with a SynthgenError")
    finally:
        shutil.rmtree(out, ignore_errors=True)
