"""A user's file, read and its columns checked before anything is computed from them.

A system under test hands over Parquet written by any library or CSV saved by any spreadsheet, so nothing about
it is assumed: the file may be another format, another encoding (Excel's "Unicode text" is UTF-16; a CSV value in
Latin-1 arrives as bytes), have a column twice or none at all, or hold any type at its extremes (unsigned 64-bit
integers, timestamps to the nanosecond or in a time zone, dates in year 1 or 9999, scores of 1e308). Each check
turns what it finds into one line naming the file, the column and what is allowed, never a traceback from deep
inside pyarrow or numpy.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen.errors import SynthgenError, shown

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
"""The dates a flag or a disclosure may carry: any a run can cover, and far beyond."""
_ARROW_ERRORS = (pa.ArrowException, OSError, ValueError, TypeError, KeyError, IndexError, MemoryError)
_UTF16_OR_32 = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_file(path: Path, what: str, *, allow_empty: bool = False) -> pa.Table:
    """A user's Parquet or CSV file (`what` it holds names it in errors: predictions, flags, disclosures), with
    at least one row (unless `allow_empty`: a day of a series may hold no records) and no column named twice."""
    if not path.exists():
        raise SynthgenError(f"{path}: no such file")
    if path.is_dir():
        raise SynthgenError(f"{path}: is a folder; {what} must be a .parquet or .csv file")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise SynthgenError(f"{path}: {what} must be a .parquet or .csv file")
    table = _read_parquet(path) if suffix == ".parquet" else _read_csv(path)
    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise SynthgenError(f"{path}: column {named(name)} appears more than once; each column must be named once")
        seen.add(name)
    if table.num_rows == 0 and not allow_empty:
        raise SynthgenError(f"{path}: no {what} (the file has no rows)")
    return table


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
        _ = table.column_names  # (decoded only when asked for)
    except UnicodeDecodeError:
        raise SynthgenError(f"{path}: its column names are not UTF-8 text") from None
    except _ARROW_ERRORS as error:
        raise SynthgenError(f"{path}: cannot be read as Parquet ({_first_line(error)})") from None
    check_valid(str(path), table)
    return table


def check_valid(name: str, table: pa.Table) -> None:
    """Refuse a table whose values break their own type (text that is not UTF-8, offsets out of range): Parquet
    does not check its strings on reading, so a damaged or hand-made file would otherwise fail later, in the middle
    of a computation."""
    try:
        table.validate(full=True)
    except _ARROW_ERRORS as error:
        raise SynthgenError(f"{name}: holds values that are not what their type says ({_first_line(error)})") from None


def _read_csv(path: Path) -> pa.Table:
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except OSError as error:
        raise SynthgenError(f"{path}: cannot be read ({error.strerror or error})") from None
    if start.startswith(_UTF16_OR_32):
        raise SynthgenError(f"{path}: is UTF-16 or UTF-32 text; save the CSV file as UTF-8")
    try:
        table = pacsv.read_csv(path)
        _ = table.column_names  # (decoded only when asked for)
        return table
    except UnicodeDecodeError:
        raise SynthgenError(f"{path}: its header is not UTF-8 text; save the CSV file as UTF-8") from None
    except _ARROW_ERRORS as error:
        raise SynthgenError(f"{path}: cannot be read as CSV ({_first_line(error)})") from None


_PLAIN = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


def named(column_name: str) -> str:
    """A column's name in a message: as it is when plain (record_id), quoted and cut short when not."""
    return column_name if _PLAIN.match(column_name) else shown(column_name)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def column(name: str, table: pa.Table, column_name: str) -> pa.Array:
    """A column as one array, its dictionary (if any) decoded."""
    values = table.column(column_name).combine_chunks()
    if pa.types.is_dictionary(values.type):
        try:
            values = values.cast(values.type.value_type)
        except _ARROW_ERRORS:
            raise SynthgenError(f"{name}: column {named(column_name)} cannot be read ({values.type})") from None
    return values


def _bytes_message(name: str, column_name: str) -> SynthgenError:
    return SynthgenError(f"{name}: column {named(column_name)} holds bytes, not text (a CSV file must be UTF-8)")


def text(
    name: str, table: pa.Table, column_name: str, *, integers: bool = False, holding: str | None = None
) -> pa.Array:
    """A column of text (string; integers too, as their digits, if `integers`), nulls kept; `holding` says what
    it holds in the message when it holds another type ("record ids (text or integers)")."""
    values = column(name, table, column_name)
    kind = values.type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        raise _bytes_message(name, column_name)
    if pa.types.is_null(kind):
        return pa.nulls(len(values), pa.string())
    if integers and pa.types.is_integer(kind):
        return values.cast(pa.string())
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)):
        allowed = holding or ("text or integers" if integers else "text")
        raise SynthgenError(f"{name}: column {named(column_name)} must hold {allowed}, found {kind}")
    return values.cast(pa.string())


def numbers(name: str, table: pa.Table, column_name: str) -> NDArray[np.float64]:
    """A column of numbers (any integer, float or decimal type) as float64; every value present and finite."""
    values = column(name, table, column_name)
    kind = values.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        raise SynthgenError(f"{name}: column {named(column_name)} must be numeric, found {kind}")
    if values.null_count:
        raise SynthgenError(f"{name}: column {named(column_name)} has {values.null_count:,} empty values")
    try:
        result: NDArray[np.float64] = values.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    except _ARROW_ERRORS:
        raise SynthgenError(f"{name}: column {named(column_name)} holds numbers that cannot be read") from None
    if not np.isfinite(result).all():
        first = result[~np.isfinite(result)][0]
        raise SynthgenError(f"{name}: column {named(column_name)} holds {first}, which is not a finite number")
    return result


