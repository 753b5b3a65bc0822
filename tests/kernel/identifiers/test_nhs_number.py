"""NHS numbers: the published example, check digits, capacity, allocation in parts, validation.

The scalar reference below is written straight from the published rule (uk-facts.md section F), so that the
vectorised code is checked against an independent reading of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.nhs_number import (
    NHS_TEST_BASES,
    NHS_UNALLOCATED_BASES,
    allocate_nhs_numbers,
    is_valid_nhs_number,
    nhs_capacity,
    nhs_check_digits,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
small = settings(max_examples=40, deadline=None)


def ref_nhs_check(base: int) -> int:
    digits = [int(c) for c in f"{base:09d}"]
    check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
    return 0 if check == 11 else check


def test_published_example() -> None:
    assert is_valid_nhs_number(["9434765919"]).tolist() == [True]
    assert nhs_check_digits(np.array([943476591])).tolist() == [9]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=999_999_999), min_size=1, max_size=200))
def test_nhs_check_digits_match_reference(bases: list[int]) -> None:
    assert nhs_check_digits(np.array(bases, dtype=np.int64)).tolist() == [ref_nhs_check(b) for b in bases]


def test_nhs_check_digits_reject_out_of_range_bases() -> None:
    with pytest.raises(ValueError):
        nhs_check_digits(np.array([1_000_000_000]))
    with pytest.raises(ValueError):
        nhs_check_digits(np.array([-1]))


@settings(max_examples=40, deadline=None)
@given(lo=st.integers(min_value=0, max_value=10**9), width=st.integers(min_value=0, max_value=50_000))
def test_nhs_capacity_matches_brute_force(lo: int, width: int) -> None:
    hi = min(lo + width, 10**9)
    brute = int((nhs_check_digits(np.arange(lo, hi, dtype=np.int64)) != 10).sum())
    assert nhs_capacity((lo, hi)) == brute


def test_nhs_capacity_of_named_ranges() -> None:
    test_bases = np.arange(*NHS_TEST_BASES, dtype=np.int64)
    assert nhs_capacity(NHS_TEST_BASES) == int((nhs_check_digits(test_bases) != 10).sum()) == 909_091
    assert nhs_capacity(NHS_UNALLOCATED_BASES) == 90_000_000
    parts = [segment(*NHS_UNALLOCATED_BASES, i, 7) for i in range(7)]
    assert sum(nhs_capacity(p) for p in parts) == nhs_capacity(NHS_UNALLOCATED_BASES)


def test_unallocated_range_avoids_issued_ranges() -> None:
    lo, hi = NHS_UNALLOCATED_BASES
    for issued_lo, issued_hi in [(10, 312), (320, 400), (400, 500), (600, 800), (999, 1000)]:  # millions
        assert hi <= issued_lo * 1_000_000 or lo >= issued_hi * 1_000_000


def check_nhs_allocation(numbers: Any, n: int, bases: tuple[int, int]) -> None:
    assert isinstance(numbers, np.ndarray) and numbers.dtype == object and len(numbers) == n
    assert all(isinstance(v, str) and len(v) == 10 for v in numbers)
    assert is_valid_nhs_number(numbers).all()
    assert len(set(numbers.tolist())) == n
    as_bases = np.array([int(v[:9]) for v in numbers], dtype=np.int64)
    assert ((as_bases >= bases[0]) & (as_bases < bases[1])).all()


@small
@given(seed=seeds, n=st.integers(min_value=0, max_value=3_000), count=st.integers(1, 64), data=st.data())
def test_allocated_test_range_nhs_numbers_are_valid_distinct_in_part(
    seed: int, n: int, count: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, count - 1))
    part = segment(*NHS_TEST_BASES, index, count)
    numbers = allocate_nhs_numbers(np.random.default_rng(seed), n, part)
    check_nhs_allocation(numbers, n, part)
    assert all(v.startswith("999") for v in numbers)


@small
@given(seed=seeds, count=st.integers(2, 1_000), data=st.data())
def test_nhs_parts_never_overlap(seed: int, count: int, data: st.DataObject) -> None:
    i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
    rng = np.random.default_rng(seed)
    a = allocate_nhs_numbers(
        rng, min(500, nhs_capacity(segment(*NHS_TEST_BASES, i, count))), segment(*NHS_TEST_BASES, i, count)
    )
    b = allocate_nhs_numbers(
        rng, min(500, nhs_capacity(segment(*NHS_TEST_BASES, j, count))), segment(*NHS_TEST_BASES, j, count)
    )
    assert not set(a.tolist()) & set(b.tolist())


def test_nhs_allocation_from_the_large_unallocated_range() -> None:
    numbers = allocate_nhs_numbers(np.random.default_rng(7), 200_000, NHS_UNALLOCATED_BASES)
    check_nhs_allocation(numbers, 200_000, NHS_UNALLOCATED_BASES)
    part = segment(*NHS_UNALLOCATED_BASES, 3, 5)
    check_nhs_allocation(allocate_nhs_numbers(np.random.default_rng(8), 50_000, part), 50_000, part)


def test_nhs_allocation_can_exhaust_a_part_exactly() -> None:
    part = (999_123_000, 999_123_500)
    everything = allocate_nhs_numbers(np.random.default_rng(1), nhs_capacity(part), part)
    bases = np.arange(*part, dtype=np.int64)
    checks = nhs_check_digits(bases)
    expected = {f"{b:09d}{c}" for b, c in zip(bases.tolist(), checks.tolist(), strict=True) if c != 10}
    assert set(everything.tolist()) == expected


def test_nhs_allocation_reports_shortfall() -> None:
    part = (999_000_000, 999_000_100)
    capacity = nhs_capacity(part)
    with pytest.raises(ValueError, match=rf"asked for {capacity + 1} .* only {capacity} valid"):
        allocate_nhs_numbers(np.random.default_rng(0), capacity + 1, part)


def test_nhs_allocation_test_range_cannot_hold_a_million() -> None:
    with pytest.raises(ValueError, match="909091"):
        allocate_nhs_numbers(np.random.default_rng(0), 1_000_000, NHS_TEST_BASES)


@settings(max_examples=100, deadline=None)
@given(
    base=st.integers(min_value=0, max_value=999_999_999),
    position=st.integers(0, 9),
    shift=st.integers(1, 9),
)
def test_nhs_single_digit_corruption_is_detected(base: int, position: int, shift: int) -> None:
    check = ref_nhs_check(base)
    if check == 10:
        base = (base + 1) % 10**9
        check = ref_nhs_check(base)
        if check == 10:  # two invalid bases in a row do not happen, but stay safe
            return
    number = f"{base:09d}{check}"
    corrupted = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert is_valid_nhs_number([number, corrupted]).tolist() == [True, False]


def test_nhs_every_single_digit_corruption_of_allocated_numbers_is_detected() -> None:
    numbers = allocate_nhs_numbers(np.random.default_rng(3), 2_000, NHS_TEST_BASES)
    digits = np.array([[int(c) for c in v] for v in numbers], dtype=np.int64)
    for position in range(10):
        for shift in range(1, 10):
            bad = digits.copy()
            bad[:, position] = (bad[:, position] + shift) % 10
            as_text = np.array(["".join(map(str, row)) for row in bad], dtype=object)
            assert not is_valid_nhs_number(as_text).any()


def test_nhs_validator_rejects_malformed() -> None:
    values = [
        None,
        "",
        "943476591",
        "94347659190",
        "943 476 5919",
        "9434765919 ",
        "943476591X",
        "９434765919",
    ]
    assert not is_valid_nhs_number(np.array(values, dtype=object)).any()
    # A base whose check would be 10 has no valid number at all.
    invalid_base = next(b for b in range(999_000_000, 999_001_000) if ref_nhs_check(b) == 10)
    assert not is_valid_nhs_number([f"{invalid_base}{d}" for d in range(10)]).any()
