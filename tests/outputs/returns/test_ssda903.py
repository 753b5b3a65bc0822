"""The SSDA903 export: the DfE's rules pass (data-to-insight's validator, zero errors) on the demo and on a run of
200,000 people, planted errors are found under the rule their key names, every looked-after child is in the
return and nobody else, and the bytes repeat."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from synthgen import reference
from synthgen.cli import cli
from synthgen.outputs.returns import ssda903
from synthgen.outputs.returns.exports import export_ssda903
from synthgen.run_folder import open_run

RUNNER = Path(__file__).with_name("run_903_validator.py")
CRASHING = {"231"}
"""Rules that raise on every CSV upload in csc-validator-be-903 0.1.17 (231 reads a UASC_STATUS column the CSV
reader never makes), so they cannot judge the data either way."""


def validate(python: Path, run: Path, folder: Path) -> dict[str, list[list[object]]]:
    manifest = open_run(run).manifest
    end = dt.date.fromisoformat(str(manifest["scenario"]["period"]["end"]))
    gss = reference.local_authorities()[manifest["scenario"]["area"]["la_number"]].gss_code
    done = subprocess.run(
        [str(python), str(RUNNER), str(folder), ssda903.ruleset(end), str(end.year), gss],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert set(result["crashed"]) <= CRASHING, f"rules that raised: {result['crashed']}"
    errors: dict[str, list[list[object]]] = result["errors"]
    return errors


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo_return(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_ssda903(demo_run, tmp_path_factory.mktemp("903") / "demo")


@pytest.fixture(scope="module")
def large_return(large_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_ssda903(large_run, tmp_path_factory.mktemp("903") / "large")


def test_the_demo_passes_every_rule(validator_python: Path, demo_run: Path, demo_return: Path) -> None:
    assert validate(validator_python, demo_run, demo_return) == {}


def test_a_run_of_200000_people_passes_every_rule(validator_python: Path, large_run: Path, large_return: Path) -> None:
    assert len(rows(large_return / "episodes.csv")) > 500
    assert rows(large_return / "oc3.csv") and rows(large_return / "ad1.csv") and rows(large_return / "uasc.csv")
    assert validate(validator_python, large_run, large_return) == {}


def test_planted_errors_are_found_under_the_rule_named(validator_python: Path, demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "planted"
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(out), "--plant-errors", "8"])
    assert result.exit_code == 0, result.output
    key = rows(out / "planted_errors.csv")
    assert len(key) == 8
    assert len({k["rule"] for k in key}) == 8  # one of each family (the demo has no care leavers for OC3)
    errors = validate(validator_python, demo_run, out)
    for planted in key:
        found = {(table, child) for table, _, child in errors.get(planted["rule"], [])}  # type: ignore[misc]
        assert any(child == planted["child"] for _, child in found), planted


def test_every_looked_after_child_is_in_the_return_and_nobody_else(demo_run: Path, demo_return: Path) -> None:
    run = open_run(demo_run)
    period = run.manifest["scenario"]["period"]
    start, end = (np.datetime64(str(period[k])) for k in ("start", "end"))
    episodes = run.read("agencies/social_care/cla_episodes")
    began = episodes["start_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    ended = episodes["end_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    during = (began <= end) & (np.isnat(ended) | (ended >= start))
    looked_after = set(np.asarray(episodes["la_child_id"].to_pylist(), dtype=object)[during])
    leavers = set(run.read("agencies/social_care/care_leavers")["la_child_id"].to_pylist())
    header = [r["CHILD"] for r in rows(demo_return / "header.csv")]
    assert len(header) == len(set(header))
    assert set(header) == looked_after | leavers
    assert {r["CHILD"] for r in rows(demo_return / "episodes.csv")} == looked_after
    assert len(looked_after) > 30


def test_the_export_repeats_byte_for_byte(demo_run: Path, demo_return: Path, tmp_path: Path) -> None:
    again = export_ssda903(demo_run, tmp_path / "again")
    files = sorted(p.relative_to(demo_return) for p in demo_return.rglob("*.csv"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.csv"))
    assert len(files) == 2 * len(ssda903.FILES)
    for name in files:
        assert (again / name).read_bytes() == (demo_return / name).read_bytes(), name


@given(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 25))
def test_birthdays_fall_where_the_validators_put_them(born: dt.date, years: int) -> None:
    try:
        expected = born.replace(year=born.year + years)
    except ValueError:  # 29 February in a year without one: pandas' DateOffset gives 28 February
        expected = dt.date(born.year + years, 2, 28)
    day = ssda903.birthday(np.array([(born - dt.date(1970, 1, 1)).days]), years)[0]
    assert dt.date(1970, 1, 1) + dt.timedelta(days=int(day)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "Error: {missing}: no such run folder"),
        (["{run}", "--plant-errors", "-1"], "Error: Invalid value for '--plant-errors': -1 is not in the range x>=0."),
        (["{run}", "--plant-errors", "100000"], "Error: --plant-errors: 100000 is more than this return can hold"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(demo_run: Path, tmp_path: Path, args: list[str], message: str) -> None:
    values = {"missing": str(tmp_path / "nothing"), "run": str(demo_run)}
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "ssda903", *(a.format(**values) for a in args), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith(message.format(**values))
    assert result.output.count("\n") == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []


def test_an_existing_folder_is_replaced_only_when_asked_and_only_if_it_is_a_return(
    demo_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(out)])
    assert result.exit_code == 0, result.output  # an empty folder holds nothing to lose
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output == f"Error: {out} already exists; pass --overwrite to replace it\n"
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(out), "--overwrite"])
    assert result.exit_code == 2
    assert result.output == f"Error: {out} holds notes.txt, which synthgen did not write; refusing to replace it\n"
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (out / "header.csv").exists() and (out / "previous" / "header.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "header.csv").write_text("not ours: a file of the same name is no sign that synthgen wrote it")
    result = CliRunner().invoke(cli, ["export", "ssda903", str(demo_run), "-o", str(other), "--overwrite"])
    assert result.output == (
        f"Error: {other} has no .synthgen.json (written by an older synthgen?), so what in it is synthgen's cannot be "
        "told; refusing to replace it (remove it yourself)\n"
    )
    assert (other / "header.csv").exists()
