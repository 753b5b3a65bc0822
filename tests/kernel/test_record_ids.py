"""Record ids: distinct for distinct records across tables and shards, and unrelated to their order."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthgen.kernel.record_ids import format_record_ids, parse_record_ids, permute60, record_ids


@given(st.sets(st.integers(0, (1 << 60) - 1), min_size=1, max_size=500), st.integers(0, (1 << 64) - 1))
def test_permutation_is_a_bijection(values: set[int], key: int) -> None:
    array = np.array(sorted(values), dtype=np.uint64)
    out = permute60(array, key)
    assert len(np.unique(out)) == len(array)
    assert int(out.max()) < 1 << 60


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(1, 2000), st.integers(0, (1 << 64) - 1))
def test_ids_never_repeat_across_tables_and_shards(shard_a: int, shard_b: int, n: int, key: int) -> None:
    a = record_ids(key, 1, shard_a, n)
    b = record_ids(key, 2, shard_b, n)
    c = record_ids(key, 1, shard_a + 1, n)
    assert len(np.unique(np.concatenate([a, b, c]))) == 3 * n


def test_formatted_ids_sort_like_the_numbers() -> None:
    ids = record_ids(12345, 1, 0, 10_000)
    text = format_record_ids(ids).to_pylist()
    assert all(len(t) == 12 for t in text)
    assert np.array_equal(np.argsort(np.array(text), kind="stable"), np.argsort(ids, kind="stable"))


def test_consecutive_records_get_unrelated_ids() -> None:
    ids = record_ids(99, 1, 0, 100_000).astype(np.float64)
    assert abs(np.corrcoef(ids, np.arange(len(ids)))[0, 1]) < 0.02


@given(st.integers(0, 1000), st.integers(1, 500), st.integers(0, (1 << 64) - 1))
def test_parsing_a_formatted_id_gives_back_its_number(shard: int, n: int, key: int) -> None:
    ids = record_ids(key, 3, shard, n)
    assert np.array_equal(parse_record_ids(format_record_ids(ids)), ids)
