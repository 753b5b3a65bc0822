"""The pytest plugin: a seeded small run per test session, for a vendor's `def test_my_matcher(synthgen_run): ...`.

Registered under the `pytest11` entry point as `synthgen`, so pytest loads it wherever synthgen is installed;
`-p no:synthgen` leaves it out. It imports nothing of synthgen's until a test asks for one of its fixtures.

Fixtures:
- `synthgen_run` (session): a `synthgen.testing.SmallRun`, generated once per session (and once across the
  workers of pytest-xdist, who share the session's temporary folder and take turns on a lock).
- `synthgen_make_run` (session): a function `(scenario=None, people=None, seed=None) -> SmallRun` for a test that
  wants another run than the session's; each is made once per session as well.

Options (command line, or the ini key of the same name with underscores, e.g. `synthgen_people = 2000`):
`--synthgen-scenario FILE` (a scenario YAML; default: 1,000 residents of four Rotherham districts over 2024-25),
`--synthgen-people N` and `--synthgen-seed N` (replacing the scenario's), `--synthgen-cache DIR` (keep the runs
there between sessions; each is named by its scenario and synthgen's version).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from synthgen.scenario.schema import Scenario
    from synthgen.testing.runs import SmallRun

OPTIONS = {
    "scenario": "scenario YAML of the session's run (default: 1,000 residents of Rotherham over 2024-25)",
    "people": "residents of the session's run (default: the scenario's, or 1,000)",
    "seed": "seed of the session's run (default: the scenario's, or 0)",
    "cache": "folder to keep generated runs in between sessions (default: the session's temporary folder)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("synthgen", "synthgen's seeded runs (synthgen.testing)")
    for name, help_text in OPTIONS.items():
        group.addoption(f"--synthgen-{name}", dest=f"synthgen_{name}", default=None, help=help_text)
        parser.addini(f"synthgen_{name}", help_text, default=None)


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"synthgen_{name}") or config.getini(f"synthgen_{name}")
    return str(value) if value not in (None, "") else None


def _whole(config: pytest.Config, name: str) -> int | None:
    value = _setting(config, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f"--synthgen-{name} must be a whole number, not {value!r}") from None


def _cache(config: pytest.Config, factory: pytest.TempPathFactory) -> Path:
    """The folder runs are made in: the option's, or the session's temporary folder (under pytest-xdist, the one
    its workers share, so that a run is generated once for all of them)."""
    chosen = _setting(config, "cache")
    if chosen is not None:
        return Path(chosen)
    base = factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "synthgen-runs"


def _made(scenario: Scenario | None, people: int | None, seed: int | None, cache: Path) -> SmallRun:
    from synthgen.testing.runs import small_run

    return small_run(scenario, people=people, seed=seed, cache_dir=cache)


def pytest_configure(config: pytest.Config) -> None:
    """Options checked before any test runs, so that a bad one is one line of usage error, not a failing fixture;
    synthgen is imported only when an option is given."""
    path = _setting(config, "scenario")
    people, seed = _whole(config, "people"), _whole(config, "seed")
    if path is None and people is None and seed is None:
        return
    from pydantic import ValidationError

    from synthgen.errors import SynthgenError
    from synthgen.scenario.loader import load_scenario
    from synthgen.testing.runs import base_scenario, with_size_and_seed

    try:
        scenario = load_scenario(path) if path is not None else base_scenario()
    except SynthgenError as error:
        raise pytest.UsageError(f"--synthgen-scenario: {str(error).splitlines()[0]}") from None
    try:
        config.stash[_CHOSEN] = with_size_and_seed(scenario, people, seed)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        option = "seed" if where == "seed" else "people"
        raise pytest.UsageError(f"--synthgen-{option}: {where}: {problem['msg']}") from None


_CHOSEN = pytest.StashKey["Scenario"]()


@pytest.fixture(scope="session")
def synthgen_make_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., SmallRun]:
    """A function making (once per session) a small run of a scenario, with its people and seed replaced where
    given: `synthgen_make_run(people=500, seed=3)`."""
    cache = _cache(request.config, tmp_path_factory)

    def make(scenario: Scenario | None = None, *, people: int | None = None, seed: int | None = None) -> SmallRun:
        return _made(scenario, people, seed, cache)

    return make


@pytest.fixture(scope="session")
def synthgen_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    """The session's seeded small run: `.linkage`, `.truth`, `.agency_files`, `.evaluate_linkage(predictions)`."""
    chosen = request.config.stash.get(_CHOSEN, None)
    return _made(chosen, None, None, _cache(request.config, tmp_path_factory))
