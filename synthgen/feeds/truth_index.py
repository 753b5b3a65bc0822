"""The run's truth a feed needs, table by table, in compact columns: what keeps a feed's memory from growing with
the run.

A table's changes need, for each of its year-end records, the day it was first held (truth/records or
truth/events), and for a person-level record its person, its linkage view id and which fields have an error
logged. Read whole, truth/records and truth/events are millions of rows of text held for the whole feed. Instead
they are read once, a row group at a time, and each table's rows put aside on disk (synthgen.feeds.spill) in
compact form (ids as their 60-bit numbers); a table's truth is read back when the table is built, and let go after.

Moves are few (a household's move within the area), so the people and addresses they reach are kept, not every
person and address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen.feeds.history import Days, day_numbers
from synthgen.feeds.spill import Spill
from synthgen.kernel.record_ids import parse_record_ids
from synthgen.kernel.strings import CROCKFORD32
from synthgen.run_folder import Run

BATCH = 65_536
"""Rows of a run's file read at once."""
TRUTH_BATCH = 262_144
"""Rows of truth/records or truth/events read at once while putting them aside (fewer, larger pieces to put)."""
BUCKET_SHIFT = np.uint64(57)
"""A record's truth is put aside under its table and the top three bits of its id's number (one of eight buckets;
an event's by the first character of its id, the same bits for an id of the run's kind): a year-end file is in id
order, so a chunk of its rows needs the truth of one or two buckets, not the whole table's. More buckets would
hold less at once but cost more pieces to put aside and read back."""
LOGGED = ("nhs_number", "upn", "date_of_birth")
"""The fields whose logged errors the feed's changes ask about (an identifier traced, a date of birth corrected)."""


def read_batches(
    run: Run, table: str, columns: list[str], dictionary: list[str] | None = None, size: int = BATCH
) -> Iterator[pa.RecordBatch]:
    """A run's table a batch of rows at a time, in file order."""
    for file in run.files(table):
        yield from file_batches(file, size, columns, dictionary)


def file_batches(
    file: str | Path, size: int, columns: list[str] | None = None, dictionary: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """A Parquet file's rows in batches of at most `size` (none spanning two row groups), read a row group at a
    time. Not pyarrow's `iter_batches`: its reader keeps memory that grows with the part of the file read so far
    (a 2M-person run's gp_registrations: 73 MiB held after its first 600,000 rows, 121 after 1.6M), where a row
    group read alone is let go once its batches are."""
    parquet = pq.ParquetFile(file, read_dictionary=dictionary)
    for group in range(parquet.num_row_groups):
        yield from parquet.read_row_group(group, columns=columns).to_batches(max_chunksize=size)


def first_bytes(ids: pa.Array | pa.ChunkedArray) -> NDArray[np.int64]:
    """The bucket an event record's truth is put under: the top three bits of the first character of its id as
    a Crockford base-32 digit (another character, an empty or null id: a bucket of its own)."""
    values = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    values = pc.fill_null(values.cast(pa.string()), "")
    n = len(values)
    if not n:
        return np.zeros(0, np.int64)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n + 1]
    data = values.buffers()[2]
    bytes_ = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    first = np.where(nonempty, bytes_[np.minimum(starts, len(bytes_) - 1)], 0)
    result: NDArray[np.int64] = (_DIGITS[first].astype(np.int64) >> 2).astype(np.int64)
    return result


_DIGITS = np.full(256, 255, dtype=np.uint8)
_DIGITS[CROCKFORD32] = np.arange(32, dtype=np.uint8)


def _groups(values: NDArray[np.int64]) -> Iterator[tuple[int, NDArray[np.int64]]]:
    """Each distinct value and the positions holding it."""
    order = np.argsort(values, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(values[order])) + 1, len(values)]
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if stop > start:
            yield int(values[order[start]]), order[start:stop]


