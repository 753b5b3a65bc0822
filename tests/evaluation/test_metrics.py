"""Linkage metrics: hand-worked cases, scikit-learn cross-checks, brute-force references and invariants.

The module computes everything from contingency counts; these tests check it against definitions applied
record by record and pair by pair (feasible only because the cases are small), so the shortcut is proven, not
assumed.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure
from sklearn.metrics.cluster import pair_confusion_matrix

from synthgen.evaluation.metrics import (
    ClusterMetrics,
    cluster_metrics,
    pair_counts,
    threshold_curve,
)
from synthgen.linkage.components import connected_components

FLOAT_FIELDS = [
    "pairwise_precision",
    "pairwise_recall",
    "pairwise_f1",
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "cluster_precision",
    "cluster_recall",
    "cluster_f1",
    "homogeneity",
    "completeness",
    "v_measure",
    "adjusted_rand_index",
]


def arr(values: list[int]) -> NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


@st.composite
def labelings(draw: st.DrawFn, max_records: int = 60) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(truth, predicted) of equal length: small dense labels, or arbitrary 64-bit ones (the np.unique path)."""
    n = draw(st.integers(0, max_records))
    true_kinds = draw(st.integers(1, 10))
    pred_kinds = draw(st.integers(1, 10))
    truth = arr(draw(st.lists(st.integers(0, true_kinds - 1), min_size=n, max_size=n)))
    predicted = arr(draw(st.lists(st.integers(0, pred_kinds - 1), min_size=n, max_size=n)))
    if draw(st.booleans()):
        big = st.integers(-(2**63), 2**63 - 1)
        truth = arr(draw(st.lists(big, min_size=10, max_size=10, unique=True)))[truth]
        predicted = arr(draw(st.lists(big, min_size=10, max_size=10, unique=True)))[predicted]
    return truth, predicted


def flat(metrics: ClusterMetrics) -> dict[str, Any]:
    """as_dict flattened to dotted keys, so floats can be compared with a tolerance."""
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            out[prefix] = value

    walk("", metrics.as_dict())
    return out


