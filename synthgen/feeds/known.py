"""What a feed is made from: a run's year-end files, the truth of when each record became known, and its numbers.

Nothing is generated again: the day each record was made is the day the truth says its agency first held it
(`known_on` in truth/records and truth/events), clipped into the feed's days (a record held from before the
period, or known only after its end, is in the first or last batch, as the year-end extract holds it); the
numbers of the feed's own model (how often an NHS number is traced later, how soon a move reaches an agency) are
the run's parameters, with its scenario's `rates:` on top; its random streams are named from the run's seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import tables
from synthgen.feeds.history import Days, day_numbers
from synthgen.feeds.truth_index import (
    BUCKET_SHIFT,
    EventSource,
    Moves,
    PersonSource,
    TruthIndex,
    compact,
    first_known,
    logged_fields,
    read_moves,
)
from synthgen.kernel import rng as streams
from synthgen.reference import Parameters
from synthgen.run_folder import Run

EPOCH = dt.date(1970, 1, 1)


def day_of(date: dt.date) -> int:
    return (date - EPOCH).days


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


@dataclass
class RunFacts:
    """A run opened for its feed: the period, parameters and seed, and the truth read once, as needed."""

    run: Run
    first: int = field(init=False)
    last: int = field(init=False)
    params: Parameters = field(init=False)
    seed: int = field(init=False)
    index: TruthIndex | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        period = self.run.manifest["period"]
        self.first = day_of(dt.date.fromisoformat(period["start"]))
        self.last = day_of(dt.date.fromisoformat(period["end"]))
        self.params = Parameters(self.run.manifest.get("scenario", {}).get("rates") or {})
        self.seed = int(self.run.manifest["seed"])

    def stream(self, name: str) -> np.random.Generator:
        """A named random stream of the feed's own model, from the run's seed."""
        return streams.run_stream(self.seed, f"feed:{name}")

    def record_key(self) -> int:
        """The key the run's record ids were made with, so a feed's own ids look like the run's."""
        return streams.run_key(self.seed, "record-ids")

    def index_truth(self, scratch: Path) -> TruthIndex:
        """Put the truth aside by table in `scratch` (read once, a row group at a time), so each table's is read
        back alone (`person_truth`, `events`) and memory never holds the whole truth; close it when done."""
        self.index = TruthIndex(self.run, scratch, self.first)
        return self.index

    def person_truth(self, path: str) -> PersonSource:
        """truth/records of one person-level table, looked up a chunk of records at a time (from the truth put
        aside, or else from the truth read whole)."""
        if self.index is not None:
            return self.index.person(path)
        found = self.person_records(path)
        whole = compact(found, np.arange(found.num_rows), logged_fields(found["errors"], found.num_rows))
        bucket_of = pc.shift_right(whole["key"], int(BUCKET_SHIFT))
        return PersonSource(lambda bucket: whole.filter(pc.equal(bucket_of, bucket)), self.first)

    def event_truth(self, path: str) -> EventSource | None:
        """truth/events of one table, looked up a chunk of records at a time; None if the truth has none of its
        events."""
        if self.index is not None:
            return self.index.events(path)
        whole = self.events(path)
        return EventSource(lambda bucket: whole) if whole is not None else None

    @cached_property
    def moves_reached(self) -> Moves:
        """The run's moves and the people and addresses they reach."""
        return read_moves(self.run)

    @cached_property
    def records(self) -> pa.Table:
        """truth/records: each person-level record's person, errors and day first held (agency and table
        dictionary-encoded: a few distinct values over every record)."""
        return self.run.read(
            "truth/records",
            ["record_id", "source", "table", "source_record_id", "person_id", "errors", "known_on"],
            dictionary=["source", "table"],
        )

    @cached_property
    def people(self) -> pa.Table:
        """truth/people: each person's household (where a move reaches their records from)."""
        return self.run.read("truth/people", ["person_id", "household_id"])

    @cached_property
    def moves(self) -> pa.Table:
        """truth/moves: each household's move within the area."""
        return self.run.read("truth/moves")

    @cached_property
    def addresses(self) -> pa.Table:
        """truth/addresses: the lines and postcodes moves go from and to."""
        return self.run.read("truth/addresses", ["address_id", "address_line", "town", "postcode"])

    @cached_property
    def _events(self) -> pa.Table:
        """truth/events: each event record's agency, table, id and day first held (agency and table
        dictionary-encoded)."""
        return self.run.read(
            "truth/events", ["source", "table", "record_id", "known_on"], dictionary=["source", "table"]
        )

    def events(self, path: str) -> pa.Table | None:
        """truth/events of one table: each event record's id and day first held (one row per distinct id), or None
        if the truth has none of its events."""
        entry = tables.table(path)
        assert entry.agency is not None
        events = self._events
        found = events.filter(_of_table(events, entry.agency, entry.name))
        if not found.num_rows:
            return None
        return first_known(pa.table({"record_id": found["record_id"], "known_on": found["known_on"]}))

    def person_records(self, path: str) -> pa.Table:
        """truth/records of one person-level table."""
        entry = tables.table(path)
        assert entry.agency is not None
        return self.records.filter(_of_table(self.records, entry.agency, entry.name))

    def made(self, path: str, final: pa.Table, known: Days | None) -> Days:
        """The day each year-end row was made: the day its agency first held it (`known`: from the truth, None if
        the truth does not say), else the day its table says it was held from, within the feed's days."""
        entry = tables.table(path)
        if known is None:
            column = entry.known_from or entry.event_date
            known = (
                day_numbers(final[column], missing=self.first)
                if column
                else np.full(final.num_rows, self.first, np.int64)
            )
        result: Days = np.clip(known, self.first, self.last)
        return result


def _of_table(truth: pa.Table, agency: str, name: str) -> pa.ChunkedArray:
    """Which rows of a truth table (its `source` and `table` dictionary-encoded) are of one agency table: compared
    by dictionary index, never string by string."""
    return pc.and_(_is(truth["source"], agency), _is(truth["table"], name))


def _is(column: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    chunks = []
    for chunk in column.chunks:
        at = pc.index_in(pa.scalar(value), value_set=chunk.dictionary).as_py()
        chunks.append(pc.equal(chunk.indices, -1 if at is None else at))
    return pa.chunked_array(chunks, pa.bool_())
