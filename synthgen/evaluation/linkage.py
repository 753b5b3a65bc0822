"""Scoring a linkage system against the truth, and explaining its errors.

Metrics come from contingency counts (evaluation.metrics). The explanations enumerate only *true* pairs, which
are few per person, never predicted pairs: recall broken down by the error kinds logged on either record and by
pair of sources, hard negatives the system merged, and the worst splits and merges with their records side by
side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import linkage
from synthgen.errors import SynthgenError
from synthgen.evaluation import adapters, metrics
from synthgen.runs import Run, open_run

DEFAULT_THRESHOLD = 0.5
EXAMPLES = 5
EXAMPLE_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "upn")


def _histogram(labels: NDArray[np.int64]) -> dict[str, int]:
    sizes = np.bincount(np.unique(labels, return_inverse=True)[1].ravel())
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
    labels = metrics.connected_components(n, predictions.left[linked], predictions.right[linked])
    mentioned = np.zeros(n, bool)
    mentioned[predictions.left] = True
    mentioned[predictions.right] = True
    return labels, int((~mentioned).sum())


def evaluate_linkage(
    run_path: str | Path, predictions_path: str | Path, threshold: float | None = None
) -> dict[str, Any]:
    """Score predictions (clusters or scored pairs) against a run's truth; a JSON-ready dict with stable keys."""
    run = open_run(run_path)
    for table in ("linkage/records", "truth/records"):
        if not run.has(table):
            raise SynthgenError(f"{run.path}: this run has no {table} (generated before linkage views existed?)")
    records = run.read("truth/records", ["record_id", "source", "person_id", "errors"])
    ids = records["record_id"].combine_chunks()
    predictions = adapters.read_predictions(predictions_path, ids)
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    labels, absent = _predicted_labels(records.num_rows, predictions, cut)
    person = records["person_id"].to_numpy()
    scored = metrics.cluster_metrics(person, labels)
    result: dict[str, Any] = {
        "run": str(run_path),
        "predictions": str(predictions_path),
        "format": "clusters" if isinstance(predictions, adapters.Clusters) else "pairs",
        "threshold": None if isinstance(predictions, adapters.Clusters) else cut,
        "records": records.num_rows,
        "records_in_predictions": records.num_rows - absent,
        "absent_singletons": absent,
        **scored.as_dict(),
        "cluster_sizes": {"true": _histogram(person), "predicted": _histogram(labels)},
    }
    pairs = _true_pairs(records)
    found = labels[pairs[0]] == labels[pairs[1]]
    result["recall_by_error_kind"] = _recall_by_error_kind(records, pairs, found)
    result["recall_by_source_pair"] = _recall_by_source_pair(records, pairs, found)
    result["false_merges_by_hard_negative"] = _hard_negative_merges(run, person, labels)
    result["curve"] = None
    if isinstance(predictions, adapters.ScoredPairs):
        is_match = person[predictions.left] == person[predictions.right]
        curve = metrics.threshold_curve(predictions.score, is_match, scored.true_pairs)
        result["curve"] = {
            "thresholds": curve.thresholds.tolist(),
            "precision": curve.precision.tolist(),
            "recall": curve.recall.tolist(),
            "f1": curve.f1.tolist(),
            "best_threshold": curve.best_threshold if np.isfinite(curve.best_threshold) else None,
            "best_f1": curve.best_f1,
        }
        result["self_pairs_ignored"] = predictions.self_pairs
    result["examples"] = _examples(run, records, person, labels)
    return result


def _true_pairs(records: pa.Table) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    return linkage.pair_rows(records["person_id"].to_numpy())


def _recall(true_pairs: int, found: int) -> float:
    return found / true_pairs if true_pairs else 1.0


