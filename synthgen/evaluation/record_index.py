"""Finding a run's records by id, fast enough for ten million of them.

A linkage record id is 12 Crockford base-32 characters: 60 bits (synthgen/kernel/record_ids.py). Decoded to
integers, the run's ids are sorted once and a system's ids are found by binary search, instead of hashing ten
million strings; an id that does not decode (another length, a character outside the alphabet) is no record of
the run, exactly as an exact text match would say. A run whose ids are not all of that form (none that synthgen
writes) is searched by text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel.strings import CROCKFORD32

WIDTH = 12
_DECODE = np.full(256, 255, dtype=np.uint8)
_DECODE[CROCKFORD32] = np.arange(32, dtype=np.uint8)


def codes(ids: pa.Array) -> tuple[NDArray[np.uint64], NDArray[np.bool_]]:
    """Each id as its 60-bit number, and whether it is a well-formed id at all (else its number is 0). Decoded a
    character position at a time over the whole column, so ten million ids take a few arrays of ten million."""
    ids = ids.cast(pa.large_string())
    n = len(ids)
    result = np.zeros(n, np.uint64)
    valid = np.zeros(n, bool)
    if n == 0:
        return result, valid
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[ids.offset : ids.offset + n + 1]
    sized = np.diff(offsets) == WIDTH
    if ids.null_count:
        sized &= np.asarray(ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8) if sized.any() else np.zeros(0, np.uint8)
    if sized.all():  # every id 12 characters: the data buffer is an (n, 12) matrix as it stands
        rows = np.arange(n)
        matrix = data[offsets[0] : offsets[0] + n * WIDTH].reshape(n, WIDTH)
    else:
        rows = np.flatnonzero(sized)
        matrix = data[offsets[rows][:, None] + np.arange(WIDTH)[None, :]]
    number = np.zeros(len(rows), np.uint64)
    bad = np.zeros(len(rows), bool)
    for position in range(WIDTH):
        digit = _DECODE[matrix[:, position]]
        bad |= digit >= 32
        number = (number << np.uint64(5)) | digit.astype(np.uint64)
    result[rows[~bad]] = number[~bad]
    valid[rows[~bad]] = True
    return result, valid


@dataclass(frozen=True)
class RecordIndex:
    """A run's record ids, ready to find a system's ids among them (as row numbers in the run's order)."""

    ids: pa.Array
    numbers: pa.Array | None
    """The ids' 60-bit numbers, in the run's order (None when an id of the run is not of that form)."""

    @classmethod
    def of(cls, ids: pa.Array | pa.ChunkedArray) -> RecordIndex:
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        numbers, valid = codes(ids)
        return cls(ids, pa.array(numbers) if valid.all() else None)

    def rows(self, ids: pa.Array) -> NDArray[np.int64]:
        """The run's row of each id, -1 where the run has no such record."""
        if self.numbers is None:
            found = pc.index_in(ids, value_set=self.ids)
        else:
            numbers, valid = codes(ids)
            found = pc.index_in(pa.array(numbers), value_set=self.numbers)
            found = pc.if_else(pa.array(valid), found, pa.scalar(None, found.type))
        result: NDArray[np.int64] = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return result
