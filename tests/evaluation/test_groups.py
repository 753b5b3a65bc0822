"""Scores by group, on small hand-made inputs: each group's figure is the overall figure restricted to the group,
the interval is Wilson's (over the effective trials where units come in clusters), and a gap is flagged only where
the intervals part."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.evaluation import metrics
from synthgen.evaluation.groups import MIN_CLUSTERS, _ethnic_group_codes, proportions, wilson
from synthgen.evaluation.linkage_groups import (
    _ByCluster,
    _GroupCells,
    agency_pair_precision,
    falsely_matched,
    restricted_precision,
    source_pair_codes,
)
from synthgen.person_groups import ethnic_group_codes

LABELS = ("a", "b", "c")


def test_a_proportion_without_clusters_is_wilsons_interval() -> None:
    """8 of 10 in group a: Wilson's 95% interval is [0.490, 0.943] (Newcombe 1998, table I, method 3)."""
    code = np.array([0] * 10 + [1] * 30)
    hits = np.array([1] * 8 + [0] * 2 + [1] * 15 + [0] * 15)
    a, b, c = proportions("recall", "letters", LABELS, code, hits)
    assert (a.hits, a.trials, a.value) == (8, 10, 0.8)
    assert (round(a.low or 0, 3), round(a.high or 0, 3)) == (0.490, 0.943)
    assert a.design_effect == 1.0 and a.clusters == 10
    assert (b.hits, b.trials, b.value) == (15, 30, 0.5)
    assert (a.rest_value, b.rest_value) == (15 / 30, 8 / 10)  # everyone else in the run
    assert (c.trials, c.value, c.low, c.gap) == (0, None, None, None)


def test_units_found_together_count_as_one_cluster() -> None:
    """Forty people, each with five pairs found or missed together: the interval is the forty people's, not two
    hundred pairs', and the design effect about five."""
    person = np.repeat(np.arange(40), 5)
    hits = np.repeat(np.arange(40) % 4 != 0, 5).astype(np.int64)  # 30 of 40 people found
    code = np.zeros(len(person), np.int64)
    clustered = proportions("recall", "letters", LABELS, code, hits, cluster=person)[0]
    as_pairs = proportions("recall", "letters", LABELS, code, hits)[0]
    assert clustered.value == as_pairs.value == 0.75 and clustered.trials == 200 and clustered.clusters == 40
    assert clustered.design_effect == pytest.approx(5 * 40 / 39)
    low, high = wilson(0.75, 39)
    assert (clustered.low, clustered.high) == (pytest.approx(low), pytest.approx(high))
    assert (clustered.high or 0) - (clustered.low or 0) > 2 * ((as_pairs.high or 0) - (as_pairs.low or 0))


def test_a_gap_is_flagged_only_where_the_intervals_part() -> None:
    code = np.repeat([0, 1, 2], 200)
    hits = np.r_[np.zeros(200), np.ones(200), np.r_[np.ones(110), np.zeros(90)]].astype(np.int64)
    a, b, c = proportions("recall", "letters", LABELS, code, hits)
    assert (a.gap, b.gap) == ("lower", "higher")
    # 0.55 [0.48, 0.62] beside everyone else's 0.5 [0.45, 0.55]: they overlap, so no gap
    assert (c.value, c.rest_value, c.gap) == (0.55, 0.5, None)


def _pairs(values: list[int]) -> set[tuple[int, int]]:
    return {(i, j) for i, j in itertools.combinations(range(len(values)), 2) if values[i] == values[j]}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=30), st.data())
def test_each_groups_precision_is_the_pairwise_precision_of_its_records_alone(
    records: list[tuple[int, int]], data: st.DataObject
) -> None:
    """Counted from cells, never by listing pairs, and equal to listing them over the group's records."""
    person = np.array([p for p, _ in records], np.int64)
    cluster = np.array([c for _, c in records], np.int64)
    group_of_person = data.draw(st.lists(st.integers(-1, 2), min_size=7, max_size=7))
    code = np.array([group_of_person[p] for p in person], np.int64)
    cell_code, _, true_positive, predicted = restricted_precision(person, cluster, code)
    for g in range(3):
        mine = [i for i in range(len(person)) if code[i] == g]
        same_cluster = _pairs([int(cluster[i]) for i in mine])
        same_person = _pairs([int(person[i]) for i in mine])
        assert int(predicted[cell_code == g].sum()) == len(same_cluster)
        assert int(true_positive[cell_code == g].sum()) == len(same_cluster & same_person)
    wrong = falsely_matched(person, cluster)
    for i in range(len(person)):
        others = {int(person[j]) for j in range(len(person)) if cluster[j] == cluster[i]} - {int(person[i])}
        assert wrong[i] == bool(others)


