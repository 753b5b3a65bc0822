"""Finding a run's records by id, fast enough for ten million of them.

A linkage record id is 12 Crockford base-32 characters: 60 bits (synthgen/kernel/record_ids.py). Decoded to
integers, the run's ids are sorted once and a system's ids are found by binary search, instead of hashing ten
million strings; an id that does not decode (another length, a character outside the alphabet) is no record of
the run, exactly as an exact text match would say. A run whose ids are not all of that form (none that synthgen
writes) is searched by text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel.record_ids import format_record_ids
from synthgen.kernel.strings import CROCKFORD32

WIDTH = 12
_DECODE = np.full(256, 255, dtype=np.uint8)
_DECODE[CROCKFORD32] = np.arange(32, dtype=np.uint8)


def _pair_table() -> NDArray[np.uint16]:
    """Two characters (as the little-endian uint16 of their bytes) -> their 10 bits, 0xFFFF when either is not a
    Crockford digit: the ids decode two characters a pass."""
    low, high = np.arange(65536) & 255, np.arange(65536) >> 8
    first, second = _DECODE[low].astype(np.uint16), _DECODE[high].astype(np.uint16)
    table = np.full(65536, 0xFFFF, np.uint16)
    both = (first < 32) & (second < 32)
    table[both] = (first[both] << 5) | second[both]
    return table


_PAIRS = _pair_table()


def codes(ids: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.uint64], NDArray[np.bool_]]:
    """Each id as its 60-bit number, and whether it is a well-formed id at all (else its number is 0). Decoded two
    characters a pass over the whole column (chunk by chunk, the text never copied), so ten million ids take a few
    arrays of ten million."""
    if isinstance(ids, pa.ChunkedArray):
        if ids.num_chunks == 1:
            return codes(ids.chunk(0))
        numbers, valid = np.zeros(len(ids), np.uint64), np.zeros(len(ids), bool)
        at = 0
        for chunk in ids.chunks:  # each chunk decoded into its place: no second copy of ten million numbers
            numbers[at : at + len(chunk)], valid[at : at + len(chunk)] = codes(chunk)
            at += len(chunk)
        return numbers, valid
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        ids = ids.cast(pa.large_string())
    n = len(ids)
    result = np.zeros(n, np.uint64)
    valid = np.zeros(n, bool)
    if n == 0:
        return result, valid
    width = np.int64 if pa.types.is_large_string(ids.type) else np.int32
    offsets = np.frombuffer(ids.buffers()[1], dtype=width)[ids.offset : ids.offset + n + 1].astype(np.int64)
    sized = np.diff(offsets) == WIDTH
    if ids.null_count:
        sized &= np.asarray(ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not sized.any():
        return result, valid
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)
    every = bool(sized.all())
    if every:  # every id 12 characters: the data buffer is an (n, 12) matrix as it stands
        rows = None
        matrix = np.ascontiguousarray(data[offsets[0] : offsets[0] + n * WIDTH]).reshape(n, WIDTH)
    else:
        rows = np.flatnonzero(sized)
        matrix = data[offsets[rows][:, None] + np.arange(WIDTH)[None, :]]
    pairs = matrix.view(np.uint16)
    number = np.zeros(len(pairs), np.uint64)
    bad = np.zeros(len(pairs), bool)
    for position in range(WIDTH // 2):
        bits = _PAIRS[pairs[:, position]]
        bad |= bits == 0xFFFF
        number <<= np.uint64(10)
        number |= bits
    if rows is None:
        if not bad.any():  # the usual case: every id well formed, no copies
            return number, np.ones(n, bool)
        rows = np.arange(n)
    result[rows[~bad]] = number[~bad]
    valid[rows[~bad]] = True
    return result, valid


def code_type(count: int) -> type[np.signedinteger[Any]]:
    """The integer type for codes, row numbers and counts below `count`: 32 bits while they fit."""
    return np.int32 if count < np.iinfo(np.int32).max else np.int64


def sorted_order(values: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """np.argsort(values, kind="stable") for integers, from one plain sort: each row number is packed into the low
    bits of its value (less its minimum) and the packed keys sorted, a vectorised sort several times faster than an
    argsort of ten million. When value and row need more than 64 bits (a record id's 60), the value's lowest bits
    give way and the few runs whose kept bits tie are put in order afterwards. The key is worked in place: one
    array of the values' length beside them."""
    n = len(values)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    low = values.min()
    if np.issubdtype(values.dtype, np.unsignedinteger):
        key = values.astype(np.uint64, copy=False) - np.uint64(low)
    else:
        key = values.astype(np.int64)
        key -= np.int64(low)
        key = key.view(np.uint64)
    row_bits = (n - 1).bit_length()
    lost = max(int(key.max()).bit_length() + row_bits - 64, 0)
    key >>= np.uint64(lost)
    key <<= np.uint64(row_bits)
    step = 1 << 20
    for start in range(0, n, step):  # the row numbers or-ed in a slice at a time (no arange of ten million)
        key[start : start + step] |= np.arange(start, min(start + step, n), dtype=np.uint64)
    key.sort()
    mask = np.uint64((1 << row_bits) - 1)
    tied = None
    if lost:  # neighbours whose kept bits are equal differ below the row bits
        tied = np.zeros(n, bool)
        same = (key[1:] ^ key[:-1]) <= mask
        tied[1:] |= same
        tied[:-1] |= same
        del same
    key &= mask
    order = key.view(np.int64)
    if tied is not None:
        at = np.flatnonzero(tied)
        if len(at):  # runs of values equal in their kept bits: ordered by the whole value, then the row
            rows = order[at]
            order[at] = rows[np.lexsort((rows, values[rows]))]
    return order


def find_sorted(sorted_values: NDArray[Any], values: NDArray[Any]) -> NDArray[np.int64]:
    """Each value's place in a sorted array of distinct values, -1 where it is absent. The values are sorted first
    and searched in order (a merge), which for ten million random ones is many times faster than searching
    them as they come (every search a walk of cache misses) or hashing them; when the sorted values are the
    sorted array itself (a system's ids, one per record of the run), no search at all."""
    order = sorted_order(values) if np.issubdtype(values.dtype, np.integer) else np.argsort(values)
    ordered = values[order]
    if len(ordered) == len(sorted_values) and np.array_equal(ordered, sorted_values):
        result = np.empty(len(values), np.int64)
        result[order] = np.arange(len(values))
        return result
    at = np.searchsorted(sorted_values, ordered)
    inside = at < len(sorted_values)
    hit = np.zeros(len(values), bool)
    hit[inside] = sorted_values[at[inside]] == ordered[inside]
    result = np.full(len(values), -1, np.int64)
    result[order[hit]] = at[hit]
    return result


@dataclass(frozen=True)
class RecordIndex:
    """A run's record ids, ready to find a system's ids among them (as row numbers in the run's order)."""

    size: int
    ids: pa.Array | None
    """The ids as text, kept only when they are not all of the 60-bit form (then they are searched as text)."""
    numbers: NDArray[np.uint64] | None
    """The ids' 60-bit numbers, sorted (None when an id of the run is not of that form)."""
    order: NDArray[np.signedinteger[Any]] | None
    """The run's row of each sorted number (32-bit while the rows fit)."""

    @classmethod
    def of(cls, ids: pa.Array | pa.ChunkedArray) -> RecordIndex:
        numbers, valid = codes(ids)
        if not valid.all():
            return cls(len(ids), ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids, None, None)
        del ids  # ten million ids as text are two hundred megabytes; their numbers say the same
        order = sorted_order(numbers).astype(code_type(len(numbers)))
        return cls(len(numbers), None, numbers[order], order)

    def ids_of(self, rows: NDArray[np.int64]) -> pa.Array:
        """The ids of some of the run's rows (a few), as text, in the order given."""
        if self.ids is not None:
            return self.ids.take(pa.array(rows, pa.int64()))
        assert self.numbers is not None and self.order is not None
        at = np.flatnonzero(np.isin(self.order, rows))  # a pass over the run, no inverse permutation kept
        by_row = np.argsort(self.order[at])
        place = np.searchsorted(self.order[at][by_row], rows)
        texts: pa.Array = format_record_ids(self.numbers[at][by_row][place])
        return texts

    def rows(self, ids: pa.Array) -> NDArray[np.int64]:
        """The run's row of each id, -1 where the run has no such record."""
        if self.numbers is None or self.order is None:
            assert self.ids is not None
            found = pc.index_in(ids, value_set=self.ids)
            result: NDArray[np.int64] = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            return result
        numbers, valid = codes(ids)
        place = find_sorted(self.numbers, numbers)
        place[~valid] = -1
        return np.where(place >= 0, self.order[np.maximum(place, 0)], -1).astype(np.int64)
