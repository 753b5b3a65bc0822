"""Same scenario and seed give the same bytes, whatever the number of workers; another seed gives others."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import synthgen
from synthgen import run_tasks
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
def test_same_bytes_however_many_shards_a_task_makes(
    write_scenario: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partitioned: bool
) -> None:
    """Large runs make several shards a task, so a keyed table has fewer parts to merge; the run is the same."""
    scenario = synthgen.load_scenario(write_scenario(people=4_000))
    alone = synthgen.generate(scenario, tmp_path / "alone", pairs=True, partitioned=partitioned)
    assert run_tasks.shard_tasks(alone["shards"]) == 3
    runs = {}
    for parts, tasks in ((2, 2), (1, 1)):  # tasks of shards [0, 1] and [2]; then all three in one task
        monkeypatch.setattr(run_tasks, "PARTS_PER_TABLE", parts)
        assert run_tasks.shard_tasks(alone["shards"]) == tasks
        heard: list[tuple[int, int]] = []

        def hear(stage: str, done: int, total: int, heard: list[tuple[int, int]] = heard) -> None:
            if stage == "shards":
                heard.append((done, total))

        runs[parts] = synthgen.generate(
            scenario,
            tmp_path / str(parts),
            pairs=True,
            partitioned=partitioned,
            progress=hear,
        )
        assert heard[0] == (0, 3) and heard[-1] == (3, 3)  # progress counts shards, not tasks
    manifests = {(tmp_path / name / "manifest.json").read_bytes() for name in ("alone", "2", "1")}
    assert len(manifests) == 1  # every file's (or part file's) sha256 the same
    assert alone == runs[2] == runs[1]


def test_another_seed_changes_every_table_with_people(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=1)), tmp_path / "a")
    synthgen.generate(synthgen.load_scenario(write_scenario(seed=2)), tmp_path / "b")
    a, b = checksums(tmp_path / "a"), checksums(tmp_path / "b")
    assert a.keys() == b.keys()
    people_tables = [path for path in a if "practices" not in path and "schools" not in path]
    assert all(a[path] != b[path] for path in people_tables)
