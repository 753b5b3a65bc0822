"""Local-authority child ids: allocation in parts, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.la_child_id import allocate_la_child_ids, is_valid_la_child_id

seeds = st.integers(min_value=0, max_value=2**32 - 1)
small = settings(max_examples=40, deadline=None)


@small
@given(seed=seeds, n=st.integers(0, 3_000), count=st.integers(1, 3_000), data=st.data())
def test_allocated_la_child_ids_are_valid_distinct_in_part(seed: int, n: int, count: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, count - 1))
    lo, hi = segment(0, 10**7, index, count)
    if n > hi - lo:
        with pytest.raises(ValueError, match="LA child ids"):
            allocate_la_child_ids(np.random.default_rng(seed), n, index, count)
        return
    ids = allocate_la_child_ids(np.random.default_rng(seed), n, index, count)
    assert ids.dtype == object and len(ids) == n
    assert is_valid_la_child_id(ids).all()
    assert len(set(ids.tolist())) == n
    numbers = np.array([int(v[1:]) for v in ids], dtype=np.int64)
    assert ((numbers >= lo) & (numbers < hi)).all()


@small
@given(seed=seeds, count=st.integers(2, 10_000), data=st.data())
def test_la_child_id_parts_never_overlap(seed: int, count: int, data: st.DataObject) -> None:
    i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
    rng = np.random.default_rng(seed)
    n = min(500, 10**7 // count)
    a = allocate_la_child_ids(rng, n, i, count)
    b = allocate_la_child_ids(rng, n, j, count)
    assert not set(a.tolist()) & set(b.tolist())


def test_la_child_id_validator_rejects_malformed() -> None:
    values = [None, "", "c1234567", "C123456", "C12345678", "D1234567", "C123456X", "C 123456"]
    assert not is_valid_la_child_id(values).any()
    assert is_valid_la_child_id(["C0000000", "C9999999"]).all()