def _by_table(batch: pa.RecordBatch) -> Iterator[tuple[str, NDArray[np.int64]]]:
    """Each agency table's path in a truth batch (`source`, `table` dictionary-encoded) and its rows."""
    source, table = batch.column("source"), batch.column("table")
    width = max(len(table.dictionary), 1)
    code = source.indices.to_numpy(zero_copy_only=False).astype(np.int64) * width + table.indices.to_numpy(
        zero_copy_only=False
    ).astype(np.int64)
    order = np.argsort(code, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(code[order])) + 1, len(code)]
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if stop > start:
            at = int(code[order[start]])
            yield f"agencies/{source.dictionary[at // width]}/{table.dictionary[at % width]}", order[start:stop]


@dataclass(frozen=True)
class PersonTruth:
    """truth/records of one person-level table, sorted by its record id's number: each record's linkage view id
    (as its number), person, day first held and the fields with an error logged."""

    key: NDArray[np.uint64]
    linkage: NDArray[np.uint64]
    person: NDArray[np.int64]
    known: Days
    logged: dict[str, NDArray[np.bool_]]


class PersonSource:
    """A person-level table's truth, looked up a chunk of year-end rows at a time: `load(bucket)` gives the compact
    truth of one bucket (None if empty); the buckets of the last chunk are kept for the next, the rest let go."""

    def __init__(self, load: Callable[[int], pa.Table | None], first: int) -> None:
        self._load = load
        self._first = first
        self._held: dict[int, PersonTruth] = {}

    def lookup(self, ids: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.bool_], PersonTruth]:
        """Whether the truth has each record id, and its truth (aligned with `ids`; meaningless where not found)."""
        wanted = id_values(ids)
        buckets = np.unique(wanted >> BUCKET_SHIFT).tolist()
        held = {b: self._held[b] if b in self._held else self._bucket(b) for b in buckets}
        self._held = held
        truth = _joined([held[b] for b in buckets])  # buckets in order: their keys are sorted as a whole
        if not len(truth.key):
            return np.zeros(len(wanted), bool), _take(truth, np.zeros(len(wanted), np.int64), len(wanted))
        at = np.minimum(np.searchsorted(truth.key, wanted), len(truth.key) - 1)
        return truth.key[at] == wanted, _take(truth, at, len(wanted))

    def _bucket(self, bucket: int) -> PersonTruth:
        table = self._load(bucket)
        return person_truth(table if table is not None else EMPTY.empty_table(), self._first)


def id_values(ids: pa.Array | pa.ChunkedArray) -> NDArray[np.uint64]:
    """Record ids as their numbers (a null as 0)."""
    values = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return parse_record_ids(pc.fill_null(values, "000000000000") if values.null_count else values)


def _joined(parts: list[PersonTruth]) -> PersonTruth:
    if len(parts) == 1:
        return parts[0]
    return PersonTruth(
        np.concatenate([p.key for p in parts]) if parts else np.zeros(0, np.uint64),
        np.concatenate([p.linkage for p in parts]) if parts else np.zeros(0, np.uint64),
        np.concatenate([p.person for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p.known for p in parts]) if parts else np.zeros(0, np.int64),
        {name: np.concatenate([p.logged[name] for p in parts]) if parts else np.zeros(0, bool) for name in LOGGED},
    )


def _take(truth: PersonTruth, at: NDArray[np.int64], n: int) -> PersonTruth:
    if not len(truth.key):
        return PersonTruth(
            np.zeros(n, np.uint64),
            np.zeros(n, np.uint64),
            np.full(n, -1, np.int64),
            np.zeros(n, np.int64),
            {name: np.zeros(n, bool) for name in LOGGED},
        )
    return PersonTruth(
        truth.key[at],
        truth.linkage[at],
        truth.person[at],
        truth.known[at],
        {name: values[at] for name, values in truth.logged.items()},
    )


