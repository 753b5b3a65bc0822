"""Excel workbooks written straight from Arrow columns: typed cells, a filter on every sheet, widths that fit.

A trainee opening a sheet expects numbers to add up, dates to sort as dates and a filter on the header, so each
cell is written as its type: numbers as numbers, dates and times as Excel dates (shown 2024-07-18 and
2024-07-18 10:53, as the CSV files write them), booleans as TRUE and FALSE; text, identifiers (an NHS number is
text: its digits are not a quantity) and lists ("3B; 4B") as text. Integers of more than 15 digits are text too,
since Excel keeps only 15.

The sheets' XML is built a column at a time with Arrow's string kernels rather than a cell at a time (openpyxl
took a minute over a borough's tables; this takes a second or two). The document properties say the data are
synthetic, and every entry of the zip carries one fixed time, so the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

XLSX_MAX_ROWS = 1_048_575
"""Rows of data an Excel sheet holds (1,048,576 with the header)."""
MAX_TEXT = 32_767
"""Characters an Excel cell holds."""
FIXED_TIME = dt.datetime(2000, 1, 1)
"""The time stamped inside every workbook, instead of the time of writing."""
_EXCEL_EPOCH_DAYS = 25_569
"""Excel's serial number of 1970-01-01 (its day 1 is 1900-01-01, counting a 29 February 1900 that never was)."""
_FIRST_SERIAL = 61
"""Serial of 1900-03-01: earlier dates fall before Excel's phantom leap day and are written as text."""
_EXACT_DIGITS = 10**15
_WIDTH = (6, 60)
"""Narrowest and widest column, in characters."""

_DATE_STYLE, _TIME_STYLE, _HEADER_STYLE = 1, 2, 3
_CONTROL = r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{FFFE}\x{FFFF}]"
"""Characters XML 1.0 cannot hold: left out of a cell."""


@dataclass(frozen=True)
class Properties:
    """The workbook's document properties (File > Info): what it is, and that every person in it is invented."""

    title: str
    subject: str = "Synthetic data: every person, record and identifier in this workbook is invented"
    keywords: str = "synthetic; synthgen; test data"
    creator: str = "synthgen"


def column_letters(index: int) -> str:
    """A, B, ..., Z, AA, AB, ... for column 0, 1, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_names(names: Sequence[str]) -> list[str]:
    """Each table's sheet name: Excel's 31 characters, none of []:*?/\\, and no two alike (ignoring case)."""
    result: list[str] = []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "sheet"
        candidate, count = base[:31], 2
        while candidate.casefold() in {taken.casefold() for taken in result}:
            suffix = f"~{count}"
            candidate, count = base[: 31 - len(suffix)] + suffix, count + 1
        result.append(candidate)
    return result


def _text(values: pa.Array) -> pa.Array:
    """Text as XML character data: escaped, without the characters XML cannot hold, cut to Excel's cell size."""
    text = pc.utf8_slice_codeunits(values.cast(pa.string()), 0, MAX_TEXT)
    text = pc.replace_substring_regex(text, _CONTROL, "")
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, escaped)
    # Excel reads _xHHHH_ in text as an escaped character: its own escape keeps the text as written
    return pc.replace_substring_regex(text, r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1")


def _serial_days(values: pa.Array) -> pa.Array:
    """Dates and times as Excel serial numbers (days since its epoch, with the time as a fraction of a day)."""
    if pa.types.is_date(values.type):
        days = values.cast(pa.date32()).cast(pa.int32()).cast(pa.float64())
        return pc.add(days, float(_EXCEL_EPOCH_DAYS))
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[values.type.unit]
    ticks = values.cast(pa.timestamp(values.type.unit)).cast(pa.int64()).cast(pa.float64())  # UTC if zoned
    return pc.add(pc.divide(ticks, 86_400.0 * per_second), float(_EXCEL_EPOCH_DAYS))


def _cells(values: pa.Array, refs: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Each value's <c> element (null where the cell is empty), and the text whose length sets the width."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_boolean(kind):
        cell = pc.binary_join_element_wise('<c r="', refs, '" t="b"><v>', pc.if_else(values, "1", "0"), "</v></c>", "")
        return cell, pc.if_else(values, "TRUE", "FALSE")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        numbers = pc.cast(values, pa.float64(), safe=False)
        exact = pc.and_(pc.is_finite(numbers), pc.less(pc.abs(numbers), float(_EXACT_DIGITS)))
        shown = values.cast(pa.string())
        number = pc.binary_join_element_wise('<c r="', refs, '"><v>', shown, "</v></c>", "")
        as_text = _inline(refs, _text(shown))
        cell = pc.if_else(exact, number, pc.if_else(pc.is_finite(numbers), as_text, pa.scalar(None, pa.string())))
        return cell, shown
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        serial = _serial_days(values)
        timed = pa.types.is_timestamp(kind)
        shown = pc.strftime(values, format="%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")
        style = _TIME_STYLE if timed else _DATE_STYLE
        number = pc.binary_join_element_wise(
            '<c r="', refs, f'" s="{style}"><v>', serial.cast(pa.string()), "</v></c>", ""
        )
        cell = pc.if_else(pc.greater_equal(serial, float(_FIRST_SERIAL)), number, _inline(refs, _text(shown)))
        return cell, shown
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        values = pc.binary_join(pc.cast(values, pa.list_(pa.string())), "; ")
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        values = values.cast(pa.string())
    return _inline(refs, _text(values)), values


def _inline(refs: pa.Array, text: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(
        '<c r="', refs, '" t="inlineStr"><is><t xml:space="preserve">', text, "</t></is></c>", ""
    )


def _width(title: str, shown: pa.Array) -> float:
    longest = pc.max(pc.utf8_length(shown.cast(pa.string()))).as_py() if len(shown) else 0
    return float(min(max(len(title) + 2, (longest or 0) + 2, _WIDTH[0]), _WIDTH[1]))


def last_cell(table: pa.Table) -> str:
    """The bottom-right cell of a table's sheet (the header is row 1)."""
    return f"{column_letters(max(table.num_columns, 1) - 1)}{table.num_rows + 1}"


def _sheet_xml(table: pa.Table) -> bytes:
    """One worksheet: the header row (bold, frozen, filtered) and a row per table row, each cell typed."""
    n, columns = table.num_rows, table.num_columns
    letters = [column_letters(i) for i in range(columns)]
    row_numbers = pa.array(np.arange(2, n + 2).astype(str), pa.string())
    titles = _text(pa.array(table.column_names, pa.string())).to_pylist()
    header = "".join(
        f'<c r="{letter}1" t="inlineStr" s="{_HEADER_STYLE}"><is><t xml:space="preserve">{title}</t></is></c>'
        for letter, title in zip(letters, titles, strict=True)
    )
    widths, fragments = [], []
    for letter, title, column in zip(letters, table.column_names, table.columns, strict=True):
        refs = pc.binary_join_element_wise(letter, row_numbers, "")
        cell, shown = _cells(column.combine_chunks(), refs)
        fragments.append(cell.fill_null(""))
        widths.append(_width(title, shown))
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths))
    last = last_cell(table)
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + f'<sheetData><row r="1">{header}</row>'
    )
    body = b""
    if n and columns:
        rows = pc.binary_join_element_wise('<row r="', row_numbers, '">', *fragments, "</row>", "")
        body = _string_bytes(rows)
    tail = "</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if columns else "") + "</worksheet>"
    return head.encode("utf-8") + body + tail.encode("utf-8")


