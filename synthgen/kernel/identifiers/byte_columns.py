"""Identifier columns as fixed-width ASCII byte matrices, and back: the mechanics every identifier shares.

Strings are assembled as fixed-width ASCII byte matrices (one numpy column per character position) and turned
into strings in one step; validation gathers the bytes of every value into such a matrix and checks all
positions with lookup tables. There is no per-value Python loop (the only exception is a fallback for object
arrays holding non-string garbage such as ints, where each element's type must be inspected).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

#: Anything the validators accept: a numpy array (object or unicode), a sequence of ``str``/``None``, or a
#: pyarrow (chunked) string array.
StringValues: TypeAlias = "NDArray[Any] | Sequence[str | None] | pa.Array | pa.ChunkedArray"


def byte_set(chars: str) -> NDArray[np.bool_]:
    """A lookup table over byte values: True for the bytes of `chars`."""
    table = np.zeros(256, dtype=np.bool_)
    table[np.frombuffer(chars.encode("ascii"), dtype=np.uint8)] = True
    return table


def alphabet_bytes(chars: str) -> NDArray[np.uint8]:
    """The bytes of an alphabet, in order: an index into it gives a character's byte."""
    return np.frombuffer(chars.encode("ascii"), dtype=np.uint8).copy()


IS_DIGIT = byte_set("0123456789")


def int_column(values: NDArray[np.int64], name: str, lo: int, hi: int) -> NDArray[np.int64]:
    """`values` as a 1-D int64 array, every element in [lo, hi), or ValueError naming the column."""
    column = np.asarray(values)
    if column.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {column.shape}")
    if column.size and column.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {column.dtype}")
    column = column.astype(np.int64, copy=False)
    bad = (column < lo) | (column >= hi)
    if bad.any():
        raise ValueError(f"{name} must be in [{lo}, {hi}); {int(bad.sum())} are not, e.g. {column[bad][0]}")
    return column


def digit_bytes(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """Zero-padded decimal ASCII of non-negative `values`: an (n, width) byte matrix, one column per digit."""
    out = np.empty((values.shape[0], width), dtype=np.uint8)
    rest = values.copy()
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, position] = digit + 48
    return out


def digit_value(columns: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Integer value of ASCII digit columns (an (n, k) byte matrix already known to hold digits)."""
    value = np.zeros(columns.shape[0], dtype=np.int64)
    for position in range(columns.shape[1]):
        value = value * 10 + (columns[:, position].astype(np.int64) - 48)
    return value


def strings_of(rows: NDArray[np.uint8]) -> NDArray[np.object_]:
    """Rows of an (n, width) ASCII byte matrix as an object array of ``str``.

    The matrix is already a valid Arrow string data buffer; wrapping it with fixed offsets and letting Arrow
    create the Python strings is faster than a numpy unicode round trip.
    """
    n, width = rows.shape
    data = np.ascontiguousarray(rows)
    offsets = np.arange(0, n * width + 1, width, dtype=np.int64)
    column = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    result: NDArray[np.object_] = column.to_numpy(zero_copy_only=False)
    return result


def as_arrow_strings(values: StringValues) -> Any:
    """`values` as a pyarrow string or large_string array; non-strings and missing values become null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        kind = values.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return values
        if pa.types.is_string_view(kind) or (
            pa.types.is_dictionary(kind)
            and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))
        ):
            return values.cast(pa.string())
        return pa.nulls(len(values), type=pa.string())
    column = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if column.ndim != 1:
        raise ValueError(f"expected a one-dimensional array of strings, got shape {column.shape}")
    if column.dtype.kind == "U":
        return pa.array(column, type=pa.string())
    if column.dtype.kind != "O":
        return pa.nulls(len(column), type=pa.string())
    try:
        return pa.array(column, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Slow path, only for object arrays mixing strings with other objects: inspect each element's type.
        is_str = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(column).astype(np.bool_)
        strings_only = column.copy()
        strings_only[~is_str] = None
        return pa.array(strings_only, type=pa.string())


def fixed_width(values: StringValues, width: int) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """Bytes of every value as an (n, width) matrix, with a mask of the values that are exactly `width` bytes.

    Rows outside the mask are zero (which no lookup table accepts). A value of `width` bytes containing a
    non-ASCII character has bytes >= 128, which also no table accepts, so byte length stands in for length.
    """
    column = as_arrow_strings(values)
    n = len(column)
    matrix = np.zeros((n, width), dtype=np.uint8)
    if n == 0:
        return np.zeros(0, dtype=np.bool_), matrix
    _, offset_buffer, data_buffer = column.buffers()
    offset_type = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets: NDArray[np.int64] = np.frombuffer(offset_buffer, dtype=offset_type)[
        column.offset : column.offset + n + 1
    ].astype(np.int64)
    starts = offsets[:-1]
    fits: NDArray[np.bool_] = (offsets[1:] - starts) == width
    if column.null_count:
        fits = fits & column.is_valid().to_numpy(zero_copy_only=False)
    positions = np.arange(width, dtype=np.int64)
    if fits.all():
        matrix = np.frombuffer(data_buffer, dtype=np.uint8)[starts[:, None] + positions]
    elif fits.any():
        matrix[fits] = np.frombuffer(data_buffer, dtype=np.uint8)[starts[fits, None] + positions]
    return fits, matrix


def all_in(table: NDArray[np.bool_], columns: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """True where every byte of the row is in `table`."""
    result: NDArray[np.bool_] = np.asarray(table[columns].all(axis=1), dtype=np.bool_)
    return result


def matches(values: StringValues, pattern: str) -> NDArray[np.bool_]:
    """True where a value matches the (anchored, RE2) pattern; missing values and non-strings are False."""
    column = as_arrow_strings(values)
    matched = pc.fill_null(pc.match_substring_regex(column, pattern), False)
    result: NDArray[np.bool_] = matched.to_numpy(zero_copy_only=False).astype(np.bool_, copy=False)
    return result