def test_precision_by_agency_pair_counts_the_pairs_between_the_two() -> None:
    person = np.array([0, 0, 1, 2, 2, 3])
    cluster = np.array([0, 0, 0, 1, 1, 2])
    source = pa.array(["health", "police", "police", "health", "health", "school"])
    rows = {r.group: (r.hits, r.trials) for r in agency_pair_precision(person, cluster, source)}
    # cluster 0: health-police 2 pairs (1 right), police-police 1 pair (wrong); cluster 1: health-health 1 right
    assert rows["health-police"] == (1, 2) and rows["police-police"] == (0, 1) and rows["health-health"] == (1, 1)
    assert rows["health-school"] == (0, 0) and rows["school-school"] == (0, 0)


def test_a_group_too_small_is_never_called_a_gap() -> None:
    """Twenty people all missed beside 500 all found: the intervals part, but twenty people are too few to call it
    (MIN_CLUSTERS); with a minimum of ten it is a gap, and so it is with thirty people at the default."""
    for size, minimum, gap in ((20, MIN_CLUSTERS, None), (20, 10, "lower"), (MIN_CLUSTERS, MIN_CLUSTERS, "lower")):
        person = np.repeat(np.arange(size + 500), 3)  # three pairs each, found or missed together
        code = (person >= size).astype(np.int64)
        hits = (person >= size).astype(np.int64)
        small, rest = proportions("recall", "letters", LABELS, code, hits, cluster=person, min_clusters=minimum)[:2]
        assert (small.clusters, small.value, small.rest_value) == (size, 0.0, 1.0)
        assert (small.high or 1) < (small.rest_low or 0)  # the intervals part whatever the size
        assert (small.gap, rest.gap) == (gap, None if gap is None else "higher"), (size, minimum)


def test_clusters_without_a_trial_do_not_make_a_group_large_enough() -> None:
    """Forty predicted clusters of the group hold no predicted pair (singletons): only the ten that do count."""
    code = np.r_[np.zeros(50), np.ones(400)].astype(np.int64)
    trials = np.r_[np.ones(10), np.zeros(40), np.ones(400)].astype(np.int64)
    hits = np.r_[np.zeros(50), np.ones(400)].astype(np.int64)
    small = proportions("precision", "letters", LABELS, code, hits, trials)[0]
    assert (small.clusters, small.trials, small.value, small.gap) == (50, 10, 0.0, None)
    assert proportions("precision", "letters", LABELS, code, hits, trials, min_clusters=10)[0].gap == "lower"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["health", "police", "school", "police-x", "a"]), min_size=1, max_size=20),
    st.data(),
)
def test_agency_pairs_are_named_as_joining_the_two_names_would(sources: list[str], data: st.DataObject) -> None:
    """Coded through the few distinct sources (parts with different dictionaries too), the labels and codes are
    those of joining each pair's two names, sorted, as text."""
    n = len(sources)
    left = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=30)), np.int64)
    right = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=len(left), max_size=len(left))), np.int64)
    cut = data.draw(st.integers(0, n))
    parts = pa.chunked_array(
        [
            pa.array(sources[:cut], pa.string()).dictionary_encode(),
            pa.array(sources[cut:], pa.string()).dictionary_encode(),
        ]
    )
    names = [f"{min(sources[a], sources[b])}-{max(sources[a], sources[b])}" for a, b in zip(left, right, strict=True)]
    expected = tuple(sorted(set(names)))
    for source in (parts, pa.array(sources)):
        labels, code = source_pair_codes(source, (left, right))
        assert labels == expected and [labels[c] for c in code] == names


def test_ethnic_groups_read_from_parts_with_different_dictionaries() -> None:
    groups = pa.chunked_array(
        [
            pa.array(["White", None, "Asian"]).dictionary_encode(),
            pa.array(["Black", "White", "Martian"]).dictionary_encode(),
        ]
    )
    codes = _ethnic_group_codes(groups)
    assert codes.tolist() == ethnic_group_codes(np.array(groups.to_pylist(), dtype=object)).tolist()
    assert codes.tolist() == [0, -1, 2, 3, 0, -1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4), st.sampled_from("xyz")), min_size=1, max_size=30))
