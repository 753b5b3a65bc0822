"""Building string columns from whole numpy arrays, without a Python loop per value.

Identifiers and codes are fixed-width strings, so they are written as one byte matrix (one row per value) and
handed to Arrow as a single buffer; this is the difference between ~10^5 and ~10^7 values per second.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

CROCKFORD32 = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)


def text(value: str) -> pa.StringScalar:
    """A string scalar for a compute function: a bare Python str there has Arrow infer its type, and the inference
    tries to import dateutil (a failed import, searched for on every call) each time."""
    return pa.scalar(value, pa.string())


def among(values: NDArray[np.object_], others: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """Whether each string is one of `others`: `np.isin` of the same, by a hash look-up in Arrow (np.isin sorts
    both object arrays, which takes a shard's LA child ids tens of milliseconds)."""
    value_set = others.combine_chunks() if isinstance(others, pa.ChunkedArray) else others
    found = pc.is_in(pa.array(values, pa.string()), value_set=value_set).fill_null(False)
    result: NDArray[np.bool_] = found.to_numpy(zero_copy_only=False)
    return result


_HELD: dict[int, tuple[weakref.ref[NDArray[np.str_] | NDArray[np.object_]], pa.Array]] = {}
"""Arrow copies of the vocabularies `taken` has been asked for, by the id of the numpy array. The array is held
weakly and its entry dropped when it goes (a worker unpickles a fresh plan for every shard; holding on to the
old plans' vocabularies cost a worker some 80 MiB over a 1M run)."""


def taken(values: NDArray[np.str_] | NDArray[np.object_], rows: NDArray[np.int64]) -> pa.Array:
    """values[rows] as an Arrow string column, for a vocabulary that never changes once made (the plan's streets,
    towns, postcodes and codes): each is converted to Arrow once per process and then taken from, rather than
    converting every row of every table that names a street or a postcode, shard after shard."""
    key = id(values)
    held = _HELD.get(key)
    if held is None or held[0]() is not values:
        held = (weakref.ref(values), pa.array(values, pa.string()))
        _HELD[key] = held
        weakref.finalize(values, _HELD.pop, key, None)
    return held[1].take(pa.array(np.asarray(rows), pa.int64()))


def repeated(value: str, n: int) -> pa.StringArray:
    """A column of one string n times, made by Arrow (an object array of n references converts ten times slower)."""
    result: pa.StringArray = pa.repeat(text(value), n)
    return result


def labelled(labels: Sequence[str], index: NDArray[np.int64]) -> pa.StringArray:
    """labels[index] (numpy's indexing: -1 is the last label) as an Arrow string column, taken in Arrow from the
    handful of labels rather than converting a column of Python strings."""
    index = np.asarray(index, dtype=np.int64)
    result: pa.StringArray = pa.array(list(labels), pa.string()).take(np.where(index < 0, index + len(labels), index))
    return result


def from_byte_matrix(matrix: NDArray[np.uint8]) -> pa.StringArray:
    """An Arrow string array whose i-th value is row i of an ASCII byte matrix."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))


def base32(values: NDArray[np.uint64], width: int) -> NDArray[np.uint8]:
    """Crockford base-32 digits (no I, L, O, U: easy to read aloud) as an (n, width) ASCII matrix."""
    shifts = (np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(5))[None, :]
    result: NDArray[np.uint8] = CROCKFORD32[(values[:, None] >> shifts) & np.uint64(31)]
    return result


def prefixed(prefix: str, matrix: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Put a constant ASCII prefix before every row of a byte matrix."""
    head = np.broadcast_to(np.frombuffer(prefix.encode("ascii"), dtype=np.uint8), (matrix.shape[0], len(prefix)))
    return np.concatenate([head, matrix], axis=1)


def names(vocab: pa.Array, index: NDArray[np.int64]) -> pa.Array:
    """vocab[index], with null where index < 0."""
    mask = index < 0
    taken = vocab.take(pa.array(np.where(mask, 0, index)))
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), taken)


def _joined(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64], separator: str) -> pa.Array:
    """vocab[first], joined to vocab[second] by `separator` where a second part is given."""
    a = names(vocab, first)
    b = names(vocab, second)
    joined = pc.binary_join_element_wise(a, b, text(separator))
    return pc.if_else(pa.array(second >= 0), joined, a)


def surnames(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
    """Surnames, double-barrelled ('Smith-Jones') where a second part is given."""
    return _joined(vocab, first, second, "-")


def address_lines(streets: pa.Array, numbers: NDArray[np.int64]) -> pa.Array:
    """Address lines ('12 Oak Road'): house number and street, a whole column at a time."""
    return pc.binary_join_element_wise(pc.cast(pa.array(numbers, pa.int64()), pa.string()), streets, text(" "))


def middle_names(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
    """Middle names joined by a space; null when the person has none."""
    return _joined(vocab, first, second, " ")
