"""Scoring a linkage system against the truth, and explaining its errors.

Metrics come from contingency counts (evaluation.metrics). The explanations enumerate only *true* pairs, which
are few per person, never predicted pairs: recall broken down by the error kinds logged on either record and by
pair of sources, hard negatives the system merged, and the worst splits and merges with their records side by
side.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.allocators import arrays_reused
from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError, shown
from synthgen.evaluation import adapters, metrics
from synthgen.evaluation.groups import read_people
from synthgen.evaluation.linkage_groups import linkage_groups
from synthgen.evaluation.linkage_report import linkage_report
from synthgen.evaluation.linkage_scores import (
    Counts,
    Curve,
    ErrorKindRecall,
    HardNegativeMerges,
    LinkageScores,
    PrecisionRecall,
    SourcePairRecall,
)
from synthgen.evaluation.provenance import provenance
from synthgen.evaluation.record_index import RecordIndex, code_type, find_sorted, sorted_order
from synthgen.kernel.arrays import ranges
from synthgen.linkage import view as linkage_view
from synthgen.linkage.components import connected_components
from synthgen.outputs.files import claimed, write_text
from synthgen.run_folder import Run, open_run

DEFAULT_THRESHOLD = 0.5
EXAMPLES = 5
EXAMPLE_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "upn")


def _histogram(sizes: NDArray[np.int64]) -> dict[str, int]:
    """Cluster size -> how many clusters have it."""
    values, counts = np.unique(sizes, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)}


def _predicted_labels(
    n: int, predictions: adapters.Clusters | adapters.ScoredPairs, threshold: float
) -> tuple[NDArray[np.int64], int]:
    """A cluster label for every record of the run; records the predictions leave out are singletons."""
    if isinstance(predictions, adapters.Clusters):
        labels = np.full(n, -1, dtype=np.int64)
        labels[predictions.rows] = predictions.cluster
        absent = labels < 0
        labels[absent] = labels.max(initial=-1) + 1 + np.arange(int(absent.sum()))
        return labels, int(absent.sum())
    linked = predictions.score >= threshold
    labels = connected_components(n, predictions.left[linked], predictions.right[linked])
    mentioned = np.zeros(n, bool)
    mentioned[predictions.left] = True
    mentioned[predictions.right] = True
    return labels, int((~mentioned).sum())


def evaluate_linkage(
    run: str | Path | Run,
    predictions: str | Path | pa.Table,
    threshold: float | None = None,
    *,
    json_path: str | Path | None = None,
    report_path: str | Path | None = None,
    overwrite: bool = False,
) -> LinkageScores:
    """Score predictions (clusters or scored pairs; a file or a table) against a run's truth; with `json_path` and
    `report_path`, also write the scores as JSON and as one self-contained HTML page (an existing file is replaced
    only with `overwrite`)."""
    with claimed([json_path, report_path], overwrite):
        result = score_linkage(run, predictions, threshold)
        if json_path is not None or report_path is not None:
            written = result.as_dict()
            if json_path is not None:
                write_text(Path(json_path), json.dumps(written, indent=2, allow_nan=False) + "\n")
            if report_path is not None:
                write_text(Path(report_path), linkage_report(written))
    return result


def score_linkage(
    run: str | Path | Run, predictions: str | Path | pa.Table, threshold: float | None = None
) -> LinkageScores:
    """As `evaluate_linkage`, without writing anything."""
    with arrays_reused():
        return _score_linkage(run, predictions, threshold)


def _score_linkage(run: str | Path | Run, predictions: str | Path | pa.Table, threshold: float | None) -> LinkageScores:
    if threshold is not None and not (isinstance(threshold, int | float) and math.isfinite(threshold)):
        raise ArgumentError("threshold", f"{PLACE} must be a finite number, not {shown(threshold)}")
    opened = open_run(run)
    for name in ("linkage/records", "truth/records"):
        if not opened.has(name):
            raise SynthgenError(f"{opened.path}: this run has no {name} (generated before linkage views existed?)")
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    # pyarrow reads without the GIL: the system's file is read in a thread beside the truth's records (on two cores
    # the reading is then no longer added to the scoring's time); its errors surface where its table is first used,
    # so in the same order as read one after the other. (The people's groups read beside the scoring too raised
    # the peak by 250 MiB at ten million records: the thread's freed arrays are not reused by the main thread's.)
    # The table is handed over in a list, so that once taken nothing holds its ten million ids.
    table: list[tuple[str, pa.Table]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        loaded = pool.submit(lambda: table.append(adapters.load_table(predictions, "predictions")))
        try:
            return _scored(run, predictions, cut, opened, lambda: (loaded.result(), table.pop())[1])
        finally:
            loaded.cancel()


def _scored(
    run: str | Path | Run,
    predictions: str | Path | pa.Table,
    cut: float,
    opened: Run,
    loaded: Callable[[], tuple[str, pa.Table]],
) -> LinkageScores:
    # the truth's columns read once, side by side (pyarrow decodes them in threads); the ids go once indexed
    records = opened.read(
        "truth/records",
        ["record_id", "person_id", "source", "errors"],
        dictionary=["source", "errors.list.element.kind", "errors.list.element.field"],
    )
    index = RecordIndex.of(records["record_id"])
    records = records.drop_columns(["record_id"])
    read = adapters.read_predictions(loaded(), index)
    labels, absent = _predicted_labels(index.size, read, cut)
    person = records["person_id"].to_numpy()
    # each record's person as a dense code (32-bit while they fit), worked out once and used by the curve and by
    # every score below
    small = code_type(index.size)
    true_code = metrics.dense_codes(person, small)
    curve = _curve(read, person, true_code[0]) if isinstance(read, adapters.ScoredPairs) else None
    form = "clusters" if isinstance(read, adapters.Clusters) else "pairs"
    self_pairs = read.self_pairs if isinstance(read, adapters.ScoredPairs) else None
    del read  # a system's ten million ids and labels are not needed again
    # each record's cluster as a dense code too: the predicted labels are such codes already. Each big array is
    # let go as soon as the scores that need it are done, so that ten million records fit in 2 GiB
    pred_code = (labels.astype(small), int(labels.max(initial=-1)) + 1)
    table = metrics.contingency_of_codes(
        person, labels, true_code, pred_code, pred_labels=np.arange(pred_code[1], dtype=np.int64)
    )
    scored = metrics.scores(table)
    examples = _examples(opened, index, records, person, labels, table)
    size = index.size
    del index
    hard_negatives = [HardNegativeMerges(**row) for row in _hard_negative_merges(opened, table)]
    pairs = true_pairs(true_code[0], table.true_sizes)
    found = pred_code[0][pairs[0]] == pred_code[0][pairs[1]]
    del person, labels
    by_error = [ErrorKindRecall(**row) for row in _recall_by_error_kind(records, pairs, found)]
    by_source = [SourcePairRecall(**row) for row in _recall_by_source_pair(records, pairs, found)]
    source = records["source"]
    del records
    by_group = linkage_groups(read_people(opened), table, (true_code[0], pred_code[0]), source, pairs, found)
    return LinkageScores(
        run=str(opened.path) if isinstance(run, Run) else str(run),
        predictions=None if isinstance(predictions, pa.Table) else str(predictions),
        format=form,
        threshold=None if form == "clusters" else cut,
        records=size,
        records_in_predictions=size - absent,
        absent_singletons=absent,
        pairwise=PrecisionRecall(scored.pairwise_precision, scored.pairwise_recall, scored.pairwise_f1),
        bcubed=PrecisionRecall(scored.bcubed_precision, scored.bcubed_recall, scored.bcubed_f1),
        cluster=PrecisionRecall(scored.cluster_precision, scored.cluster_recall, scored.cluster_f1),
        homogeneity=scored.homogeneity,
        completeness=scored.completeness,
        v_measure=scored.v_measure,
        adjusted_rand_index=scored.adjusted_rand_index,
        counts=Counts(
            records=scored.records,
            true_clusters=scored.true_clusters,
            predicted_clusters=scored.predicted_clusters,
            true_pairs=scored.true_pairs,
            predicted_pairs=scored.predicted_pairs,
            true_positive_pairs=scored.true_positive_pairs,
        ),
        splits={str(k): v for k, v in sorted(scored.splits.items())},
        merges={str(k): v for k, v in sorted(scored.merges.items())},
        cluster_sizes={"true": _histogram(table.true_sizes), "predicted": _histogram(table.pred_sizes)},
        recall_by_error_kind=by_error,
        recall_by_source_pair=by_source,
        false_merges_by_hard_negative=hard_negatives,
        curve=curve,
        self_pairs_ignored=self_pairs,
        examples=examples,
        by_group=by_group,
        provenance=provenance(opened, {"predictions": predictions}),
    )


SMALL_PERSON = 16
"""People with up to this many records have their pairs listed a size and a pair of places at a time."""


def true_pairs(
    person: NDArray[np.signedinteger[Any]], sizes: NDArray[np.int64]
) -> tuple[NDArray[np.signedinteger[Any]], NDArray[np.signedinteger[Any]]]:
    """Every pair of rows of one person (left < right), from each row's person as a dense code and each person's
    records. Written into two arrays of the final length: for each size of person up to SMALL_PERSON and each
    pair of places (x, y) in such a person's rows, one slice of pairs; the few larger people by the general
    kernel. Listing the pairs by sorting and repeating rows (`pairs_within`) takes several arrays of ten million
    beside the result."""
    order = sorted_order(person).astype(code_type(len(person)))  # each person's rows together, ascending
    start = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes[:-1], out=start[1:])
    per_person = sizes * (sizes - 1) // 2
    total = int(per_person.sum())
    left, right = np.empty_like(order, shape=total), np.empty_like(order, shape=total)
    at = 0
    for size in range(2, SMALL_PERSON + 1):
        first = start[sizes == size]
        for x in range(size - 1):
            for y in range(x + 1, size):
                left[at : at + len(first)] = order[first + x]
                right[at : at + len(first)] = order[first + y]
                at += len(first)
    large = np.flatnonzero(sizes > SMALL_PERSON)
    if len(large):
        rows = order[ranges(start[large], sizes[large])]
        big_left, big_right = linkage_view.pair_rows(person[rows])
        left[at:], right[at:] = rows[big_left], rows[big_right]
    return left, right


def _curve(
    predictions: adapters.ScoredPairs, person: NDArray[np.int64], person_code: NDArray[np.signedinteger[Any]]
) -> Curve:
    """The threshold curve of scored pairs (worked out before the clusters' scores, so that the pairs can go), from
    each record's person and the person's dense code."""
    is_match = person[predictions.left] == person[predictions.right]
    sizes = np.bincount(person_code)
    true_pairs = int((sizes * (sizes - 1)).sum()) // 2
    curve = metrics.threshold_curve(predictions.score, is_match, true_pairs)
    return Curve(
        thresholds=curve.thresholds.tolist(),
        precision=curve.precision.tolist(),
        recall=curve.recall.tolist(),
        f1=curve.f1.tolist(),
        best_threshold=curve.best_threshold if np.isfinite(curve.best_threshold) else None,
        best_f1=curve.best_f1,
    )


def _recall(true_pairs: int, found: int) -> float:
    return found / true_pairs if true_pairs else 1.0


def _recall_by_error_kind(
    records: pa.Table, pairs: tuple[NDArray[np.int64], NDArray[np.int64]], found: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    """Recall over the true pairs in which either record carries each (kind, field) of error; 'none' for pairs
    where neither record carries any."""
    errors = records["errors"].combine_chunks()
    lengths = pc.list_value_length(errors).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    code, names = _error_codes(pc.list_flatten(errors))
    carried = _error_bits(records.num_rows, lengths, code, len(names))
    kinds, totals, hits = _combinations(carried, pairs, found)
    del carried
    result = []
    for c, name in enumerate(names):
        word, bit = divmod(c, 64)
        has = (kinds[:, word] >> np.uint64(bit)) & np.uint64(1) == 1
        total, hit = int(totals[has].sum()), int(hits[has].sum())
        if not total:
            continue
        kind, field = name.split("|")
        result.append({"kind": kind, "field": field, "true_pairs": total, "found": hit, "recall": _recall(total, hit)})
    clean = ~kinds.any(axis=1)
    total, hit = int(totals[clean].sum()), int(hits[clean].sum())
    result.append({"kind": "none", "field": "", "true_pairs": total, "found": hit, "recall": _recall(total, hit)})
    return sorted(result, key=lambda r: (r["recall"], -r["true_pairs"]))


PAIR_CHUNK = 1 << 21
"""True pairs whose errors are combined at a time: two million 64-bit words (16 MiB), not one per pair of ten
million at once."""


def _combinations(
    carried: list[NDArray[np.uint64]], pairs: tuple[NDArray[Any], NDArray[Any]], found: NDArray[np.bool_]
) -> tuple[NDArray[np.uint64], NDArray[np.int64], NDArray[np.int64]]:
    """The distinct combinations of errors the true pairs carry (a pair's errors are its two records' bits or-ed;
    one row per combination, one column per word, the combination of none included), with the pairs carrying each
    and the pairs found among them. A chunk of pairs at a time: each chunk's words are hashed into their few
    distinct values (pyarrow's hash, no sort of ten million words), and the chunks' few thousand are merged."""
    left, right = pairs
    values, totals, hits = [], [], []
    for start in range(0, len(left), PAIR_CHUNK):
        chunk = slice(start, start + PAIR_CHUNK)
        combined = [word[left[chunk]] | word[right[chunk]] for word in carried]
        if len(combined) == 1:  # up to 64 kinds of error (all there are): one word, hashed
            encoded = pc.dictionary_encode(pa.array(combined[0]))
            distinct = encoded.dictionary.to_numpy()[:, None]
            inverse = encoded.indices.to_numpy()
        else:
            distinct, inverse = np.unique(np.stack(combined, axis=1), axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
        del combined
        values.append(distinct)
        totals.append(np.bincount(inverse, minlength=len(distinct)))
        hits.append(np.bincount(inverse[found[chunk]], minlength=len(distinct)))
    if not values:
        return np.zeros((0, len(carried)), np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    kinds, at = np.unique(np.concatenate(values), axis=0, return_inverse=True)
    at = at.reshape(-1)
    pair_totals = np.zeros(len(kinds), np.int64)
    pair_hits = np.zeros(len(kinds), np.int64)
    np.add.at(pair_totals, at, np.concatenate(totals))
    np.add.at(pair_hits, at, np.concatenate(hits))
    return kinds, pair_totals, pair_hits


def _error_bits(
    records: int, lengths: NDArray[np.int64], code: NDArray[np.int64], codes: int
) -> list[NDArray[np.uint64]]:
    """Which errors each record carries, as bits (error code c is bit c % 64 of word c // 64): a pair's errors
    are then its two records' bits or-ed together, with no list of (pair, error) rows."""
    owner = np.repeat(np.arange(records), lengths)
    words = []
    for word in range(max(1, -(-codes // 64))):
        chosen = (code >= word * 64) & (code < (word + 1) * 64)
        bits = np.zeros(records, np.uint64)
        np.bitwise_or.at(bits, owner[chosen], np.uint64(1) << (code[chosen] - word * 64).astype(np.uint64))
        words.append(bits)
    return words


def _error_codes(flat: pa.StructArray) -> tuple[NDArray[np.int64], list[str]]:
    """Each logged error's (kind, field) as a code, and the codes' names ("kind|field") in order of first
    appearance, as dictionary-encoding the joined text would give them, without joining ten million strings."""
    kind = pc.dictionary_encode(flat.field("kind"))
    field = pc.dictionary_encode(flat.field("field"))
    width = max(len(field.dictionary), 1)
    pair = kind.indices.to_numpy(zero_copy_only=False).astype(np.int64) * width + field.indices.to_numpy(
        zero_copy_only=False
    ).astype(np.int64)
    seen, first = np.unique(pair, return_index=True)
    order = seen[np.argsort(first, kind="stable")]
    lookup = np.zeros(len(kind.dictionary) * width, np.int64)
    lookup[order] = np.arange(len(order))
    kinds, fields = kind.dictionary.to_pylist(), field.dictionary.to_pylist()
    return lookup[pair], [f"{kinds[p // width]}|{fields[p % width]}" for p in order.tolist()]


def _recall_by_source_pair(
    records: pa.Table, pairs: tuple[NDArray[np.int64], NDArray[np.int64]], found: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    encoded = pc.dictionary_encode(records["source"].combine_chunks())
    names = sorted(encoded.dictionary.to_pylist())
    k = len(names)
    # each record's source as its place in sorted order, so (low, high) names the pair of sources once
    rank = np.argsort(np.argsort(encoded.dictionary.to_pylist()))
    code = rank[encoded.indices.to_numpy(zero_copy_only=False)] if k else np.zeros(0, np.int64)
    a, b = code[pairs[0]], code[pairs[1]]
    key = np.minimum(a, b) * k + np.maximum(a, b)
    pairs_per_key = np.bincount(key, minlength=k * k)
    found_per_key = np.bincount(key[found], minlength=k * k)
    result = []
    for at in np.flatnonzero(pairs_per_key).tolist():
        total, hits = int(pairs_per_key[at]), int(found_per_key[at])
        sources = f"{names[at // k]}-{names[at % k]}"
        result.append({"sources": sources, "true_pairs": total, "found": hits, "recall": _recall(total, hits)})
    return sorted(result, key=lambda r: str(r["sources"]))


def _hard_negative_merges(run: Run, table: metrics.Contingency) -> list[dict[str, Any]]:
    """For each kind of hard negative (twins, siblings, same-name relatives): how many pairs of people the
    predictions put together in one cluster. Only pairs of people who both have records can be merged; a pair is
    merged when some cluster of the left person's is also one of the right person's (the contingency table's
    cells, sorted by person then cluster, are searched as one sorted array of keys)."""
    if not run.has("truth/hard_negatives"):
        return []
    negatives = run.read("truth/hard_negatives", dictionary=["kind"])
    people = table.true_labels
    left = _places(people, negatives["person_id_l"].to_numpy())
    right = _places(people, negatives["person_id_r"].to_numpy())
    both = (left >= 0) & (right >= 0)
    kind = pc.dictionary_encode(negatives["kind"].combine_chunks())
    kinds = kind.indices.to_numpy(zero_copy_only=False)[both]
    left, right = left[both], right[both]
    del negatives, both
    per_person = np.bincount(table.cell_true, minlength=len(people))
    first_cell = np.r_[0, np.cumsum(per_person)[:-1]]
    # two people can be merged only in a cluster holding more than one person, so only pairs of people who both
    # have records in such clusters are looked at (at scale a few, of millions of pairs), and a person paired with
    # themselves (none in a run, but such a pair has always counted as merged)
    shared_cell = np.bincount(table.cell_pred, minlength=len(table.pred_labels))[table.cell_pred] > 1
    in_shared = np.bincount(table.cell_true[shared_cell], minlength=len(people)) > 0
    del shared_cell
    candidate = np.flatnonzero((in_shared[left] & in_shared[right]) | (left == right))
    del in_shared
    merged = np.zeros(len(left), bool)
    left, right = left[candidate], right[candidate]
    # most people are in one cluster: two such are merged when it is the same one
    single = (per_person[left] == 1) & (per_person[right] == 1)
    merged[candidate[single]] = table.cell_pred[first_cell[left[single]]] == table.cell_pred[first_cell[right[single]]]
    rest = candidate[~single]
    left, right = left[~single], right[~single]
    if len(rest):
        width = np.int64(max(len(table.pred_labels), 1))
        cell_key = table.cell_true * width + table.cell_pred
        counts = per_person[left]
        pair = np.repeat(np.arange(len(left)), counts)
        cell = ranges(first_cell[left], counts)
        hit = find_sorted(cell_key, right[pair] * width + table.cell_pred[cell]) >= 0
        merged[rest[pair[hit]]] = True
    names = kind.dictionary.to_pylist()
    result = []
    for code in sorted(np.flatnonzero(np.bincount(kinds, minlength=1)).tolist(), key=lambda c: names[c]):
        chosen = kinds == code
        pairs, count = int(chosen.sum()), int(merged[chosen].sum())
        result.append({"kind": names[code], "pairs": pairs, "merged": count, "share": count / max(pairs, 1)})
    return result


SEGMENT_GAP = 64
"""Sorted ids further apart than this start a new segment of the lookup table `_places` builds."""


def _places(sorted_ids: NDArray[np.int64], ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each id's place in sorted distinct ids, -1 where absent: by a lookup table over the segments the ids fill
    when those span little more than their number, else by a sorted search. A big run's person ids span a
    billion (each shard numbers its people from its own base) but fill a few hundred dense segments, so the table
    holds about one entry per person and each id is found by a search among the few segments' starts, not by
    sorting ten million ids."""
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.full(len(ids), -1, np.int64)
    breaks = np.flatnonzero(np.diff(sorted_ids) > SEGMENT_GAP) + 1
    first = sorted_ids[np.r_[0, breaks]].astype(np.int64)
    last = sorted_ids[np.r_[breaks - 1, len(sorted_ids) - 1]].astype(np.int64)
    spans = last - first + 1
    if len(first) > 1 << 16 or int(spans.sum()) > 4 * (len(sorted_ids) + len(ids)):
        return find_sorted(sorted_ids, ids)
    offset = np.zeros(len(first), np.int64)
    np.cumsum(spans[:-1], out=offset[1:])
    lookup = np.full(int(spans.sum()), -1, np.int64)
    segment = np.repeat(np.arange(len(first)), np.diff(np.r_[0, breaks, len(sorted_ids)]))
    lookup[sorted_ids - first[segment] + offset[segment]] = np.arange(len(sorted_ids))
    del segment
    at = np.searchsorted(first, ids, side="right") - 1  # the segment each id would be in: a search among few
    at = np.maximum(at, 0, out=at)
    inside = (ids >= first[at]) & (ids <= last[at])
    result = np.full(len(ids), -1, np.int64)
    result[inside] = lookup[ids[inside] - first[at[inside]] + offset[at[inside]]]
    return result


def _largest(counts: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """The places of the k largest counts, ties by place: np.argsort(-counts, kind="stable")[:k] without sorting
    millions of people or clusters to find five."""
    if len(counts) <= k:
        return np.argsort(-counts, kind="stable")
    cut = np.partition(counts, len(counts) - k)[len(counts) - k]  # the k-th largest count
    above = np.flatnonzero(counts > cut)
    above = above[np.argsort(-counts[above], kind="stable")]
    result: NDArray[np.int64] = np.r_[above, np.flatnonzero(counts == cut)[: k - len(above)]].astype(np.int64)
    return result


EXAMPLE_RECORDS = 20
"""The records shown of each example (the first, in the run's order)."""


def _first_rows(values: NDArray[np.int64], chosen: NDArray[np.int64], limit: int) -> NDArray[np.int64]:
    """The rows holding each chosen value (a few), the first `limit` of each, in order."""
    rows = np.flatnonzero(np.isin(values, chosen))
    held = values[rows]
    keep = np.zeros(len(rows), bool)
    for value in chosen.tolist():
        keep[np.flatnonzero(held == value)[:limit]] = True
    result: NDArray[np.int64] = rows[keep]
    return result


def _examples(
    run: Run,
    index: RecordIndex,
    records: pa.Table,
    person: NDArray[np.int64],
    labels: NDArray[np.int64],
    table: metrics.Contingency,
) -> dict[str, Any]:
    """The people split into the most clusters and the clusters merging the most people, records side by side."""
    people, clusters = table.true_labels, table.pred_labels
    clusters_per_person = np.bincount(table.cell_true, minlength=len(people))
    people_per_cluster = np.bincount(table.cell_pred, minlength=len(clusters))
    # only counts above one are ranked (at scale nearly every person is in one cluster and every cluster holds one
    # person): the k largest of those, ties by place, are the k largest of all less those of one
    split = np.flatnonzero(clusters_per_person > 1)
    split = split[_largest(clusters_per_person[split], EXAMPLES)]
    merged = np.flatnonzero(people_per_cluster > 1)
    merged = merged[_largest(people_per_cluster[merged], EXAMPLES)]
    chosen_people, chosen_clusters = people[split], clusters[merged]
    # only the records shown are read: each example's first EXAMPLE_RECORDS (a row of a person also in a cluster
    # shown comes after that person's first ones, so it does not change which are shown)
    wanted = np.union1d(
        _first_rows(person, chosen_people, EXAMPLE_RECORDS), _first_rows(labels, chosen_clusters, EXAMPLE_RECORDS)
    )
    wanted_ids = index.ids_of(wanted)
    # only the example records are read from the view (a whole view of ten million is a gigabyte)
    view = run.read_matching("linkage/records", "record_id", wanted_ids, ["record_id", "source", *EXAMPLE_FIELDS])
    index = pc.index_in(wanted_ids, value_set=view["record_id"])
    shown = view.take(index).to_pylist()
    errors = records["errors"].take(pa.array(wanted)).to_pylist()
    position = {int(row): i for i, row in enumerate(wanted)}

    def rows(chosen: NDArray[np.int64], with_person: bool) -> list[dict[str, Any]]:
        out = []
        for row in chosen[:EXAMPLE_RECORDS].tolist():
            at = position[row]
            item: dict[str, Any] = {k: (str(v) if v is not None else None) for k, v in shown[at].items()}
            item["cluster_id"] = int(labels[row])
            item["errors"] = "; ".join(f"{e['kind']}({e['field']})" for e in errors[at])
            if with_person:
                item["person_id"] = int(person[row])
            out.append(item)
        return out

    return {
        "splits": [
            {"person_id": int(pid), "clusters": int(count), "records": rows(wanted[person[wanted] == pid], False)}
            for pid, count in zip(chosen_people, clusters_per_person[split], strict=True)
        ],
        "merges": [
            {"cluster_id": int(cid), "people": int(count), "records": rows(wanted[labels[wanted] == cid], True)}
            for cid, count in zip(chosen_clusters, people_per_cluster[merged], strict=True)
        ],
    }
