"""What each batch of a feed carries: the rows an agency's system would export on each batch day.

A batch dated D holds every change since the previous batch (P < day <= D; the first batch holds everything
held before it, the opening load): for each record whose state differs between P and D, one row, its state at D,
with operation `insert` (not held at P), `update` (held at both, changed) or `delete` (held at P, purged by D; the
row is the record as it last stood). A record changed twice between two batches appears once, as it stood at D;
one made and purged between two batches never appears. Replaying the batches in order (insert and update put the
row in place under its key, delete removes it) therefore gives the state on every batch day, and after the last
batch the year-end file.

Everything is computed over whole columns: each version is visible in a run of batches (from the first batch on
or after its day to the first on or after the next version's), so whether and where it is exported comes from
two searches, never from stepping through days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.feeds.history import NEVER, Days, History, dates

OPERATION = "operation"
BATCH_DAY = "batch_day"
FEED_COLUMNS = (
    pa.field(OPERATION, pa.string(), metadata={b"description": b"insert, update or delete"}),
    pa.field(BATCH_DAY, pa.date32(), metadata={b"description": b"the day of the batch that carries the row"}),
)
CADENCES = {"daily": 1, "weekly": 7}
"""Batch every day, or every seventh day from the period's first (the last batch on the period's last day)."""


def batch_days(first: dt.date, last: dt.date, cadence: str) -> Days:
    """The feed's batch days, as day numbers: every `CADENCES[cadence]` days from `first`'s batch, ending on `last`.

    A weekly feed's batches fall on the seventh day of each week from `first` (what was held by the end of that
    day), and the last on `last` whatever its weekday."""
    step = CADENCES[cadence]
    start, end = (first - dt.date(1970, 1, 1)).days, (last - dt.date(1970, 1, 1)).days
    days = np.arange(start + step - 1, end + 1, step, dtype=np.int64)
    if not len(days) or days[-1] != end:
        days = np.r_[days, end]
    return days


@dataclass(frozen=True)
class Exported:
    """The rows a history's batches carry: each a version (`version`, a row of the history's versions) or, for a
    delete, the last version of a purged record; `batch` is the batch's index and `operation` what to do."""

    version: NDArray[np.int64]
    batch: NDArray[np.int64]
    operation: NDArray[np.object_]

    def table(self, history: History, days: Days) -> pa.Table:
        """The exported rows: operation, batch day, then the record's columns."""
        rows = history.versions.take(pa.array(self.version))
        return rows.add_column(0, FEED_COLUMNS[1], dates(days[self.batch])).add_column(
            0, FEED_COLUMNS[0], pa.array(self.operation, pa.string())
        )


def exported(history: History, days: Days) -> Exported:
    """Every row the batches on `days` carry, ordered by batch, then as the history orders versions (the year-end
    file's order, transients after)."""
    if not len(history.record):
        return Exported(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object))
    record = history.record
    first_batch = np.searchsorted(days, history.valid_from, side="left")
    until_batch = np.searchsorted(days, np.minimum(history.valid_until(), NEVER), side="left")
    shown = first_batch < until_batch
    # a record's first shown batch: the batch it is inserted in (none if it is never shown)
    record_first = np.full(history.records, len(days), dtype=np.int64)
    np.minimum.at(record_first, record[shown], first_batch[shown])
    put = np.flatnonzero(shown)
    operation = np.where(first_batch[put] == record_first[record[put]], "insert", "update").astype(object)
    # deletes: a purged record that some batch showed, in the first batch on or after its purge
    last_version = np.r_[np.flatnonzero(record[1:] != record[:-1]), len(record) - 1]
    purged = history.purged[record[last_version]]
    purge_batch = np.searchsorted(days, purged, side="left")
    gone = (purged < NEVER) & (record_first[record[last_version]] < purge_batch) & (purge_batch < len(days))
    deleted = last_version[gone]
    version = np.r_[put, deleted]
    batch = np.r_[first_batch[put], purge_batch[gone]]
    ops = np.r_[operation, np.full(len(deleted), "delete", dtype=object)]
    order = np.lexsort((version, batch))
    return Exported(version[order], batch[order], ops[order])


def operation_counts(rows: Exported) -> dict[str, int]:
    """Rows exported by operation."""
    values, counts = np.unique(rows.operation.astype(str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    return {name: int(found.get(name, 0)) for name in ("insert", "update", "delete")}


def state_on(history: History, day: int) -> NDArray[np.int64]:
    """The versions holding on `day` (one per record then held), in the history's order."""
    holds = (history.valid_from <= day) & (day < history.valid_until())
    result: NDArray[np.int64] = np.flatnonzero(holds)
    return result
