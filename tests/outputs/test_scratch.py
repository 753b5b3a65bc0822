"""Where a run keeps its parts: in memory when they fit, or in a folder the user names; never left behind."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import synthgen
from synthgen import pipeline
from synthgen.cli import cli
from synthgen.outputs import scratch
from synthgen.outputs.storage import PARTS, Store
from tests.cli_runs import run


@pytest.fixture
def scenario(write_scenario: Callable[..., Path]) -> str:
    return str(write_scenario(people=400))


@pytest.fixture
def part_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every part file a run (in this process) writes, by the path it is written at."""
    written: list[str] = []
    original = Store.write_atomically

    def noted(self: Store, relative: str, write: Any) -> None:
        if relative.startswith(f"{PARTS}/"):
            written.append(self.path(relative))
        original(self, relative, write)

    monkeypatch.setattr(Store, "write_atomically", noted)
    yield written


def _ours(base: Path) -> list[str]:
    """This process's parts folders (and their locks) under `base`."""
    return sorted(p.name for p in base.glob(f"{scratch.PREFIX}{os.getpid()}-*"))


def _tables(out: Path) -> list[tuple[str, str]]:
    return [(t["path"], t["sha256"]) for t in json.loads((out / "manifest.json").read_text())["tables"]]


@pytest.mark.skipif(not scratch.fits_in_memory(1 << 20), reason="no /dev/shm with room here")
def test_a_local_run_keeps_its_parts_in_memory_and_leaves_nothing_there(
    scenario: str, tmp_path: Path, part_paths: list[str]
) -> None:
    assert run("generate", scenario, "-o", str(tmp_path / "run"), "--quiet") == (0, "", "")
    assert part_paths
    assert all(path.startswith(f"{scratch.MEMORY}/{scratch.PREFIX}{os.getpid()}-") for path in part_paths)
    assert _ours(scratch.MEMORY) == []
    assert not [p for p in (tmp_path / "run").rglob("*") if PARTS in p.parts]


def test_the_bytes_are_the_same_wherever_the_parts_are_kept(
    scenario: str, tmp_path: Path, part_paths: list[str]
) -> None:
    """Beside the run (parts that would not fit in memory), in a folder the user names, or by default."""
    mine = tmp_path / "scratch"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert run("generate", scenario, "-o", str(tmp_path / "named"), "--quiet", "--scratch", str(mine))[0] == 0
    assert part_paths and all(path.startswith(f"{mine}/{scratch.PREFIX}") for path in part_paths)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert (mine / "notes.txt").read_text() == "mine"

    assert run("generate", scenario, "-o", str(tmp_path / "default"), "--quiet", "--workers", "2")[0] == 0

    part_paths.clear()
    loaded = synthgen.load_scenario(scenario)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "PARTS_BYTES_PER_PERSON", 10**12)
        patch.setattr(pipeline, "parts_outgrow_memory", lambda people, partitioned: False)
        synthgen.generate(loaded, tmp_path / "beside")
    assert part_paths and all(path.startswith(f"{tmp_path}/.beside.partial-") for path in part_paths)

    assert _tables(tmp_path / "named") == _tables(tmp_path / "default") == _tables(tmp_path / "beside")


def test_each_tables_parts_are_released_once_its_merges_end_not_at_the_runs_end(scenario: str, tmp_path: Path) -> None:
    """What a run holds in its scratch folder (in memory, by default) falls through the merges: a table's parts
    are held no longer than its merges need them."""
    mine = tmp_path / "scratch"
    mine.mkdir()
    held: list[set[str]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "merge":
            folders = {
                str(part.parent.relative_to(folder))
                for folder in mine.glob(f"{scratch.PREFIX}*/")
                for part in folder.rglob("*.arrow")
            }
            held.append(folders)

    synthgen.generate(synthgen.load_scenario(scenario), tmp_path / "run", scratch=mine, progress=progress)
    first, last = held[0], held[-1]
    merged = {f"{PARTS}/truth/people", f"{PARTS}/truth/records", f"{PARTS}/shuffled/linkage/records"}
    assert merged <= first
    # what the passes after the merges still read: the shards' own hard negatives and the namesakes found
    assert last == {f"{PARTS}/truth/hard_negatives", f"{PARTS}/namesake_pairs"}
    assert all(len(later - earlier - {f"{PARTS}/namesake_pairs"}) == 0 for earlier, later in itertools.pairwise(held))


def test_a_failed_run_leaves_no_parts_behind(
    scenario: str, tmp_path: Path, part_paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "scratch"
    mine.mkdir()

    def broken(*args: Any) -> None:
        raise RuntimeError("a merge failed")

    monkeypatch.setattr(pipeline.run_tasks, "merge_truth", broken)
    for where in (["--scratch", str(mine)], []):
        result = CliRunner().invoke(cli, ["generate", scenario, "-o", str(tmp_path / "run"), "--quiet", *where])
        assert isinstance(result.exception, RuntimeError)
    assert part_paths
    assert list(mine.iterdir()) == []
    assert _ours(scratch.MEMORY) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml", "scratch"]


def test_a_killed_runs_parts_are_removed_by_the_next_run_and_a_live_runs_are_not(tmp_path: Path) -> None:
    dead, live = tmp_path / f"{scratch.PREFIX}1-dead", tmp_path / f"{scratch.PREFIX}2-live"
    for folder in (dead, live):
        (folder / PARTS).mkdir(parents=True)
        (folder / PARTS / "00000.arrow").write_bytes(b"part")
        folder.with_name(folder.name + scratch.LOCK).touch()
    (tmp_path / "synthgen-parts-notes").mkdir()  # no lock of ours beside it: not ours to remove
    with open(live.with_name(live.name + scratch.LOCK)) as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the live run holds it
        with scratch.parts_folder(tmp_path) as folder:
            assert folder.is_dir() and folder.name.startswith(f"{scratch.PREFIX}{os.getpid()}-")
            assert not dead.exists() and not dead.with_name(dead.name + scratch.LOCK).exists()
            assert (live / PARTS / "00000.arrow").read_bytes() == b"part"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "synthgen-parts-2-live",
        "synthgen-parts-2-live.lock",
        "synthgen-parts-notes",
    ]


def test_parts_are_held_in_memory_only_when_they_fit_in_half_of_what_is_free() -> None:
    assert not scratch.fits_in_memory(scratch.memory_available() // 2 + 1)
    if scratch.MEMORY.is_dir() and scratch.memory_available():
        assert scratch.fits_in_memory(1 << 20)
    assert scratch.scratch_base(None, 10**15) is None


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing", "scratch: {tmp}/missing does not exist; name a folder on this machine for the run's parts"),
        ("a-file", "scratch: {tmp}/a-file is not a folder; name a folder on this machine for the run's parts"),
    ],
)
def test_a_scratch_that_is_not_a_folder_is_refused_before_any_work(
    scenario: str, tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("mine")
    out = tmp_path / "run"
    assert run("generate", scenario, "-o", str(out), "--scratch", str(tmp_path / where)) == (
        2,
        "",
        f"Error: {message.format(tmp=tmp_path)}\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "s.yaml"]


def test_a_scratch_is_refused_for_a_run_written_to_a_url(scenario: str, tmp_path: Path) -> None:
    assert run("generate", scenario, "-o", "memory://synthgen-scratch/run", "--scratch", str(tmp_path)) == (
        2,
        "",
        f"Error: scratch: {tmp_path} is for a run written to this machine, not to memory://synthgen-scratch/run\n",
    )
