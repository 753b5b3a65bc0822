"""Ofsted's Annex A export: liiatools' cleaner (an independent reading of the format) finds nothing wrong but its
own known gaps, reads back every code we wrote, finds every planted error where the key puts it; each list holds
the rows the run's own tables say it should; the same run gives the same bytes; bad input is one clear line."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

import synthgen
from synthgen.cli import cli
from synthgen.outputs.returns import annex_a_breaches, annex_a_spec
from synthgen.outputs.returns.annex_a import AnnexA, build_annex_a
from synthgen.outputs.returns.annex_a_spec import Window
from synthgen.run_folder import Run, open_run

RUNNER = Path(__file__).with_name("run_liiatools.py")
INSPECTION = dt.date(2025, 3, 31)  # the demo's last day
SIX_MONTHS = dt.date(2024, 10, 1)
TWELVE_MONTHS = dt.date(2024, 4, 1)

BLANKED = "Number of cells that have been made blank because they could not be formatted correctly"
MISSING = "Number of blank cells that should have contained data"
OUTSIDE_ENGLAND = ("NIR", "WAL", "SCO", "NUK", "CON")
"""The only values liiatools 0.2.0 knows for List 8's "LA of Placement" (data-map.yml), none of them English."""


@pytest.fixture(scope="module")
def demo(demo_run: Path) -> Run:
    return open_run(demo_run)


def clean(python: Path, xlsx: bytes, folder: Path) -> dict[str, Any]:
    """liiatools' cleaning of a workbook: its error log ("" when it wrote none) and the cleaned lists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "annex_a.xlsx"
    path.write_bytes(xlsx)
    done = subprocess.run(
        [str(python), str(RUNNER), "clean", str(path), str(folder / "work")], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def parse_log(log: str) -> Counter[tuple[str, str, str]]:
    """liiatools' error log as counts by (list, kind of error, column heading). Any line it does not know how to
    read (a missing sheet, an unmatched or extra column) fails the test with the line."""
    counts: Counter[tuple[str, str, str]] = Counter()
    sheet = kind = ""
    for line in log.splitlines():
        if not line:
            continue
        if line.startswith("List "):
            sheet = line
        elif line in (BLANKED, MISSING):
            kind = line
        elif sheet and kind and line.startswith(("'", '"')):
            for heading, count in ast.literal_eval("{" + line + "}").items():
                counts[(sheet, kind, heading)] += count
            kind = ""
        else:
            raise AssertionError(f"liiatools logged a line this test does not allow: {line!r}")
    return counts


def known_limits(result: AnnexA) -> Counter[tuple[str, str, str]]:
    """What liiatools 0.2.0 logs for a correct workbook, counted from the workbook itself, and why:

    - its code lists have no 5D (referral source "LA services: early help", in the CIN census since 2023-24), so a
      contact or referral from early help is blanked in lists 1 and 3;
    - List 8's "LA of Placement" knows only placements outside England (NIR, WAL, SCO, NUK, CON) and may not be
      blank, so every child placed in England is blanked there.
    RC9 is not here: liiatools reads our RC9 text as RC8 without a word (checked below)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for number, column, field in ((1, "Contact Source", "contact_source"), (3, "Referral Source", "referral_source")):
        early_help = annex_a_spec.vocabulary("source")["5D"]
        counts[(f"List {number}", BLANKED, column)] = result.lists[number][field].to_pylist().count(early_help)
    in_england = [area for area in result.lists[8]["placement_la"].to_pylist() if area not in OUTSIDE_ENGLAND]
    counts[("List 8", BLANKED, "LA of Placement")] = len(in_england)
    return +counts


def read_back(result: AnnexA, cleaned: dict[str, list[list[Any]]]) -> None:
    """Every code cell liiatools read back holds the code we wrote, except the cells it blanks for its known
    gaps (5D, English placing areas) and RC9, which it reads as RC8."""
    rc9, rc8 = annex_a_spec.vocabulary("closure")["RC9"], annex_a_spec.vocabulary("closure")["RC8"]
    gaps = {annex_a_spec.vocabulary("source")["5D"]}
    for listed in annex_a_spec.lists():
        rows = cleaned[listed.sheet]
        assert len(rows) - 1 == result.lists[listed.number].num_rows, listed.sheet
        headings = rows[0]
        for column in listed.columns:
            if column.kind != "code" and column.field != "placement_la":
                continue
            theirs = [row[headings.index(column.heading)] or None for row in rows[1:]]
            ours = result.lists[listed.number][column.field].to_pylist()
            for mine, read in zip(ours, theirs, strict=True):
                if mine in gaps or column.field == "placement_la":
                    assert read is None
                elif mine == rc9:
                    assert read == rc8  # liiatools' RC8 pattern /.*closed.*\sassess.*/ matches RC9's text
                else:
                    assert read == mine, (listed.sheet, column.heading)


