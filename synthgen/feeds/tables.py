"""Each table's history from a run, and the linkage view's, which follows its person-level tables.

An agency table's history is its year-end file with its changes undone (synthgen.feeds.changes) and its merged
duplicates added (synthgen.feeds.merges). A record's versions depend on its own changes alone, so a table is
built a chunk of records at a time (`table_life` once, then `chunk_history` per chunk), and memory holds one chunk's
versions however large the run. The linkage view holds one record per person-level record, so its
history is theirs, version for version, in the view's schema: a version that changes nothing the view holds (an
early help episode closing) is not a version of the view's record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.feeds import changes as why
from synthgen.feeds.history import CHANGES_SCHEMA, Change, Days, History, Transients, assemble, change_log, settle
from synthgen.feeds.known import RunFacts
from synthgen.feeds.merges import Merged, merged_duplicates
from synthgen.linkage.view import view_columns

LINKAGE = "linkage/records"


CHUNK_RECORDS = 200_000
"""Records whose versions are built at once: enough that per-chunk work is a small share of the time, few enough
that a chunk's versions and batch rows stay well within generation's memory."""


@dataclass(frozen=True)
class TableHistory:
    """A table's history and, for a person-level table, its merged duplicates' linkage ids."""

    history: History
    merged: Merged | None


@dataclass(frozen=True)
class TableLife:
    """One agency table before its versions are built: its year-end rows, the day each was made, its changes
    (settled: synthgen.feeds.history.settle) and its duplicates merged within the year (None if none)."""

    path: str
    final: pa.Table
    made: Days
    changes: list[Change]
    merged: Merged | None

    @cached_property
    def schema(self) -> pa.Schema:
        """The whole history's versions' schema: the year-end file's, but a column some change rewrites is a plain
        field (its description dropped), as the whole table's history makes it. A chunk's own would differ where no
        change of the chunk touches a column, and a day's file holds rows of every chunk."""
        touched = {name for change in self.changes if len(change.rows) for name in change.before}
        fields = [pa.field(f.name, f.type) if f.name in touched else f for f in self.final.schema]
        return pa.schema(fields, metadata=self.final.schema.metadata)

    @property
    def transients(self) -> list[Transients]:
        return [self.merged.transients] if self.merged is not None else []

    def change_log(self) -> pa.Table:
        """The whole table's changes, as its whole history would hold them."""
        return change_log(self.changes, self.transients, self.final.num_rows)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """The ranges of year-end rows built at once (one, empty, for an empty table)."""
        n = self.final.num_rows
        return [(start, min(start + size, n)) for start in range(0, max(n, 1), size)]


@dataclass(frozen=True)
class Chunk:
    """Some records' history, numbered from 0 (year-end rows, then their merged duplicates), and each record's
    number in the whole table (year-end rows 0..n-1, merged duplicates n on)."""

    history: History
    records: NDArray[np.int64]


def feed_tables(facts: RunFacts) -> list[str]:
    """The tables a run's feed carries: every agency table the run wrote, in the registry's order."""
    return [t.path for t in tables.all_tables() if t.agency is not None and facts.run.has(t.path)]


def table_life(facts: RunFacts, path: str) -> TableLife:
    """One agency table's year-end rows, the day each was made, its changes and its merged duplicates."""
    final = facts.run.read(path)
    made = facts.made(path, final)
    in_period = made > facts.first
    changes: list[Change] = why.filled_in(path, final)
    changes += why.traced(facts, path, final, made, in_period)
    changes += why.dob_corrected(facts, path, final, made, in_period)
    changes += why.address_updated(facts, path, final, made)
    merged = merged_duplicates(facts, path, final, made, in_period)
    if merged is not None and not len(merged.transients.made):
        merged = None
    return TableLife(path, final, made, settle(changes, made, facts.last), merged)


def table_history(facts: RunFacts, path: str) -> TableHistory:
    """One agency table's whole history: year-end rows, changes undone, merged duplicates added."""
    life = table_life(facts, path)
    return TableHistory(chunk_history(life, 0, life.final.num_rows).history, life.merged)


def chunk_history(life: TableLife, start: int, stop: int) -> Chunk:
    """The history of year-end rows start..stop-1 and of the duplicates merged from them: the same versions as
    the whole table's history holds for these records."""
    kept = []
    for change in life.changes:
        rows = np.flatnonzero((change.rows >= start) & (change.rows < stop))
        at = pa.array(rows)
        kept.append(
            Change(
                change.kind,
                change.rows[rows] - start,
                change.day[rows],
                {name: values.take(at) for name, values in change.before.items()},
            )
        )
    n, records = life.final.num_rows, [np.arange(start, stop, dtype=np.int64)]
    transients = []
    for t in life.transients:
        rows = np.flatnonzero((t.copy_of >= start) & (t.copy_of < stop))
        if len(rows):
            at = pa.array(rows)
            replaced = {name: values.take(at) for name, values in t.replaced.items()}
            transients.append(Transients(t.kind, t.copy_of[rows] - start, t.made[rows], t.purged[rows], replaced))
            records.append(n + rows)
    history = assemble(life.path, life.final.slice(start, stop - start), life.made[start:stop], kept, transients)
    versions = pa.Table.from_arrays(history.versions.columns, schema=life.schema)
    return Chunk(replace(history, versions=versions), np.concatenate(records))


