"""Ages: the per-family sums behind the youngest child's placement match numpy's unbuffered ufunc.at exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.world.ages import _by_family


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 30), st.integers(0, 2**32 - 1))
def test_by_family_is_ufunc_at_to_the_bit(families: int, width: int, kids: int, seed: int) -> None:
    """Sums equal np.add.at's bit for bit (each family's children added in the order they come) and fits equal
    np.logical_and.at's, families without children included."""
    rng = np.random.default_rng(seed)
    family = rng.integers(0, families, kids)
    score = rng.random((kids, width)) * 10.0 ** rng.integers(-8, 8, (kids, 1))
    fits = rng.random((kids, width)) < 0.8
    expected_score = np.zeros((families, width))
    np.add.at(expected_score, family, score)
    expected_fits = np.ones((families, width), bool)
    np.logical_and.at(expected_fits, family, fits)
    got_score, got_fits = _by_family(family, score, fits, families)
    assert got_score.tobytes() == expected_score.tobytes()
    assert np.array_equal(got_fits, expected_fits)