@pytest.mark.parametrize("which", ["demo", "demo_100k"])
def test_liiatools_logs_nothing_but_its_own_known_gaps(
    which: str, request: pytest.FixtureRequest, liiatools_python: Path, tmp_path: Path
) -> None:
    run: Run = request.getfixturevalue(which)
    result = build_annex_a(run)
    assert result.rows()[1] > (300 if which == "demo" else 2000)
    cleaned = clean(liiatools_python, result.xlsx, tmp_path)
    assert parse_log(cleaned["log"]) == known_limits(result)
    assert known_limits(result)[("List 8", BLANKED, "LA of Placement")] == result.rows()[8] > 0
    read_back(result, cleaned["clean"])
    rc9 = annex_a_spec.vocabulary("closure")["RC9"]
    assert rc9 in result.lists[6]["closure_reason"].to_pylist()  # the misreading is exercised, not assumed


def test_headings_and_codes_are_liiatools_reading(liiatools_python: Path) -> None:
    done = subprocess.run([str(liiatools_python), str(RUNNER), "spec"], capture_output=True, text=True, check=True)
    theirs = json.loads(done.stdout)
    added = {annex_a_spec.vocabulary("source")["5D"], annex_a_spec.vocabulary("closure")["RC9"]}
    checked = 0
    for listed in annex_a_spec.lists():
        assert [c.heading for c in listed.columns] == theirs["columns"][listed.sheet]
        for column in listed.columns:
            codes = theirs["codes"].get(listed.sheet, {}).get(column.heading)
            if column.kind != "code" or codes is None:
                continue  # liiatools does not check this column (its data map names it otherwise)
            assert set(annex_a_spec.vocabulary(column.vocabulary).values()) - added <= set(codes), column.heading
            checked += 1
    assert checked > 30


def test_planted_errors_are_found_where_the_key_says(demo: Run, liiatools_python: Path, tmp_path: Path) -> None:
    planted = len(annex_a_breaches.BREACHES) + 3
    result = build_annex_a(demo, plant_errors=planted)
    assert result.key is not None
    key = result.key.to_pylist()
    assert len(key) == planted and len({row["child"] for row in key}) == planted  # one child each
    book = openpyxl.load_workbook(io.BytesIO(result.xlsx))
    expected = known_limits(result)
    for row in key:
        sheet = book[row["list"]]
        headings = [cell.value for cell in sheet[1]]
        written = sheet.cell(row["row"], headings.index(row["column"]) + 1).value
        assert (written or "") == row["value"]
        assert sheet.cell(row["row"], 1).value == row["child"]
        kind = MISSING if row["rule"] == "blank" else BLANKED
        expected[(row["list"], kind, row["column"])] += 1
    assert parse_log(clean(liiatools_python, result.xlsx, tmp_path)["log"]) == expected


def _in(table: pa.Table, column: str, first: dt.date, last: dt.date = INSPECTION) -> pa.Table:
    values = table[column]
    if pa.types.is_timestamp(values.type):
        values = pc.cast(values, pa.date32())
    return table.filter(pc.and_(pc.greater_equal(values, first), pc.less_equal(values, last)))


def _open_or_ended_since(table: pa.Table, first: dt.date) -> pa.Table:
    return table.filter(pc.or_kleene(pc.is_null(table["end_date"]), pc.greater_equal(table["end_date"], first)))


