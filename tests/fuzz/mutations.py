"""Hypothesis strategies that mutate valid inputs into the malformed ones a careless or hostile user hands over:
tables with columns dropped, renamed, repeated or retyped and values at every type's extremes; files in other
encodings, truncated, with bytes flipped or headers broken."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from hypothesis import strategies as st

ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    [
        "",
        " ",
        "\n",
        "a\nb",
        "\r\n",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\u2028",
        "é",
        "名前",
        "2024-02-30",
        "2024-13-01",
        "2024-04-01T12:00:00.123456789",
        "2024-04-01 12:00:00+05:00",
        "1e308",
        "nan",
        "NaN",
        "inf",
        "-1",
        "1.5",
        "0",
        "99999999999999999999999",
        "record_id",
        ";;;",
        "police; health",
    ]
)
FLOATS = st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.0000001, -1.0, 2.0, 1e308, -1e308, 1e-308]) | st.floats()
TIMESTAMP_UNITS = st.sampled_from(["s", "ms", "us", "ns"])


def _ints(kind: pa.DataType) -> st.SearchStrategy[int]:
    bits = kind.bit_width
    signed = pa.types.is_signed_integer(kind)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    return st.sampled_from([low, high, 0, 1, -1 if signed else 2]) | st.integers(low, high)


@st.composite
def arrays(draw: st.DrawFn, length: int) -> pa.Array:
    """An array of `length` values of some type, with nulls, at that type's extremes."""
    kind = draw(
        st.sampled_from(
            ["int8", "int64", "uint64", "float32", "float64", "bool", "string", "large_string", "binary", "date32",
             "timestamp", "null", "list", "struct", "dictionary", "decimal"]
        )
    )  # fmt: skip
    nullable = draw(st.booleans())

    def values(strategy: st.SearchStrategy[Any]) -> list[Any]:
        item = st.none() | strategy if nullable else strategy
        return draw(st.lists(item, min_size=length, max_size=length))

    if kind in ("int8", "int64", "uint64"):
        arrow = getattr(pa, kind)()
        return pa.array(values(_ints(arrow)), arrow)
    if kind in ("float32", "float64"):
        arrow = getattr(pa, kind)()
        return pa.array(values(FLOATS), arrow)
    if kind == "bool":
        return pa.array(values(st.booleans()), pa.bool_())
    if kind in ("string", "large_string"):
        return pa.array(values(ODD_TEXT), getattr(pa, kind)())
    if kind == "binary":
        return pa.array(values(st.binary(max_size=20)), pa.binary())
    if kind == "date32":
        return pa.array(values(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))), pa.date32())
    if kind == "timestamp":
        unit = draw(TIMESTAMP_UNITS)
        zone = draw(st.sampled_from([None, "UTC", "Europe/London", "+05:30"]))
        ticks = values(st.integers(-(2**62), 2**62) | st.sampled_from([0, 1, 1_712_000_000_123_456_789]))
        return pa.array(ticks, pa.int64()).cast(pa.timestamp(unit, zone))
    if kind == "null":
        return pa.nulls(length)
    if kind == "list":
        return pa.array(values(st.lists(ODD_TEXT, max_size=3)), pa.list_(pa.string()))
    if kind == "struct":
        return pa.array(values(st.fixed_dictionaries({"a": st.integers(0, 9)})), pa.struct([("a", pa.int64())]))
    if kind == "decimal":
        return pa.array(values(st.decimals(-999, 999, places=2, allow_nan=False)), pa.decimal128(10, 2))
    return pa.array(values(ODD_TEXT), pa.string()).dictionary_encode()


