"""One rule for every folder synthgen writes: nothing of the user's is ever deleted.

An existing folder is replaced only with --overwrite, and only if synthgen wrote it and it holds nothing else; no
run is written inside another, no parent folder is created, a path that cannot be a folder is refused up front,
and what a killed writer left beside the folder is cleaned up (an old run put back) by the next writer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import synthgen
from synthgen.outputs import folders, locks
from tests.cli_runs import run


@pytest.fixture
def scenario(write_scenario: Callable[..., Path]) -> str:
    return str(write_scenario(people=400))


@pytest.fixture
def made(scenario: str, tmp_path: Path) -> Path:
    """A run synthgen wrote, in tmp_path/run."""
    out = tmp_path / "run"
    assert run("generate", scenario, "-o", str(out), "--quiet")[0] == 0
    return out


def _everything(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_run_is_marked_with_what_synthgen_wrote(made: Path) -> None:
    marker = json.loads((made / ".synthgen.json").read_text(encoding="utf-8"))
    assert marker["synthgen"] == "run"
    files = {str(p.relative_to(made)) for p in made.rglob("*") if p.is_file()} - {".synthgen.json"}
    assert set(marker["files"]) == files and "manifest.json" in files
    assert sorted(p.name for p in made.parent.iterdir()) == ["run", "s.yaml"]  # no lock, no temporary folder


def test_overwrite_refuses_a_run_holding_anything_synthgen_did_not_write(scenario: str, made: Path) -> None:
    (made / "agencies" / "my notes.txt").write_text("notes")
    (made / "nested").mkdir()
    before = _everything(made)
    assert run("generate", scenario, "-o", str(made), "--overwrite") == (
        2,
        "",
        f"Error: {made} holds nested/, which synthgen did not write; refusing to replace it\n",
    )
    (made / "nested").rmdir()
    assert run("generate", scenario, "-o", str(made), "--overwrite") == (
        2,
        "",
        f"Error: {made} holds agencies/my notes.txt, which synthgen did not write; refusing to replace it\n",
    )
    assert _everything(made) == before


def test_a_file_named_like_ours_is_no_sign_that_synthgen_wrote_the_folder(
    scenario: str, made: Path, tmp_path: Path
) -> None:
    for name, command in (("manifest.json", ["generate", scenario]), ("index.html", ["export", "training", str(made)])):
        folder = tmp_path / name.replace(".", "-")
        folder.mkdir()
        (folder / name).write_text("{}")
        (folder / "thesis.txt").write_text("years of work")
        code, _, stderr = run(*command, "-o", str(folder), "--overwrite")
        assert code == 2 and stderr.endswith("; refusing to replace it (remove it yourself)\n"), stderr
        assert (folder / "thesis.txt").read_text() == "years of work"


def test_a_run_is_never_written_inside_another(scenario: str, made: Path) -> None:
    nested = made / "nested"
    assert run("generate", scenario, "-o", str(nested), "--quiet") == (
        2,
        "",
        f"Error: {nested} is inside {made}, which is a synthgen run; write it outside that folder\n",
    )
    assert run("export", "training", str(made), "-o", str(made / "pack")) == (
        2,
        "",
        f"Error: {made / 'pack'} is inside {made}, which is a synthgen run; write it outside that folder\n",
    )
    assert not nested.exists() and not (made / "pack").exists()


def test_one_kind_of_output_never_replaces_another(scenario: str, made: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    assert run("export", "training", str(made), "-o", str(pack))[0] == 0
    assert run("generate", scenario, "-o", str(pack), "--overwrite") == (
        2,
        "",
        f"Error: {pack} is a training pack, not a synthgen run; refusing to replace it\n",
    )


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("a-file", "{out} is a file, not a synthgen run; refusing to replace it"),
        ("a-file/run", "{out}: cannot be written, {tmp}/a-file is not a folder"),
        ("missing/run", "{out}: cannot be written, {tmp}/missing does not exist"),
        ("x" * 300, "{out}: the name is longer than a file system allows (255 bytes)"),
    ],
)
def test_a_path_that_cannot_be_a_run_is_refused_before_any_work(
    scenario: str, tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("mine")
    out = tmp_path / where
    assert run("generate", scenario, "-o", str(out), "--overwrite") == (
        2,
        "",
        f"Error: {message.format(out=out, tmp=tmp_path)}\n",
    )
    assert (tmp_path / "a-file").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "s.yaml"]  # no parent made, nothing left


def test_a_symbolic_link_and_the_current_folder_are_refused(
    scenario: str, made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "link"
    link.symlink_to(made)
    assert run("generate", scenario, "-o", str(link), "--overwrite") == (
        2,
        "",
        f"Error: {link} is a symbolic link; name the folder it points to\n",
    )
    monkeypatch.chdir(made / "agencies")
    assert run("generate", scenario, "-o", ".", "--overwrite") == (
        2,
        "",
        "Error: . holds the current folder; choose a folder beside it\n",
    )
    assert link.is_symlink() and (made / "manifest.json").exists()


def test_an_empty_folder_is_used_and_a_protected_run_is_refused_up_front(
    scenario: str, made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("generate", scenario, "-o", str(empty), "--quiet")[0] == 0
    assert (empty / "manifest.json").exists()
    # a user protected part of the old run (root ignores permissions, so the check itself is made to see it)
    protected = str(made / "agencies")
    monkeypatch.setattr(os, "access", lambda path, mode: str(path) != protected)
    before = _everything(made)
    assert run("generate", scenario, "-o", str(made), "--overwrite") == (
        2,
        "",
        f"Error: {made} cannot be replaced: {protected} is read-only\n",
    )
    assert _everything(made) == before


def test_a_run_written_before_the_marker_is_left_alone(scenario: str, made: Path) -> None:
    (made / ".synthgen.json").unlink()
    assert run("generate", scenario, "-o", str(made), "--overwrite") == (
        2,
        "",
        f"Error: {made} has no .synthgen.json (written by an older synthgen?), so what in it is synthgen's cannot be "
        "told; refusing to replace it (remove it yourself)\n",
    )


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(scenario: str, made: Path) -> None:
    before = _everything(made)
    held = locks.acquire(made.resolve(), made)
    try:
        assert run("generate", scenario, "-o", str(made), "--overwrite") == (
            2,
            "",
            f"Error: {made} is being written by another synthgen command; wait for it to finish or write elsewhere\n",
        )
    finally:
        held.release()
    assert _everything(made) == before
    assert run("generate", scenario, "-o", str(made), "--overwrite", "--quiet")[0] == 0


def test_what_a_killed_writer_left_is_cleaned_and_an_old_run_put_back(made: Path) -> None:
    """A kill between the two renames of a swap (where there is no atomic exchange) leaves the old run aside and
    the new one unfinished or finished beside it: the next writer puts the old one back before anything else."""
    before = _everything(made)
    aside = made.parent / ".run.old-0badc0de"
    made.rename(aside)
    (made.parent / ".run.partial-deadbeef").mkdir()
    (made.parent / ".run.partial-deadbeef" / "half.parquet").write_bytes(b"PAR1")
    (made.parent / ".run.lock").write_text("12345\n")
    temp = folders.prepare(made, True, folders.RUN)
    folders.cleanup(temp)
    assert _everything(made) == before
    assert sorted(p.name for p in made.parent.iterdir()) == ["run", "s.yaml"]


def test_the_library_follows_the_same_rule(write_scenario: Callable[..., Path], made: Path) -> None:
    scenario = synthgen.load_scenario(write_scenario(people=400))
    with pytest.raises(synthgen.ArgumentError) as caught:
        synthgen.generate(scenario, made)
    assert str(caught.value) == f"{made} already exists; pass overwrite=True to replace it"
