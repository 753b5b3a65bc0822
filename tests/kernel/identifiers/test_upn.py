"""Unique pupil numbers: the published example, check letters, assembly, validation.

The scalar reference below is written straight from the published rule (uk-facts.md section F), so that the
vectorised code is checked against an independent reading of it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.upn import is_valid_upn, make_upns, upn_check_letters

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def ref_upn_letter(body: str) -> str:
    values = [int(c) if c.isdigit() else UPN_ALPHABET.index(c) for c in body]
    return UPN_ALPHABET[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]


def test_published_example() -> None:
    assert is_valid_upn(["B801200005001"]).tolist() == [True]
    assert upn_check_letters(["801200005001"]).tolist() == ["B"]
    assert make_upns(np.array([801]), np.array([2000]), np.array([5]), np.array([1])).tolist() == ["B801200005001"]


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
