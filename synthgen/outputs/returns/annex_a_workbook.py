"""Annex A as a workbook: one sheet per list ("List 1" to "List 11", every one present, a list with no rows as its
header alone), Ofsted's headings in the first row, then one row per record.

Dates are Excel date cells shown as dd/mm/yyyy (Ofsted's format; liiatools reads a date cell or dd/mm/yyyy text,
and blanks ISO text), counts are numbers, codes and names text, a blank a cell left empty. Nothing in the file
carries the time of writing (`tabular.workbook_bytes`), so the same run gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from synthgen.outputs.returns.annex_a_spec import lists
from synthgen.outputs.tabular import XLSX_MAX_ROWS, workbook_bytes

DATE_FORMAT = "dd/mm/yyyy"

Cell = tuple[int, int, str]
"""A cell of the workbook: (list, data row from 0, field)."""


def workbook(tables: Mapping[int, pa.Table], overrides: Mapping[Cell, object] | None = None) -> bytes:
    """The workbook's bytes: every list in `tables` under its headings, with `overrides` (planted errors) written
    in place of the values their cells would hold.

    An ordinary (not write-only) workbook: its sheets then record their dimensions, as Excel's do, which
    liiatools' reader needs to see a row's trailing blank cells (without them it fails on the first row that
    ends in a blank)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    overrides = overrides or {}
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for listed in lists():
        table = tables[listed.number]
        if table.num_rows > XLSX_MAX_ROWS:
            raise ValueError(f"{listed.sheet}: {table.num_rows:,} rows do not fit an Excel sheet")
        sheet = book.create_sheet(listed.sheet)
        sheet.append([column.heading for column in listed.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        # openpyxl takes rows one at a time; the lists are built whole (columns) before they get here
        for values in zip(*(table[field].to_pylist() for field in listed.fields), strict=True):
            sheet.append(list(values))
        for i, column in enumerate(listed.columns, start=1):
            if column.kind == "date":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = DATE_FORMAT
        fields = {field: i for i, field in enumerate(listed.fields, start=1)}
        for (number, row, field), value in sorted(overrides.items(), key=str):
            if number == listed.number:
                written = sheet.cell(row + 2, fields[field])
                written.value = value
                written.number_format = "General"
    return workbook_bytes(book)
