"""Each table's history from a run, and the linkage view's, which follows its person-level tables.

An agency table's history is its year-end file with its changes undone (synthgen.feeds.changes) and its merged
duplicates added (synthgen.feeds.merges). A record's versions depend on its own changes alone, so a table is
built a chunk of records at a time (`table_life` once, then `chunk_history` per chunk), and memory holds one chunk's
versions however large the run. The linkage view holds one record per person-level record, so its
history is theirs, version for version, in the view's schema: a version that changes nothing the view holds (an
early help episode closing) is not a version of the view's record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen import tables
from synthgen.feeds import changes as why
from synthgen.feeds.history import (
    CHANGES_SCHEMA,
    NEVER,
    Change,
    Days,
    History,
    Transients,
    assemble,
    change_log,
    day_numbers,
    settle,
)
from synthgen.feeds.known import RunFacts
from synthgen.feeds.merges import Merged, merged_draws, merged_duplicates
from synthgen.feeds.spill import Numbers, regroup
from synthgen.feeds.truth_index import BATCH, LOGGED, file_batches, read_batches
from synthgen.kernel.record_ids import format_record_ids, parse_record_ids
from synthgen.linkage.view import view_columns
from synthgen.run_folder import Run

LINKAGE = "linkage/records"


CHUNK_RECORDS = 200_000
"""Records whose versions are built at once: enough that per-chunk work is a small share of the time, few enough
that a chunk's versions and batch rows stay well within generation's memory. It changes no byte of a feed."""
DRAW_RECORDS = 200_000
"""Year-end rows whose changes are drawn together, in the year-end file's order: each such chunk draws from random
streams of its own (named by the table, the kind of change and the chunk's number), so a table's changes are drawn
holding one chunk's rows, whatever the table's size. Unlike CHUNK_RECORDS, changing it changes the feed."""
NO_LINK = np.uint64(2**64 - 1)
"""The linkage id number of a record the truth gives none (record ids are 60-bit numbers, never this)."""


@dataclass(frozen=True)
class TableHistory:
    """A table's history and, for a person-level table, its merged duplicates' linkage ids."""

    history: History
    merged: Merged | None


@dataclass(frozen=True)
class TableLife:
    """One agency table before its versions are built: its year-end file's size and schema, the day each row was
    made, its changes (settled: synthgen.feeds.history.settle), its duplicates merged within the year (None if
    none) and, for a person-level table, each row's linkage view id (as its number; NO_LINK if none) and each merged
    duplicate's person. Holds no year-end row: a chunk's are read when it is built (`finals`)."""

    path: str
    run: Run
    rows: int
    file_schema: pa.Schema
    made: Numbers
    changes: list[Change]
    merged: Merged | None
    linkage: Numbers | None
    merged_person: NDArray[np.int64]

    @cached_property
    def schema(self) -> pa.Schema:
        """The whole history's versions' schema: the year-end file's, but a column some change rewrites is a plain
        field (its description dropped), as the whole table's history makes it. A chunk's own would differ where no
        change of the chunk touches a column, and a day's file holds rows of every chunk."""
        touched = {name for change in self.changes if len(change.rows) for name in change.before}
        fields = [pa.field(f.name, f.type) if f.name in touched else f for f in self.file_schema]
        return pa.schema(fields, metadata=self.file_schema.metadata)

    @property
    def transients(self) -> list[Transients]:
        return [self.merged.transients] if self.merged is not None else []

    def change_log(self) -> pa.Table:
        """The whole table's changes, as its whole history would hold them."""
        return change_log(self.changes, self.transients, self.rows)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """The ranges of year-end rows built at once (one, empty, for an empty table)."""
        n = self.rows
        return [(start, min(start + size, n)) for start in range(0, max(n, 1), size)]

    def finals(self, size: int) -> Iterator[tuple[int, int, pa.Table]]:
        """The year-end rows a chunk at a time (`chunks(size)`), read from the run as they are needed."""
        return year_end_chunks(self.run, self.path, size, None, self.file_schema)

    def close(self) -> None:
        """Delete the numbers put aside in files (`table_life` given a scratch folder)."""
        self.made.close()
        if self.linkage is not None:
            self.linkage.close()


@dataclass(frozen=True)
class Chunk:
    """Some records' history, numbered from 0 (year-end rows, then their merged duplicates), and each record's
    number in the whole table (year-end rows 0..n-1, merged duplicates n on)."""

    history: History
    records: NDArray[np.int64]


def feed_tables(facts: RunFacts) -> list[str]:
    """The tables a run's feed carries: every agency table the run wrote, in the registry's order."""
    return [t.path for t in tables.all_tables() if t.agency is not None and facts.run.has(t.path)]


def year_end_chunks(
    run: Run, path: str, size: int, columns: list[str] | None, schema: pa.Schema
) -> Iterator[tuple[int, int, pa.Table]]:
    """A year-end file's rows (`columns`, or all) in chunks of `size` (the last fewer; one empty chunk for an
    empty file), each with its range of rows, read a row group's worth at a time."""
    start = 0
    batches = (batch for file in run.files(path) for batch in file_batches(file, min(size, BATCH), columns))
    for group in regroup(batches, size):
        yield start, start + group.num_rows, group
        start += group.num_rows
    if not start:
        wanted = schema if columns is None else pa.schema([schema.field(c) for c in columns])
        yield 0, 0, wanted.empty_table()


def _draw_columns(path: str, schema: pa.Schema, facts: RunFacts) -> list[str]:
    """The columns of a year-end file its changes are drawn from."""
    entry = tables.table(path)
    wanted = {entry.id_column, entry.known_from, entry.event_date, "record_id", "la_child_id"}
    for day_column, columns in entry.filled_later:
        wanted |= {day_column, *columns}
    wanted |= set(facts.params.series(f"feed_traced.{entry.agency}/{entry.name}"))
    if entry.person is not None:
        wanted |= {entry.person.date_of_birth, entry.person.address, entry.person.postcode, "town"}
    return [name for name in schema.names if name in wanted]


def table_life(facts: RunFacts, path: str, scratch: Path | None = None) -> TableLife:
    """One agency table's changes (settled a chunk at a time: a record's settle on its own) and merged
    duplicates, drawn a chunk of DRAW_RECORDS year-end rows at a time (reading only the columns they need), and the
    day each row was made. With `scratch`, each row's day made and linkage id are put aside in files there, read
    back a chunk at a time (close the life when done): memory then holds no number per row of the table."""
    entry = tables.table(path)
    schema = pq.ParquetFile(facts.run.files(path)[0]).schema_arrow
    truth = facts.person_truth(path) if entry.person is not None and entry.id_column else None
    events = facts.event_truth(path) if truth is None and entry.id_column else None
    made = Numbers(np.int64, scratch / "made.bin" if scratch is not None else None)
    linkage = Numbers(np.uint64, scratch / "linkage.bin" if scratch is not None and truth is not None else None)
    person_of, parts, draws = [], [], []
    taken: list[pa.Array] = []
    columns = _draw_columns(path, schema, facts)
    for index, (start, _, final) in enumerate(year_end_chunks(facts.run, path, DRAW_RECORDS, columns, schema)):
        k = final.num_rows
        person, logged, known = np.full(k, -1, np.int64), {name: np.zeros(k, bool) for name in LOGGED}, None
        if truth is not None:
            found, got = truth.lookup(final[entry.id_column])
            known = np.where(found, got.known, facts.first)
            person = np.where(found, got.person, -1)
            logged = {name: found & got.logged[name] for name in LOGGED}
            linkage.append(np.where(found, got.linkage, NO_LINK).astype(np.uint64))
        elif events is not None:
            known = day_numbers(events.known(final[entry.id_column]), missing=facts.first)
        chunk_made = facts.made(path, final, known)
        part = why.Part(path, index, final, chunk_made, chunk_made > facts.first, person, logged)
        found_changes: list[Change] = why.filled_in(path, final)
        found_changes += why.traced(facts, part) + why.dob_corrected(facts, part) + why.address_updated(facts, part)
        parts.append([replace(c, rows=c.rows + start) for c in settle(found_changes, chunk_made, facts.last)])
        drawn = merged_draws(facts, part, taken)
        if drawn is not None:
            draws.append(replace(drawn, rows=drawn.rows + start))
            person_of.append(person[drawn.rows])
        made.append(chunk_made)
    changes = [_joined(same) for same in zip(*parts, strict=True)]
    merged = merged_duplicates(facts, path, draws)
    if truth is None:
        linkage.close()
    return TableLife(
        path,
        facts.run,
        made.size,
        schema,
        made.done(),
        changes,
        merged,
        linkage.done() if truth is not None else None,
        np.concatenate(person_of) if person_of else np.zeros(0, np.int64),
    )


def _joined(changes: tuple[Change, ...]) -> Change:
    """One kind of change drawn chunk by chunk, as one."""
    first = changes[0]
    before = {name: pa.concat_arrays([c.before[name] for c in changes]) for name in first.before}
    return Change(
        first.kind, np.concatenate([c.rows for c in changes]), np.concatenate([c.day for c in changes]), before
    )


def table_history(facts: RunFacts, path: str) -> TableHistory:
    """One agency table's whole history: year-end rows, changes undone, merged duplicates added."""
    life = table_life(facts, path)
    return TableHistory(chunk_history(life, 0, life.rows, facts.run.read(path)).history, life.merged)


def chunk_history(life: TableLife, start: int, stop: int, final: pa.Table) -> Chunk:
    """The history of year-end rows start..stop-1 (`final`: those rows) and of the duplicates merged from them:
    the same versions as the whole table's history holds for these records."""
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
    n, records = life.rows, [np.arange(start, stop, dtype=np.int64)]
    transients = []
    for t in life.transients:
        rows = np.flatnonzero((t.copy_of >= start) & (t.copy_of < stop))
        if len(rows):
            at = pa.array(rows)
            replaced = {name: values.take(at) for name, values in t.replaced.items()}
            transients.append(Transients(t.kind, t.copy_of[rows] - start, t.made[rows], t.purged[rows], replaced))
            records.append(n + rows)
    history = assemble(life.path, final, life.made.range(start, stop), kept, transients)
    versions = pa.Table.from_arrays(history.versions.columns, schema=life.schema)
    return Chunk(replace(history, versions=versions), np.concatenate(records))


def id_numbers(ids: pa.Array) -> NDArray[np.uint64]:
    """Record ids as their 60-bit numbers, NO_LINK for a null."""
    valid = ids.is_valid().to_numpy(zero_copy_only=False)
    numbers = parse_record_ids(pc.fill_null(ids, "000000000000"))
    result: NDArray[np.uint64] = np.where(valid, numbers, NO_LINK)
    return result


def id_strings(numbers: NDArray[np.uint64]) -> pa.Array:
    """Record id numbers as ids, null for NO_LINK."""
    missing = numbers == NO_LINK
    ids = format_record_ids(np.where(missing, np.uint64(0), numbers))
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), ids) if missing.any() else ids


