"""Each table's history from a run, and the linkage view's, which follows its person-level tables.

An agency table's history is its year-end file with its changes undone (synthgen.feeds.changes) and its merged
duplicates added (synthgen.feeds.merges). The linkage view holds one record per person-level record, so its
history is theirs, version for version, in the view's schema: a version that changes nothing the view holds (an
early help episode closing) is not a version of the view's record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.feeds import changes as why
from synthgen.feeds.history import Change, History, build
from synthgen.feeds.known import RunFacts
from synthgen.feeds.merges import Merged, merged_duplicates
from synthgen.linkage.view import view_columns

LINKAGE = "linkage/records"


@dataclass(frozen=True)
class TableHistory:
    """A table's history and, for a person-level table, its merged duplicates' linkage ids."""

    history: History
    merged: Merged | None


def feed_tables(facts: RunFacts) -> list[str]:
    """The tables a run's feed carries: every agency table the run wrote, in the registry's order."""
    return [t.path for t in tables.all_tables() if t.agency is not None and facts.run.has(t.path)]


def table_history(facts: RunFacts, path: str) -> TableHistory:
    """One agency table's history: year-end rows, changes undone, merged duplicates added."""
    final = facts.run.read(path)
    made = facts.made(path, final)
    in_period = made > facts.first
    changes: list[Change] = why.filled_in(path, final)
    changes += why.traced(facts, path, final, made, in_period)
    changes += why.dob_corrected(facts, path, final, made, in_period)
    changes += why.address_updated(facts, path, final, made)
    merged = merged_duplicates(facts, path, final, made, in_period)
    transients = [merged.transients] if merged is not None and len(merged.transients.made) else []
    history = build(path, final, made, changes, transients, facts.last)
    return TableHistory(history, merged if transients else None)


@dataclass(frozen=True)
class ViewPart:
    """A person-level table's history in the linkage view's schema: its versions (identical successive versions
    left out) and their days, and per record its linkage id, day made and day purged; its changes by linkage id."""

    versions: pa.Table
    valid_from: NDArray[np.int64]
    ids: pa.Array
    made: NDArray[np.int64]
    purged: NDArray[np.int64]
    changes: pa.Table


def view_part(facts: RunFacts, table: TableHistory) -> ViewPart:
    """A person-level table's share of the linkage view's history."""
    history = table.history
    entry = tables.table(history.path)
    assert entry.person is not None and entry.agency is not None
    truth = facts.person_records(history.path)
    year_end = (
        history.versions["record_id"]
        .combine_chunks()
        .take(pa.array(np.flatnonzero(np.r_[history.record[1:] != history.record[:-1], True])[: history.year_end_rows]))
    )
    at = pc.index_in(year_end, value_set=truth["source_record_id"].combine_chunks())
    ids = truth["record_id"].combine_chunks().take(at)
    if table.merged is not None:
        ids = pa.concat_arrays([ids, table.merged.linkage_ids])
    view = pa.table(view_columns(history.versions, entry.person, entry.agency, ids.take(pa.array(history.record))))
    keep = _differs_from_previous(view, history.record)
    return ViewPart(
        view.filter(pa.array(keep)),
        history.valid_from[keep],
        ids,
        history.made,
        history.purged,
        _view_changes(history, ids),
    )


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


def linkage_history(facts: RunFacts, parts: list[ViewPart]) -> History:
    """The linkage view's history: its records' versions from their person-level tables', numbered as the year-end
    linkage/records file orders them (merged duplicates after)."""
    year_end = facts.run.read(LINKAGE, ["record_id"])["record_id"].combine_chunks()
    all_ids = pa.concat_arrays([part.ids for part in parts])
    numbering = pa.concat_arrays([year_end, all_ids.filter(pc.invert(pc.is_in(all_ids, value_set=year_end)))])
    versions = pa.concat_tables([part.versions for part in parts])
    record = pc.index_in(versions["record_id"], value_set=numbering).to_numpy(zero_copy_only=False).astype(np.int64)
    valid_from = np.concatenate([part.valid_from for part in parts])
    order = np.lexsort((valid_from, record))
    per_record = pc.index_in(all_ids, value_set=numbering).to_numpy(zero_copy_only=False)
    made = np.zeros(len(numbering), np.int64)
    made[per_record] = np.concatenate([part.made for part in parts])
    purged = np.zeros(len(numbering), np.int64)
    purged[per_record] = np.concatenate([part.purged for part in parts])
    found = pa.concat_tables([part.changes for part in parts])
    changes = found.set_column(0, "record", pc.index_in(found["record"], value_set=numbering).cast(pa.int64()))
    return History(
        LINKAGE, versions.take(pa.array(order)), record[order], valid_from[order], made, purged, len(year_end), changes
    )


def _view_changes(history: History, ids: pa.Array) -> pa.Table:
    """A person-level table's changes that the view sees (a record filled in later, such as an episode's end, is
    not one), with each record named by its linkage id."""
    found = history.changes.filter(pc.not_equal(history.changes["change"], "filled_in"))
    return found.set_column(0, "record", ids.take(found["record"]))
