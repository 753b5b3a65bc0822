"""A linkage system's scores by group: who it misses and whom it merges with someone else.

Three proportions, each by ethnic group, age band, sex and deprivation quintile (and the pairwise two by agency
pair), with Wilson intervals and gaps (evaluation/groups.py):

- **recall**: of the true pairs of the group's people, the share linked (the missed matches are the rest). A true
  pair is two records of one person, so it belongs to that person's groups.
- **precision**: the pairwise precision of the linkage restricted to the group: of the pairs of the group's
  records that the system put together, the share that are one person (the false matches are the rest). For an
  agency pair, over the pairs with one record from each agency. This is exactly the overall metric computed on
  the group's records alone (a property test holds it to that).
- **falsely_matched**: of the group's records, the share in a predicted cluster that also holds another person's
  record, whoever that is: the record-level view of false matches (Hagger-Johnson et al. 2015 found Asian, Black
  and Other children more often falsely matched), which counts merges across groups too.

Everything is counted from cells of (cluster, group) and (person, cluster), never by listing predicted pairs. For
the intervals (evaluation/groups.py), a person's true pairs are one cluster of units, a predicted cluster's
records or pairs another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import person_groups
from synthgen.evaluation import metrics
from synthgen.evaluation.groups import GroupScore, People, proportions
from synthgen.evaluation.metrics import dense_codes
from synthgen.evaluation.record_index import code_type, find_sorted, sorted_order
from synthgen.kernel.arrays import first_of_runs, last_of_runs, pairs_within

Ids = NDArray[np.int64]


def _dense(values: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Dense codes in label order (person ids and cluster labels span little more than the records, so this is a
    lookup table rather than a sort of ten million labels)."""
    return dense_codes(values)


