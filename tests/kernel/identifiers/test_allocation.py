"""Identifier spaces split between shards, and allocators that give the same identifiers for the same seed."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.la_child_id import allocate_la_child_ids
from synthgen.kernel.identifiers.nhs_number import NHS_TEST_BASES, NHS_UNALLOCATED_BASES, allocate_nhs_numbers
from synthgen.kernel.identifiers.nino import allocate_ninos
from synthgen.kernel.identifiers.pnc_id import allocate_pnc_ids


@given(
    lo=st.integers(min_value=0, max_value=10**12),
    width=st.integers(min_value=0, max_value=10**9),
    count=st.integers(min_value=1, max_value=200),
)
def test_segment_parts_tile_the_range(lo: int, width: int, count: int) -> None:
    parts = [segment(lo, lo + width, i, count) for i in range(count)]
    assert parts[0][0] == lo and parts[-1][1] == lo + width
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    sizes = [hi - lo_ for lo_, hi in parts]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(("lo", "hi", "index", "count"), [(0, 10, 0, 0), (0, 10, 3, 3), (0, 10, -1, 3), (5, 4, 0, 1)])
def test_segment_rejects_bad_arguments(lo: int, hi: int, index: int, count: int) -> None:
    with pytest.raises(ValueError):
        segment(lo, hi, index, count)


@pytest.mark.parametrize(
    "allocate",
    [
        lambda rng: allocate_nhs_numbers(rng, 5_000, NHS_TEST_BASES),
        lambda rng: allocate_nhs_numbers(rng, 5_000, NHS_UNALLOCATED_BASES),
        lambda rng: allocate_ninos(rng, 5_000, 3, 8),
        lambda rng: allocate_pnc_ids(rng, np.arange(5_000, dtype=np.int64) % 40 + 1980, 1, 4),
        lambda rng: allocate_la_child_ids(rng, 5_000, 2, 3),
        lambda rng: allocate_la_child_ids(rng, 500_000, 0, 10),  # dense part: the listing path
    ],
)
def test_same_seed_same_identifiers(allocate: Any) -> None:
    first = allocate(np.random.default_rng(2024))
    second = allocate(np.random.default_rng(2024))
    other = allocate(np.random.default_rng(2025))
    assert first.tolist() == second.tolist()
    assert first.tolist() != other.tolist()


def test_allocators_refuse_legacy_random_state() -> None:
    with pytest.raises(TypeError):
        allocate_ninos(np.random.RandomState(0), 1, 0, 1)  # type: ignore[arg-type]
