"""Edits to whole string and date columns: the mechanics of data-quality errors, without a loop per value.

A string edit is a splice: in each chosen value, remove a few bytes at a position and insert a few others.
Typos (substitution, deletion, insertion, transposition), OCR confusions and identifier transpositions are all
splices, so one vectorised routine over Arrow's offset and data buffers does them all. Values are ASCII (the
reference vocabularies are), so a byte is a character.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.kernel.arrays import ranges


def buffers(values: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
    """Offsets (n + 1) and data bytes of a string array with no nulls."""
    values = pa.array(values, pa.string()) if not isinstance(values, pa.Array) else values.cast(pa.string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    data_buffer = values.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def splice(
    values: pa.Array,
    position: NDArray[np.int64],
    remove: NDArray[np.int64],
    insert: NDArray[np.uint8],
    insert_length: NDArray[np.int64],
) -> pa.StringArray:
    """Each value with `remove[i]` bytes at `position[i]` replaced by the first `insert_length[i]` bytes of row i
    of the `insert` matrix. Positions and removals must lie inside each value."""
    offsets, data = buffers(values)
    start, end = offsets[:-1], offsets[1:]
    left = position
    right_start = start + position + remove
    right = end - right_start
    new_length = left + insert_length + right
    new_offsets = np.zeros(len(new_length) + 1, dtype=np.int64)
    np.cumsum(new_length, out=new_offsets[1:])
    out = np.empty(int(new_offsets[-1]), dtype=np.uint8)
    out_start = new_offsets[:-1]
    out[ranges(out_start, left)] = data[ranges(start, left)]
    row = np.repeat(np.arange(len(insert_length)), insert_length)
    column = ranges(np.zeros(len(insert_length), np.int64), insert_length)
    if len(row):
        out[ranges(out_start + left, insert_length)] = insert[row, column]
    out[ranges(out_start + left + insert_length, right)] = data[ranges(right_start, right)]
    return pa.StringArray.from_buffers(
        len(new_length), pa.py_buffer(new_offsets.astype(np.int32).tobytes()), pa.py_buffer(out.tobytes())
    )


def lengths(values: pa.Array) -> NDArray[np.int64]:
    offsets, _ = buffers(values)
    result: NDArray[np.int64] = np.diff(offsets)
    return result


def byte_at(values: pa.Array, position: NDArray[np.int64]) -> NDArray[np.uint8]:
    offsets, data = buffers(values)
    result: NDArray[np.uint8] = data[offsets[:-1] + position]
    return result


def dates_with(
    days: NDArray[np.datetime64], year: NDArray[np.int64], month: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.datetime64]:
    """Dates from year, month and day columns; a day past the month's end is clamped to its last day."""
    first = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1).astype("timedelta64[M]")
    next_first = first + np.timedelta64(1, "M")
    last_day = (next_first.astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    result: NDArray[np.datetime64] = first.astype("datetime64[D]") + (np.minimum(day, last_day) - 1).astype(
        "timedelta64[D]"
    )
    return result


def date_parts(days: NDArray[np.datetime64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day
