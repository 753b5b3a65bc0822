"""Distinct (contact, record) pairs over whole columns.

A MASH run at national scale holds millions of (contact, record id) pairs; pyarrow's group-by over a text key is
the slowest step of scoring it. Record ids are coded once by their sorted place among the distinct ids, so the
pairs become integers that numpy sorts, and the order is the one a sort by (contact, record id) would give.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray


def record_ranks(record: pa.Array | pa.ChunkedArray) -> NDArray[np.int64]:
    """Each record id's place among the distinct ids in sorted order (equal ids, equal places)."""
    if isinstance(record, pa.ChunkedArray):
        record = record.combine_chunks()
    encoded = pc.dictionary_encode(record)
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    place = np.empty(len(order), np.int64)
    place[order] = np.arange(len(order), dtype=np.int64)
    result: NDArray[np.int64] = place[encoded.indices.to_numpy(zero_copy_only=False)]
    return result


def distinct_pairs(
    contact: NDArray[np.int64], record: pa.Array | pa.ChunkedArray, prefer: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    """The rows that keep one of each (contact, record id) pair, in (contact, record id) order; where a pair
    repeats, the row with the smallest `prefer` is kept (else the first)."""
    if len(contact) == 0:
        return np.zeros(0, np.int64)
    rank = record_ranks(record)
    # one integer per row, (contact, record rank, preference) in that order of significance: one sort of integers
    pair_of = contact.astype(np.int64) * (int(rank.max()) + 1) + rank
    key = pair_of if prefer is None else pair_of * (int(prefer.max()) + 1) + prefer
    order = np.argsort(key, kind="stable")
    pair = pair_of[order]
    first = np.r_[True, pair[1:] != pair[:-1]]
    result: NDArray[np.int64] = order[first].astype(np.int64)
    return result