@st.composite
def mutated_tables(draw: st.DrawFn, table: pa.Table) -> pa.Table:
    """`table` after one to three mutations of its columns, values or rows."""
    for _ in range(draw(st.integers(1, 3))):
        names = table.column_names
        action = draw(st.sampled_from(["drop", "rename", "repeat", "retype", "nulls", "rows", "add", "cell"]))
        if action == "drop" and names:
            table = table.remove_column(draw(st.integers(0, len(names) - 1)))
        elif action == "rename" and names:
            at = draw(st.integers(0, len(names) - 1))
            new = draw(ODD_TEXT | st.sampled_from(names))
            table = table.rename_columns([new if i == at else n for i, n in enumerate(names)])
        elif action == "repeat" and names:
            at = draw(st.integers(0, len(names) - 1))
            table = table.append_column(pa.field(names[at], table.schema.field(at).type), table.column(at))
        elif action == "retype" and names:
            at = draw(st.integers(0, len(names) - 1))
            table = table.set_column(at, names[at], draw(arrays(table.num_rows)))
        elif action == "nulls" and names:
            at = draw(st.integers(0, len(names) - 1))
            table = table.set_column(at, names[at], pa.nulls(table.num_rows, table.schema.field(at).type))
        elif action == "rows":
            start = draw(st.integers(0, table.num_rows))
            table = table.slice(start, draw(st.integers(0, max(table.num_rows - start, 0))))
        elif action == "add":
            table = table.append_column(draw(ODD_TEXT), draw(arrays(table.num_rows)))
        elif action == "cell" and names and table.num_rows:
            at = draw(st.integers(0, len(names) - 1))
            row = draw(st.integers(0, table.num_rows - 1))
            column = table.column(at).combine_chunks()
            odd = draw(arrays(1))
            try:
                cell = pa.concat_arrays([column.slice(0, row), odd.cast(column.type), column.slice(row + 1)])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue  # a value the column's type cannot hold: another mutation's case
            table = table.set_column(at, names[at], cell)
    return table


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]


def _csv_bytes(table: pa.Table) -> bytes:
    try:
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(table, buffer)
        return bytes(buffer.getvalue().to_pybytes())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # a nested column CSV cannot hold: as a spreadsheet would save it
        columns = [_cell_texts(table.column(i).combine_chunks()) for i in range(table.num_columns)]
        rows = [",".join(table.column_names)] + [",".join(cells) for cells in zip(*columns, strict=True)]
        return "\n".join(rows).encode("utf-8", "surrogatepass")


def _cell_texts(column: pa.Array) -> list[str]:
    """Each value as text; a time Python cannot hold (past year 9999) as the number it is stored as."""
    try:
        return [str(value) for value in column.to_pylist()]
    except (OverflowError, ValueError):
        width = pa.int64() if column.type.bit_width == 64 else pa.int32()
        return [str(value) for value in column.view(width).to_pylist()]


@st.composite
def written_files(draw: st.DrawFn, table: pa.Table, folder: Path, stem: str) -> Path:
    """`table` written as CSV (in some encoding) or Parquet, then perhaps truncated, flipped or re-headed."""
    as_csv = draw(st.booleans())
    suffix = draw(
        st.sampled_from([".csv", ".CSV"] if as_csv else [".parquet", ".Parquet"]) | st.sampled_from([".txt", ""])
    )
    path = folder / f"{stem}{suffix}"
    if as_csv:
        data = _csv_bytes(table)
        encoding = draw(st.sampled_from(ENCODINGS))
        if encoding != "utf-8":
            data = data.decode("utf-8", "surrogateescape").encode(encoding, "replace")
        if draw(st.booleans()):
            data = _break_header(draw, data)
    else:
        sink = pa.BufferOutputStream()
        try:
            pq.write_table(table, sink)
            data = bytes(sink.getvalue().to_pybytes())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            data = _csv_bytes(table)
    data = _corrupt(draw, data)
    path.write_bytes(data)
    return path


def _break_header(draw: st.DrawFn, data: bytes) -> bytes:
    header, newline, rest = data.partition(b"\n")
    choice = draw(st.sampled_from(["bytes", "repeat", "blank", "bom"]))
    if choice == "bytes":
        header = header + b"," + draw(st.binary(min_size=1, max_size=8))
    elif choice == "repeat" and b"," in header:
        header = header + b"," + header.split(b",")[0]
    elif choice == "blank":
        header = b""
    else:
        header = codecs.BOM_UTF8 + codecs.BOM_UTF8 + header
    return header + newline + rest


def _corrupt(draw: st.DrawFn, data: bytes) -> bytes:
    choice = draw(st.sampled_from(["none", "none", "none", "truncate", "flip", "insert", "empty"]))
    if choice == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if choice == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if choice == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if choice == "empty":
        return b""
    return data
