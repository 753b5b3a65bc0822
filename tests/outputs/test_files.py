"""The same rule for every command that writes files: an existing file is replaced only with --overwrite, no
parent folder is created, and a folder, a symbolic link or one file named for two outputs is refused, all before
any work is done and with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runs import run

WRITERS = {
    "link": lambda run_, out: ["link", run_, "--method", "exact", "-o", out],
    "screen": lambda run_, out: ["screen", run_, "--method", "exact", "-o", out],
    "cin-census": lambda run_, out: ["export", "cin-census", run_, "-o", out],
    "evaluate": lambda run_, out: ["evaluate", "sharing", run_, "{flags}", "--json", out],
    "mash": lambda run_, out: ["mash", run_, "--method", "exact", "-o", out],
    "evaluate-mash": lambda run_, out: ["evaluate", "mash", run_, "{responses}", "--report", out],
    "annex-a": lambda run_, out: ["export", "annex-a", run_, "-o", out],
}
SUFFIX = {
    "link": ".csv",
    "screen": ".csv",
    "cin-census": ".xml",
    "evaluate": ".json",
    "mash": ".parquet",
    "evaluate-mash": ".html",
    "annex-a": ".xlsx",
}


@pytest.fixture(scope="module")
def flags(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flags") / "flags.csv"
    assert run("screen", str(demo_run), "--method", "exact", "-o", str(path))[0] == 0
    return path


@pytest.fixture(scope="module")
def responses(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("responses") / "responses.parquet"
    assert run("mash", str(demo_run), "--method", "exact", "-o", str(path))[0] == 0
    return path


@pytest.fixture
def inputs(flags: Path, responses: Path) -> dict[str, Path]:
    return {"flags": flags, "responses": responses}


def _args(name: str, demo_run: Path, out: Path, inputs: dict[str, Path]) -> list[str]:
    return [a.format(**inputs) for a in WRITERS[name](str(demo_run), str(out))]


@pytest.mark.parametrize("name", WRITERS)
def test_an_existing_file_is_replaced_only_with_overwrite(
    name: str, demo_run: Path, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / f"mine{SUFFIX[name]}"
    out.write_text("mine")
    assert run(*_args(name, demo_run, out, inputs)) == (
        2,
        "",
        f"Error: {out} already exists; pass --overwrite to replace it\n",
    )
    assert out.read_text() == "mine"
    code, _, stderr = run(*_args(name, demo_run, out, inputs), "--overwrite")
    assert (code, stderr) == (0, "")
    assert out.read_text(errors="replace") != "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no lock, no temporary file left


@pytest.mark.parametrize("name", WRITERS)
def test_no_parent_folder_is_created_and_a_folder_is_not_a_file(
    name: str, demo_run: Path, inputs: dict[str, Path], tmp_path: Path
) -> None:
    typo = tmp_path / "outptu" / f"x{SUFFIX[name]}"
    assert run(*_args(name, demo_run, typo, inputs)) == (
        2,
        "",
        f"Error: {typo}: cannot be written, {tmp_path / 'outptu'} does not exist\n",
    )
    folder = tmp_path / f"folder{SUFFIX[name]}"
    folder.mkdir()
    assert run(*_args(name, demo_run, folder, inputs), "--overwrite") == (
        2,
        "",
        f"Error: {folder} is a folder; name a file to write\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]


def test_one_file_for_two_outputs_and_a_symbolic_link_are_refused(demo_run: Path, tmp_path: Path) -> None:
    both = tmp_path / "both.csv"
    assert run("screen", str(demo_run), "-o", str(both), "--disclosures", str(both)) == (
        2,
        "",
        f"Error: {both} is named twice; each output needs a file of its own\n",
    )
    target = tmp_path / "target.csv"
    target.write_text("mine")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run("link", str(demo_run), "--method", "exact", "-o", str(link), "--overwrite") == (
        2,
        "",
        f"Error: {link} is a symbolic link; name the file itself\n",
    )
    assert target.read_text() == "mine"


def test_the_cin_census_key_follows_the_rule_too(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "cin.xml"
    key = tmp_path / "cin.key.csv"
    key.write_text("mine")
    assert run("export", "cin-census", str(demo_run), "-o", str(out), "--plant-errors", "3") == (
        2,
        "",
        f"Error: {key} already exists; pass --overwrite to replace it\n",
    )
    assert not out.exists() and key.read_text() == "mine"


def test_the_annex_a_key_follows_the_rule_too(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "annex-a.xlsx"
    key = tmp_path / "annex-a.key.csv"
    key.write_text("mine")
    assert run("export", "annex-a", str(demo_run), "-o", str(out), "--plant-errors", "3") == (
        2,
        "",
        f"Error: {key} already exists; pass --overwrite to replace it\n",
    )
    assert not out.exists() and key.read_text() == "mine"