@pytest.mark.parametrize("months", [6, 12])
def test_list_counts_are_the_runs_own(demo: Run, months: int) -> None:
    result = build_annex_a(demo, months=months)
    first = SIX_MONTHS if months == 6 else TWELVE_MONTHS
    sc = {name: demo.read(f"agencies/social_care/{name}") for name in ("contacts", "early_help", "referrals")}
    sc |= {name: demo.read(f"agencies/social_care/{name}") for name in ("assessments", "section47", "cp_plans")}
    episodes = demo.read("agencies/social_care/cla_episodes")
    rows = result.rows()
    assert rows[1] == _in(sc["contacts"], "received_at", first).num_rows
    # one row per child a contact names: a run's contact names one (or one unborn child)
    subjects = demo.read("agencies/social_care/contact_subjects")
    children = subjects.filter(pc.is_in(subjects["role"], pa.array(["child", "unborn"])))["contact_id"]
    assert sorted(children.to_pylist()) == sorted(sc["contacts"]["contact_id"].to_pylist())
    assessed = set(_in(sc["early_help"], "assessment_date", first)["record_id"].to_pylist())
    still = set(_open_or_ended_since(sc["early_help"], INSPECTION + dt.timedelta(days=1))["record_id"].to_pylist())
    assert rows[2] == len(assessed | still)
    assert rows[3] == _in(sc["referrals"], "referral_date", first).num_rows
    a = sc["assessments"]
    authorised = a["authorised_date"]
    in_progress = a.filter(pc.or_kleene(pc.is_null(authorised), pc.greater_equal(authorised, first)))
    assert rows[4] == in_progress.num_rows
    assert rows[5] == _in(sc["section47"], "start_date", first).num_rows
    assert rows[7] == _open_or_ended_since(sc["cp_plans"], first).num_rows
    # list 8: children looked after on the day, or whose care ended (not a change of episode, X1) in the window
    looked_after = set(episodes.filter(pc.is_null(episodes["end_date"]))["la_child_id"].to_pylist())
    ceased = _in(episodes, "end_date", first)
    ceased = ceased.filter(pc.not_equal(ceased["reason_episode_ceased"], "X1"))
    assert rows[8] == len(looked_after | set(ceased["la_child_id"].to_pylist()))
    leavers = demo.read("agencies/social_care/care_leavers")
    assert rows[9] == len(set(leavers["la_child_id"].to_pylist()))
    assert rows[11] == 0
    # list 6: one row per child in need (not only a referral with no further action) open in the window
    r = _open_or_ended_since(sc["referrals"].rename_columns({"closure_date": "end_date"}), first)
    assert rows[6] == len(set(r.filter(pc.invert(r["nfa"]))["la_child_id"].to_pylist()))


def test_the_readme_states_the_demos_rows(demo: Run) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- annex-a rows:")[1].split("\n\n")[0].splitlines()[3:]
    stated = {int(line.split("|")[1].split()[0]): int(line.split("|")[2]) for line in table}
    assert stated == build_annex_a(demo).rows()


def test_the_lists_cover_what_ofsted_asks(demo: Run) -> None:
    result = build_annex_a(demo)
    lists = result.lists
    window = Window(INSPECTION)
    assert (window.start, window.year_start) == (SIX_MONTHS, TWELVE_MONTHS)
    for number in (1, 3):
        dates = lists[number]["date_of_contact" if number == 1 else "referral_date"]
        assert pc.min(dates).as_py() >= SIX_MONTHS and pc.max(dates).as_py() <= INSPECTION
    for number in (6, 8, 9):
        assert len(set(lists[number]["child_id"].to_pylist())) == lists[number].num_rows  # one row per child
    status = Counter(lists[6]["case_status"].to_pylist())
    assert status["e) Closed episode"] == pc.sum(pc.is_valid(lists[6]["cin_closed"])).as_py()
    # children in care: every one still looked after has no ceased date; placements and counts are numbers
    assert pc.all(pc.greater_equal(lists[8]["placements_12_months"], 1)).as_py()
    assert set(lists[8]["placement_location"].to_pylist()) == {"a) In"}
    assert set(lists[8]["placement_la"].to_pylist()) == {"Rotherham"}
    # a contact about a child the authority holds no record for names the child by the contact's record
    unknown = lists[1].filter(pc.equal(lists[1]["ethnicity"], "s) NOBT"))
    assert unknown.num_rows > 0 and {len(i) for i in unknown["child_id"].to_pylist()} == {12}