def _string_bytes(strings: pa.Array) -> bytes:
    """A string array's values, concatenated, straight from its buffer."""
    strings = strings.cast(pa.large_string()) if pa.types.is_string(strings.type) else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset : strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    start, end = int(offsets[0]), int(offsets[-1])
    return b"" if data is None else data.slice(start, end - start).to_pybytes()


def write_xlsx(
    sheets: Mapping[str, pa.Table],
    path: Path,
    properties: Properties | None = None,
    notes: Sequence[str] = (),
) -> None:
    """A workbook with one sheet per table; `notes` (e.g. a table left out as too large) go on a first sheet,
    "Notes", so that nobody takes a missing table for an empty one."""
    tables = dict(sheets)
    if notes:
        tables = {"Notes": pa.table({"note": pa.array(list(notes), pa.string())}), **tables}
    for name, table in tables.items():
        if table.num_rows > XLSX_MAX_ROWS:
            raise ValueError(f"{name}: {table.num_rows:,} rows do not fit an Excel sheet")
    names = sheet_names(list(tables))
    entries = _package(names, [last_cell(t) for t in tables.values()], properties or Properties(title=path.stem))
    entries += [(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(t)) for i, t in enumerate(tables.values())]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, body in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    path.write_bytes(buffer.getvalue())


def _package(names: Sequence[str], last_cells: Sequence[str], properties: Properties) -> list[tuple[str, bytes]]:
    """Every part of the workbook but its sheets: content types, relationships, workbook, styles, properties."""
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(names))
    )
    types = (
        f'{declaration}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        f"{overrides}</Types>"
    )
    root_rels = (
        f'{declaration}<Relationships xmlns="{package_rels}">'
        f'<Relationship Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{relationships}/extended-properties" Target="docProps/app.xml"/>'
        f'<Relationship Id="rId4" Type="{relationships}/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>"
    )
    sheets = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
        for i, name in enumerate(names)
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(name))}!$A$1:{_absolute(last)}</definedName>"
        for i, (name, last) in enumerate(zip(names, last_cells, strict=True))
    )
    workbook = (
        f'{declaration}<workbook xmlns="{main}" xmlns:r="{relationships}"><bookViews><workbookView/></bookViews>'
        f"<sheets>{sheets}</sheets><definedNames>{filters}</definedNames></workbook>"
    )
    workbook_rels = (
        f'{declaration}<Relationships xmlns="{package_rels}">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{relationships}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(names))
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{relationships}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    return [
        ("[Content_Types].xml", types.encode()),
        ("_rels/.rels", root_rels.encode()),
        ("docProps/core.xml", _core(properties).encode()),
        ("docProps/app.xml", _app(names).encode()),
        ("docProps/custom.xml", _custom().encode()),
        ("xl/workbook.xml", workbook.encode()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.encode()),
        ("xl/styles.xml", _STYLES.encode()),
    ]


def _absolute(cell: str) -> str:
    """B17 as $B$17."""
    letters = cell.rstrip("0123456789")
    return f"${letters}${cell[len(letters) :]}"


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _core(properties: Properties) -> str:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(properties.title)}</dc:title><dc:subject>{escape(properties.subject)}</dc:subject>"
        f"<dc:creator>{escape(properties.creator)}</dc:creator><cp:keywords>{escape(properties.keywords)}</cp:keywords>"
        f"<dc:description>{escape(properties.subject)}</dc:description><cp:category>synthetic</cp:category>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
    )


def _app(names: Sequence[str]) -> str:
    titles = "".join(f"<vt:lpstr>{escape(name)}</vt:lpstr>" for name in names)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>synthgen</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
        f"</vt:variant><vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
        "</Properties>"
    )


def _custom() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Synthetic">'
        "<vt:bool>true</vt:bool></property></Properties>"
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
