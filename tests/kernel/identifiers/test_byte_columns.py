"""The column types the validators accept, and what they make of values that are not ASCII strings."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from synthgen.kernel.identifiers.la_child_id import allocate_la_child_ids
from synthgen.kernel.identifiers.nhs_number import NHS_TEST_BASES, allocate_nhs_numbers, is_valid_nhs_number
from synthgen.kernel.identifiers.nino import allocate_ninos, is_valid_nino
from synthgen.kernel.identifiers.pnc_id import allocate_pnc_ids

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