def _pairs(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = counts * (counts - 1) // 2
    return result


def restricted_precision(
    person: Ids, cluster: Ids, code: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per (predicted cluster, group) cell: its group, its cluster, the true-positive pairs and the predicted
    pairs among the cell's records (records with a negative code belong to none). Summed over a group's cells
    these are the pairwise precision of the linkage restricted to the group's records. A record's group is its
    person's, so a true pair never crosses groups."""
    true_code, pred_code = _dense(person), _dense(cluster)
    table = metrics.contingency_of_codes(person, cluster, true_code, pred_code)
    person_code = np.full(true_code[1], -1, np.int64)
    person_code[true_code[0]] = code
    cells = _GroupCells.of(_ByCluster.of(table), person_code)
    return cells.group, cells.cluster, cells.true_positive, _pairs(cells.records)


@dataclass(frozen=True)
class _ByCluster:
    """The contingency table's (person, cluster) cells in cluster order, sorted once for every dimension: most
    predicted clusters hold one person, so one cell, which is its own (cluster, group) cell whatever the
    dimension; only the cells of clusters holding several people need putting in group order, a few per cluster.
    Only the order is kept (32-bit while the cells fit), so that the dimensions' cells are made beside no more
    than one array of the cells' length."""

    table: metrics.Contingency
    order: NDArray[np.signedinteger[Any]]  # the cells by cluster, ties by cell
    shared: Ids  # the places (in that order) of the cells whose cluster holds other cells too

    @classmethod
    def of(cls, table: metrics.Contingency) -> _ByCluster:
        order = sorted_order(table.cell_pred).astype(code_type(len(table.cell_pred)))
        cluster = table.cell_pred[order]
        shared = np.flatnonzero(~(first_of_runs(cluster) & last_of_runs(cluster)))
        return cls(table, order, shared)


@dataclass(frozen=True)
class _GroupCells:
    """The (predicted cluster, group) cells of one dimension, summed from the contingency table's (person,
    cluster) cells (a record's group is its person's), in order of cluster then group: ten million records become
    a few million cells, and nothing is counted record by record."""

    group: Ids
    cluster: Ids
    records: Ids  # records of the cell
    true_positive: Ids  # pairs of the cell's records that are one person

    @classmethod
    def of(cls, cells: _ByCluster, person_code: NDArray[np.signedinteger[Any]]) -> _GroupCells:
        order, shared = cells.order, cells.shared
        groups = np.int64(max(int(person_code.max(initial=0)) + 1, 1))
        # a group is one of a handful, so its code is a byte; the key (cluster, then group shifted by one so that
        # "no group" is 0) is built in place in cluster order, and only the cells of clusters shared by several
        # people are sorted, within their clusters (sorting them together keeps each cluster in its places); the
        # cells' sums are taken over runs of equal keys (no inverse index, no float weights)
        small: type[np.signedinteger[Any]] = np.int8 if groups <= np.iinfo(np.int8).max else np.int64
        code = person_code.astype(small)[cells.table.cell_true][order]
        key = cells.table.cell_pred[order].astype(np.int64)
        key *= groups + 1
        key += code
        key += 1
        size = cells.table.cell_size[order]
        if len(shared):
            within = np.argsort(key[shared], kind="stable")
            key[shared] = key[shared][within]
            size[shared] = size[shared][within]
            code[shared] = code[shared][within]
            del within
        inside = code >= 0
        del code
        if not inside.all():  # cells of people of no group go (the key would otherwise be copied for nothing)
            key, size = key[inside], size[inside]
        del inside
        starts = np.flatnonzero(first_of_runs(key))
        cell = key[starts]
        del key
        records = np.add.reduceat(size, starts) if len(starts) else np.zeros(0, np.int64)
        true_positive = np.add.reduceat(_pairs(size), starts) if len(starts) else np.zeros(0, np.int64)
        group = (cell % (groups + 1) - 1).astype(np.int64)
        return cls(group, (cell // (groups + 1)).astype(np.int64), records, true_positive)


def _source_pairs(key: Ids, k: int) -> tuple[Ids, Ids, Ids]:
    """Per owner (a cluster, or a person within a cluster) and pair of sources (a <= b) holding a pair of its
    records: the owner, the pair's label (its place in the order a, then b) and the pairs of records between the
    two sources. Counted from the few (owner, source) entries (`key`: owner * k + source, per record, sorted here in
    place: the caller's to lose), never per record pair. An entry with one record and no other source of its owner
    holds no pair, and at scale most do (a person's one record, a cluster of one): they go before any pair is
    listed, so that ten million keys do not become a dozen arrays of ten million."""
    key.sort()
    starts = np.flatnonzero(first_of_runs(key))
    count = np.diff(np.append(starts, len(key)))
    entry = key[starts]
    del starts
    owners = entry // k
    keep = count > 1
    keep |= ~(first_of_runs(owners) & last_of_runs(owners))
    entry, count, owners = entry[keep], count[keep], owners[keep]
    del keep
    sources = entry % k
    same = count > 1
    left, right = pairs_within(owners)  # entries of one owner, sorted by source, so sources[left] < sources[right]
    a = np.r_[sources[same], sources[left]]
    b = np.r_[sources[same], sources[right]]
    label = a * k - a * (a - 1) // 2 + (b - a)
    pairs = np.r_[_pairs(count[same]), count[left] * count[right]]
    return np.r_[owners[same], owners[left]], label, pairs


def agency_pair_precision(person: Ids, cluster: Ids, source: pa.Array | pa.ChunkedArray) -> list[GroupScore]:
    """Pairwise precision over the predicted pairs between each two sources (or within one), each predicted
    cluster one unit of the interval. Only the clusters holding a pair between the two are listed as units; the
    others (most of them, at scale) are counted as units of no trials."""
    p, _ = _dense(person)
    c, n_clusters = _dense(cluster)
    return _agency_pair_precision(p, c, n_clusters, source)


def _agency_pair_precision(p: Ids, c: Ids, n_clusters: int, source: pa.Array | pa.ChunkedArray) -> list[GroupScore]:
    """As `agency_pair_precision`, from each record's person and cluster as dense codes (`n_clusters` of them)."""
    names, code = source_codes(source)
    k = len(names)
    width = np.int64(max(n_clusters, 1))
    owner, label, trials = _source_pairs(c * np.int64(k) + code, k)
    unit = label * width + owner
    order = sorted_order(unit)  # by label, then cluster: the order the units would have one label at a time
    unit, trials = unit[order], trials[order]
    key = p * width  # (person, cluster, source) as one key, built in place: ten million records
    key += c
    key *= k
    key += code
    del code
    cell, cell_label, found = _source_pairs(key, k)
    del key
    # each cell's unit found by a merge of the two sorted (searching ten million units in random order is a
    # walk of cache misses: tens of seconds)
    query = cell_label * width + cell % width
    at = find_sorted(unit, query)
    if (at < 0).any():
        at[at < 0] = np.searchsorted(unit, query[at < 0])
    hits = np.bincount(at, weights=found, minlength=len(unit))
    labels = tuple(f"{names[a]}-{names[b]}" for a in range(k) for b in range(a, k))
    unit_label = unit // width
    empty = n_clusters - np.bincount(unit_label, minlength=len(labels))
    return proportions("precision", "agency_pair", labels, unit_label, hits.astype(np.int64), trials, empty_units=empty)


def falsely_matched(person: Ids, cluster: Ids) -> NDArray[np.int64]:
    """Per record: 1 when its predicted cluster also holds a record of another person."""
    pred_code = _dense(cluster)
    table = metrics.contingency_of_codes(person, cluster, _dense(person), pred_code)
    result: NDArray[np.int64] = (_people_per_cluster(table)[pred_code[0]] > 1).astype(np.int64)
    return result


def _people_per_cluster(table: metrics.Contingency) -> Ids:
    result: Ids = np.bincount(table.cell_pred, minlength=len(table.pred_sizes))
    return result


def source_codes(source: pa.Array | pa.ChunkedArray) -> tuple[list[str], NDArray[np.int64]]:
    """Each record's source as its place among the sources' names sorted (a null source is named "None"), and
    those names: ten million records coded through their few distinct names, no string per record."""
    if isinstance(source, pa.ChunkedArray):
        source = source.unify_dictionaries() if pa.types.is_dictionary(source.type) else source
        source = source.combine_chunks()
    encoded = source if pa.types.is_dictionary(source.type) else pc.dictionary_encode(source)
    values = [str(v) for v in encoded.dictionary.to_pylist()]
    if encoded.null_count:
        values.append("None")
    names = sorted(set(values))
    rank = np.array([names.index(v) for v in values], np.int64)
    indices = encoded.indices.fill_null(len(values) - 1) if encoded.null_count else encoded.indices
    return names, rank[np.asarray(indices.to_numpy(zero_copy_only=False), np.int64)]


def source_pair_codes(source: pa.Array | pa.ChunkedArray, pairs: tuple[Ids, Ids]) -> tuple[tuple[str, ...], Ids]:
    """Each pair's two sources as one label ("health-school": the two names in sorted order joined by a dash), the
    labels sorted, and each pair's code among them; worked out on the few (source, source) combinations."""
    names, code = source_codes(source)
    k = np.int64(max(len(names), 1))
    a, b = code[pairs[0]], code[pairs[1]]
    key = np.minimum(a, b) * k + np.maximum(a, b)
    present = np.flatnonzero(np.bincount(key, minlength=int(k * k)))
    text = [f"{names[at // int(k)]}-{names[at % int(k)]}" for at in present.tolist()]
    labels = tuple(sorted(set(text)))
    lookup = np.zeros(int(k * k), np.int64)
    lookup[present] = [labels.index(t) for t in text]
    return labels, lookup[key]


def _cells(key: Ids, found: NDArray[np.bool_]) -> tuple[Ids, Ids, Ids]:
    """The distinct keys in order, with how many rows hold each and how many of those are `found`: as np.unique
    with its inverse would count them, from one packed sort of the keys (no argsort, no inverse of ten million)
    and sums over runs of equal keys."""
    order = sorted_order(key)
    ordered = key[order]
    starts = np.flatnonzero(first_of_runs(ordered))
    cell = ordered[starts]
    del ordered
    hits = np.add.reduceat(found[order].astype(np.int64), starts) if len(starts) else np.zeros(0, np.int64)
    rows = np.diff(np.append(starts, len(key))).astype(np.int64)
    return cell, rows, hits


def linkage_groups(
    people: People,
    table: metrics.Contingency,
    codes: tuple[Ids, Ids],
    source: pa.Array | pa.ChunkedArray,
    pairs: tuple[Ids, Ids],
    found: NDArray[np.bool_],
) -> list[GroupScore]:
    """Recall, precision and records falsely matched, by every person dimension; recall and precision by agency
    pair. `table` is the contingency table of the run's people against the predicted clusters, `codes` each
    record's person and cluster as numbered there, `pairs` the run's true pairs (rows) and `found` whether the
    system linked each. The person dimensions are counted from the table's cells (a person's true pairs and the
    pairs the system found among them, a cluster's records by group); only agency pairs need the pairs."""
    true_code, pred_code = codes
    person_codes = people.of(table.true_labels)  # per person of the table, not per record
    wrong = _people_per_cluster(table) > 1
    # per person: the true pairs and those the system found (pairs within one cell), one unit of the interval each
    trials = _pairs(table.true_sizes)
    hits = np.bincount(table.cell_true, weights=_pairs(table.cell_size), minlength=len(trials)).astype(np.int64)
    paired = trials > 0
    rows: list[GroupScore] = []
    by_cluster = _ByCluster.of(table)
    for dimension in person_groups.DIMENSIONS:
        labels = person_groups.LABELS[dimension]
        code = person_codes[dimension]
        rows += proportions("recall", dimension, labels, code[paired], hits[paired], trials[paired])
        cells = _GroupCells.of(by_cluster, code)
        rows += proportions("precision", dimension, labels, cells.group, cells.true_positive, _pairs(cells.records))
        # a cell's records are all falsely matched or none (its cluster holds another person's record or not)
        wrong_records = np.where(wrong[cells.cluster], cells.records, 0)
        rows += proportions("falsely_matched", dimension, labels, cells.group, wrong_records, cells.records)
        del cells, wrong_records  # before the next dimension's cells are made
    del by_cluster
    labels, pair_code = source_pair_codes(source, pairs)
    # a true pair's person: the pairs of one person are found or missed together, so the units are the (person,
    # agency pair) cells, summed here rather than from a copy of every pair's unit
    key = true_code[pairs[0]].astype(np.int64)
    key *= max(len(labels), 1)
    key += pair_code
    del pair_code
    cell, cell_pairs, cell_hits = _cells(key, found)
    del key
    cell_code = cell % max(len(labels), 1)
    rows += proportions("recall", "agency_pair", labels, cell_code, cell_hits, cell_pairs)
    rows += _agency_pair_precision(true_code, pred_code, len(table.pred_sizes), source)
    return rows
