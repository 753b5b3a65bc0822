"""The school calendar: about 190 school days a year in six half-terms that follow one another."""

from __future__ import annotations

import itertools

import numpy as np

from synthgen.agencies.school_calendar import _school_year


def test_school_calendar() -> None:
    for year in (2023, 2024, 2025):
        terms, days_off = _school_year(year)
        days = sum(int(np.busday_count(a, b, holidays=days_off)) for a, b in terms)
        assert 186 <= days <= 190  # 190 a year with INSET days, Easter and bank holidays shifting it
        assert all(a < b for a, b in terms)
        assert all(b <= c for (_, b), (c, _) in itertools.pairwise(terms))
