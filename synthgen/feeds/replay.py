"""Replaying a feed: batches applied in order give each table as it stood on the last batch's day.

What a consumer of a feed does, and what the tests use to hold a feed to its run: every row of every batch, in
batch order, put in place under its key (insert, update) or taken away (delete). The result is ordered by the
table's id, as the run's files are (their rows are in record-id order), ties in the order they arrived, so the
replay of a whole feed is the year-end file row for row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import tables
from synthgen.feeds.batches import BATCH_DAY, OPERATION
from synthgen.kernel.arrays import last_of_runs

ROW_KEYS = {"agencies/police/incident_persons": ("incident_id", "police_person_id")}
"""Tables whose id column names more than one row (a role is known by its incident's id), and the columns that
name each row instead."""


def row_key(path: str) -> tuple[str, ...]:
    """The columns naming each row of a table in a feed (none for a table of places, which only ever grows)."""
    if path in ROW_KEYS:
        return ROW_KEYS[path]
    if path == "linkage/records":
        return ("record_id",)
    entry = tables.table(path)
    return (entry.id_column,) if entry.id_column else ()


def replay(path: str, batches: pa.Table) -> pa.Table:
    """A table as its batches leave it (rows of every batch, in batch order, with `operation` and `batch_day`)."""
    n = batches.num_rows
    key = row_key(path)
    position = np.arange(n)
    if key and n:
        codes = _codes(batches, key)
        order = np.lexsort((position, codes))
        last = order[last_of_runs(codes[order])]
        kept = np.sort(last)
    else:
        kept = position
    alive = pc.not_equal(batches[OPERATION].combine_chunks().take(pa.array(kept)), "delete").to_numpy(
        zero_copy_only=False
    )
    kept = kept[alive]
    rows = batches.take(pa.array(kept)).drop_columns([OPERATION, BATCH_DAY])
    if key:
        order_by = pc.sort_indices(rows, sort_keys=[(key[0], "ascending")])
        rows = rows.take(order_by)
    return rows


def _codes(table: pa.Table, key: tuple[str, ...]) -> np.ndarray:
    """One integer per row, equal where the key columns are."""
    joined = table[key[0]].combine_chunks()
    for name in key[1:]:
        joined = pc.binary_join_element_wise(joined, table[name].combine_chunks(), "\x1f")
    codes: np.ndarray = pc.dictionary_encode(joined).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes
