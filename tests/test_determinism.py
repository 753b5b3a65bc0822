"""Same scenario and seed give the same bytes, whatever the number of workers; another seed gives others."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import synthgen
from synthgen.scenario import plan as plan_module


def checksums(run: Path) -> dict[str, str]:
    manifest = json.loads((run / "manifest.json").read_text())
    return {table["path"]: table["sha256"] for table in manifest["tables"]}


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards of 1,500 people, so a small run has several shards and exercises the merge."""
    monkeypatch.setattr(plan_module, "SHARD_PEOPLE", 1_500)


@pytest.mark.usefixtures("small_shards")
def test_same_seed_same_bytes_for_any_number_of_workers(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    scenario = synthgen.load_scenario(write_scenario(people=4_000))
    one = synthgen.generate(scenario, tmp_path / "one", workers=1)
    assert one["shards"] == 3
    synthgen.generate(scenario, tmp_path / "two", workers=2)
    synthgen.generate(scenario, tmp_path / "again", workers=1)
    assert checksums(tmp_path / "one") == checksums(tmp_path / "two") == checksums(tmp_path / "again")
    assert (tmp_path / "one" / "manifest.json").read_bytes() == (tmp_path / "two" / "manifest.json").read_bytes()


def test_another_seed_changes_every_table_with_people(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=1)), tmp_path / "a")
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=2)), tmp_path / "b")
    a, b = checksums(tmp_path / "a"), checksums(tmp_path / "b")
    assert a.keys() == b.keys()
    people_tables = [path for path in a if "practices" not in path and "schools" not in path]
    assert all(a[path] != b[path] for path in people_tables)
