"""The readable files: what a person opening them in a spreadsheet sees, and equal tables giving equal bytes."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook

from synthgen.outputs.tabular import Properties, write_csv, write_xlsx

TABLE = pa.table(
    {
        "record_id": pa.array(["A1", "B2"]),
        "arrived_at": pa.array([dt.datetime(2024, 7, 18, 10, 53, 52), None], pa.timestamp("ms")),
        "date_of_birth": pa.array([dt.date(2019, 2, 26), dt.date(2008, 7, 12)], pa.date32()),
        "factors": pa.array([["3B", "4B"], []], pa.list_(pa.string())),
        "injury": pa.array([True, False]),
        "sessions": pa.array([4, None], pa.int16()),
        "note": pa.array(['said "no", then left', None]),
    }
)


def test_csv_holds_values_as_people_read_them(tmp_path: Path) -> None:
    write_csv(TABLE, tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0] == {
        "record_id": "A1",
        "arrived_at": "2024-07-18 10:53",
        "date_of_birth": "2019-02-26",
        "factors": "3B; 4B",
        "injury": "yes",
        "sessions": "4",
        "note": 'said "no", then left',
    }
    assert rows[1]["arrived_at"] == "" and rows[1]["sessions"] == "" and rows[1]["factors"] == ""


def test_workbook_has_a_sheet_per_table_with_typed_cells(tmp_path: Path) -> None:
    """Numbers add up, dates sort as dates and booleans filter as booleans; identifiers and lists stay text."""
    write_xlsx(
        {"ae_attendances": TABLE, "a_sheet_name_longer_than_excel_allows": TABLE.slice(0, 1)}, tmp_path / "b.xlsx"
    )
    book = load_workbook(tmp_path / "b.xlsx")
    assert book.sheetnames == ["ae_attendances", "a_sheet_name_longer_than_excel_"]
    sheet = book["ae_attendances"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(TABLE.column_names)
    assert rows[1] == (
        "A1",
        dt.datetime(2024, 7, 18, 10, 53, 52),
        dt.datetime(2019, 2, 26),
        "3B; 4B",
        True,
        4,
        'said "no", then left',
    )
    assert rows[2] == ("B2", None, dt.datetime(2008, 7, 12), "", False, None, None)
    assert [sheet.cell(2, column).number_format for column in (2, 3)] == ["yyyy\\-mm\\-dd\\ hh:mm", "yyyy\\-mm\\-dd"]
    assert len(rows) == 3


def test_every_sheet_has_a_filter_a_frozen_header_and_widths_that_fit(tmp_path: Path) -> None:
    write_xlsx({"t": TABLE}, tmp_path / "b.xlsx")
    sheet = load_workbook(tmp_path / "b.xlsx")["t"]
    assert sheet.auto_filter.ref == "A1:G3"
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(1, 1).font.b
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFG"}
    assert widths["B"] == len("2024-07-18 10:53") + 2  # a time as the sheet shows it
    assert widths["G"] == len('said "no", then left') + 2
    assert min(widths.values()) >= 6


def test_the_document_properties_say_the_data_are_synthetic(tmp_path: Path) -> None:
    write_xlsx({"t": TABLE}, tmp_path / "police.xlsx", Properties(title="Police"))
    book = load_workbook(tmp_path / "police.xlsx")
    assert book.properties.title == "Police"
    assert "invented" in (book.properties.subject or "") and "synthetic" in (book.properties.keywords or "")
    assert book.properties.creator == "synthgen"
    assert [(p.name, p.value) for p in book.custom_doc_props.props] == [("Synthetic", True)]


def test_a_table_left_out_is_named_on_a_notes_sheet(tmp_path: Path) -> None:
    note = "attendance: 250,000 rows, more than a sheet here holds; it is in attendance.csv"
    write_xlsx({"t": TABLE}, tmp_path / "b.xlsx", notes=[note])
    book = load_workbook(tmp_path / "b.xlsx")
    assert book.sheetnames == ["Notes", "t"]
    assert list(book["Notes"].iter_rows(values_only=True)) == [("note",), (note,)]


def test_what_excel_cannot_hold_as_typed_is_text(tmp_path: Path) -> None:
    """Over 15 digits Excel rounds a number, before 1 March 1900 it has no dates, and XML has no control
    characters: such values are written as text (without the control characters)."""
    odd = pa.table(
        {
            "big": pa.array([12345678901234567, 7], pa.int64()),
            "old": pa.array([dt.date(1899, 12, 31), dt.date(1900, 3, 1)], pa.date32()),
            "text": pa.array(["bell\x07 & <tag> _x0041_", "  spaced  "]),
        }
    )
    write_xlsx({"t": odd}, tmp_path / "b.xlsx")
    rows = list(load_workbook(tmp_path / "b.xlsx")["t"].iter_rows(values_only=True))
    # Excel reads _x0041_ as "A": the text carries Excel's escape of its underscore, so Excel shows it as written
    assert rows[1] == ("12345678901234567", "1899-12-31", "bell & <tag> _x005F_x0041_")
    assert rows[2] == (7, dt.datetime(1900, 3, 1), "  spaced  ")


def test_equal_tables_give_equal_bytes(tmp_path: Path) -> None:
    for name in ("one", "two"):
        time.sleep(1.1)  # a zip stamps entries to the second: a second apart, the stamps would differ if not fixed
        (tmp_path / name).mkdir()
        write_xlsx({"t": TABLE}, tmp_path / name / "t.xlsx")
        write_csv(TABLE, tmp_path / name / "t.csv")
    for file in ("t.xlsx", "t.csv"):
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes()
