"""Scores for a record-linkage result against the run's truth, computed from counts, never from record pairs.

A linkage system under test groups agency records into predicted clusters (one per person it believes in); the
truth says which person each record belongs to. Every cluster score here is a function of the contingency
table: n_ij, the number of records of true person i in predicted cluster j, with row sums a_i (records per
person) and column sums b_j (records per predicted cluster). The table has at most n non-empty cells and is
found with one sort of the (true, predicted) label pairs, so scoring 10 million records costs O(n log n) time
and O(n) memory, where enumerating the ~n^2/2 record pairs would be impossible. The same reasoning gives
`threshold_curve` (precision and recall of scored pairs at every threshold from one sort and cumulative sums);
a system's pairwise links become clusters with `synthgen.linkage.components.connected_components`.

Measures, and why each is reported:

- **Pairwise** precision, recall and F1 (the usual record-linkage measures; Christen 2012, ch. 7; Menestrina,
  Whang & Garcia-Molina 2010): a pair of records is a true pair when both belong to the same person and a
  predicted pair when both are in the same predicted cluster. True pairs = sum_i C(a_i, 2), predicted pairs =
  sum_j C(b_j, 2), true-positive pairs = sum_ij C(n_ij, 2). Pairs grow with the square of cluster size, so a
  few large clusters dominate; the measures below are reported beside them for that reason (and because F1
  alone weighs precision against recall differently from one linkage to another: Hand & Christen 2018).
- **B-cubed** (Bagga & Baldwin 1998): for record r, precision is the share of r's predicted cluster that is r's
  person, recall the share of r's person that is in r's predicted cluster. Both are averaged over records (equal
  weight per record: sum_ij n_ij^2 / b_j / n and sum_ij n_ij^2 / a_i / n), and B-cubed F1 is the harmonic mean
  of the two averages (as Amigó et al. 2009), not the average of per-record F1s.
- **Cluster** (exact-match) precision and recall: the share of predicted clusters that are exactly some person's
  records, and the share of people whose records were reproduced exactly as one cluster (a cell with n_ij = a_i
  = b_j). A person with a single record counts, as a singleton predicted cluster holding just that record. This
  is the strictest measure: it is what a caseworker sees when opening one person's linked record.
- **Homogeneity, completeness and V-measure** (Rosenberg & Hirschberg 2007): 1 - H(C|K)/H(C), 1 - H(K|C)/H(K)
  and their harmonic mean, with natural logarithms, as scikit-learn computes them. They are computed from the
  conditional entropies directly, so a perfect result scores exactly 1.0 rather than 1.0 up to rounding.
- **Adjusted Rand index** (Hubert & Arabie 1985): agreement on pairs corrected for chance, from the pair
  confusion counts, in exact integer arithmetic (the products exceed 64 bits at 10 million records).
- **Splits and merges**: how many people are spread over k >= 2 predicted clusters, and how many predicted
  clusters hold records of k >= 2 people: the errors behind the numbers, in the form a vendor can act on.

Conventions for the degenerate cases, chosen so that a claim that cannot be wrong is not penalised:

- Pairwise precision is 1.0 when there are no predicted pairs (nothing claimed, nothing wrong); pairwise recall
  is 1.0 when there are no true pairs (nothing to find, nothing missed). The same holds for B-cubed, cluster
  precision and recall when there are no records or clusters, and for scored-pair precision in `threshold_curve`
  when no pair reaches the threshold.
- Any F1 is 0.0 when precision and recall are both 0.
- Homogeneity is 1.0 when there is only one true cluster (H(C) = 0), completeness 1.0 when there is only one
  predicted cluster (H(K) = 0), and V-measure 0.0 when both are 0; all are 1.0 for no records (scikit-learn's
  choices).
- The adjusted Rand index is 1.0 whenever the two partitions agree on every pair, which covers the trivial
  cases where the chance correction is 0/0 (no records, one record, or both partitions all singletons or both a
  single cluster); otherwise the denominator is positive. This matches scikit-learn.
- Splits and merges only list k >= 2 (k = 1 is the correct case), and only k with a non-zero count.

References: Bagga, A. & Baldwin, B. (1998) Algorithms for scoring coreference chains. LREC Workshop on
Linguistic Coreference. Rosenberg, A. & Hirschberg, J. (2007) V-Measure: a conditional entropy-based external
cluster evaluation measure. EMNLP-CoNLL. Hubert, L. & Arabie, P. (1985) Comparing partitions. Journal of
Classification 2, 193-218. Amigó, E., Gonzalo, J., Artiles, J. & Verdejo, F. (2009) A comparison of extrinsic
clustering evaluation metrics based on formal constraints. Information Retrieval 12, 461-486. Menestrina, D.,
Whang, S. E. & Garcia-Molina, H. (2010) Evaluating entity resolution results. PVLDB 3, 208-219. Christen, P.
(2012) Data Matching. Springer. Hand, D. & Christen, P. (2018) A note on using the F-measure for evaluating
record linkage algorithms. Statistics and Computing 28, 539-547.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthgen.evaluation.record_index import code_type, sorted_order
from synthgen.kernel.arrays import first_of_runs

_DENSE_SPAN_FACTOR = 4
"""Labels spanning at most this many times the record count are coded by a lookup table (O(n)), not a sort."""


@dataclass(frozen=True)
class ClusterMetrics:
    """Every cluster score of one linkage result, as plain Python numbers so it serialises without numpy."""

    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    homogeneity: float
    completeness: float
    v_measure: float
    adjusted_rand_index: float
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    records: int
    true_clusters: int
    predicted_clusters: int
    splits: dict[int, int]  # k -> true people whose records fall into k predicted clusters (k >= 2)
    merges: dict[int, int]  # k -> predicted clusters holding records of k distinct true people (k >= 2)

    def as_dict(self) -> dict[str, Any]:
        """Nested with stable keys, ready for json.dumps (JSON object keys are strings, hence the k's)."""
        return {
            "pairwise": {
                "precision": self.pairwise_precision,
                "recall": self.pairwise_recall,
                "f1": self.pairwise_f1,
            },
            "bcubed": {"precision": self.bcubed_precision, "recall": self.bcubed_recall, "f1": self.bcubed_f1},
            "cluster": {"precision": self.cluster_precision, "recall": self.cluster_recall, "f1": self.cluster_f1},
            "homogeneity": self.homogeneity,
            "completeness": self.completeness,
            "v_measure": self.v_measure,
            "adjusted_rand_index": self.adjusted_rand_index,
            "counts": {
                "records": self.records,
                "true_clusters": self.true_clusters,
                "predicted_clusters": self.predicted_clusters,
                "true_pairs": self.true_pairs,
                "predicted_pairs": self.predicted_pairs,
                "true_positive_pairs": self.true_positive_pairs,
            },
            "splits": {str(k): v for k, v in sorted(self.splits.items())},
            "merges": {str(k): v for k, v in sorted(self.merges.items())},
        }


@dataclass(frozen=True)
class Contingency:
    """The non-empty cells of the contingency table and its margins; everything else is computed from these.

    Persons and clusters are numbered 0..k-1 in label order; `true_labels` and `pred_labels` turn those numbers
    back into the caller's labels, so explanations (who was split, which cluster merged whom) need no second sort.
    """

    records: int
    true_labels: NDArray[Any]  # the label of true person i
    pred_labels: NDArray[Any]  # the label of predicted cluster j
    true_sizes: NDArray[np.int64]  # a_i, records of true person i
    pred_sizes: NDArray[np.int64]  # b_j, records in predicted cluster j
    cell_true: NDArray[np.signedinteger[Any]]  # i of each non-empty cell (int32 while the records fit, see code_type)
    cell_pred: NDArray[np.signedinteger[Any]]  # j of each non-empty cell
    cell_size: NDArray[np.signedinteger[Any]]  # n_ij of each non-empty cell


def _labels(values: NDArray[Any], name: str) -> NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def dense_codes(labels: NDArray[Any], dtype: type[np.signedinteger[Any]] = np.int64) -> tuple[NDArray[Any], int]:
    """Dense codes 0..k-1 in label order (as `dtype`: a linkage evaluation asks for int32 when the records fit, half
    the memory of ten million codes), and k.

    Person ids and cluster ids are usually small non-negative integers, for which a presence table and a
    cumulative sum code them in O(n) without sorting; other integers (a big run's person ids span a hundred times
    their number) are sorted and searched, anything else goes through np.unique.
    """
    if labels.size == 0:
        return np.zeros(0, dtype=dtype), 0
    if np.issubdtype(labels.dtype, np.integer):
        low = int(labels.min())
        span = int(labels.max()) - low
        if span <= _DENSE_SPAN_FACTOR * labels.size:
            # Subtract in a type where the (small) difference cannot wrap: unsigned labels never go below `low`.
            if np.issubdtype(labels.dtype, np.unsignedinteger):
                offset = (labels - labels.dtype.type(low)).astype(np.int64)
            else:
                offset = labels.astype(np.int64) - np.int64(low)
            present = np.zeros(span + 1, dtype=np.bool_)
            present[offset] = True
            rank = np.cumsum(present, dtype=dtype)
            del present
            rank -= 1
            return rank[offset], int(rank[-1]) + 1
        return _sorted_codes(labels, dtype)
    uniques, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(-1).astype(dtype, copy=False), int(uniques.size)


def _sorted_codes(labels: NDArray[np.integer[Any]], dtype: type[np.signedinteger[Any]]) -> tuple[NDArray[Any], int]:
    """Dense codes of integer labels spread too wide for a lookup table: the rows in label order (one packed sort,
    no argsort), a code per run of equal labels, written back to each row."""
    order = sorted_order(labels)
    run_code = np.cumsum(first_of_runs(labels[order]), dtype=dtype)
    run_code -= 1
    codes = np.empty(len(labels), dtype)
    codes[order] = run_code
    return codes, int(run_code[-1]) + 1


def _run_starts(values: NDArray[Any]) -> NDArray[np.intp]:
    """Index of the first element of each run of equal values in a sorted array."""
    return np.flatnonzero(first_of_runs(values))


def _distinct(labels: NDArray[Any], code: NDArray[np.int64], k: int) -> NDArray[Any]:
    """The label of each code (codes are in label order, so this is the sorted distinct labels)."""
    values = np.empty(k, dtype=labels.dtype)
    values[code] = labels
    return values


def contingency(truth: NDArray[Any], predicted: NDArray[Any]) -> Contingency:
    """The contingency table of true persons against predicted clusters (any integer labels, one per record)."""
    truth = _labels(truth, "truth")
    predicted = _labels(predicted, "predicted")
    if truth.shape != predicted.shape:
        raise ValueError(f"truth and predicted differ in length: {truth.size} and {predicted.size}")
    return contingency_of_codes(truth, predicted, dense_codes(truth), dense_codes(predicted))


def contingency_of_codes(
    truth: NDArray[Any],
    predicted: NDArray[Any],
    true_codes: tuple[NDArray[Any], int],
    pred_codes: tuple[NDArray[Any], int],
    *,
    true_labels: NDArray[Any] | None = None,
    pred_labels: NDArray[Any] | None = None,
) -> Contingency:
    """As `contingency`, for a caller that has the labels' dense codes (`dense_codes`) already and uses them again
    (a linkage evaluation codes ten million labels once), and perhaps each code's label too. The cells' numbers
    are 32-bit when the records fit (ten million records make some six million cells)."""
    (true_code, n_true), (pred_code, n_pred) = true_codes, pred_codes
    width = np.int64(max(n_pred, 1))
    # One int64 per (true, predicted) pair: at most n^2 < 2^63 for any n that fits in memory.
    key = true_code.astype(np.int64)
    key *= width
    key += pred_code
    key.sort()
    starts = _run_starts(key)
    cell_key = key[starts]
    small = code_type(truth.size)
    cell_size = np.diff(starts, append=key.size).astype(small)
    del key, starts
    cell_true = (cell_key // width).astype(small)
    cell_key -= cell_true * width
    cell_pred = cell_key.astype(small)
    del cell_key
    return Contingency(
        records=int(truth.size),
        true_labels=_distinct(truth, true_code, n_true) if true_labels is None else true_labels,
        pred_labels=_distinct(predicted, pred_code, n_pred) if pred_labels is None else pred_labels,
        true_sizes=np.bincount(true_code, minlength=n_true).astype(np.int64),
        pred_sizes=np.bincount(pred_code, minlength=n_pred).astype(np.int64),
        cell_true=cell_true,
        cell_pred=cell_pred,
        cell_size=cell_size,
    )


def _pairs(sizes: NDArray[np.integer[Any]]) -> int:
    """Sum of C(x, 2): x(x-1) is below 2^53 for x up to 10^8, and the total below 2^63 for any n in memory (in 64
    bits whatever the type of the sizes: a cell of 50,000 records overflows 32)."""
    wide = sizes.astype(np.int64, copy=False)
    return int((wide * (wide - 1)).sum()) // 2


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 1.0 when the denominator is 0 (nothing claimed or nothing to find)."""
    return float(numerator / denominator) if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2.0 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _count_f1(hits: int, true_plus_claimed: int) -> float:
    """F1 from counts, 2 hits / (true + claimed): exact for perfect results and equal to _f1 with the conventions."""
    return 2.0 * hits / true_plus_claimed if true_plus_claimed else 1.0


def _histogram(per_cluster: NDArray[np.int64]) -> dict[int, int]:
    """k -> how many clusters have k distinct partners, for k >= 2 with a non-zero count."""
    counts = np.bincount(per_cluster) if per_cluster.size else np.zeros(0, dtype=np.int64)
    return {k: int(counts[k]) for k in range(2, counts.size) if counts[k]}


def _conditional_entropy(cell_size: NDArray[np.int64], given_sizes: NDArray[np.int64], records: int) -> float:
    """H(X|Y) = -sum n_ij/n log(n_ij/y_j): exactly 0 when every cell fills its Y cluster."""
    if records == 0:
        return 0.0
    share = cell_size / records
    return float(-(share * (np.log(cell_size) - np.log(given_sizes))).sum())


def _entropy(sizes: NDArray[np.int64], records: int) -> float:
    if records == 0:
        return 0.0
    return float(-((sizes / records) * (np.log(sizes) - np.log(records))).sum())


def _adjusted_rand(true_pairs: int, predicted_pairs: int, tp: int, records: int) -> float:
    """Hubert & Arabie's ARI from pair counts, in Python integers (tp * tn reaches ~10^27 at 10^7 records)."""
    fp = predicted_pairs - tp
    fn = true_pairs - tp
    if fp == 0 and fn == 0:
        return 1.0
    tn = records * (records - 1) // 2 - tp - fp - fn
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def pair_counts(truth: NDArray[np.integer[Any]], predicted: NDArray[np.integer[Any]]) -> tuple[int, int, int]:
    """(true pairs, predicted pairs, true-positive pairs) from contingency counts, without listing any pair."""
    table = contingency(truth, predicted)
    return _pairs(table.true_sizes), _pairs(table.pred_sizes), _pairs(table.cell_size)


def cluster_metrics(truth: NDArray[np.integer[Any]], predicted: NDArray[np.integer[Any]]) -> ClusterMetrics:
    """truth[i], predicted[i]: the true person and the predicted cluster of record i (any integer labels).

    Labels need not be dense or start at 0 and the two sides share no label space: only which records share a
    label matters, so renaming labels or reordering records leaves every score unchanged.
    """
    return scores(contingency(truth, predicted))


def scores(table: Contingency) -> ClusterMetrics:
    """Every cluster score from one contingency table (for callers that also explain the errors from it)."""
    n = table.records
    true_pairs = _pairs(table.true_sizes)
    predicted_pairs = _pairs(table.pred_sizes)
    tp = _pairs(table.cell_size)

    pairwise_precision = _ratio(tp, predicted_pairs)
    pairwise_recall = _ratio(tp, true_pairs)

    squared = table.cell_size.astype(np.float64) ** 2
    bcubed_precision = _ratio(float((squared / table.pred_sizes[table.cell_pred]).sum()), n)
    bcubed_recall = _ratio(float((squared / table.true_sizes[table.cell_true]).sum()), n)

    exact = (table.cell_size == table.true_sizes[table.cell_true]) & (
        table.cell_size == table.pred_sizes[table.cell_pred]
    )
    exact_clusters = int(np.count_nonzero(exact))
    cluster_precision = _ratio(exact_clusters, table.pred_sizes.size)
    cluster_recall = _ratio(exact_clusters, table.true_sizes.size)

    entropy_true = _entropy(table.true_sizes, n)
    entropy_pred = _entropy(table.pred_sizes, n)
    if entropy_true > 0:
        h_true_given_pred = _conditional_entropy(table.cell_size, table.pred_sizes[table.cell_pred], n)
        homogeneity = min(max(1.0 - h_true_given_pred / entropy_true, 0.0), 1.0)
    else:
        homogeneity = 1.0
    if entropy_pred > 0:
        h_pred_given_true = _conditional_entropy(table.cell_size, table.true_sizes[table.cell_true], n)
        completeness = min(max(1.0 - h_pred_given_true / entropy_pred, 0.0), 1.0)
    else:
        completeness = 1.0

    return ClusterMetrics(
        pairwise_precision=pairwise_precision,
        pairwise_recall=pairwise_recall,
        pairwise_f1=_count_f1(tp, true_pairs + predicted_pairs),
        bcubed_precision=bcubed_precision,
        bcubed_recall=bcubed_recall,
        bcubed_f1=_f1(bcubed_precision, bcubed_recall),
        cluster_precision=cluster_precision,
        cluster_recall=cluster_recall,
        cluster_f1=_count_f1(exact_clusters, table.true_sizes.size + table.pred_sizes.size),
        homogeneity=homogeneity,
        completeness=completeness,
        v_measure=_f1(homogeneity, completeness),
        adjusted_rand_index=_adjusted_rand(true_pairs, predicted_pairs, tp, n),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=tp,
        records=n,
        true_clusters=int(table.true_sizes.size),
        predicted_clusters=int(table.pred_sizes.size),
        splits=_histogram(np.bincount(table.cell_true, minlength=table.true_sizes.size)),
        merges=_histogram(np.bincount(table.cell_pred, minlength=table.pred_sizes.size)),
    )


@dataclass(frozen=True)
class ThresholdCurve:
    """Precision, recall and F1 of the pairs a system scored, at each threshold (link when score >= threshold)."""

    thresholds: NDArray[np.float64]  # descending, evenly spaced from the highest score to the lowest
    precision: NDArray[np.float64]  # of the scored pairs at score >= threshold (no transitive closure)
    recall: NDArray[np.float64]  # against all true pairs of the run: pairs never scored count as missed
    f1: NDArray[np.float64]
    best_threshold: float  # over every distinct score, not just the grid; +inf when linking nothing is best
    best_f1: float


def threshold_curve(
    scores: NDArray[np.float64], is_match: NDArray[np.bool_], total_true_pairs: int, points: int = 101
) -> ThresholdCurve:
    """Precision/recall over thresholds from scored pairs (one row per scored pair, is_match = same true person),
    computed by sorting once and cumulative sums. Duplicated pairs must be deduplicated by the caller.

    Recall is against `total_true_pairs` (from `pair_counts`) rather than the matches among the scored pairs,
    because a true pair the system's blocking never compared is a miss like any other. The curve is sampled at
    `points` evenly spaced thresholds (fewer if they coincide), but the best threshold is searched over every
    distinct score, so it is exact; ties go to the higher threshold (the same F1 for fewer links).
    """
    score = np.asarray(scores, dtype=np.float64)
    match = np.asarray(is_match, dtype=np.bool_)
    if score.ndim != 1 or score.shape != match.shape:
        raise ValueError(
            f"scores and is_match must be one-dimensional and of equal length, got {score.shape}, {match.shape}"
        )
    if not np.isfinite(score).all():
        raise ValueError("scores must be finite")
    if points < 1:
        raise ValueError(f"points must be at least 1, got {points}")
    matched = int(np.count_nonzero(match))
    if total_true_pairs < matched:
        raise ValueError(
            f"total_true_pairs ({total_true_pairs}) is below the true pairs among the scored pairs ({matched}); "
            "were duplicated pairs removed?"
        )
    order = np.argsort(score, kind="stable")
    ascending = score[order]
    # matched_below[k]: true pairs among the k lowest scores, so pairs at index >= k hold matched - matched_below[k].
    matched_below = np.concatenate(([0], np.cumsum(match[order], dtype=np.int64)))
    total = score.size

    def at(first: NDArray[np.intp]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Scores for accepting every pair from sorted index `first` up."""
        accepted = total - first
        hits = (matched - matched_below[first]).astype(np.float64)
        precision = np.where(accepted > 0, hits / np.maximum(accepted, 1), 1.0)
        recall = hits / total_true_pairs if total_true_pairs else np.ones(first.size, dtype=np.float64)
        # F1 = 2PR/(P+R) = 2 hits/(linked + true pairs): one rounding, so equal F1s tie exactly; 0/0 is 1.0.
        denominator = accepted + total_true_pairs
        f1 = np.where(denominator > 0, 2.0 * hits / np.maximum(denominator, 1), 1.0)
        return precision, recall, f1

    if total:
        thresholds = np.unique(np.linspace(ascending[0], ascending[-1], points))[::-1].copy()
    else:
        thresholds = np.zeros(0, dtype=np.float64)
    precision, recall, f1 = at(np.searchsorted(ascending, thresholds, side="left"))

    # Candidates, highest threshold first: link nothing (+inf), then each distinct score.
    firsts = _run_starts(ascending)[::-1]
    candidate_first = np.concatenate(([total], firsts)).astype(np.intp)
    candidate_threshold = np.concatenate(([np.inf], ascending[firsts]))
    _, _, candidate_f1 = at(candidate_first)
    best = int(np.argmax(candidate_f1))
    return ThresholdCurve(
        thresholds=thresholds.astype(np.float64),
        precision=precision.astype(np.float64),
        recall=recall.astype(np.float64),
        f1=f1.astype(np.float64),
        best_threshold=float(candidate_threshold[best]),
        best_f1=float(candidate_f1[best]),
    )
