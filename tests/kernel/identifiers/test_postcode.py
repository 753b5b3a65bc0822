"""Postcode format: every listed format accepted, every restricted letter refused."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel.identifiers.postcode import is_valid_outward_code, is_valid_postcode

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