class EventSource:
    """An event table's truth/events, looked up a chunk of year-end rows at a time (by the first byte of each id,
    as PersonSource does by its number's top bits)."""

    def __init__(self, load: Callable[[int], pa.Table | None]) -> None:
        self._load = load
        self._held: dict[int, pa.Table] = {}

    def known(self, ids: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The day each record id was first known (null where the truth has none of it)."""
        buckets = np.unique(first_bytes(ids)).tolist()
        held = {b: self._held[b] if b in self._held else self._bucket(b) for b in buckets}
        self._held = held
        events = pa.concat_tables([held[b] for b in buckets]) if buckets else EVENTS.empty_table()
        at = pc.index_in(ids, value_set=events["record_id"].combine_chunks())
        found = pc.take(events["known_on"], pc.fill_null(at, 0)) if events.num_rows else pa.nulls(len(ids), pa.date32())
        return pc.if_else(at.is_valid(), found, pa.scalar(None, pa.date32()))

    def _bucket(self, bucket: int) -> pa.Table:
        table = self._load(bucket)
        return first_known(table) if table is not None else EVENTS.empty_table()


EVENTS = pa.schema([("record_id", pa.string()), ("known_on", pa.date32())])


class TruthIndex:
    """truth/records and truth/events put aside by table and bucket, read back a few buckets at a time."""

    def __init__(self, run: Run, scratch: Path, first: int) -> None:
        self.first = first
        self._records = Spill(scratch / "truth-records.arrow")
        self._events = Spill(scratch / "truth-events.arrow")
        self.keys: dict[str, int] = {}
        self._with_events: set[str] = set()
        self._put_records(run)
        self._put_events(run)

    def _key(self, path: str, bucket: int) -> int:
        return self.keys.setdefault(path, len(self.keys)) * 256 + bucket

    def _read(self, spill: Spill, key: int) -> pa.Table | None:
        parts = list(spill.batches(key))
        return pa.Table.from_batches(parts) if parts else None

    def _put_records(self, run: Run) -> None:
        for batch in read_batches(run, "truth/records", RECORD_COLUMNS, ["source", "table"], TRUTH_BATCH):
            logged = logged_fields(batch.column("errors"), batch.num_rows)
            for path, rows in _by_table(batch):
                part = compact(batch, rows, logged)
                for bucket, at in _groups((part["key"].to_numpy() >> BUCKET_SHIFT).astype(np.int64)):
                    self._records.put(self._key(path, bucket), part.take(pa.array(at)))

    def _put_events(self, run: Run) -> None:
        if not run.has("truth/events"):
            return
        columns = ["source", "table", "record_id", "known_on"]
        for batch in read_batches(run, "truth/events", columns, ["source", "table"], TRUTH_BATCH):
            for path, rows in _by_table(batch):
                part = pa.table(
                    {name: batch.column(name).take(pa.array(rows)) for name in ("record_id", "known_on")}, schema=EVENTS
                )
                self._with_events.add(path)
                for bucket, at in _groups(first_bytes(part["record_id"])):
                    self._events.put(self._key(path, bucket), part.take(pa.array(at)))

    def person(self, path: str) -> PersonSource:
        """truth/records of one person-level table, looked up a chunk at a time."""
        return PersonSource(lambda bucket: self._read(self._records, self._key(path, bucket)), self.first)

    def events(self, path: str) -> EventSource | None:
        """truth/events of one table, looked up a chunk at a time; None if the truth has none of its events."""
        if path not in self._with_events:
            return None
        return EventSource(lambda bucket: self._read(self._events, self._key(path, bucket)))

    def close(self) -> None:
        self._records.close()
        self._events.close()


EMPTY = pa.schema(
    [("key", pa.uint64()), ("linkage", pa.uint64()), ("person", pa.int64()), ("known", pa.date32())]
    + [(name, pa.bool_()) for name in LOGGED]
)
"""A person-level table's truth as it is put aside (synthgen.feeds.truth_index.compact)."""
RECORD_COLUMNS = ["record_id", "source", "table", "source_record_id", "person_id", "errors", "known_on"]


def logged_fields(errors: pa.Array | pa.ChunkedArray, n: int) -> dict[str, NDArray[np.bool_]]:
    """Which rows have an error logged on each of the LOGGED fields."""
    errors = errors.combine_chunks() if isinstance(errors, pa.ChunkedArray) else errors
    fields = pc.list_flatten(errors).field("field")
    owner = pc.list_parent_indices(errors).to_numpy(zero_copy_only=False)
    logged = {}
    for name in LOGGED:
        hit = np.zeros(n, bool)
        hit[owner[pc.fill_null(pc.equal(fields, name), False).to_numpy(zero_copy_only=False)]] = True
        logged[name] = hit
    return logged


def compact(
    records: pa.RecordBatch | pa.Table, rows: NDArray[np.int64], logged: dict[str, NDArray[np.bool_]]
) -> pa.Table:
    """Rows of truth/records as a table's truth keeps them: ids as numbers, person, day known, fields logged."""
    at = pa.array(rows)
    ids, linkage = records.column("source_record_id").take(at), records.column("record_id").take(at)
    return pa.table(
        {
            "key": pa.array(parse_record_ids(ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids)),
            "linkage": pa.array(
                parse_record_ids(linkage.combine_chunks() if isinstance(linkage, pa.ChunkedArray) else linkage)
            ),
            "person": records.column("person_id").take(at).cast(pa.int64()),
            "known": records.column("known_on").take(at),
            **{name: pa.array(logged[name][rows]) for name in LOGGED},
        }
    )


def person_truth(table: pa.Table, first: int) -> PersonTruth:
    """A table's truth from its compact rows, sorted by record id."""
    key_numbers = table["key"].to_numpy()
    order = np.argsort(key_numbers, kind="stable")
    known = day_numbers(table["known"], missing=first)
    return PersonTruth(
        key_numbers[order],
        table["linkage"].to_numpy()[order],
        table["person"].to_numpy()[order],
        known[order],
        {name: table[name].to_numpy(zero_copy_only=False)[order] for name in LOGGED},
    )


def first_known(rows: pa.Table) -> pa.Table:
    """Each event record's id and the first day it was known (rows of truth/events of one table)."""
    grouped = rows.group_by(["record_id"], use_threads=False).aggregate([("known_on", "min")])
    return pa.table({"record_id": grouped["record_id"], "known_on": grouped["known_on_min"]})


@dataclass(frozen=True)
class Moves:
    """Each person whose household moved within the area (sorted), and their move: the day, and the address lines
    and postcodes moved from and to (null where the address is unknown)."""

    person: NDArray[np.int64]
    moved_on: Days
    new: pa.Table
    old: pa.Table


def read_moves(run: Run) -> Moves:
    """The run's moves, with the people and addresses they reach: a few of the area's people and addresses."""
    moves = run.read("truth/moves")
    households = moves["household_id"].combine_chunks()
    people, household = [], []
    for batch in read_batches(run, "truth/people", ["person_id", "household_id"]):
        moved = pc.is_in(batch.column("household_id"), value_set=households)
        people.append(batch.column("person_id").filter(moved).to_numpy(zero_copy_only=False).astype(np.int64))
        household.append(batch.column("household_id").filter(moved))
    person = np.concatenate(people) if people else np.zeros(0, np.int64)
    move = pc.index_in(
        pa.concat_arrays(household) if household else pa.array([], households.type), value_set=households
    )
    order = np.argsort(person, kind="stable")
    move_rows = move.take(pa.array(order))
    wanted = pa.concat_arrays([moves["to_address_id"].combine_chunks(), moves["from_address_id"].combine_chunks()])
    addresses = pa.concat_tables(
        [
            pa.Table.from_batches([b]).filter(pc.is_in(b.column("address_id"), value_set=wanted))
            for b in read_batches(run, "truth/addresses", ["address_id", "address_line", "town", "postcode"])
        ]
    )
    ids = addresses["address_id"].combine_chunks()
    lines = addresses.select(["address_line", "town", "postcode"])
    new = pc.index_in(moves["to_address_id"].combine_chunks().take(move_rows), value_set=ids)
    old = pc.index_in(moves["from_address_id"].combine_chunks().take(move_rows), value_set=ids)
    moved_on = day_numbers(moves["moved_on"].combine_chunks().take(move_rows))
    return Moves(person[order], moved_on, lines.take(new), lines.take(old))
