"""Every version of every record of one table: the year-end rows, and what they held before each change.

A run's agency files are year-end extracts: each record as it finally stands. A record's history is rebuilt from
that last version by undoing its changes, latest first: a change says that, before its day, some of the
record's columns held other values (an NHS number not yet traced, an episode not yet closed, the address before a
move). So the last version is always exactly the year-end row, whatever the changes, and the earlier versions
differ from it only in the columns a change names. Records made and purged within the year (duplicates merged
into their originals) are never in a year-end file; they are added after the year-end rows, each with the day it
was purged.

Days are whole numbers here (days since 1970-01-01), as numpy handles them fastest; a history's versions are
sorted by record, then day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel.arrays import ranges

Days = NDArray[np.int64]
NEVER = np.int64(2**40)
"""The day of a purge that never comes: later than every day a feed has."""


def day_numbers(column: pa.Array | pa.ChunkedArray, missing: int | np.int64 = NEVER) -> Days:
    """A date or timestamp column as day numbers, `missing` for nulls."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_timestamp(values.type):
        values = pc.cast(pc.cast(values, pa.timestamp("s")), pa.date32())
    numbers = pc.fill_null(values.cast(pa.date32()).cast(pa.int32()), 0).to_numpy(zero_copy_only=False)
    result: Days = np.where(values.is_valid().to_numpy(zero_copy_only=False), numbers.astype(np.int64), missing)
    return result


def dates(days: Days) -> pa.Array:
    """Day numbers as an Arrow date column."""
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


@dataclass(frozen=True)
class Change:
    """Before `day[i]`, record `rows[i]` held `before[column][i]` in each named column (day: the day the change was
    made); `kind` says why (nhs_number_traced, date_of_birth_corrected, address_updated, filled_in, ...)."""

    kind: str
    rows: NDArray[np.int64]
    day: Days
    before: dict[str, pa.Array]


@dataclass(frozen=True)
class Transients:
    """Records made and purged within the year: each a copy of a year-end record (`copy_of`, a row) as it stood
    on the day it was made, with its own ids (`replaced`: column -> values)."""

    kind: str
    copy_of: NDArray[np.int64]
    made: Days
    purged: Days
    replaced: dict[str, pa.Array]


@dataclass(frozen=True)
class History:
    """Every version of every record of one table, sorted by record then day.

    Records 0..n-1 are the year-end file's rows in file order; records from n on are transients. `changes` is the
    truth of every change after a record was made: (record, day, kind, fields)."""

    path: str
    versions: pa.Table
    record: NDArray[np.int64]
    valid_from: Days
    made: Days
    purged: Days
    year_end_rows: int
    changes: pa.Table = field(repr=False)

    @property
    def records(self) -> int:
        return len(self.made)

    def valid_until(self) -> Days:
        """The day each version stopped holding: the next version's day, the record's purge, or never."""
        until = np.r_[self.valid_from[1:], NEVER] if len(self.record) else np.zeros(0, np.int64)
        last = np.r_[self.record[1:] != self.record[:-1], True] if len(self.record) else np.zeros(0, bool)
        result: Days = np.where(last, self.purged[self.record], until)
        return result


DAY_BITS = 24
"""A (record, day) pair packed into one integer: 2**24 days is 45,000 years, from the earliest day a table has."""


def _key(record: NDArray[np.int64], day: Days, low: int) -> NDArray[np.int64]:
    result: NDArray[np.int64] = (record.astype(np.int64) << DAY_BITS) + (day.astype(np.int64) - low)
    return result


CHANGES_SCHEMA = pa.schema(
    [("record", pa.int64()), ("changed_on", pa.date32()), ("change", pa.string()), ("fields", pa.list_(pa.string()))]
)


def build(
    path: str,
    final: pa.Table,
    made: Days,
    changes: list[Change],
    transients: list[Transients],
    last_day: int,
) -> History:
    """The history of a table from its year-end rows, the day each was made (clipped into the feed's days by the
    caller), the changes to undo and the transient records to add. A change on or before its record's day of
    making is not a change (the record was made that way); one after `last_day` is moved to it, as the year-end
    file already holds its result."""
    return assemble(path, final, made, settle(changes, made, last_day), transients)


def settle(changes: list[Change], made: Days, last_day: int) -> list[Change]:
    """The changes `build` undoes: each after its record's making (moved to `last_day` if later), and each
    record's column undone by one change at most. Per record, so a table's changes can be settled once and its
    records then built in chunks (`assemble`)."""
    return _one_change_per_column([_after_making(change, made, last_day) for change in changes])


def assemble(path: str, final: pa.Table, made: Days, kept: list[Change], transients: list[Transients]) -> History:
    """The history of `final`'s records from settled changes (`settle`) and transients: every version of a record
    depends on that record's changes alone, so records 0..n-1 of a slice of a table (with the changes and
    transients of its rows, renumbered) give the same versions as the whole table's."""
    n = final.num_rows
    record = np.concatenate([np.arange(n, dtype=np.int64), *[c.rows for c in kept]])
    day = np.concatenate([made.astype(np.int64), *[c.day for c in kept]])
    low = int(day.min(initial=0))
    key = np.unique(_key(record, day, low))
    v_record = key >> DAY_BITS
    v_day = (key & ((1 << DAY_BITS) - 1)) + low
    versions = _undo(final.take(pa.array(v_record)), kept, key, low)
    history_changes = change_log(kept, transients, n)
    if transients:
        return _with_transients(path, versions, v_record, v_day, made, n, transients, history_changes)
    purged = np.full(n, NEVER, dtype=np.int64)
    return History(path, versions, v_record, v_day, made, purged, n, history_changes)


