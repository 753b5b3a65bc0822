"""Police National Computer ids: the published examples, check characters, allocation in parts, validation.

The scalar reference below is written straight from the published rule (uk-facts.md section F), so that the
vectorised code is checked against an independent reading of it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.pnc_id import allocate_pnc_ids, is_valid_pnc_id, pnc_check_letters

PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"

seeds = st.integers(min_value=0, max_value=2**32 - 1)
small = settings(max_examples=40, deadline=None)


def ref_pnc_letter(year: int, serial: int) -> str:
    return PNC_ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]


def test_published_examples() -> None:
    assert is_valid_pnc_id(["2008/0056560Z", "1979/0163001B"]).tolist() == [True, True]
    assert pnc_check_letters(np.array([2008, 1979]), np.array([56560, 163001])).tolist() == ["Z", "B"]


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