def test_precision_by_agency_pair_is_every_cluster_a_unit(records: list[tuple[int, int, str]]) -> None:
    """Clusters holding no pair of two sources are left out of the units and counted as empty ones: the rows are
    those of listing every cluster for every pair of sources, pairs counted one by one."""
    person = np.array([p for p, _, _ in records], np.int64)
    cluster = np.array([c for _, c, _ in records], np.int64)
    source = [s for _, _, s in records]
    names = sorted(set(source))
    clusters = sorted(set(cluster.tolist()))
    labels, code, hits, trials = [], [], [], []
    for a, first in enumerate(names):
        for second in names[a:]:
            labels.append(f"{first}-{second}")
            for c in clusters:
                inside = [i for i in range(len(records)) if cluster[i] == c]
                pairs = [
                    (i, j)
                    for i, j in itertools.combinations(inside, 2)
                    if sorted((source[i], source[j])) == [first, second]
                ]
                code.append(len(labels) - 1)
                trials.append(len(pairs))
                hits.append(sum(person[i] == person[j] for i, j in pairs))
    expected = proportions(
        "precision", "agency_pair", tuple(labels), np.array(code), np.array(hits), np.array(trials, np.int64)
    )
    assert agency_pair_precision(person, cluster, pa.array(source)) == expected


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1, 2), st.integers(0, 50), st.integers(0, 50)), max_size=60),
    st.booleans(),
    st.integers(0, 2**26),
)
def test_whole_counts_give_the_same_figures_as_sums_over_every_unit(
    units: list[tuple[int, int, int]], clustered: bool, big: int
) -> None:
    """Counts (integers) take the rest's sums from the groups' sums; any other number sums every unit again.
    Whole numbers below 2**53 add up exactly in any order, so both give the same figures to the last bit: counted
    as integers and as the same values in floats (which take the long way), with and without clusters, and with
    a unit large enough that its squares leave the exact range."""
    code = np.array([c for c, _, _ in units], np.int64)
    trials = np.array([max(h, t) for _, h, t in units], np.int64)
    hits = np.array([h for _, h, _ in units], np.int64)
    if len(units):
        trials[0] += big
        hits[0] += big
    cluster = np.arange(len(units)) // 3 if clustered else None
    counted = proportions("recall", "letters", LABELS, code, hits, trials, cluster)
    as_floats = proportions("recall", "letters", LABELS, code, hits.astype(np.float64), trials, cluster)
    assert counted == as_floats


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 5)), min_size=1, max_size=40), st.data())
def test_group_cells_are_each_cluster_and_groups_records_in_order(
    records: list[tuple[int, int]], data: st.DataObject
) -> None:
    """The (cluster, group) cells, sorted only where a cluster holds several people, are every distinct (cluster,
    group) of the records in order, with the cell's records and the pairs of them that are one person."""
    person = np.array([p for p, _ in records], np.int64)
    cluster = np.array([c for _, c in records], np.int64)
    group_of_person = np.array(data.draw(st.lists(st.integers(-1, 3), min_size=9, max_size=9)), np.int64)
    table = metrics.contingency(person, cluster)
    cells = _GroupCells.of(_ByCluster.of(table), group_of_person[table.true_labels])
    expected: dict[tuple[int, int], list[int]] = {}
    for p, c in zip(person.tolist(), cluster.tolist(), strict=True):
        if group_of_person[p] >= 0:
            cell = expected.setdefault((int(np.searchsorted(table.pred_labels, c)), int(group_of_person[p])), [0, 0])
            cell[0] += 1
    for (c, g), cell in expected.items():
        members = [p for p, k in zip(person.tolist(), cluster.tolist(), strict=True) if k == table.pred_labels[c]]
        cell[1] = sum(len(_pairs([p for p in members if p == q])) for q in set(members) if group_of_person[q] == g)
    got = {
        (c, g): [r, t]
        for c, g, r, t in zip(
            cells.cluster.tolist(),
            cells.group.tolist(),
            cells.records.tolist(),
            cells.true_positive.tolist(),
            strict=True,
        )
    }
    assert got == expected
    assert list(zip(cells.cluster.tolist(), cells.group.tolist(), strict=True)) == sorted(expected)