def linkage_ids(life: TableLife, records: NDArray[np.int64] | None = None) -> pa.Array:
    """A person-level table's records' linkage view ids (`records`, as the table numbers them: year-end rows, then
    merged duplicates; all of them if None), year-end rows' first."""
    assert life.linkage is not None
    n = life.rows
    m = len(life.merged.linkage_ids) if life.merged is not None else 0
    records = np.arange(n + m) if records is None else records
    year_end = id_strings(life.linkage.take(records[records < n]))
    if life.merged is None:
        return year_end
    extra = life.merged.linkage_ids.take(pa.array(records[records >= n] - n))
    return pa.concat_arrays([year_end, extra.cast(year_end.type)])


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
    record's day made and day purged, from its person-level table. Ids are kept as their numbers and days as 32-bit
    numbers: a few bytes a record."""

    def __init__(self, year_end: NDArray[np.uint64]) -> None:
        self.year_end = len(year_end)
        ordered = bool(np.all(year_end[1:] > year_end[:-1])) if len(year_end) > 1 else True
        self._order: NDArray[np.int64] | None = None if ordered else np.argsort(year_end, kind="stable")
        self._sorted = year_end if self._order is None else year_end[self._order]
        self._made = np.zeros(self.year_end, np.int32)
        self._purged = np.zeros(self.year_end, np.int32)
        self._extra_made: list[NDArray[np.int32]] = []
        self._extra_purged: list[NDArray[np.int32]] = []
        self.extra = 0

    @classmethod
    def of_run(cls, run: Run) -> LinkageNumbers:
        """The numbers of a run's linkage view (its year-end ids read a row group at a time)."""
        parts = [id_numbers(batch.column(0)) for batch in read_batches(run, LINKAGE, ["record_id"])]
        return cls(np.concatenate(parts) if parts else np.zeros(0, np.uint64))

    @property
    def records(self) -> int:
        return self.year_end + self.extra

    def number(self, ids: NDArray[np.uint64], made: Days, purged: Days) -> NDArray[np.int64]:
        """The numbers of some records (`ids`, as numbers; each made and purged as given), new ones numbered next."""
        at = np.minimum(np.searchsorted(self._sorted, ids), max(self.year_end - 1, 0))
        old = (self._sorted[at] == ids) & (ids != NO_LINK) if self.year_end else np.zeros(len(ids), bool)
        numbers = (at if self._order is None else self._order[at]).astype(np.int64)
        new = np.flatnonzero(~old)
        numbers[new] = self.records + np.arange(len(new))
        self.extra += len(new)
        self._made[numbers[old]] = _days32(made[old])
        self._purged[numbers[old]] = _days32(purged[old])
        self._extra_made.append(_days32(made[new]))
        self._extra_purged.append(_days32(purged[new]))
        return numbers

    def days(self, start: int = 0, stop: int | None = None) -> tuple[Days, Days]:
        """Records start..stop-1's day made and day purged (0 for a record no table gave)."""
        if self._extra_made:  # numbering is done once days are asked for: the pieces joined once
            self._made = np.concatenate([self._made, *self._extra_made])
            self._purged = np.concatenate([self._purged, *self._extra_purged])
            self._extra_made, self._extra_purged = [], []
        return _days64(self._made[start:stop]), _days64(self._purged[start:stop])


NEVER32 = np.int32(2**31 - 1)


def _days32(days: Days) -> NDArray[np.int32]:
    return np.where(days >= NEVER, NEVER32, days).astype(np.int32)


def _days64(days: NDArray[np.int32]) -> Days:
    result: Days = np.where(days == NEVER32, NEVER, days.astype(np.int64))
    return result


RECORD, VALID_FROM = "__record", "__valid_from"
"""Columns a spilled view part carries beside the view's: each version's linkage record number and day."""


def linkage_chunk(rows: pa.Table, start: int, stop: int, made: Days, purged: Days, year_end: int) -> History:
    """The linkage view's history of records start..stop-1 (numbered from 0; `made`, `purged`: theirs), from the
    view parts' versions of those records (`rows`: view columns, RECORD and VALID_FROM), sorted by record, then
    day."""
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
        made,
        purged,
        held,
        CHANGES_SCHEMA.empty_table(),
    )
