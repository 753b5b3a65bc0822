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

from collections.abc import Iterator
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
from synthgen.run_folder import Run

BATCH = 65_536
"""Rows of a truth file read at once."""
LOGGED = ("nhs_number", "upn", "date_of_birth")
"""The fields whose logged errors the feed's changes ask about (an identifier traced, a date of birth corrected)."""


def read_batches(
    run: Run, table: str, columns: list[str], dictionary: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """A run's table a batch of rows at a time, in file order."""
    for file in run.files(table):
        parquet = pq.ParquetFile(file, read_dictionary=dictionary)
        yield from parquet.iter_batches(batch_size=BATCH, columns=columns)


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

    def rows(self, ids: pa.Array) -> NDArray[np.int64]:
        """The row of each record id (the year-end file's), -1 where the truth has none."""
        wanted = parse_record_ids(ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids)
        at = np.minimum(np.searchsorted(self.key, wanted), max(len(self.key) - 1, 0))
        found = (self.key[at] == wanted) if len(self.key) else np.zeros(len(wanted), bool)
        result: NDArray[np.int64] = np.where(found, at, -1)
        return result


class TruthIndex:
    """truth/records and truth/events put aside by table, read back one table at a time."""

    def __init__(self, run: Run, scratch: Path, first: int) -> None:
        self.first = first
        self._records = Spill(scratch / "truth-records.arrow")
        self._events = Spill(scratch / "truth-events.arrow")
        self.keys: dict[str, int] = {}
        self._put_records(run)
        self._put_events(run)

    def _key(self, path: str) -> int:
        return self.keys.setdefault(path, len(self.keys))

    def _put_records(self, run: Run) -> None:
        for batch in read_batches(run, "truth/records", RECORD_COLUMNS, ["source", "table"]):
            logged = logged_fields(batch.column("errors"), batch.num_rows)
            for path, rows in _by_table(batch):
                self._records.put(self._key(path), compact(batch, rows, logged))

    def _put_events(self, run: Run) -> None:
        if not run.has("truth/events"):
            return
        for batch in read_batches(
            run, "truth/events", ["source", "table", "record_id", "known_on"], ["source", "table"]
        ):
            for path, rows in _by_table(batch):
                at = pa.array(rows)
                part = pa.table(
                    {"record_id": batch.column("record_id").take(at), "known_on": batch.column("known_on").take(at)}
                )
                self._events.put(self._key(path), part)

    def person(self, path: str) -> PersonTruth:
        """truth/records of one person-level table (empty if it has none)."""
        key = self.keys.get(path, -1)
        parts = list(self._records.batches(key))
        if not parts:
            return person_truth(EMPTY.empty_table(), self.first)
        return person_truth(pa.Table.from_batches(parts), self.first)

    def events(self, path: str) -> pa.Table | None:
        """truth/events of one table: each event record's id and day first held (one row per distinct id), or None
        if the truth has none of its events."""
        parts = list(self._events.batches(self.keys.get(path, -1)))
        if not parts:
            return None
        return first_known(pa.Table.from_batches(parts))

    def close(self) -> None:
        self._records.close()
        self._events.close()


EMPTY = pa.schema(
    [("key", pa.uint64()), ("linkage", pa.uint64()), ("person", pa.int64()), ("known", pa.date32())]
    + [(name, pa.bool_()) for name in LOGGED]
)
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