def _after_making(change: Change, made: Days, last_day: int) -> Change:
    day = np.minimum(change.day, last_day)
    keep = day > made[change.rows]
    rows = np.flatnonzero(keep)
    return Change(
        change.kind,
        change.rows[rows],
        day[rows],
        {name: values.take(pa.array(rows)) for name, values in change.before.items()},
    )


def _one_change_per_column(changes: list[Change]) -> list[Change]:
    """Each record's column undone by one change at most, the first listed: two changes to one field would each
    claim to know what it held before."""
    seen: dict[str, NDArray[np.int64]] = {}
    result = []
    for change in changes:
        clash = np.zeros(len(change.rows), bool)
        for name in change.before:
            if name in seen:
                clash |= np.isin(change.rows, seen[name])
        keep = np.flatnonzero(~clash)
        for name in change.before:
            seen[name] = np.r_[seen.get(name, np.zeros(0, np.int64)), change.rows[keep]]
        result.append(
            Change(
                change.kind,
                change.rows[keep],
                change.day[keep],
                {name: values.take(pa.array(keep)) for name, values in change.before.items()},
            )
        )
    return result


def _undo(versions: pa.Table, changes: list[Change], key: NDArray[np.int64], low: int) -> pa.Table:
    """Each changed column of each version as it was before every later change of its record."""
    by_column: dict[str, list[tuple[Change, pa.Array]]] = {}
    for change in changes:
        for name, values in change.before.items():
            by_column.setdefault(name, []).append((change, values))
    for name, entries in by_column.items():
        base = versions.column(name).combine_chunks()
        rows = np.concatenate([change.rows for change, _ in entries])
        day = np.concatenate([change.day for change, _ in entries])
        values = pa.concat_arrays([v.cast(base.type) for _, v in entries])
        if not len(values):
            continue
        start = np.searchsorted(key, _key(rows, np.full(len(rows), low), low), side="left")
        stop = np.searchsorted(key, _key(rows, day, low), side="left")
        at = ranges(start, stop - start)
        source = np.full(versions.num_rows, -1, dtype=np.int64)
        source[at] = np.repeat(np.arange(len(rows)), stop - start)
        taken = values.take(pa.array(np.maximum(source, 0)))
        column = pc.if_else(pa.array(source >= 0), taken, base)
        versions = versions.set_column(versions.schema.get_field_index(name), name, column)
    return versions


def repeated(value: str, n: int) -> pa.Array:
    """A text column holding one value n times."""
    return pa.array(np.full(n, value, dtype=object), pa.string())


def repeated_list(values: list[str], n: int) -> pa.Array:
    """A list column holding the same list n times."""
    offsets = pa.array(np.arange(n + 1, dtype=np.int32) * len(values), pa.int32())
    flat = pa.array(np.tile(np.asarray(values, dtype=object), n), pa.string())
    return pa.ListArray.from_arrays(offsets, flat)


def _changes_table(changes: list[Change]) -> pa.Table:
    parts = [
        pa.table(
            [
                pa.array(c.rows, pa.int64()),
                dates(c.day),
                repeated(c.kind, len(c.rows)),
                repeated_list(sorted(c.before), len(c.rows)),
            ],
            schema=CHANGES_SCHEMA,
        )
        for c in changes
        if len(c.rows)
    ]
    return pa.concat_tables(parts) if parts else CHANGES_SCHEMA.empty_table()


def _with_transients(
    path: str,
    versions: pa.Table,
    v_record: NDArray[np.int64],
    v_day: Days,
    made: Days,
    n: int,
    transients: list[Transients],
    changes: pa.Table,
) -> History:
    """The history with each transient record appended: one version, its original's as it stood when it was
    made, under its own ids."""
    copies, days, purges = [], [], []
    for t in transients:
        # the original's version holding on the day the copy was made: the last one starting on or before it
        low = int(v_day.min(initial=0))
        at = np.searchsorted(_key(v_record, v_day, low), _key(t.copy_of, t.made, low), side="right") - 1
        rows = versions.take(pa.array(at))
        for name, values in t.replaced.items():
            rows = rows.set_column(rows.schema.get_field_index(name), name, values.cast(rows.schema.field(name).type))
        copies.append(rows)
        days.append(t.made)
        purges.append(t.purged)
    extra = pa.concat_tables(copies)
    m = extra.num_rows
    return History(
        path,
        pa.concat_tables([versions, extra]),
        np.r_[v_record, np.arange(n, n + m)],
        np.r_[v_day, np.concatenate(days)],
        np.r_[made, np.concatenate(days)],
        np.r_[np.full(n, NEVER, dtype=np.int64), np.concatenate(purges)],
        n,
        changes,
    )


def change_log(kept: list[Change], transients: list[Transients], n: int) -> pa.Table:
    """A table's changes as its history holds them (`History.changes`): every settled change, then each transient
    record's purge (records n on). Needs no versions, so a table built in chunks has its whole log at once."""
    changes = _changes_table(kept)
    if not transients:
        return changes
    m = sum(len(t.made) for t in transients)
    kinds = np.repeat(np.asarray([t.kind for t in transients], dtype=object), [len(t.made) for t in transients])
    merged = pa.table(
        [
            pa.array(np.arange(n, n + m), pa.int64()),
            dates(np.concatenate([t.purged for t in transients])),
            pa.array(kinds, pa.string()),
            repeated_list([], m),
        ],
        schema=CHANGES_SCHEMA,
    )
    return pa.concat_tables([changes, merged])