def linkage_ids(facts: RunFacts, life: TableLife) -> pa.Array:
    """A person-level table's records' linkage view ids (year-end rows, then merged duplicates)."""
    truth = facts.person_records(life.path)
    at = pc.index_in(life.final["record_id"].combine_chunks(), value_set=truth["source_record_id"].combine_chunks())
    ids = truth["record_id"].combine_chunks().take(at)
    return pa.concat_arrays([ids, life.merged.linkage_ids]) if life.merged is not None else ids


@dataclass(frozen=True)
class ViewPart:
    """Some records of a person-level table in the linkage view's schema: their versions (identical successive
    versions left out), each version's record (as the history numbers them) and day."""

    versions: pa.Table
    record: NDArray[np.int64]
    valid_from: NDArray[np.int64]


def view_part(history: History, ids: pa.Array) -> ViewPart:
    """A person-level table's history (or a chunk's) as the linkage view holds it; `ids`: each record's linkage
    id, as the history numbers records."""
    entry = tables.table(history.path)
    assert entry.person is not None and entry.agency is not None
    view = pa.table(view_columns(history.versions, entry.person, entry.agency, ids.take(pa.array(history.record))))
    keep = _differs_from_previous(view, history.record)
    return ViewPart(view.filter(pa.array(keep)), history.record[keep], history.valid_from[keep])


def _differs_from_previous(view: pa.Table, record: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True for each record's first version and every version that differs from the one before it."""
    n = view.num_rows
    keep = np.ones(n, bool)
    if n < 2:
        return keep
    same = record[1:] == record[:-1]
    for name in view.column_names:
        values = view[name].combine_chunks()
        now, before = values.slice(1), values.slice(0, n - 1)
        equal = pc.fill_null(pc.equal(now, before), False).to_numpy(zero_copy_only=False)
        both_null = (pc.is_null(now).to_numpy(zero_copy_only=False)) & pc.is_null(before).to_numpy(zero_copy_only=False)
        same &= equal | both_null
    keep[1:] = ~same
    return keep


class LinkageNumbers:
    """The linkage view's record numbers, as its whole history numbers them: the year-end linkage/records file's
    order, then records no year-end file holds (merged duplicates) in the order their tables give them; and each
    record's day made and day purged, from its person-level table."""

    def __init__(self, year_end: pa.Array) -> None:
        self.year_end = year_end
        self._made = np.zeros(len(year_end), np.int64)
        self._purged = np.zeros(len(year_end), np.int64)
        self._extra_made: list[Days] = []
        self._extra_purged: list[Days] = []
        self.extra = 0

    @property
    def records(self) -> int:
        return len(self.year_end) + self.extra

    def number(self, ids: pa.Array, made: Days, purged: Days) -> NDArray[np.int64]:
        """The numbers of one table's records (`ids`, each made and purged as given), new ones numbered next."""
        at = pc.index_in(ids, value_set=self.year_end)
        numbers: NDArray[np.int64] = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        old = numbers >= 0
        new = np.flatnonzero(~old)
        numbers[new] = self.records + np.arange(len(new))
        self.extra += len(new)
        self._made[numbers[old]] = made[old]
        self._purged[numbers[old]] = purged[old]
        self._extra_made.append(made[new])
        self._extra_purged.append(purged[new])
        return numbers

    def days(self) -> tuple[Days, Days]:
        """Every record's day made and day purged (0 for a record no table gave)."""
        return np.concatenate([self._made, *self._extra_made]), np.concatenate([self._purged, *self._extra_purged])


RECORD, VALID_FROM = "__record", "__valid_from"
"""Columns a spilled view part carries beside the view's: each version's linkage record number and day."""


def linkage_chunk(rows: pa.Table, start: int, stop: int, made: Days, purged: Days, year_end: int) -> History:
    """The linkage view's history of records start..stop-1 (numbered from 0), from the view parts' versions of
    those records (`rows`: view columns, RECORD and VALID_FROM), sorted by record, then day."""
    record = rows[RECORD].to_numpy().astype(np.int64) - start if rows.num_rows else np.zeros(0, np.int64)
    valid_from = rows[VALID_FROM].to_numpy().astype(np.int64) if rows.num_rows else np.zeros(0, np.int64)
    order = np.lexsort((valid_from, record))
    versions = rows.drop_columns([RECORD, VALID_FROM]).take(pa.array(order))
    held = min(max(year_end - start, 0), stop - start)
    return History(
        LINKAGE,
        versions,
        record[order],
        valid_from[order],
        made[start:stop],
        purged[start:stop],
        held,
        CHANGES_SCHEMA.empty_table(),
    )
