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

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import person_groups
from synthgen.evaluation.groups import GroupScore, People, encode, proportions

Ids = NDArray[np.int64]


def _dense(values: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    uniques, inverse = np.unique(values, return_inverse=True)
    return inverse.ravel().astype(np.int64), len(uniques)


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
    p, _ = _dense(person)
    c, n_clusters = _dense(cluster)
    inside = code >= 0
    width = np.int64(max(n_clusters, 1))
    groups = np.int64(max(int(code.max(initial=0)) + 1, 1))
    cell, at = np.unique(c[inside] * groups + code[inside], return_inverse=True)
    predicted = np.bincount(at.ravel(), minlength=len(cell))
    found, size = np.unique(p[inside] * width + c[inside], return_counts=True)
    person_group = np.full(len(p), -1, np.int64)
    person_group[p[inside]] = code[inside]
    found_cell = np.searchsorted(cell, (found % width) * groups + person_group[found // width])
    true_positive = np.bincount(found_cell, weights=_pairs(size), minlength=len(cell)).astype(np.int64)
    return (cell % groups).astype(np.int64), (cell // groups).astype(np.int64), true_positive, _pairs(predicted)


def _source_counts(owner: Ids, source: NDArray[np.int64], sources: int) -> tuple[Ids, NDArray[np.int64]]:
    """Rows: each owner (a cluster, or a person within a cluster), sorted; columns: its records from each source."""
    keys, counts = np.unique(owner * np.int64(sources) + source, return_counts=True)
    owners, row = np.unique(keys // sources, return_inverse=True)
    table = np.zeros((len(owners), sources), np.int64)
    table[row.ravel(), keys % sources] = counts
    return owners, table


def _pairs_between(table: NDArray[np.int64], a: int, b: int) -> NDArray[np.int64]:
    """Per row, the pairs of its records with one from source a and one from b (or two from a)."""
    result: NDArray[np.int64] = _pairs(table[:, a]) if a == b else table[:, a] * table[:, b]
    return result


def agency_pair_precision(person: Ids, cluster: Ids, source: pa.Array) -> list[GroupScore]:
    """Pairwise precision over the predicted pairs between each two sources (or within one), each predicted
    cluster one unit of the interval."""
    names, code = encode(source)
    k = len(names)
    p, _ = _dense(person)
    c, n_clusters = _dense(cluster)
    width = np.int64(max(n_clusters, 1))
    clusters, predicted = _source_counts(c, code, k)
    cells, found = _source_counts(p * width + c, code, k)
    cell_cluster = np.searchsorted(clusters, cells % width)
    labels: list[str] = []
    unit_code, hits, trials = [], [], []
    for a in range(k):
        for b in range(a, k):
            unit_code.append(np.full(len(clusters), len(labels), np.int64))
            labels.append(f"{names[a]}-{names[b]}")
            hits.append(np.bincount(cell_cluster, weights=_pairs_between(found, a, b), minlength=len(clusters)))
            trials.append(_pairs_between(predicted, a, b))
    return proportions(
        "precision",
        "agency_pair",
        tuple(labels),
        np.concatenate(unit_code) if unit_code else np.zeros(0, np.int64),
        np.concatenate(hits).astype(np.int64) if hits else np.zeros(0, np.int64),
        np.concatenate(trials) if trials else np.zeros(0, np.int64),
    )


def falsely_matched(person: Ids, cluster: Ids) -> NDArray[np.int64]:
    """Per record: 1 when its predicted cluster also holds a record of another person."""
    p, _ = _dense(person)
    c, n_clusters = _dense(cluster)
    cells = np.unique(p * np.int64(max(n_clusters, 1)) + c)
    people_per_cluster = np.bincount(cells % max(n_clusters, 1), minlength=n_clusters)
    result: NDArray[np.int64] = (people_per_cluster[c] > 1).astype(np.int64)
    return result


def linkage_groups(
    people: People,
    person: Ids,
    cluster: Ids,
    source: pa.Array,
    pairs: tuple[Ids, Ids],
    found: NDArray[np.bool_],
) -> list[GroupScore]:
    """Recall, precision and records falsely matched, by every person dimension; recall and precision by agency
    pair. `pairs` are the run's true pairs (rows) and `found` whether the system linked each."""
    codes = people.of(person)
    wrong = falsely_matched(person, cluster)
    owner = person[pairs[0]]  # a true pair's person: the pairs of one person are found or missed together
    rows: list[GroupScore] = []
    for dimension in person_groups.DIMENSIONS:
        labels = person_groups.LABELS[dimension]
        code = codes[dimension]
        rows += proportions("recall", dimension, labels, code[pairs[0]], found.astype(np.int64), cluster=owner)
        cell_code, _, hits, trials = restricted_precision(person, cluster, code)
        rows += proportions("precision", dimension, labels, cell_code, hits, trials)
        rows += proportions("falsely_matched", dimension, labels, code, wrong, cluster=cluster)
    names = np.asarray(source.to_numpy(zero_copy_only=False), dtype=object).astype(str)
    left, right = names[pairs[0]], names[pairs[1]]
    low, high = np.where(left <= right, left, right), np.where(left <= right, right, left)
    pair_names = np.char.add(np.char.add(low, "-"), high) if len(low) else np.zeros(0, str)
    labels, code = encode(pair_names.astype(object))
    rows += proportions("recall", "agency_pair", labels, code, found.astype(np.int64), cluster=owner)
    rows += agency_pair_precision(person, cluster, source)
    return rows
