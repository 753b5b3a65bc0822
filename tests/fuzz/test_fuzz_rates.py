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
from synthgen import reference
from synthgen.scenario import rates
from tests.fuzz.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(reference.default_parameters())


@st.composite
def _value(draw: st.DrawFn, name: str) -> float:
    allowed = rates.allowed(name)
    low = allowed.low + (1e-3 if allowed.low_out else 0.0)
    high = allowed.high - (1e-3 if allowed.high_out else 0.0)
    default = reference.default_parameters()[name]
    value: float = draw(
        st.one_of(
            st.sampled_from([low, high, default, (low + high) / 2]),
            st.floats(min_value=low, max_value=high, allow_nan=False),
        )
    )
    return value


@st.composite
def _rates(draw: st.DrawFn) -> dict[str, float]:
    chosen = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    values = {name: draw(_value(name)) for name in chosen}
    defaults = reference.default_parameters()
    for members in rates.families(defaults).values():
        touched = [name for name in members if name in values]
        if touched and rates.splits_a_whole(members):
            # keep the family a whole: the rest take what the chosen ones leave, in their default proportions
            taken = min(sum(values[name] for name in touched), 1.0)
            for name in touched:
                values[name] = values[name] / max(sum(values[n] for n in touched), 1e-12) * taken
            rest = [name for name in members if name not in touched]
            rest_total = sum(defaults[name] for name in rest)
            for name in rest:
                values[name] = (1.0 - taken) * defaults[name] / rest_total if rest_total else 0.0
            assume(abs(sum(values[name] for name in members) - 1.0) < 1e-12 and (rest or taken == 1.0))
    return values


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return synthgen.load_scenario(ROOT / "scenarios" / "training.yaml").model_dump(mode="json")


@settings(max_examples=examples(6, 0.05), deadline=None, suppress_health_check=list(HealthCheck))
@given(chosen=_rates(), storylines=st.booleans(), people=st.sampled_from([600, 1500]))
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