def _recall_by_error_kind(
    records: pa.Table, pairs: tuple[NDArray[np.int64], NDArray[np.int64]], found: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    """Recall over the true pairs in which either record carries each (kind, field) of error; 'none' for pairs
    where neither record carries any."""
    errors = records["errors"].combine_chunks()
    lengths = pc.list_value_length(errors).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(errors)
    codes_text = pc.binary_join_element_wise(flat.field("kind"), flat.field("field"), "|")
    codes = pc.dictionary_encode(codes_text)
    code = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = codes.dictionary.to_pylist()
    owner = np.repeat(np.arange(records.num_rows), lengths)
    left, right = pairs
    n_pairs = len(left)
    # pairs touching each record, as (record, pair) rows sorted by record
    touching_record = np.r_[left, right]
    touching_pair = np.r_[np.arange(n_pairs), np.arange(n_pairs)]
    order = np.argsort(touching_record, kind="stable")
    touching_record, touching_pair = touching_record[order], touching_pair[order]
    starts = np.searchsorted(touching_record, owner, side="left")
    ends = np.searchsorted(touching_record, owner, side="right")
    counts = ends - starts
    entry_pair = touching_pair[
        np.repeat(starts, counts) + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    ]
    entry_code = np.repeat(code, counts)
    combined = np.unique(entry_pair * max(len(names), 1) + entry_code)
    pair_of, code_of = combined // max(len(names), 1), combined % max(len(names), 1)
    result = []
    for c, name in enumerate(names):
        chosen = pair_of[code_of == c]
        if not len(chosen):
            continue
        kind, field = name.split("|")
        hits = int(found[chosen].sum())
        result.append(
            {
                "kind": kind,
                "field": field,
                "true_pairs": len(chosen),
                "found": hits,
                "recall": _recall(len(chosen), hits),
            }
        )
    clean = np.ones(n_pairs, bool)
    clean[pair_of] = False
    result.append(
        {
            "kind": "none",
            "field": "",
            "true_pairs": int(clean.sum()),
            "found": int(found[clean].sum()),
            "recall": _recall(int(clean.sum()), int(found[clean].sum())),
        }
    )
    return sorted(result, key=lambda r: (r["recall"], -r["true_pairs"]))


def _recall_by_source_pair(
    records: pa.Table, pairs: tuple[NDArray[np.int64], NDArray[np.int64]], found: NDArray[np.bool_]
) -> list[dict[str, Any]]:
    source = records["source"].to_numpy(zero_copy_only=False).astype(str)
    a, b = source[pairs[0]], source[pairs[1]]
    name = np.where(a <= b, np.char.add(np.char.add(a, "-"), b), np.char.add(np.char.add(b, "-"), a))
    result = []
    for sources in sorted(set(name.tolist())):
        chosen = name == sources
        hits = int(found[chosen].sum())
        result.append(
            {
                "sources": sources,
                "true_pairs": int(chosen.sum()),
                "found": hits,
                "recall": _recall(int(chosen.sum()), hits),
            }
        )
    return result


def _hard_negative_merges(run: Run, person: NDArray[np.int64], labels: NDArray[np.int64]) -> list[dict[str, Any]]:
    """For each kind of hard negative (twins, siblings, same-name relatives): how many pairs of people the
    predictions put together in one cluster."""
    if not run.has("truth/hard_negatives"):
        return []
    negatives = run.read("truth/hard_negatives")
    present = pa.array(np.unique(person))
    # only pairs of people who both have records can be merged
    negatives = negatives.filter(
        pc.and_(
            pc.is_in(negatives["person_id_l"], value_set=present), pc.is_in(negatives["person_id_r"], value_set=present)
        )
    )
    placed = (
        pa.table({"person": pa.array(person), "cluster": pa.array(labels)})
        .group_by(["person", "cluster"])
        .aggregate([])
    )
    left = negatives.append_column("pair", pa.array(np.arange(negatives.num_rows)))
    joined = left.join(placed, "person_id_l", "person")
    both = joined.join(placed, ["person_id_r", "cluster"], ["person", "cluster"], join_type="inner")
    merged_pairs = set(both["pair"].to_pylist())
    kinds = negatives["kind"].to_numpy(zero_copy_only=False).astype(str)
    merged = np.zeros(negatives.num_rows, bool)
    merged[list(merged_pairs)] = True
    result = []
    for kind in sorted(set(kinds.tolist())):
        chosen = kinds == kind
        count = int(merged[chosen].sum())
        result.append(
            {"kind": kind, "pairs": int(chosen.sum()), "merged": count, "share": count / max(int(chosen.sum()), 1)}
        )
    return result


def _group_counts(first: NDArray[np.int64], second: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each distinct value of `first`, how many distinct values of `second` go with it (one sort)."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    new_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    keys = a[new_pair]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, len(keys)])
    return keys[starts], counts


def _examples(run: Run, records: pa.Table, person: NDArray[np.int64], labels: NDArray[np.int64]) -> dict[str, Any]:
    """The people split into the most clusters and the clusters merging the most people, records side by side."""
    people, clusters_per_person = _group_counts(person, labels)
    clusters, people_per_cluster = _group_counts(labels, person)
    split = np.argsort(-clusters_per_person, kind="stable")[:EXAMPLES]
    split = split[clusters_per_person[split] > 1]
    merged = np.argsort(-people_per_cluster, kind="stable")[:EXAMPLES]
    merged = merged[people_per_cluster[merged] > 1]
    chosen_people, chosen_clusters = people[split], clusters[merged]
    wanted = np.flatnonzero(np.isin(person, chosen_people) | np.isin(labels, chosen_clusters))
    wanted_ids = records["record_id"].take(pa.array(wanted))
    # only the example records are read from the view (a whole view of ten million is a gigabyte)
    view = run.read(
        "linkage/records", ["record_id", "source", *EXAMPLE_FIELDS], filters=pc.is_in(pc.field("record_id"), wanted_ids)
    )
    index = pc.index_in(wanted_ids, value_set=view["record_id"])
    shown = view.take(index).to_pylist()
    errors = records["errors"].take(pa.array(wanted)).to_pylist()
    position = {int(row): i for i, row in enumerate(wanted)}

    def rows(chosen: NDArray[np.int64], with_person: bool) -> list[dict[str, Any]]:
        out = []
        for row in chosen[:20].tolist():
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
