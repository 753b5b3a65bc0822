"""The training pack: what each trainee is handed, and the facilitator's key that says where every planted record
sits."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import synthgen
from synthgen.cli import cli
from synthgen.outputs.training import pack as pack_module
from synthgen.outputs.training.pack import export_training


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("training") / "run"
    synthgen.generate(synthgen.load_scenario("scenarios/training.yaml"), out)
    return out


@pytest.fixture(scope="module")
def pack(run: Path) -> Path:
    out = run.parent / "pack"
    export_training(run, out)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_storyline_event_is_in_the_key_and_at_the_row_it_names(run: Path, pack: Path) -> None:
    events = pq.read_table(run / "truth" / "storyline_events.parquet").to_pylist()
    assert events, "the training scenario plants storylines"
    key = _rows(pack / "facilitator" / "answer_key.csv")
    planted = {(r["storyline_id"], r["agency"], r["record_id"]): r for r in key if r["planted"] == "yes"}
    files: dict[str, list[dict[str, str]]] = {}
    for event in events:
        entry = planted[(event["storyline_id"], event["agency"], event["record_id"])]
        assert entry["date"] == event["date"].isoformat()
        assert entry["file"].startswith(f"{event['agency']}/")
        rows = files.setdefault(entry["file"], _rows(pack / entry["file"]))
        record = rows[int(entry["row"]) - 2]  # spreadsheet row: the header is row 1
        assert event["record_id"] in record.values()


def test_agency_files_are_the_agency_tables_and_nothing_of_the_truth(run: Path, pack: Path) -> None:
    for parquet in sorted((run / "agencies").glob("*/*.parquet")):
        table = pq.read_table(parquet)
        rows = _rows(pack / parquet.parent.name / f"{parquet.stem}.csv")
        assert len(rows) == table.num_rows
        assert list(rows[0]) == table.column_names if rows else True
        assert "person_id" not in table.column_names
    for agency in ("police", "health", "school", "social_care"):
        book = load_workbook(pack / agency / f"{agency}.xlsx", read_only=True)
        for name in book.sheetnames:
            assert sum(1 for _ in book[name].iter_rows()) == len(_rows(pack / agency / f"{name}.csv")) + 1
        bundle = (pack / agency / "case_bundle.html").read_text(encoding="utf-8")
        assert "storyline" not in bundle.lower() and "person_id" not in bundle


def test_each_planted_case_is_in_its_agencys_bundle(run: Path, pack: Path) -> None:
    events = pq.read_table(run / "truth" / "storyline_events.parquet")
    key = _rows(pack / "facilitator" / "answer_key.csv")
    for agency in set(events["agency"].to_pylist()):
        bundle = (pack / agency / "case_bundle.html").read_text(encoding="utf-8")
        for entry in (r for r in key if r["agency"] == agency and r["planted"] == "yes"):
            assert entry["record_id"] in bundle, (agency, entry)


def test_the_answer_key_names_every_storyline_and_what_good_sharing_was(run: Path, pack: Path) -> None:
    storylines = set(pq.read_table(run / "truth" / "storylines.parquet")["storyline_id"].to_pylist())
    page = (pack / "facilitator" / "answer_key.html").read_text(encoding="utf-8")
    for storyline_id in storylines:
        assert f"{storyline_id}:" in page
    assert "should have shared" in page
    assert "is not a safeguarding case" in page  # the noise case


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.*")}


def test_the_same_run_gives_the_same_pack(run: Path, pack: Path, tmp_path: Path) -> None:
    export_training(run, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(pack)


def test_cli_writes_a_pack_and_refuses_to_overwrite_without_asking(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["export", "training", str(run), "-o", str(out)])
    assert result.exit_code == 0, result.output
    tables = len(list((run / "agencies").glob("*/*.parquet")))
    # each table's CSV; a workbook and a bundle per agency; the key; the front-door exercise and its key; the index
    files = tables + 2 * 4 + 3 + 4 + 1
    assert result.output.startswith(f"Wrote {out}: {files} files; 7 storylines; ")
    assert sum(1 for p in out.rglob("*") if p.is_file() and p.name != ".synthgen.json") == files
    again = CliRunner().invoke(cli, ["export", "training", str(run), "-o", str(out)])
    assert again.exit_code == 2
    assert again.output == f"Error: {out} already exists; pass --overwrite to replace it\n"
    missing = CliRunner().invoke(cli, ["export", "training", str(tmp_path / "nothing"), "-o", str(tmp_path / "p")])
    assert missing.exit_code == 2
    assert missing.output == f"Error: {tmp_path / 'nothing'}: no such run folder\n"
    assert not (tmp_path / "p").exists()


def test_workbooks_hold_typed_cells_and_say_they_are_synthetic(run: Path, pack: Path) -> None:
    book = load_workbook(pack / "health" / "health.xlsx")
    assert "synthetic" in (book.properties.title or "") and "invented" in (book.properties.subject or "")
    sheet = book["gp_registrations"]
    header = [cell.value for cell in sheet[1]]
    first = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert isinstance(first["date_of_birth"], dt.datetime)  # a date Excel sorts as a date
    assert isinstance(first["nhs_number"], str | None)  # an identifier stays text, leading digits and all
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{sheet.max_row}"
    pupils = load_workbook(pack / "school" / "school.xlsx")["pupils"]
    column = [cell.value for cell in pupils[1]].index("fsm_eligible") + 1
    flags = [row[0] for row in pupils.iter_rows(min_row=2, values_only=True, min_col=column, max_col=column)]
    assert {type(value) for value in flags if value is not None} == {bool}


def test_a_table_too_long_for_a_sheet_is_named_in_the_workbook_and_the_index(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pack_module, "XLSX_ROW_LIMIT", 1000)
    out = tmp_path / "pack"
    written = export_training(run, out)
    rows = pq.read_metadata(run / "agencies" / "school" / "attendance.parquet").num_rows
    assert written.left_out["school/attendance"] == rows
    book = load_workbook(out / "school" / "school.xlsx")
    assert book.sheetnames[0] == "Notes" and "attendance" not in book.sheetnames
    notes = [row[0] for row in book["Notes"].iter_rows(min_row=2, values_only=True)]
    assert (
        f"attendance is not in this workbook: its {rows:,} rows are more than a sheet here holds (1,000); "
        "open attendance.csv beside it." in notes
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Tables not in the workbooks" in index and '<a href="school/attendance.csv">' in index


def test_the_index_links_every_file(pack: Path) -> None:
    index = (pack / "index.html").read_text(encoding="utf-8")
    for file in (p for p in pack.rglob("*") if p.is_file() and p.name not in ("index.html", ".synthgen.json")):
        assert f'<a href="{file.relative_to(pack).as_posix()}">' in index


def test_printed_pages_are_a4_and_a_bundle_lists_its_cases_as_the_agency_names_them(run: Path, pack: Path) -> None:
    bundle = (pack / "health" / "case_bundle.html").read_text(encoding="utf-8")
    assert "@page { size: A4 landscape" in bundle
    assert '<nav aria-label="Contents" class="printed">' in bundle
    registrations = pq.read_table(run / "agencies" / "health" / "gp_registrations.parquet").to_pylist()
    named: dict[str, set[str]] = {}  # a number recorded for a relative too names two people: both are listed
    for r in registrations:
        named.setdefault(r["nhs_number"], set()).add(f"{r['given_name']} {r['family_name']}, born {r['date_of_birth']}")
    entries = re.findall(r'<li><a href="#[^"]+">NHS number (\d+): ([^<]+)</a></li>', bundle)
    assert entries and all(set(name.split(" / ")) <= named[number] for number, name in entries if number in named)
    key = (pack / "facilitator" / "answer_key.html").read_text(encoding="utf-8")
    assert "@page { size: A4 landscape" in key and 'class="printed"' in key


def test_the_pack_reports_its_progress(run: Path, tmp_path: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    export_training(run, tmp_path / "pack", progress=lambda stage, done, total: heard.append((stage, done, total)))
    assert heard[0] == ("training pack", 0, 5) and heard[-1] == ("training pack", 5, 5)


def test_the_front_door_exercise_is_a_day_of_contacts_and_what_a_good_check_finds(run: Path, pack: Path) -> None:
    todays = _rows(pack / "front_door" / "contacts_of_the_day.csv")
    assert todays and len({row["received_at"][:10] for row in todays}) == 1  # one day's contacts
    day = todays[0]["received_at"][:10]
    contacts = pq.read_table(run / "agencies" / "social_care" / "contacts.parquet").to_pylist()
    assert {c["contact_id"] for c in contacts if c["received_at"].date().isoformat() == day} == {
        row["contact_id"] for row in todays
    }
    key = _rows(pack / "facilitator" / "front_door_key.csv")
    assert {row["contact_id"] for row in key} == {row["contact_id"] for row in todays}
    truth = pq.read_table(run / "truth" / "contact_records.parquet").to_pylist()
    expected = {
        (r["contact_id"], r["record_id"]) for r in truth if r["contact_id"] in {t["contact_id"] for t in todays}
    }
    assert {(row["contact_id"], row["record_id"]) for row in key if row["record_id"]} == expected
    for row in key:  # every record a good check would find is where the key says, in the agency's own file
        if row["file"] and row["row"]:
            held = _rows(pack / row["file"])[int(row["row"]) - 2]
            id_column = next(name for name in held if held[name] == row["record_id"])
            assert id_column
    subjects = _rows(pack / "front_door" / "contact_subjects.csv")
    assert {s["contact_id"] for s in subjects} <= {row["contact_id"] for row in todays}
