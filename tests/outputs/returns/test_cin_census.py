"""The CIN census export: the DfE's rules pass (data-to-insight's validator), planted errors are found, every
child in need of the year is in the return and nobody else, and the bytes are the same every time."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

import synthgen
from synthgen.cli import cli
from synthgen.errors import SynthgenError
from synthgen.outputs.returns import cin_census, cin_census_breaches
from synthgen.outputs.returns.exports import build_cin_census
from synthgen.run_folder import Run, open_run

RUNNER = Path(__file__).with_name("run_cin_validator.py")
DEMO = Path(__file__).parents[3] / "scenarios" / "demo.yaml"


def _generate(folder: Path, people: int | None = None) -> Run:
    scenario = synthgen.load_scenario(DEMO, {"population.people": people} if people else {})
    synthgen.generate(scenario, folder, workers=1, overwrite=True)
    return open_run(folder)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _generate(tmp_path_factory.mktemp("cin") / "demo")


@pytest.fixture(scope="module")
def large(demo_100k: Run) -> Run:
    """The demo at 100,000 people (the issue asks for a run of at least 100,000), shared with the other returns."""
    return demo_100k


def validate(python: Path, xml: bytes, ruleset: str, folder: Path) -> list[dict[str, Any]]:
    path = folder / "cin.xml"
    path.write_bytes(xml)
    done = subprocess.run([str(python), str(RUNNER), str(path), ruleset], capture_output=True, text=True, check=True)
    failures: list[dict[str, Any]] = json.loads(done.stdout)
    return failures


def errors_of(failures: list[dict[str, Any]]) -> list[str]:
    """Errors (and rules that crashed), one line each: rule, child, table, column, row."""
    return [
        f"{f['rule']} {f['child']} {f['table']}.{f['column']} row {f['row']}: {f['message'][:80]}"
        for f in failures
        if f["type"] != "QUERY"
    ]


@pytest.mark.parametrize("which", ["demo", "large"])
def test_the_dfe_rules_pass_with_zero_errors(
    which: str, request: pytest.FixtureRequest, validator_python: Path, tmp_path: Path
) -> None:
    run: Run = request.getfixturevalue(which)
    exported = build_cin_census(run)
    assert exported.year.ruleset == "cin2024_25"
    assert exported.children > (50 if which == "demo" else 1000)
    failures = validate(validator_python, exported.xml, exported.year.ruleset, tmp_path)
    errors = errors_of(failures)
    assert not errors, f"{len(errors)} rule failures:\n" + "\n".join(errors[:50])


def test_planted_errors_are_each_found_with_the_rule_the_key_names(
    demo: Run, validator_python: Path, tmp_path: Path
) -> None:
    planted = len(cin_census_breaches.BREACHES) + 3  # every family, and a second turn for some
    exported = build_cin_census(demo, planted)
    assert exported.key is not None
    key = exported.key.to_pylist()
    assert len(key) == planted
    assert len({row["la_child_id"] for row in key}) == planted  # one child each
    assert {row["rule"] for row in key} == {b.rule for b in cin_census_breaches.BREACHES}
    found = {(f["rule"], f["child"]) for f in validate(validator_python, exported.xml, "cin2024_25", tmp_path)}
    missed = [row for row in key if (row["rule"], row["la_child_id"]) not in found]
    assert not missed, f"planted errors the validator did not find: {missed}"


def test_every_child_in_need_of_the_year_is_in_the_return_and_nobody_else(demo: Run) -> None:
    referrals = demo.read("agencies/social_care/referrals")
    start, end = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    open_in_year = pc.and_(
        pc.less_equal(referrals["referral_date"], end),
        pc.or_kleene(pc.is_null(referrals["closure_date"]), pc.greater_equal(referrals["closure_date"], start)),
    )
    expected = set(referrals.filter(open_in_year)["la_child_id"].to_pylist())
    root = ET.fromstring(build_cin_census(demo).xml)
    children = [child.findtext("ChildIdentifiers/LAchildID") for child in root.iter("Child")]
    assert len(children) == len(set(children))
    assert set(children) == expected
    # every referral open in the year is in an episode (its own or the open episode it came during)
    episodes = sum(1 for _ in root.iter("CINdetails"))
    assert 0 < episodes <= int(pc.sum(open_in_year).as_py())
    plans = demo.read("agencies/social_care/cp_plans")
    open_plans = pc.or_kleene(pc.is_null(plans["end_date"]), pc.greater_equal(plans["end_date"], start))
    assert sum(1 for _ in root.iter("ChildProtectionPlans")) == int(pc.sum(open_plans).as_py())


def test_the_header_names_the_year_and_the_authority(demo: Run) -> None:
    root = ET.fromstring(build_cin_census(demo).xml)
    assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert root.findtext("Header/CollectionDetails/Year") == "2025"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"
    assert root.findtext("Header/Source/LEA") == "372"


def test_the_export_is_deterministic(demo: Run) -> None:
    first, second = build_cin_census(demo, 5), build_cin_census(demo, 5)
    assert first.xml == second.xml
    assert first.key is not None and second.key is not None and first.key.equals(second.key)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-04-01", "2025-03-31", (dt.date(2024, 4, 1), dt.date(2025, 3, 31))),
        ("2023-01-01", "2025-06-30", (dt.date(2024, 4, 1), dt.date(2025, 3, 31))),
        ("2023-04-01", "2024-04-30", (dt.date(2023, 4, 1), dt.date(2024, 3, 31))),
    ],
)
def test_the_collection_year_is_the_last_whole_one_in_the_period(
    start: str, end: str, expected: tuple[dt.date, dt.date]
) -> None:
    year = cin_census.collection_year(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert (year.start, year.reference_date) == expected


def test_a_period_without_a_whole_collection_year_is_refused() -> None:
    with pytest.raises(SynthgenError, match="holds no whole collection year"):
        cin_census.collection_year(dt.date(2024, 6, 1), dt.date(2025, 3, 31))


def test_the_cli_writes_the_return_and_the_key(demo: Run, tmp_path: Path) -> None:
    out = tmp_path / "cin.xml"
    result = CliRunner().invoke(cli, ["export", "cin-census", str(demo.path), "-o", str(out), "--plant-errors", "4"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == build_cin_census(demo, 4).xml
    key = pacsv.read_csv(tmp_path / "cin.key.csv")
    assert key.column_names == ["rule", "la_child_id", "module", "field", "value"]
    assert key.num_rows == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _fails(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    return str(result.output)


def test_cli_bad_input_is_one_line(demo: Run, tmp_path: Path) -> None:
    missing = tmp_path / "nothing"
    assert _fails(["export", "cin-census", str(missing), "-o", str(tmp_path / "a.xml")]) == (
        f"Error: {missing}: no such run folder\n"
    )
    assert _fails(["export", "cin-census", str(demo.path), "-o", str(tmp_path / "a.csv")]) == (
        f"Error: {tmp_path / 'a.csv'}: the CIN census is written as .xml\n"
    )
    assert _fails(["export", "cin-census", str(demo.path), "-o", str(tmp_path / "a.xml"), "--plant-errors", "-1"]) == (
        "Error: Invalid value for '--plant-errors': -1 is not in the range x>=0.\n"
    )
    too_many = _fails(["export", "cin-census", str(demo.path), "-o", str(tmp_path / "a.xml"), "--plant-errors", "9999"])
    assert too_many.startswith("Error: --plant-errors: this return has room for ")
    assert too_many.endswith(" planted errors, not 9999\n")
    assert not (tmp_path / "a.xml").exists()
