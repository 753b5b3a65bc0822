"""Same scenario and seed give the same bytes, whatever the number of workers; another seed gives others."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import synthgen
from synthgen import run_tasks
from synthgen.run_folder import open_run
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


@pytest.mark.usefixtures("small_shards")
@pytest.mark.parametrize("partitioned", [False, True])
def test_the_same_run_however_many_shards_a_task_makes(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partitioned: bool
) -> None:
    """Large runs make several shards a task, so a keyed table has fewer parts to merge; the run is the same: the
    same bytes, or, for a partitioned run's truth tables (a part file a shard task), the same rows in the same
    order."""
    scenario = synthgen.load_scenario(write_scenario(people=4_000))
    alone = synthgen.generate(scenario, tmp_path / "alone", pairs=True, partitioned=partitioned)
    assert run_tasks.shard_tasks(alone["shards"]) == 3
    for parts, tasks in ((2, 2), (1, 1)):  # tasks of shards [0, 1] and [2]; then all three in one task
        monkeypatch.setattr(run_tasks, "PARTS_PER_TABLE", parts)
        assert run_tasks.shard_tasks(alone["shards"]) == tasks
        heard: list[tuple[int, int]] = []

        def hear(stage: str, done: int, total: int, heard: list[tuple[int, int]] = heard) -> None:
            if stage == "shards":
                heard.append((done, total))

        grouped = synthgen.generate(scenario, tmp_path / str(parts), pairs=True, partitioned=partitioned, progress=hear)
        assert heard[0] == (0, 3) and heard[-1] == (3, 3)  # progress counts shards, not tasks
        if not partitioned:
            assert (tmp_path / str(parts) / "manifest.json").read_bytes() == (
                tmp_path / "alone" / "manifest.json"
            ).read_bytes()  # every file's sha256 the same
            continue
        assert len(tables_of(grouped)["truth/people"]["parts"]) == tasks
        for table, entry in tables_of(grouped).items():
            if run_tasks.written_by_shards(table, partitioned):
                assert len(entry["parts"]) <= tasks
                assert open_run(tmp_path / str(parts)).read(table).equals(open_run(tmp_path / "alone").read(table))
            else:
                assert entry == tables_of(alone)[table]  # every part file's sha256 the same


def tables_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {table["path"]: table for table in manifest["tables"]}


def test_another_seed_changes_every_table_with_people(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=1)), tmp_path / "a")
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=2)), tmp_path / "b")
    a, b = checksums(tmp_path / "a"), checksums(tmp_path / "b")
    assert a.keys() == b.keys()
    people_tables = [path for path in a if "practices" not in path and "schools" not in path]
    assert all(a[path] != b[path] for path in people_tables)
