"""The truth as it stood on a day: what an evaluation may ask was knowable then.

A snapshot's agency files are what each agency held at the end of a day; its truth is the run's, cut to the same
day, so a score taken on the snapshot never counts what nobody could yet have known:

- `truth/records`: the person-level records held that day (exactly the snapshot's `linkage/records`), with the
  duplicates made and not yet merged that day added (each the duplicate of its original, errors `duplicate` and the
  identifier it was made without as `missing`);
- `truth/events` and `truth/signals`: those first known on or before the day (a record held from before the period
  counts from its first day, one known after its end from its last, as the feed's batches carry them);
- `truth/contacts` and `truth/storyline_events`: the contacts received and storyline events dated on or before the
  day, and `truth/contact_records` the records behind those contacts;
- `truth/changes` and `truth/merged`: the feed's changes made and duplicates made by then.

The rest of the truth (people, households, addresses, relationships, risk, storylines) is the run's, as at the
year's end, and is not written beside a snapshot: read it from the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import tables
from synthgen.feeds.history import day_numbers
from synthgen.feeds.known import RunFacts

ERROR = pa.struct([("kind", pa.string()), ("field", pa.string())])


def _known_by(facts: RunFacts, column: pa.ChunkedArray | pa.Array, day: int) -> pa.Array:
    """Whether each day in `column` (null: held from before the period) falls on or before `day`, within the feed's
    days."""
    known = np.clip(day_numbers(column, missing=facts.first), facts.first, facts.last)
    return pa.array(known <= day)


def truth_on(
    facts: RunFacts, day: int, held: pa.Array, changes: pa.Table, merged: pa.Table
) -> Iterator[tuple[str, pa.Table]]:
    """The truth's tables as they stood at the end of `day`, one at a time (each read from the run only when it is
    asked for, so a caller that writes each before asking for the next holds one of them, never all): `held` is the
    snapshot's linkage record ids, `changes` and `merged` the feed's truth of changes and merged duplicates
    (writer.TRUTH_CHANGES, writer.MERGED)."""
    on = pa.scalar(day, pa.int32()).cast(pa.date32())
    records = facts.run.read("truth/records")
    kept = records.filter(pc.is_in(records["record_id"], value_set=held))
    alive = merged.filter(pc.and_(pc.less_equal(merged["made_on"], on), pc.greater(merged["merged_on"], on)))
    duplicates = _duplicate_records(records, alive, kept.schema)
    del records
    yield "truth/records", pa.concat_tables([kept, duplicates])
    del kept, duplicates
    events = facts.run.read("truth/events")
    yield "truth/events", events.filter(_known_by(facts, events["known_on"], day))
    del events
    signals = facts.run.read("truth/signals")
    yield "truth/signals", signals.filter(_known_by(facts, signals["date_known"], day))
    del signals
    yield "truth/changes", changes.filter(pc.less_equal(changes["changed_on"], on))
    yield "truth/merged", merged.filter(pc.less_equal(merged["made_on"], on))
    if facts.run.has("truth/contacts"):
        contacts = facts.run.read("truth/contacts")
        received = contacts.filter(pc.less_equal(contacts["received_on"], on))
        del contacts
        yield "truth/contacts", received
        if facts.run.has("truth/contact_records"):
            behind = facts.run.read("truth/contact_records")
            yield (
                "truth/contact_records",
                behind.filter(pc.is_in(behind["contact_id"], value_set=received["contact_id"].combine_chunks())),
            )
    if facts.run.has("truth/storyline_events"):
        story = facts.run.read("truth/storyline_events")
        yield "truth/storyline_events", story.filter(pc.less_equal(story["date"], on))


def _duplicate_records(records: pa.Table, alive: pa.Table, schema: pa.Schema) -> pa.Table:
    """truth/records rows for the duplicates held on the day: whose they are and which record they duplicate."""
    if not alive.num_rows:
        return schema.empty_table()
    original = pc.index_in(
        pc.binary_join_element_wise(alive["source"], alive["table"], alive["duplicate_of"], "/"),
        value_set=pc.binary_join_element_wise(
            records["source"], records["table"], records["source_record_id"], "/"
        ).combine_chunks(),
    )
    columns = {
        "record_id": alive["linkage_record_id"],
        "source": alive["source"],
        "table": alive["table"],
        "source_record_id": alive["record_id"],
        "person_id": alive["person_id"],
        "duplicate_of": records["record_id"].combine_chunks().take(original),
        "errors": _errors(alive),
        "known_on": alive["made_on"],
    }
    return pa.table([columns[f.name].cast(f.type) for f in schema], schema=schema)


def _errors(alive: pa.Table) -> pa.Array:
    """Each duplicate's errors: `duplicate` of the record, and `missing` for the identifier it was made without."""
    paths = pc.dictionary_encode(
        pc.binary_join_element_wise("agencies", alive["source"], alive["table"], "/").combine_chunks()
    )
    identifier = pa.array([_identifier(path) for path in paths.dictionary.to_pylist()], pa.string())
    mine = identifier.take(paths.indices)  # one look-up per table, then over the whole column
    has = mine.is_valid().to_numpy(zero_copy_only=False)
    lengths = 1 + has.astype(np.int32)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int32)
    second = offsets[:-1] + 1
    kinds = np.full(offsets[-1], "duplicate", dtype=object)
    fields = np.full(offsets[-1], "record", dtype=object)
    kinds[second[has]] = "missing"
    fields[second[has]] = np.asarray(mine.filter(pa.array(has)).to_pylist(), dtype=object)
    values = pa.StructArray.from_arrays(
        [pa.array(kinds, pa.string()), pa.array(fields, pa.string())], fields=list(ERROR)
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _identifier(path: str) -> str | None:
    person = tables.table(path).person
    return person.identifier if person is not None else None


__all__ = ["truth_on"]
