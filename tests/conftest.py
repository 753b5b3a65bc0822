"""Shared fixtures: small scenarios written on the fly, and one generated run shared by the read-only tests."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import synthgen

FUZZ_EXAMPLES = int(os.environ.get("SYNTHGEN_FUZZ_EXAMPLES", "10000"))
settings.register_profile(
    "fuzz", max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)
"""`python -m pytest --hypothesis-profile=fuzz tests/fuzz`: 10,000 cases of each fuzz test (tests/fuzz/conftest.py);
SYNTHGEN_FUZZ_EXAMPLES sets another number for a shorter or longer run."""
settings.register_profile("synthgen", deadline=None)
settings.load_profile("synthgen")
"""Property tests state what holds, not how fast: speed lives in benchmarks/, and a per-example deadline only
measures how busy the machine is (--hypothesis-profile still chooses another profile)."""

SCENARIO = """\
scenario_version: 1
name: {name}
seed: {seed}
population:
  people: {people}
area:
  la_number: 372
  la_name: Rotherham
  outward_codes: [S60, S61, S65, S66]
period:
  start: 2024-04-01
  end: 2025-03-31
"""

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario file from the template above (or from text given whole) and return its path."""

    def write(
        text: str | None = None,
        *,
        name: str = "test",
        seed: int = 7,
        people: int = 2000,
        file: str = "s.yaml",
    ) -> Path:
        path = tmp_path / file
        body = textwrap.dedent(text) if text is not None else SCENARIO.format(name=name, seed=seed, people=people)
        path.write_text(body, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped demo scenario, generated once for every test that only reads a run."""
    out = tmp_path_factory.mktemp("runs") / "demo"
    synthgen.generate(synthgen.load_scenario(ROOT / "scenarios" / "demo.yaml"), out, pairs=True)
    return out


@pytest.fixture(scope="session")
def demo_daily_feed(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's daily Parquet feed, written once for every test that only reads it."""
    out = tmp_path_factory.mktemp("feeds") / "daily"
    synthgen.feed(demo_run, out)
    return out


@pytest.fixture(scope="session")
def demo_weekly_feed(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's weekly Parquet feed, written once for every test that only reads it."""
    out = tmp_path_factory.mktemp("feeds") / "weekly"
    synthgen.feed(demo_run, out, cadence="weekly")
    return out


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with the `clean` data-quality profile: the registers exactly as the truth has them."""
    out = tmp_path_factory.mktemp("runs") / "clean"
    scenario = synthgen.load_scenario(ROOT / "scenarios" / "demo.yaml", {"data_quality.profile": "clean"})
    synthgen.generate(scenario, out, pairs=True)
    return out


@pytest.fixture(scope="session")
def large_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 residents of Birmingham: large enough to hold the England figures to their stated tolerances."""
    out = tmp_path_factory.mktemp("runs") / "large"
    scenario = synthgen.load_scenario(ROOT / "scenarios" / "birmingham.yaml", {"population.people": 200_000})
    synthgen.generate(scenario, out, workers=2)
    return out