def dates(name: str, table: pa.Table, column_name: str) -> pa.Array:
    """A column of dates (a date, a timestamp of any unit or zone, or text as YYYY-MM-DD or an ISO timestamp) as
    date32: a timestamp's day where it was taken (its own zone's), every value present and in FIRST_DAY-LAST_DAY."""
    values = column(name, table, column_name)
    if values.null_count:
        raise SynthgenError(f"{name}: column {named(column_name)} has {values.null_count:,} empty values")
    kind = values.type
    try:
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            trimmed = pc.utf8_trim_whitespace(values.cast(pa.string()))
            parsed = pc.strptime(
                pc.utf8_slice_codeunits(trimmed, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True
            )
            bad = pc.is_null(parsed)
            if pc.any(bad).as_py():
                first = trimmed.filter(bad)[0].as_py()
                raise SynthgenError(f"{name}: {named(column_name)} {shown(first)} is not a date (expected YYYY-MM-DD)")
            values = parsed
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            raise _bytes_message(name, column_name)
        elif not (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
            raise SynthgenError(f"{name}: column {named(column_name)} must hold dates (YYYY-MM-DD), found {kind}")
        days = _days(values)
    except _ARROW_ERRORS:
        days = None
    first, last = (FIRST_DAY - _EPOCH).days, (LAST_DAY - _EPOCH).days
    if days is None or days.min(initial=first) < first or days.max(initial=last) > last:
        raise SynthgenError(f"{name}: column {named(column_name)} holds dates outside {FIRST_DAY} to {LAST_DAY}")
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


_TIME_FORMATS = (("%Y-%m-%dT%H:%M:%S", 19), ("%Y-%m-%d %H:%M:%S", 19), ("%Y-%m-%d %H:%M", 16))
"""The times a text column may hold: ISO with T or a space, to the second or the minute (a fraction of a second
or a zone after them is not read)."""


def moments(name: str, table: pa.Table, column_name: str) -> NDArray[np.datetime64]:
    """A column of times (a timestamp of any unit or zone, or text as YYYY-MM-DD HH:MM[:SS] or ISO) as seconds:
    a zoned timestamp's time where it was taken, a fraction of a second dropped, every value present and on a day
    in FIRST_DAY-LAST_DAY."""
    values = column(name, table, column_name)
    if values.null_count:
        raise SynthgenError(f"{name}: column {named(column_name)} has {values.null_count:,} empty values")
    kind = values.type
    expected = "times (YYYY-MM-DD HH:MM[:SS])"
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raise _bytes_message(name, column_name)
    try:
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            trimmed = pc.utf8_trim_whitespace(values.cast(pa.string()))
            parsed = [
                pc.strptime(pc.utf8_slice_codeunits(trimmed, 0, width), format=form, unit="s", error_is_null=True)
                for form, width in _TIME_FORMATS
            ]
            values = pc.coalesce(*parsed)
            if values.null_count:
                first = trimmed.filter(pc.is_null(values))[0].as_py()
                raise SynthgenError(f"{name}: {named(column_name)} {shown(first)} is not a time (expected {expected})")
        elif not pa.types.is_timestamp(kind):
            raise SynthgenError(f"{name}: column {named(column_name)} must hold {expected}, found {kind}")
        if values.type.tz is not None:
            values = pc.local_timestamp(values)
        ticks = values.cast(pa.int64()).to_numpy(zero_copy_only=False)
        per_second = _TICKS_PER_DAY[values.type.unit] // 86_400
        seconds = np.floor_divide(ticks, per_second)
    except _ARROW_ERRORS:
        seconds = None
    first, last = (FIRST_DAY - _EPOCH).days * 86_400, ((LAST_DAY - _EPOCH).days + 1) * 86_400 - 1
    if seconds is None or seconds.min(initial=first) < first or seconds.max(initial=last) > last:
        raise SynthgenError(f"{name}: column {named(column_name)} holds times outside {FIRST_DAY} to {LAST_DAY}")
    result: NDArray[np.datetime64] = seconds.astype("datetime64[s]")
    return result


_EPOCH = dt.date(1970, 1, 1)
_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _days(values: pa.Array) -> NDArray[np.int64]:
    """Dates or timestamps as days since 1970-01-01; a timestamp's day is the one its own zone had."""
    if pa.types.is_timestamp(values.type):
        if values.type.tz is not None:
            values = pc.local_timestamp(values)
        ticks = values.cast(pa.int64()).to_numpy(zero_copy_only=False)
        result: NDArray[np.int64] = np.floor_divide(ticks, _TICKS_PER_DAY[values.type.unit])
        return result
    if pa.types.is_date64(values.type):
        milliseconds = values.cast(pa.int64()).to_numpy(zero_copy_only=False)
        from_date64: NDArray[np.int64] = np.floor_divide(milliseconds, _TICKS_PER_DAY["ms"])
        return from_date64
    days: NDArray[np.int64] = values.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    return days
