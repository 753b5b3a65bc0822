"""Tests for synthgen.identifiers: published examples, invariants of every allocator, validator edge cases.

Scalar reference implementations below are written straight from the published rules (uk-facts.md section F)
so that the vectorised code is checked against an independent reading of each rule.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers import (
    NHS_TEST_BASES,
    NHS_UNALLOCATED_BASES,
    NINO_PREFIXES,
    allocate_la_child_ids,
    allocate_nhs_numbers,
    allocate_ninos,
    allocate_pnc_ids,
    is_valid_la_child_id,
    is_valid_nhs_number,
    is_valid_nino,
    is_valid_outward_code,
    is_valid_pnc_id,
    is_valid_postcode,
    is_valid_upn,
    make_upns,
    nhs_capacity,
    nhs_check_digits,
    pnc_check_letters,
    segment,
    upn_check_letters,
)

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
NINO_SPACE = len(NINO_PREFIXES) * 1_000_000

seeds = st.integers(min_value=0, max_value=2**32 - 1)
small = settings(max_examples=40, deadline=None)


# ----------------------------------------------------------------------------------------------------------
# Scalar references, straight from the rules
# ----------------------------------------------------------------------------------------------------------


def ref_nhs_check(base: int) -> int:
    digits = [int(c) for c in f"{base:09d}"]
    check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
    return 0 if check == 11 else check


def ref_upn_letter(body: str) -> str:
    values = [int(c) if c.isdigit() else UPN_ALPHABET.index(c) for c in body]
    return UPN_ALPHABET[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]


def ref_pnc_letter(year: int, serial: int) -> str:
    return PNC_ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]


def nino_key(nino: str) -> int:
    return NINO_PREFIXES.index(nino[:2]) * 1_000_000 + int(nino[2:8])


# ----------------------------------------------------------------------------------------------------------
# Published examples
# ----------------------------------------------------------------------------------------------------------


def test_published_examples() -> None:
    assert is_valid_nhs_number(["9434765919"]).tolist() == [True]
    assert nhs_check_digits(np.array([943476591])).tolist() == [9]
    assert is_valid_upn(["B801200005001"]).tolist() == [True]
    assert upn_check_letters(["801200005001"]).tolist() == ["B"]
    assert make_upns(np.array([801]), np.array([2000]), np.array([5]), np.array([1])).tolist() == ["B801200005001"]
    assert is_valid_pnc_id(["2008/0056560Z", "1979/0163001B"]).tolist() == [True, True]
    assert pnc_check_letters(np.array([2008, 1979]), np.array([56560, 163001])).tolist() == ["Z", "B"]


# ----------------------------------------------------------------------------------------------------------
# segment
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# NHS number
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# UPN
# ----------------------------------------------------------------------------------------------------------

upn_parts = st.tuples(st.integers(0, 999), st.integers(0, 9_999), st.integers(0, 99), st.integers(0, 999))


@settings(max_examples=50, deadline=None)
@given(st.lists(upn_parts, min_size=1, max_size=100))
def test_make_upns_are_valid_and_match_reference(rows: list[tuple[int, int, int, int]]) -> None:
    la, est, year, serial = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    upns = make_upns(la, est, year, serial)
    assert is_valid_upn(upns).all()
    for upn, (a, e, y, s) in zip(upns, rows, strict=True):
        body = f"{a:03d}{e:04d}{y:02d}{s:03d}"
        assert upn == ref_upn_letter(body) + body


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="0123456789" + UPN_ALPHABET, min_size=12, max_size=12), min_size=1))
def test_upn_check_letters_match_reference(bodies: list[str]) -> None:
    assert upn_check_letters(bodies).tolist() == [ref_upn_letter(b) for b in bodies]


def test_make_upns_accepts_full_years() -> None:
    assert make_upns(np.array([801]), np.array([2000]), np.array([2005]), np.array([1])).tolist() == ["B801200005001"]


@pytest.mark.parametrize("body", ["80120000500", "8012000050011", "80120000500I", "80120000500a", None])
def test_upn_check_letters_reject_bad_bodies(body: str | None) -> None:
    with pytest.raises(ValueError):
        upn_check_letters(np.array([body], dtype=object))


def test_make_upns_rejects_out_of_range_parts() -> None:
    with pytest.raises(ValueError, match="establishments"):
        make_upns(np.array([801]), np.array([10_000]), np.array([5]), np.array([1]))
    with pytest.raises(ValueError, match="same length"):
        make_upns(np.array([801, 802]), np.array([2000]), np.array([5]), np.array([1]))


def test_upn_single_digit_corruption_is_detected() -> None:
    upn = "B801200005001"
    corrupted = [upn[:i] + str((int(upn[i]) + s) % 10) + upn[i + 1 :] for i in range(1, 13) for s in range(1, 10)]
    assert not is_valid_upn(corrupted).any()


def test_upn_validator_rejects_malformed() -> None:
    body = "801200005001"
    temporary_body = "80120000500A"
    values = [
        None,
        "b801200005001",  # lower case
        "A801200005001",  # wrong check letter
        "I801200005001",  # letter outside the UPN alphabet
        "B80120000500",  # short
        "B8012000050011",  # long
        ref_upn_letter(temporary_body) + temporary_body,  # temporary UPN
        "B80120000500 ",
    ]
    assert ref_upn_letter(body) == "B"
    assert not is_valid_upn(values).any()


# ----------------------------------------------------------------------------------------------------------
# NINO
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# PNC ID
# ----------------------------------------------------------------------------------------------------------

years_strategy = st.lists(st.integers(1970, 2030), min_size=0, max_size=2_000)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9_999), st.integers(0, 9_999_999)), min_size=1, max_size=200))
def test_pnc_check_letters_match_reference(rows: list[tuple[int, int]]) -> None:
    years, serials = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    assert pnc_check_letters(years, serials).tolist() == [ref_pnc_letter(y, s) for y, s in rows]


@small
@given(seed=seeds, years=years_strategy, count=st.integers(1, 1_000), data=st.data())
def test_allocated_pnc_ids_are_valid_distinct_in_part(
    seed: int, years: list[int], count: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, count - 1))
    lo, hi = segment(0, 10**7, index, count)
    per_year = np.unique(np.array(years, dtype=np.int64), return_counts=True)[1]
    if per_year.size and per_year.max() > hi - lo:
        with pytest.raises(ValueError, match="PNC IDs in year"):
            allocate_pnc_ids(np.random.default_rng(seed), np.array(years, dtype=np.int64), index, count)
        return
    ids = allocate_pnc_ids(np.random.default_rng(seed), np.array(years, dtype=np.int64), index, count)
    assert ids.dtype == object and len(ids) == len(years)
    assert is_valid_pnc_id(ids).all()
    assert len(set(ids.tolist())) == len(years)
    assert [int(v[:4]) for v in ids] == years
    serials = np.array([int(v[5:12]) for v in ids], dtype=np.int64)
    assert ((serials >= lo) & (serials < hi)).all()


@small
@given(seed=seeds, count=st.integers(2, 10_000), data=st.data())
def test_pnc_parts_never_overlap(seed: int, count: int, data: st.DataObject) -> None:
    i, j = data.draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2, unique=True))
    rng = np.random.default_rng(seed)
    years = np.full(min(500, 10**7 // count), 2010, dtype=np.int64)
    a = allocate_pnc_ids(rng, years, i, count)
    b = allocate_pnc_ids(rng, years, j, count)
    assert not set(a.tolist()) & set(b.tolist())


def test_pnc_validator_rejects_malformed() -> None:
    values = [
        None,
        "2008/0056560A",  # wrong check
        "2008/0056560z",  # lower case
        "08/56560Z",  # short written form
        "2008-0056560Z",
        "2008/056560Z",
        "2008/00565600Z",
        "2008/0O56560Z",
        "",
    ]
    assert not is_valid_pnc_id(values).any()


# ----------------------------------------------------------------------------------------------------------
# LA child id
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------------
# Postcodes
# ----------------------------------------------------------------------------------------------------------

VALID_POSTCODES = ["M1 1AE", "B33 8TH", "W1A 0AX", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "SW1A 2AA", "LS1 4AP"]
INVALID_POSTCODES = [
    None,
    "",
    "m1 1ae",  # lower case
    "M11AE",  # no space
    "M1  1AE",  # two spaces
    " M1 1AE",
    "M1 1AE\n",
    "QA1 1AA",  # first letter Q
    "VA1 1AA",
    "XA1 1AA",
    "AI1 1AA",  # second letter I
    "AJ1 1AA",
    "AZ1 1AA",
    "M1 1CA",  # inward letters C, I, K, M, O, V
    "M1 1AI",
    "M1 1KA",
    "M1 1AM",
    "M1 1OA",
    "M1 1AV",
    "M1 AAA",  # inward digit missing
    "MMM1 1AA",
    "M123 1AA",
    "GIR 0AA",
]


def test_postcode_validator() -> None:
    assert is_valid_postcode(VALID_POSTCODES).all()
    result = is_valid_postcode(np.array(INVALID_POSTCODES, dtype=object))
    assert not result.any(), [v for v, ok in zip(INVALID_POSTCODES, result, strict=True) if ok]


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\A[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}\Z"))
def test_postcode_validator_accepts_every_listed_format(postcode: str) -> None:
    assert is_valid_postcode([postcode]).tolist() == [True]
    assert is_valid_outward_code([postcode.split(" ")[0]]).tolist() == [True]


def test_outward_code_validator() -> None:
    assert is_valid_outward_code(["M1", "B33", "W1A", "CR2", "DN55", "EC1A"]).all()
    bad = [None, "", "m1", "Q1", "AI1", "M1 ", "M", "1M", "MMM1", "M123", "SW1A 1AA"]
    assert not is_valid_outward_code(bad).any()


# ----------------------------------------------------------------------------------------------------------
# Inputs the validators accept
# ----------------------------------------------------------------------------------------------------------

NHS_VALUES = ["9434765919", None, "9434765918", "abc"]
NHS_EXPECTED = [True, False, False, False]


@pytest.mark.parametrize(
    "values",
    [
        NHS_VALUES,
        np.array(NHS_VALUES, dtype=object),
        pa.array(NHS_VALUES, type=pa.string()),
        pa.array(NHS_VALUES, type=pa.large_string()),
        pa.chunked_array([NHS_VALUES[:2], NHS_VALUES[2:]], type=pa.string()),
        pa.array(NHS_VALUES, type=pa.string()).dictionary_encode(),
    ],
    ids=["list", "object", "arrow", "large_arrow", "chunked", "dictionary"],
)
def test_validators_accept_column_types(values: Any) -> None:
    assert is_valid_nhs_number(values).tolist() == NHS_EXPECTED


def test_validators_handle_sliced_arrow_arrays_and_unicode_arrays() -> None:
    padded = pa.array(["x", "y", *NHS_VALUES, "z"], type=pa.string())
    assert is_valid_nhs_number(padded.slice(2, 4)).tolist() == NHS_EXPECTED
    assert is_valid_nhs_number(np.array(["9434765919", "9434765918"])).tolist() == [True, False]


def test_validators_treat_non_strings_as_invalid() -> None:
    values = np.array(["9434765919", 9434765919, 3.5, None, float("nan")], dtype=object)
    result = is_valid_nhs_number(values)
    assert result.dtype == np.bool_
    assert result.tolist() == [True, False, False, False, False]
    assert not is_valid_nhs_number(pa.array([9434765919])).any()
    assert is_valid_nhs_number([]).shape == (0,)


def test_validators_reject_non_ascii_of_the_right_byte_length() -> None:
    # "é" is two UTF-8 bytes: 9 characters, 10 bytes.
    assert not is_valid_nhs_number(["94347659é"]).any()
    assert not is_valid_nino(["AB12345é"]).any()


def test_identifier_strings_are_plain_ascii() -> None:
    rng = np.random.default_rng(5)
    pattern = re.compile(r"[A-Z0-9/]+\Z")
    for column in (
        allocate_nhs_numbers(rng, 100, NHS_TEST_BASES),
        allocate_ninos(rng, 100, 0, 1),
        allocate_pnc_ids(rng, np.full(100, 1999, dtype=np.int64), 0, 1),
        allocate_la_child_ids(rng, 100, 0, 1),
    ):
        assert all(type(v) is str and pattern.match(v) for v in column)
