"""The shared column operations against their plain-Python meaning."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthgen.kernel.arrays import (
    categorical,
    categorical_by_cumulative,
    choice_by_cumulative,
    cumulative_shares,
    first_of_runs,
    pairs_within,
    per_kind,
    ranges,
    top,
    weighted_sample,
)

keys = st.lists(st.integers(-1, 6), max_size=40).map(lambda k: np.array(k, dtype=np.int64))


@given(keys, st.one_of(st.none(), st.integers(1, 6)))
def test_pairs_within_lists_every_pair_of_equal_keys_once(key: np.ndarray, max_group: int | None) -> None:
    left, right = pairs_within(key, max_group)
    sizes = {k: int((key == k).sum()) for k in set(key.tolist())}
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(len(key)), 2)
        if key[i] == key[j] >= 0 and (max_group is None or sizes[int(key[i])] <= max_group)
    }
    found = list(zip(left.tolist(), right.tolist(), strict=True))
    assert len(found) == len(set(found))
    assert set(found) == expected


@given(st.lists(st.integers(0, 3), max_size=30))
def test_first_of_runs_marks_where_a_value_changes(values: list[int]) -> None:
    first = first_of_runs(np.array(values, dtype=np.int64))
    assert first.tolist() == [i == 0 or values[i] != values[i - 1] for i in range(len(values))]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), max_size=20))
def test_ranges_concatenates_aranges(spans: list[tuple[int, int]]) -> None:
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    lengths = np.array([n for _, n in spans], dtype=np.int64)
    assert ranges(starts, lengths).tolist() == [s + i for s, n in spans for i in range(n)]


def test_top_marks_the_highest_scores_ties_to_the_earlier_row() -> None:
    scores = np.array([0.5, 2.0, 1.0, 2.0, -1.0])
    assert top(scores, 2).tolist() == [False, True, False, True, False]
    assert top(scores, 1).tolist() == [False, True, False, False, False]
    assert top(scores, 0).tolist() == [False] * 5
    assert top(scores, 9).all()


def test_weighted_sample_is_distinct_skips_zero_weights_and_favours_heavy_rows() -> None:
    weights = np.array([0.0, 1.0, 100.0, 0.0, 1.0, 1.0])
    rng = np.random.default_rng(3)
    picks = [weighted_sample(rng, weights, 2) for _ in range(200)]
    assert all(len(set(p.tolist())) == 2 and not {0, 3} & set(p.tolist()) for p in picks)
    assert sum(2 in p for p in picks) > 190
    assert sorted(weighted_sample(rng, weights, 10).tolist()) == [1, 2, 4, 5]  # no more than there are


def test_weighted_sample_draws_nothing_when_there_is_nothing_to_choose() -> None:
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert len(weighted_sample(rng, np.zeros(4), 3)) == 0
    assert len(weighted_sample(rng, np.ones(4), -1)) == 0
    assert rng.bit_generator.state == state


@given(
    st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
    st.integers(0, 2**32),
    st.tuples(st.integers(0, 50), st.integers(1, 3)),
)
def test_choice_by_cumulative_draws_what_numpys_choice_draws(
    weights: list[float], seed: int, size: tuple[int, int]
) -> None:
    shares = np.array(weights) / sum(weights)
    theirs, ours = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = theirs.choice(len(shares), size=size, p=shares)
    drawn = choice_by_cumulative(ours, cumulative_shares(shares), size)
    assert drawn.dtype == np.int64
    assert np.array_equal(drawn, expected)
    assert theirs.random() == ours.random()  # the generators are left in the same state


@given(
    st.lists(st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=3, max_size=3), min_size=1, max_size=8),
    st.lists(st.integers(0, 7), max_size=30),
    st.integers(0, 2**32),
)
def test_categorical_by_cumulative_draws_what_categorical_draws(
    weights: list[list[float]], rows: list[int], seed: int
) -> None:
    # the running sums made once for a whole matrix, then gathered, are the gathered rows' own running sums
    matrix = np.array(weights)
    gathered = np.array([row % len(matrix) for row in rows], dtype=np.int64)
    theirs, ours = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = categorical(theirs, matrix[gathered])
    assert np.array_equal(categorical_by_cumulative(ours, np.cumsum(matrix, axis=1)[gathered]), expected)
    assert theirs.random() == ours.random()


@given(st.lists(st.sampled_from(["neglect", "missing", "injury", "dv"]), max_size=40))
def test_per_kind_is_the_value_of_each_rows_label(labels: list[str]) -> None:
    kinds = np.array(labels, dtype=object)
    values = per_kind(kinds, lambda kind: float(len(kind)) + 0.5, np.float64)
    assert values.dtype == np.float64
    assert values.tolist() == [len(label) + 0.5 for label in labels]
