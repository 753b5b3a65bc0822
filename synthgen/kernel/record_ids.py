"""Record identifiers that are unique across a run and reveal nothing.

Agency files must not let anything but the data link a record to a person, so record ids cannot count up in
person order. Each id is a keyed pseudo-random permutation (a Feistel network) of the record's coordinates
(table, shard, position in shard): distinct coordinates always give distinct ids, so shards need no coordination,
and without the key the ids look like noise. Sorting a table by its record id is therefore a shuffle that is
the same whatever the number of workers.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.kernel.strings import CROCKFORD32, base32, from_byte_matrix, prefixed

_HALF_BITS = 30
_MASK = np.uint64((1 << _HALF_BITS) - 1)
_ROUNDS = 4
SHARD_BITS = 20
LOCAL_BITS = 30
TABLE_BITS = 10


def _round_keys(key: int) -> list[np.uint64]:
    keys = []
    state = key & 0xFFFFFFFFFFFFFFFF
    for _ in range(_ROUNDS):
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        keys.append(np.uint64(state >> 34))
    return keys


def _mix(right: NDArray[np.uint64], k: np.uint64) -> NDArray[np.uint64]:
    x = (right ^ k) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(29)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(32)
    return x & _MASK


def permute60(values: NDArray[np.uint64], key: int) -> NDArray[np.uint64]:
    """A keyed bijection on 60-bit integers."""
    left = (values >> np.uint64(_HALF_BITS)) & _MASK
    right = values & _MASK
    with np.errstate(over="ignore"):
        for k in _round_keys(key):
            left, right = right, left ^ _mix(right, k)
    return (left << np.uint64(_HALF_BITS)) | right


def coordinates(table: int, shard: int, n: int) -> NDArray[np.uint64]:
    """Pack (table, shard, 0..n-1) into distinct 60-bit integers."""
    if n >= 1 << LOCAL_BITS or shard >= 1 << SHARD_BITS or table >= 1 << TABLE_BITS:
        raise ValueError("record coordinates out of range")
    head = np.uint64(table) << np.uint64(SHARD_BITS + LOCAL_BITS) | np.uint64(shard) << np.uint64(LOCAL_BITS)
    return head | np.arange(n, dtype=np.uint64)


def record_ids(key: int, table: int, shard: int, n: int) -> NDArray[np.uint64]:
    """Run-unique 60-bit record ids for n records of one table in one shard."""
    return permute60(coordinates(table, shard, n), key)


def record_ids_from(key: int, table: int, shard: int, start: int, n: int) -> NDArray[np.uint64]:
    """Ids for records start .. start + n - 1 of a table in a shard (rows added after the first n)."""
    return permute60(coordinates(table, shard, start + n)[start:], key)


def format_record_ids(ids: NDArray[np.uint64], prefix: str = "") -> pa.StringArray:
    """12 Crockford base-32 characters (60 bits), optionally behind a fixed prefix."""
    matrix = base32(ids, 12)
    return from_byte_matrix(prefixed(prefix, matrix) if prefix else matrix)


_DECODE = np.full(256, 255, dtype=np.uint8)
_DECODE[CROCKFORD32] = np.arange(32, dtype=np.uint8)


def parse_record_ids(ids: pa.Array) -> NDArray[np.uint64]:
    """The 60-bit numbers behind formatted record ids (the inverse of format_record_ids without a prefix)."""
    if len(ids) == 0:
        return np.zeros(0, np.uint64)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[ids.offset : ids.offset + len(ids) + 1]
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)
    matrix = data[offsets[:-1, None] + np.arange(12)[None, :]]
    digits = _DECODE[matrix].astype(np.uint64)
    shifts = (np.arange(11, -1, -1, dtype=np.uint64) * np.uint64(5))[None, :]
    result: NDArray[np.uint64] = np.bitwise_or.reduce(digits << shifts, axis=1)
    return result
