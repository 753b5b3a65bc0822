"""National Insurance numbers: the issuable prefixes, allocation in parts, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.nino import NINO_PREFIXES, allocate_ninos, is_valid_nino

NINO_SPACE = len(NINO_PREFIXES) * 1_000_000

seeds = st.integers(min_value=0, max_value=2**32 - 1)
small = settings(max_examples=40, deadline=None)


def nino_key(nino: str) -> int:
    return NINO_PREFIXES.index(nino[:2]) * 1_000_000 + int(nino[2:8])


def test_nino_prefixes_follow_the_rules() -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    expected = sorted(
        a + b
        for a in letters
        for b in letters
        if a not in "DFIQUV" and b not in "DFIOQUV" and a + b not in {"GB", "NK", "TN", "ZZ", "BG", "KN", "NT"}
    )
    assert list(NINO_PREFIXES) == expected
    assert len(NINO_PREFIXES) == 373


@small
@given(seed=seeds, n=st.integers(0, 3_000), count=st.integers(1, 5_000), data=st.data())
def test_allocated_ninos_are_valid_distinct_in_part(seed: int, n: int, count: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, count - 1))
    ninos = allocate_ninos(np.random.default_rng(seed), n, index, count)
    assert ninos.dtype == object and len(ninos) == n
    assert is_valid_nino(ninos).all()
    keys = np.array([nino_key(v) for v in ninos], dtype=np.int64)
    assert len(np.unique(keys)) == n  # distinct on prefix + digits, whatever the suffix
    lo, hi = segment(0, NINO_SPACE, index, count)
    assert ((keys >= lo) & (keys < hi)).all()


@small
@given(seed=seeds, count=st.integers(2, 100_000), data=st.data())
def test_nino_parts_never_overlap(seed: int, count: int, data: st.DataObject) -> None:
    i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
    rng = np.random.default_rng(seed)
    a = allocate_ninos(rng, 1_000, i, count)
    b = allocate_ninos(rng, 1_000, j, count)
    assert not {v[:8] for v in a} & {v[:8] for v in b}


def test_nino_suffixes_are_all_used() -> None:
    ninos = allocate_ninos(np.random.default_rng(0), 10_000, 0, 1)
    assert {v[8] for v in ninos} == set("ABCD")


def test_nino_allocation_can_exhaust_a_part() -> None:
    count = NINO_SPACE // 1_000  # parts of exactly 1,000 keys
    ninos = allocate_ninos(np.random.default_rng(2), 1_000, 17, count)
    assert len({v[:8] for v in ninos}) == 1_000
    with pytest.raises(ValueError, match="asked for 1001 NINOs"):
        allocate_ninos(np.random.default_rng(2), 1_001, 17, count)


def test_nino_validator_rejects_malformed() -> None:
    banned_pairs = [p + "123456A" for p in ["GB", "NK", "TN", "ZZ", "BG", "KN", "NT"]]
    banned_first = [c + "A123456A" for c in "DFIQUV"]
    banned_second = ["A" + c + "123456A" for c in "DFIOQUV"]
    other = [None, "", "ab123456c", "AB123456E", "AB123456", "AB1234567A", "AB 12 34 56 C", "AB12345CA", 7]
    values = np.array(banned_pairs + banned_first + banned_second + other, dtype=object)
    assert not is_valid_nino(values).any()
    assert is_valid_nino(["AB123456C", "ZY000000D"]).tolist() == [True, True]
