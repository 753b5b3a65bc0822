"""The readable files: what a person opening them in a spreadsheet sees, and equal tables giving equal bytes."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook

from synthgen.outputs.tabular import write_csv, write_xlsx

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


def test_workbook_has_a_sheet_per_table_with_the_same_values(tmp_path: Path) -> None:
    write_xlsx(
        {"ae_attendances": TABLE, "a_sheet_name_longer_than_excel_allows": TABLE.slice(0, 1)}, tmp_path / "b.xlsx"
    )
    book = load_workbook(tmp_path / "b.xlsx", read_only=True)
    assert book.sheetnames == ["ae_attendances", "a_sheet_name_longer_than_excel_"]
    rows = list(book["ae_attendances"].iter_rows(values_only=True))
    assert rows[0] == tuple(TABLE.column_names)
    assert rows[1] == ("A1", "2024-07-18 10:53", "2019-02-26", "3B; 4B", "yes", "4", 'said "no", then left')
    assert len(rows) == 3


def test_equal_tables_give_equal_bytes(tmp_path: Path) -> None:
    for name in ("one", "two"):
        time.sleep(1.1)  # a zip stamps entries to the second: a second apart, the stamps would differ if not fixed
        write_xlsx({"t": TABLE}, tmp_path / f"{name}.xlsx")
        write_csv(TABLE, tmp_path / f"{name}.csv")
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