def test_every_cell_is_of_its_column(demo_100k: Run) -> None:
    """Codes from their code lists (the columns liiatools does not check too), required columns filled, teams
    and workers allocated."""
    result = build_annex_a(demo_100k)
    for listed in annex_a_spec.lists():
        table = result.lists[listed.number]
        for column in listed.columns:
            values = table[column.field]
            if column.required:
                assert values.null_count == 0, (listed.sheet, column.heading)
            if column.kind == "code":
                allowed = set(annex_a_spec.vocabulary(column.vocabulary).values())
                assert set(values.drop_null().to_pylist()) <= allowed, (listed.sheet, column.heading)
    workers = Counter(result.lists[6]["worker"].to_pylist())
    assert max(workers.values()) <= 16  # England's average caseload, 15.4, rounded up


def test_the_same_run_gives_the_same_bytes(demo: Run, tmp_path: Path) -> None:
    first, second = build_annex_a(demo, plant_errors=4), build_annex_a(demo, plant_errors=4)
    assert first.xlsx == second.xlsx
    assert first.key is not None and second.key is not None and first.key.equals(second.key)
    written = synthgen.export_annex_a(demo, tmp_path / "a.xlsx", plant_errors=4)
    assert (tmp_path / "a.xlsx").read_bytes() == first.xlsx and written.key_path == tmp_path / "a.key.csv"


def test_the_cli_writes_the_workbook_and_the_key(demo: Run, tmp_path: Path) -> None:
    out = tmp_path / "annex.xlsx"
    args = ["export", "annex-a", str(demo.path), "-o", str(out), "--plant-errors", "3", "--months", "12"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {out}: Annex A as on 2025-03-31, rows by list: 1 ")
    assert out.read_bytes() == build_annex_a(demo, months=12, plant_errors=3).xlsx
    key = pacsv.read_csv(tmp_path / "annex.key.csv")
    assert key.column_names == list(annex_a_breaches.KEY_COLUMNS) and key.num_rows == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert openpyxl.load_workbook(out).sheetnames == [f"List {n}" for n in range(1, 12)]


def _fails(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    return str(result.output)


def test_bad_input_is_one_clear_line(demo: Run, tmp_path: Path, write_scenario: Callable[..., Path]) -> None:
    run, out = str(demo.path), str(tmp_path / "a.xlsx")
    missing = tmp_path / "nothing"
    assert _fails(["export", "annex-a", str(missing), "-o", out]) == f"Error: {missing}: no such run folder\n"
    assert _fails(["export", "annex-a", run, "-o", str(tmp_path / "a.csv")]) == (
        f"Error: {tmp_path / 'a.csv'}: Annex A is written as .xlsx\n"
    )
    (tmp_path / "folder.xlsx").mkdir()
    assert _fails(["export", "annex-a", run, "-o", str(tmp_path / "folder.xlsx")]).startswith(
        f"Error: {tmp_path / 'folder.xlsx'}: cannot be written ("
    )
    assert _fails(["export", "annex-a", run, "-o", out, "--months", "3"]) == (
        "Error: Invalid value for '--months': '3' is not one of '6', '12'.\n"
    )
    too_many = _fails(["export", "annex-a", run, "-o", out, "--plant-errors", "99999"])
    assert too_many.startswith("Error: --plant-errors: this return has room for ")
    assert not (tmp_path / "a.xlsx").exists()
    scenario = write_scenario(people=1500)
    scenario.write_text(scenario.read_text() + "front_door:\n  enabled: false\n")
    no_front_door = tmp_path / "no-front-door"
    synthgen.generate(synthgen.load_scenario(scenario), no_front_door)
    assert _fails(["export", "annex-a", str(no_front_door), "-o", out]) == (
        f"Error: {no_front_door}: this run has no front door (agencies/social_care/contacts), which Annex A's "
        "contacts and early help are read from\n"
    )
    with pytest.raises(synthgen.ArgumentError, match=r"^months: 7 is not allowed \(6 or 12\)$"):
        build_annex_a(demo, months=7)


@pytest.mark.parametrize(
    ("inspection", "months", "first"),
    [
        (dt.date(2025, 3, 31), 6, dt.date(2024, 10, 1)),
        (dt.date(2025, 3, 31), 12, dt.date(2024, 4, 1)),
        (dt.date(2024, 8, 30), 6, dt.date(2024, 2, 29)),
        (dt.date(2024, 6, 15), 6, dt.date(2023, 12, 16)),
    ],
)
def test_windows_count_back_whole_months(inspection: dt.date, months: int, first: dt.date) -> None:
    assert Window(inspection, months).start == first
