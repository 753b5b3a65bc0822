"""Duplicates made and merged within the year: records a feed carries that no year-end file holds.

A person comes back to an agency that does not find them and is registered again; weeks later the agency's
duplicate checks find the pair and merge the second record into the first, purging it. The year-end file holds
only the first (a duplicate still unmerged at the year's end is the data-quality model's `duplicate`, and is in
the file). So a merged duplicate exists only in the feed: inserted on the day it was made, deleted on the day it
was merged. It is a copy of its original as that stood the day the copy was made, under its own record id, a new
local id in the agency's system (a new LA child id for a child's record), and without the original's identifier
(the reason nobody found the person: a duplicate made without the NHS number or UPN).

Ids come from parts of the record-id space no run uses (table code + `RECORD_OFFSET`, + `LOCAL_OFFSET` for local
ids), keyed like the run's own, so they look like the rest and never collide with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.agencies import local_ids
from synthgen.feeds.changes import Part, lags
from synthgen.feeds.history import Days, Transients
from synthgen.feeds.known import RunFacts
from synthgen.kernel.identifiers.la_child_id import allocate_la_child_ids
from synthgen.kernel.record_ids import format_record_ids, record_ids

RECORD_OFFSET = 300
LOCAL_OFFSET = 400
LINKAGE_OFFSET = 800
"""The feed's own parts of the record-id space: table code + 300 for merged duplicates' record ids, + 400 for
their local ids, + 800 for their linkage view ids (a run uses the code itself, + 100 and + 500)."""


@dataclass(frozen=True)
class Merged:
    """A table's duplicates merged within the year, and their linkage view ids."""

    transients: Transients
    linkage_ids: pa.Array


@dataclass(frozen=True)
class Draws:
    """A chunk's duplicates made and merged within the year: the rows copied (of the chunk), the day each copy was
    made and merged, and its new LA child id (None where the table has none)."""

    rows: NDArray[np.int64]
    made: Days
    merged: Days
    la_child_ids: pa.Array | None


def merged_draws(facts: RunFacts, part: Part, taken: list[pa.Array]) -> Draws | None:
    """Which of a chunk's year-end rows had a duplicate made and merged within the year, at the rate
    parameters/feeds.csv gives the table (None for a table without duplicates); `taken`: the LA child ids given
    to earlier chunks' duplicates, which this chunk's do not reuse."""
    entry = tables.table(part.path)
    name = f"feed_merged_duplicate.{entry.agency}/{entry.name}"
    if entry.person is None or entry.code is None or name not in facts.params:
        return None
    rng = part.stream(facts, "merged_duplicate")
    n = part.final.num_rows
    draw = rng.random(n) < facts.params[name]
    after = rng.integers(0, int(facts.params["feed_duplicate_after_days"]) + 1, n)
    lag = lags(rng, facts.params["feed_merge_days"], n)
    copy_made = part.made + after
    merged = copy_made + lag
    rows = np.flatnonzero(draw & part.in_period & (merged <= facts.last))
    la_child_ids = None
    if "la_child_id" in part.final.schema.names and entry.register:
        la_child_ids = _new_la_child_ids(facts, rng, len(rows), taken)
    return Draws(rows, copy_made[rows], merged[rows], la_child_ids)


def merged_duplicates(facts: RunFacts, path: str, drawn: list[Draws]) -> Merged | None:
    """A table's duplicates made and merged within the year (drawn chunk by chunk, `rows` already of the whole
    table), under ids of their own; None if there are none."""
    rows = np.concatenate([d.rows for d in drawn]) if drawn else np.zeros(0, np.int64)
    entry = tables.table(path)
    m = len(rows)
    if entry.person is None or entry.code is None or not m:
        return None
    key = facts.record_key()
    replaced: dict[str, pa.Array] = {"record_id": format_record_ids(record_ids(key, entry.code + RECORD_OFFSET, 0, m))}
    person = entry.person
    if person.local_id:
        replaced[person.local_id] = local_ids(record_ids(key, entry.code + LOCAL_OFFSET, 0, m))
    if person.identifier:
        replaced[person.identifier] = pa.nulls(m, pa.string())
    if drawn[0].la_child_ids is not None:
        replaced["la_child_id"] = pa.concat_arrays([d.la_child_ids for d in drawn if d.la_child_ids is not None])
    made = np.concatenate([d.made for d in drawn])
    merged = np.concatenate([d.merged for d in drawn])
    transients = Transients("merged", rows, made, merged, replaced)
    linkage = format_record_ids(record_ids(key, entry.code + LINKAGE_OFFSET, 0, m))
    return Merged(transients, linkage)


def _new_la_child_ids(facts: RunFacts, rng: np.random.Generator, m: int, earlier: list[pa.Array]) -> pa.Array:
    """LA child ids for duplicate child records: the format the LA's system issues, none the run has used nor
    `earlier` duplicates were given (each chunk's are added to it)."""
    used = [
        facts.run.read(t.path, ["la_child_id"])["la_child_id"].combine_chunks()
        for t in tables.of_agency("social_care")
        if "la_child_id" in t.column_names and facts.run.has(t.path)
    ] + [ids for ids in earlier if len(ids)]
    taken = pc.unique(pa.concat_arrays(used)) if used else pa.array([], pa.string())
    candidates = pa.array(allocate_la_child_ids(rng, min(2 * m + len(taken) + 16, 10_000_000), 0, 1), pa.string())
    fresh = candidates.filter(pc.invert(pc.is_in(candidates, value_set=taken))).slice(0, m)
    earlier.append(fresh)
    return fresh
