"""The reference linker run day by day over a feed, with cluster ids that last.

A MASH links its records as they arrive, and a caseworker holds on to a person's id: an id that changes overnight
for no reason breaks every note filed under it. So each day, after the day's batch is applied (inserts and
updates put a record's new version in place, deletes take it away), the whole view held that day is linked again
with a reference linker (`METHODS`), and the new clusters are given yesterday's ids by one rule:

- a cluster takes the smallest id among yesterday's ids of its records; ids are issued in increasing order and
  never reused, so the smallest is the oldest: a new record joining a cluster leaves its id alone, and two
  clusters merging keep the older id;
- when several clusters claim one id (yesterday's cluster split), the one holding most of that id's records keeps
  it (on a tie, the one whose first record id sorts first), and the others are new clusters;
- a new cluster gets the next unused id, numbered in the order of their first record ids.

Linking the whole view again each day (rather than only the new records) keeps the day's clusters exactly what the
linker gives for the records held that day: after the last batch they are the clusters `synthgen link` gives for
the run, as a partition. On the demo (28,740 records, 365 daily batches) the whole feed took 51 s with exact and
106 s with Fellegi-Sunter on two CPUs shared with other work: fast enough not to need a linker of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.feeds.batches import OPERATION
from synthgen.linkage.exact import OUTPUT_SCHEMA

Linker = Callable[[pa.Table], pa.Table]


@dataclass(frozen=True)
class Carried:
    """One day's clusters under lasting ids, and the next id to issue."""

    clusters: pa.Table  # record_id (in record_id order), cluster_id (int64)
    next_id: int


def carry_ids(previous: pa.Table | None, linked: pa.Table, next_id: int) -> Carried:
    """Give today's clusters (`linked`: record_id in record_id order, cluster_id any label) yesterday's ids
    (`previous`: record_id, cluster_id) by the module's rule; ids from `next_id` on are unused."""
    n = linked.num_rows
    label = linked["cluster_id"].combine_chunks().to_numpy(zero_copy_only=False)
    _, cluster = np.unique(label, return_inverse=True)
    cluster = cluster.reshape(-1).astype(np.int64)
    k = int(cluster.max()) + 1 if n else 0
    old = np.full(n, -1, np.int64)
    if previous is not None and previous.num_rows:
        at = pc.index_in(linked["record_id"], value_set=previous["record_id"].combine_chunks())
        known = at.is_valid().to_numpy(zero_copy_only=False)
        ids = previous["cluster_id"].combine_chunks().to_numpy(zero_copy_only=False).astype(np.int64)
        old[known] = ids[at.filter(at.is_valid()).to_numpy(zero_copy_only=False)]
    claim = _smallest_old_id(cluster, old, k)
    claim = _one_cluster_per_id(cluster, old, claim, k)
    first_row = np.full(k, n, np.int64)
    np.minimum.at(first_row, cluster, np.arange(n, dtype=np.int64))
    fresh = np.flatnonzero(claim < 0)
    fresh = fresh[np.argsort(first_row[fresh], kind="stable")]
    claim[fresh] = next_id + np.arange(len(fresh), dtype=np.int64)
    result = pa.table(
        [linked["record_id"].combine_chunks(), pa.array(claim[cluster], pa.int64())], schema=OUTPUT_SCHEMA
    )
    return Carried(result, next_id + len(fresh))


def _smallest_old_id(cluster: NDArray[np.int64], old: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """Each cluster's smallest id from yesterday among its records, -1 for a cluster of new records only."""
    sentinel = np.iinfo(np.int64).max
    smallest = np.full(k, sentinel, np.int64)
    had = old >= 0
    np.minimum.at(smallest, cluster[had], old[had])
    return np.where(smallest == sentinel, -1, smallest)


def _one_cluster_per_id(
    cluster: NDArray[np.int64], old: NDArray[np.int64], claim: NDArray[np.int64], k: int
) -> NDArray[np.int64]:
    """Where clusters claim the same id, the one holding most of its records keeps it (ties: the first cluster in
    record order); the others lose their claim (-1)."""
    support = np.bincount(cluster, weights=(old == claim[cluster]) & (old >= 0), minlength=k).astype(np.int64)
    first_row = np.full(k, len(cluster), np.int64)
    np.minimum.at(first_row, cluster, np.arange(len(cluster), dtype=np.int64))
    claiming = np.flatnonzero(claim >= 0)
    order = claiming[np.lexsort((first_row[claiming], -support[claiming], claim[claiming]))]
    keeps = np.r_[True, claim[order][1:] != claim[order][:-1]] if len(order) else np.zeros(0, bool)
    result = claim.copy()
    result[order[~keeps]] = -1
    return result


def apply_batch(state: pa.Table | None, batch: pa.Table) -> pa.Table:
    """The view after a batch: every record the batch names leaves, and its inserted or updated version comes back
    (a delete's does not). `batch` has `operation` and the view's columns; the result has the view's columns."""
    columns = [name for name in batch.column_names if name != OPERATION]
    rows = batch.select(columns)
    kept = rows.filter(pc.not_equal(batch[OPERATION], "delete"))
    if state is None:
        return kept
    staying = state.filter(pc.invert(pc.is_in(state["record_id"], value_set=rows["record_id"].combine_chunks())))
    return pa.concat_tables([staying.select(columns), kept])


def link_batches(
    batches: Iterable[tuple[dt.date, pa.Table | None]], linker: Linker
) -> Iterator[tuple[dt.date, pa.Table]]:
    """Each batch day's clusters (record_id, cluster_id under lasting ids), linking the view held that day; a day
    without a batch keeps the day before's clusters."""
    state: pa.Table | None = None
    carried: Carried | None = None
    for day, batch in batches:
        if batch is not None and batch.num_rows:
            state = apply_batch(state, batch)
            linked = linker(state) if state.num_rows else OUTPUT_SCHEMA.empty_table()
            carried = carry_ids(carried.clusters if carried else None, linked, carried.next_id if carried else 0)
        yield day, carried.clusters if carried is not None else OUTPUT_SCHEMA.empty_table()


__all__ = ["Carried", "apply_batch", "carry_ids", "link_batches"]