def assert_same(a: ClusterMetrics, b: ClusterMetrics) -> None:
    fa, fb = flat(a), flat(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        if isinstance(fa[key], float):
            assert fa[key] == pytest.approx(fb[key], abs=1e-12), key
        else:
            assert fa[key] == fb[key], key


# --- brute-force references: the definitions applied record by record and pair by pair ---


def naive_pairs(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> tuple[int, int, int]:
    same_true = same_pred = both = 0
    for i, j in itertools.combinations(range(truth.size), 2):
        t = truth[i] == truth[j]
        p = predicted[i] == predicted[j]
        same_true += int(t)
        same_pred += int(p)
        both += int(t and p)
    return same_true, same_pred, both


def naive_bcubed(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> tuple[float, float]:
    if truth.size == 0:
        return 1.0, 1.0
    precision = recall = 0.0
    for r in range(truth.size):
        cluster = predicted == predicted[r]
        person = truth == truth[r]
        precision += (cluster & person).sum() / cluster.sum()
        recall += (cluster & person).sum() / person.sum()
    return precision / truth.size, recall / truth.size


def naive_groups(labels: NDArray[np.int64]) -> list[frozenset[int]]:
    groups: dict[int, set[int]] = defaultdict(set)
    for r, label in enumerate(labels.tolist()):
        groups[label].add(r)
    return [frozenset(g) for g in groups.values()]


def naive_splits_merges(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> tuple[Counter[int], Counter[int]]:
    per_person: dict[int, set[int]] = defaultdict(set)
    per_cluster: dict[int, set[int]] = defaultdict(set)
    for t, p in zip(truth.tolist(), predicted.tolist(), strict=True):
        per_person[t].add(p)
        per_cluster[p].add(t)
    splits = Counter(len(s) for s in per_person.values() if len(s) >= 2)
    merges = Counter(len(s) for s in per_cluster.values() if len(s) >= 2)
    return splits, merges


# --- hand-worked cases ---


def test_hand_example_one_split_one_merge() -> None:
    # Records r0..r4; truth [1,1,1,2,2]; predicted [a,a,b,b,b] (a=7, b=8).
    # True pairs: (r0,r1) (r0,r2) (r1,r2) (r3,r4) = 4.  Predicted pairs: (r0,r1) (r2,r3) (r2,r4) (r3,r4) = 4.
    # True positives: (r0,r1) (r3,r4) = 2.  Pairwise P = R = F1 = 2/4 = 0.5.
    # B-cubed precision per record (share of its cluster that is its person): 2/2, 2/2, 1/3, 2/3, 2/3 -> 11/15.
    # B-cubed recall per record (share of its person in its cluster): 2/3, 2/3, 1/3, 2/2, 2/2 -> 11/15.
    # Exact clusters: neither {r0,r1} nor {r2,r3,r4} is a person's full record set -> cluster P = R = F1 = 0.
    # ARI: N = C(5,2) = 10 pairs, tp 2, fp 2, fn 2, tn 4 -> 2(2*4 - 2*2) / ((2+2)(2+4) + (2+2)(2+4)) = 8/48 = 1/6.
    # H(C) = -(3/5 ln 3/5 + 2/5 ln 2/5); cells (1,a)=2 (1,b)=1 (2,b)=2;
    # H(C|K) = -(2/5 ln 2/2 + 1/5 ln 1/3 + 2/5 ln 2/3); symmetric here, so homogeneity = completeness = V.
    # Person 1 falls into 2 clusters (splits {2: 1}); cluster b holds 2 people (merges {2: 1}).
    m = cluster_metrics(arr([1, 1, 1, 2, 2]), arr([7, 7, 8, 8, 8]))
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (4, 4, 2)
    assert (m.records, m.true_clusters, m.predicted_clusters) == (5, 2, 2)
    assert m.pairwise_precision == m.pairwise_recall == m.pairwise_f1 == 0.5
    assert m.bcubed_precision == pytest.approx(11 / 15)
    assert m.bcubed_recall == pytest.approx(11 / 15)
    assert m.bcubed_f1 == pytest.approx(11 / 15)
    assert m.cluster_precision == m.cluster_recall == m.cluster_f1 == 0.0
    assert m.adjusted_rand_index == pytest.approx(1 / 6)
    h_c = -(3 / 5 * math.log(3 / 5) + 2 / 5 * math.log(2 / 5))
    h_c_given_k = -(1 / 5 * math.log(1 / 3) + 2 / 5 * math.log(2 / 3))
    assert m.homogeneity == pytest.approx(1 - h_c_given_k / h_c)
    assert m.completeness == pytest.approx(1 - h_c_given_k / h_c)
    assert m.v_measure == pytest.approx(1 - h_c_given_k / h_c)
    assert m.splits == {2: 1}
    assert m.merges == {2: 1}


def test_hand_example_over_merged() -> None:
    # Records r0..r3; truth [1,1,2,3]; predicted [0,0,0,5]: persons 1 and 2 merged, person 3 alone and right.
    # True pairs: (r0,r1) = 1.  Predicted pairs: (r0,r1) (r0,r2) (r1,r2) = 3.  True positives: (r0,r1) = 1.
    # Pairwise P = 1/3, R = 1/1, F1 = 2(1/3)(1)/(4/3) = 1/2.
    # B-cubed precision: r0 2/3, r1 2/3, r2 1/3, r3 1 -> (8/3)/4 = 2/3; recall: every person whole -> 1;
    # B-cubed F1 = 2(2/3)(1)/(5/3) = 4/5.
    # Exact clusters: only {r3} (person 3) -> cluster precision 1/2 clusters, recall 1/3 people, F1 = 2/5.
    # ARI: N = 6, tp 1, fp 2, fn 0, tn 3 -> 2(1*3 - 0) / ((1+0)(0+3) + (1+2)(2+3)) = 6/18 = 1/3.
    # Completeness 1 (no person is split: H(K|C) = 0); homogeneity 1 - H(C|K)/H(C) with
    # H(C) = 1.5 ln 2 and H(C|K) = -(2/4 ln 2/3 + 1/4 ln 1/3 + 1/4 ln 1/1).
    m = cluster_metrics(arr([1, 1, 2, 3]), arr([0, 0, 0, 5]))
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == (1, 3, 1)
    assert m.pairwise_precision == pytest.approx(1 / 3)
    assert m.pairwise_recall == 1.0
    assert m.pairwise_f1 == pytest.approx(1 / 2)
    assert m.bcubed_precision == pytest.approx(2 / 3)
    assert m.bcubed_recall == 1.0
    assert m.bcubed_f1 == pytest.approx(4 / 5)
    assert m.cluster_precision == pytest.approx(1 / 2)
    assert m.cluster_recall == pytest.approx(1 / 3)
    assert m.cluster_f1 == pytest.approx(2 / 5)
    assert m.adjusted_rand_index == pytest.approx(1 / 3)
    assert m.completeness == 1.0
    h_c_given_k = -(2 / 4 * math.log(2 / 3) + 1 / 4 * math.log(1 / 3))
    assert m.homogeneity == pytest.approx(1 - h_c_given_k / (1.5 * math.log(2)))
    assert m.splits == {}
    assert m.merges == {2: 1}


def test_degenerate_conventions() -> None:
    # No records: nothing claimed and nothing to find, so every score is 1.0.
    empty = cluster_metrics(arr([]), arr([]))
    assert all(getattr(empty, f) == 1.0 for f in FLOAT_FIELDS)
    assert (empty.records, empty.true_clusters, empty.predicted_clusters, empty.true_pairs) == (0, 0, 0, 0)
    # Three people, three singletons predicted correctly: no pairs on either side; ARI's 0/0 case is 1.0.
    singles = cluster_metrics(arr([4, 5, 6]), arr([0, 1, 2]))
    assert all(getattr(singles, f) == 1.0 for f in FLOAT_FIELDS)
    # One person with two records, left apart: no predicted pairs -> precision 1.0 by convention, recall 0.
    apart = cluster_metrics(arr([1, 1]), arr([1, 2]))
    assert (apart.pairwise_precision, apart.pairwise_recall, apart.pairwise_f1) == (1.0, 0.0, 0.0)
    assert apart.adjusted_rand_index == 0.0
    assert apart.homogeneity == 1.0  # one true cluster: H(C) = 0
    assert apart.completeness == 0.0
    assert apart.splits == {2: 1}


def test_as_dict_is_json_with_stable_keys() -> None:
    m = cluster_metrics(arr([1, 1, 1, 2, 2, 3, 3]), arr([0, 0, 1, 1, 1, 1, 2]))
    d = json.loads(json.dumps(m.as_dict()))
    assert list(d) == [
        "pairwise",
        "bcubed",
        "cluster",
        "homogeneity",
        "completeness",
        "v_measure",
        "adjusted_rand_index",
        "counts",
        "splits",
        "merges",
    ]
    for group in ("pairwise", "bcubed", "cluster"):
        assert list(d[group]) == ["precision", "recall", "f1"]
    assert d["counts"] == {
        "records": 7,
        "true_clusters": 3,
        "predicted_clusters": 3,
        "true_pairs": 5,
        "predicted_pairs": 7,
        "true_positive_pairs": 2,
    }
    assert d["splits"] == {"2": 2}
    assert d["merges"] == {"3": 1}
    assert all(type(getattr(m, f)) is float for f in FLOAT_FIELDS)


@pytest.mark.parametrize(
    ("truth", "predicted"),
    [
        # Small dtypes at their limits: the dense coding must not wrap when subtracting the minimum.
        (np.array([-128, 127, 127, 0], dtype=np.int8), np.array([0, 1, 1, 1], dtype=np.int8)),
        (np.array([2**64 - 1, 2**64 - 1, 2**63], dtype=np.uint64), np.array([5, 5, 6], dtype=np.uint64)),
        (np.array([-(2**63), 2**63 - 1, -(2**63)], dtype=np.int64), np.array([1, 2, 1], dtype=np.int64)),
    ],
)
def test_extreme_label_values(truth: NDArray[Any], predicted: NDArray[Any]) -> None:
    m = cluster_metrics(truth, predicted)
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == naive_pairs(truth, predicted)
    assert m.adjusted_rand_index == pytest.approx(adjusted_rand_score(truth, predicted))


def test_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        cluster_metrics(arr([1, 2]), arr([1]))
    with pytest.raises(ValueError, match="one-dimensional"):
        pair_counts(np.zeros((2, 2), dtype=np.int64), np.zeros((2, 2), dtype=np.int64))


# --- cross-checks against scikit-learn and brute force ---


@settings(max_examples=150, deadline=None)
@given(labelings())
def test_matches_sklearn(case: tuple[NDArray[np.int64], NDArray[np.int64]]) -> None:
    truth, predicted = case
    m = cluster_metrics(truth, predicted)
    assert m.adjusted_rand_index == pytest.approx(adjusted_rand_score(truth, predicted), abs=1e-12)
    h, c, v = homogeneity_completeness_v_measure(truth, predicted)
    assert (m.homogeneity, m.completeness, m.v_measure) == pytest.approx((h, c, v), abs=1e-9)
    if truth.size:
        (_, fp), (fn, tp) = pair_confusion_matrix(truth, predicted)  # ordered pairs: each pair counted twice
        assert pair_counts(truth, predicted) == ((fn + tp) // 2, (fp + tp) // 2, tp // 2)


@settings(max_examples=150, deadline=None)
@given(labelings(max_records=30))
def test_matches_definitions(case: tuple[NDArray[np.int64], NDArray[np.int64]]) -> None:
    truth, predicted = case
    m = cluster_metrics(truth, predicted)
    assert (m.true_pairs, m.predicted_pairs, m.true_positive_pairs) == naive_pairs(truth, predicted)
    bp, br = naive_bcubed(truth, predicted)
    assert (m.bcubed_precision, m.bcubed_recall) == pytest.approx((bp, br), abs=1e-12)
    people, clusters = naive_groups(truth), naive_groups(predicted)
    exact = len(set(people) & set(clusters))
    assert m.cluster_precision == pytest.approx(exact / len(clusters) if clusters else 1.0)
    assert m.cluster_recall == pytest.approx(exact / len(people) if people else 1.0)
    splits, merges = naive_splits_merges(truth, predicted)
    assert m.splits == dict(splits)
    assert m.merges == dict(merges)


# --- invariants ---


@settings(max_examples=100, deadline=None)
@given(labelings(), st.integers(0, 2**32 - 1))
def test_perfect_prediction_scores_one(case: tuple[NDArray[np.int64], NDArray[np.int64]], seed: int) -> None:
    truth, _ = case
    rng = np.random.default_rng(seed)
    people = np.unique(truth)
    renamed = dict(zip(people.tolist(), rng.permutation(people.size * 3)[: people.size].tolist(), strict=True))
    predicted = arr([renamed[t] for t in truth.tolist()])
    m = cluster_metrics(truth, predicted)
    assert all(getattr(m, f) == 1.0 for f in FLOAT_FIELDS), m
    assert m.true_pairs == m.predicted_pairs == m.true_positive_pairs
    assert m.splits == m.merges == {}


@settings(max_examples=100, deadline=None)
@given(labelings())
def test_all_singletons_miss_every_pair(case: tuple[NDArray[np.int64], NDArray[np.int64]]) -> None:
    truth, _ = case
    m = cluster_metrics(truth, np.arange(truth.size, dtype=np.int64))
    assert m.predicted_pairs == 0
    assert m.pairwise_precision == 1.0  # nothing claimed, nothing wrong
    assert m.pairwise_recall == (0.0 if m.true_pairs else 1.0)
    assert m.bcubed_precision == 1.0
    assert m.merges == {}


@settings(max_examples=100, deadline=None)
@given(labelings(), st.integers(0, 2**32 - 1))
def test_unchanged_by_renaming_and_reordering(case: tuple[NDArray[np.int64], NDArray[np.int64]], seed: int) -> None:
    truth, predicted = case
    rng = np.random.default_rng(seed)

    def rename(labels: NDArray[np.int64]) -> NDArray[np.int64]:
        values, inverse = np.unique(labels, return_inverse=True)
        new = rng.choice(np.arange(-1000, 1000), size=values.size, replace=False)  # a random bijection
        return arr(new[inverse].tolist())

    order = rng.permutation(truth.size)
    before = cluster_metrics(truth, predicted)
    assert_same(before, cluster_metrics(rename(truth)[order], rename(predicted)[order]))
    # Swapping the roles of truth and prediction swaps precision with recall and splits with merges.
    swapped = cluster_metrics(predicted, truth)
    assert swapped.pairwise_precision == before.pairwise_recall
    assert swapped.bcubed_recall == pytest.approx(before.bcubed_precision)
    assert swapped.homogeneity == pytest.approx(before.completeness)
    assert (swapped.splits, swapped.merges) == (before.merges, before.splits)


@settings(max_examples=100, deadline=None)
@given(labelings())
def test_ranges_and_consistency(case: tuple[NDArray[np.int64], NDArray[np.int64]]) -> None:
    truth, predicted = case
    m = cluster_metrics(truth, predicted)
    for field in FLOAT_FIELDS:
        value = getattr(m, field)
        assert (-1.0 if field == "adjusted_rand_index" else 0.0) <= value <= 1.0, field
    assert m.true_positive_pairs <= min(m.true_pairs, m.predicted_pairs)
    people_split = sum(len(set(predicted[truth == t].tolist())) >= 2 for t in np.unique(truth).tolist())
    clusters_merged = sum(len(set(truth[predicted == p].tolist())) >= 2 for p in np.unique(predicted).tolist())
    assert sum(m.splits.values()) == people_split
    assert sum(m.merges.values()) == clusters_merged
    assert all(k >= 2 and v > 0 for k, v in [*m.splits.items(), *m.merges.items()])
    # Every (person, cluster) cell is counted once from each side: records split off equal clusters gained.
    cells = len(set(zip(truth.tolist(), predicted.tolist(), strict=True)))
    assert m.true_clusters + sum((k - 1) * v for k, v in m.splits.items()) == cells
    assert m.predicted_clusters + sum((k - 1) * v for k, v in m.merges.items()) == cells


# --- connected components ---


def reference_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Plain union-find, then labels numbered by each component's smallest member."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    numbering: dict[int, int] = {}
    return [numbering.setdefault(find(x), len(numbering)) for x in range(n)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    n = draw(st.integers(0, 40))
    node = st.integers(0, max(n - 1, 0))
    return n, draw(st.lists(st.tuples(node, node), max_size=60)) if n else []


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_components_match_union_find(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    left = arr([a for a, _ in edges])
    right = arr([b for _, b in edges])
    labels = connected_components(n, left, right)
    assert labels.dtype == np.int64
    assert labels.tolist() == reference_components(n, edges)


def test_components_of_long_chains() -> None:
    # a million-link chain is one component, whichever order its links come in (no recursion, no pass per link;
    # how fast lives in benchmarks, not here)
    n = 1_000_000
    rng = np.random.default_rng(3)
    nodes = rng.permutation(n)  # a chain visiting the nodes in random order, edges listed in random order
    order = rng.permutation(n - 1)
    for left, right in [(np.arange(n - 1), np.arange(1, n)), (nodes[:-1][order], nodes[1:][order])]:
        labels = connected_components(n, left, right)
        assert not labels.any()


def test_components_edge_cases() -> None:
    assert connected_components(0, arr([]), arr([])).tolist() == []
    assert connected_components(4, arr([]), arr([])).tolist() == [0, 1, 2, 3]
    assert connected_components(5, arr([4, 3, 3]), arr([1, 3, 0])).tolist() == [0, 1, 2, 0, 1]
    with pytest.raises(ValueError, match=r"0\.\.4"):
        connected_components(5, arr([0]), arr([5]))
    with pytest.raises(ValueError, match=r"0\.\.4"):
        connected_components(5, arr([-1]), arr([2]))
    with pytest.raises(ValueError, match="equal length"):
        connected_components(5, arr([0, 1]), arr([2]))


def test_components_feed_cluster_metrics() -> None:
    # Links (r0,r1) (r1,r2) (r3,r4): closure gives clusters {r0,r1,r2} {r3,r4}, exactly the truth.
    predicted = connected_components(5, arr([0, 1, 3]), arr([1, 2, 4]))
    assert predicted.tolist() == [0, 0, 0, 1, 1]
    assert cluster_metrics(arr([9, 9, 9, 4, 4]), predicted).cluster_f1 == 1.0


# --- threshold curve ---


def test_threshold_curve_hand_example() -> None:
    # Five scored pairs, scores 9 8 7 6 5, true match T T F T F; the run has 4 true pairs (one never scored).
    # >= 9: 1 linked, 1 right -> P 1,   R 1/4, F1 2(1)(1/4)/(5/4) = 0.4
    # >= 8: 2 linked, 2 right -> P 1,   R 2/4, F1 2/3
    # >= 7: 3 linked, 2 right -> P 2/3, R 2/4, F1 4/7
    # >= 6: 4 linked, 3 right -> P 3/4, R 3/4, F1 3/4   <- best
    # >= 5: 5 linked, 3 right -> P 3/5, R 3/4, F1 2/3
    scores = np.array([7, 9, 5, 6, 8], dtype=np.float64)  # any order
    match = np.array([False, True, False, True, True])
    curve = threshold_curve(scores, match, total_true_pairs=4, points=5)
    assert curve.thresholds.tolist() == [9, 8, 7, 6, 5]
    assert curve.precision.tolist() == pytest.approx([1, 1, 2 / 3, 3 / 4, 3 / 5])
    assert curve.recall.tolist() == pytest.approx([1 / 4, 2 / 4, 2 / 4, 3 / 4, 3 / 4])
    assert curve.f1.tolist() == pytest.approx([0.4, 2 / 3, 4 / 7, 3 / 4, 2 / 3])
    assert curve.best_threshold == 6.0
    assert curve.best_f1 == pytest.approx(0.75)
    # The best threshold is found over every distinct score, even when the grid steps over it.
    coarse = threshold_curve(scores, match, total_true_pairs=4, points=2)
    assert coarse.thresholds.tolist() == [9, 5]
    assert coarse.best_threshold == 6.0
    assert coarse.best_f1 == pytest.approx(0.75)


def test_threshold_curve_edge_cases() -> None:
    # Nothing scored is a match: linking nothing is as good as any threshold, and it is the higher one.
    none_right = threshold_curve(np.array([1.0, 2.0]), np.array([False, False]), total_true_pairs=3)
    assert (none_right.best_threshold, none_right.best_f1) == (math.inf, 0.0)
    assert none_right.recall.tolist() == [0.0] * none_right.thresholds.size
    # Nothing scored at all.
    empty = threshold_curve(np.array([]), np.array([], dtype=np.bool_), total_true_pairs=2)
    assert empty.thresholds.size == empty.precision.size == 0
    assert (empty.best_threshold, empty.best_f1) == (math.inf, 0.0)
    # All scores tied: the grid collapses to the one distinct threshold.
    tied = threshold_curve(np.array([3.0, 3.0, 3.0]), np.array([True, False, True]), total_true_pairs=2)
    assert tied.thresholds.tolist() == [3.0]
    assert tied.precision.tolist() == pytest.approx([2 / 3])
    assert tied.recall.tolist() == [1.0]
    with pytest.raises(ValueError, match="duplicated pairs"):
        threshold_curve(np.array([1.0, 2.0]), np.array([True, True]), total_true_pairs=1)
    with pytest.raises(ValueError, match="finite"):
        threshold_curve(np.array([1.0, np.nan]), np.array([True, False]), total_true_pairs=1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-5, 5), st.booleans()), max_size=40),
    st.integers(0, 10),
    st.integers(1, 15),
)
def test_threshold_curve_matches_brute_force(pairs: list[tuple[int, bool]], unscored: int, points: int) -> None:
    scores = np.array([s / 2 for s, _ in pairs], dtype=np.float64)
    match = np.array([m for _, m in pairs], dtype=np.bool_)
    total = int(match.sum()) + unscored
    curve = threshold_curve(scores, match, total, points=points)

    def direct(threshold: float) -> tuple[float, float, float]:
        linked = scores >= threshold
        hits = int((linked & match).sum())
        precision = hits / linked.sum() if linked.any() else 1.0
        recall = hits / total if total else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    assert np.all(np.diff(curve.thresholds) < 0)
    assert curve.thresholds.size <= points
    for i, threshold in enumerate(curve.thresholds.tolist()):
        assert (curve.precision[i], curve.recall[i], curve.f1[i]) == pytest.approx(direct(threshold))
    candidates = [math.inf, *sorted(set(scores.tolist()), reverse=True)]
    f1s = [direct(t)[2] for t in candidates]
    best = max(f1s)
    assert curve.best_f1 == pytest.approx(best)
    assert curve.best_threshold == candidates[next(i for i, f in enumerate(f1s) if f >= best - 1e-12)]
