"""Readable files for people: CSV and Excel workbooks of a run's tables.

Trainees and facilitators open these in a spreadsheet, not in pyarrow, so every value is written as a person
reads it: dates as 2024-07-18, times to the minute, lists joined with "; ", empty for missing. The same table
gives the same bytes (an Excel file is a zip whose entries and properties carry the time of writing; both are
fixed here), so a pack can be checked by its checksums like the rest of a run.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX_MAX_ROWS = 1_048_575
"""Rows of data an Excel sheet holds (1,048,576 with the header); a larger table is written as CSV only."""

FIXED_TIME = dt.datetime(2000, 1, 1)
"""The time stamped inside every workbook, instead of the time of writing."""
STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def readable(table: pa.Table) -> pa.Table:
    """The table with every column as the text a person reads (nulls stay null, written empty)."""
    columns = []
    for column in table.columns:
        values = column.combine_chunks()
        if pa.types.is_timestamp(values.type):
            values = pc.strftime(values, format="%Y-%m-%d %H:%M")
        elif pa.types.is_date(values.type):
            values = pc.strftime(values, format="%Y-%m-%d")
        elif pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            values = pc.binary_join(pc.cast(values, pa.list_(pa.string())), "; ")
        elif pa.types.is_boolean(values.type):
            values = pc.if_else(values, "yes", "no")
        else:
            values = pc.cast(values, pa.string())
        columns.append(values)
    return pa.table(columns, names=table.column_names)


def write_csv(table: pa.Table, path: Path) -> None:
    """A CSV file with a header row; every field quoted only where it must be."""
    pacsv.write_csv(readable(table), path, pacsv.WriteOptions(quoting_style="needed"))


def write_xlsx(sheets: Mapping[str, pa.Table], path: Path) -> None:
    """A workbook with one sheet per table (names cut to Excel's 31 characters), header row frozen and bold."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    bold = Font(bold=True)
    for name, table in sheets.items():
        if table.num_rows > XLSX_MAX_ROWS:
            raise ValueError(f"{name}: {table.num_rows:,} rows do not fit an Excel sheet")
        sheet = book.create_sheet(name[:31])
        sheet.freeze_panes = "A2"
        header = []
        for title in table.column_names:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        # openpyxl takes rows one at a time: a workbook is for people, at the size of a training borough
        for values in zip(*(column.to_pylist() for column in readable(table).columns), strict=True):
            sheet.append(list(values))
    path.write_bytes(workbook_bytes(book))


def workbook_bytes(book: Workbook) -> bytes:
    """A workbook's bytes, stamped FIXED_TIME throughout (its properties and every zip entry), so that the same
    workbook is the same bytes."""
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry stamped FIXED_TIME, so equal workbooks are equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            body = source.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the time of saving as "modified"
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + STAMP, body)
            target.writestr(info, body)
    return out.getvalue()
