"""Ages by the calendar, checked against Python's own date arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthgen.dates import age_on


@given(
    st.lists(st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)), min_size=1, max_size=50),
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
)
def test_age_on_matches_the_calendar(births: list[dt.date], day: dt.date) -> None:
    expected = [day.year - b.year - ((day.month, day.day) < (b.month, b.day)) for b in births]
    assert age_on(np.array(births, dtype="datetime64[D]"), day).tolist() == expected


def test_born_on_the_cutoff_in_a_leap_year() -> None:
    assert age_on(np.array(["2012-08-31"], dtype="datetime64[D]"), dt.date(2023, 8, 31)).tolist() == [11]
    assert age_on(np.array(["2012-02-29"], dtype="datetime64[D]"), dt.date(2023, 2, 28)).tolist() == [10]
    assert age_on(np.array(["2012-02-29"], dtype="datetime64[D]"), dt.date(2023, 3, 1)).tolist() == [11]


@given(st.lists(st.tuples(st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)), st.datetimes()), min_size=1))
def test_age_on_each_rows_own_moment(pairs: list[tuple[dt.date, dt.datetime]]) -> None:
    """A per-row day (here moments to the second, as police incidents are) counts by its date."""
    births = [b for b, _ in pairs]
    moments = np.array([when for _, when in pairs], dtype="datetime64[s]")
    expected = [w.year - b.year - ((w.month, w.day) < (b.month, b.day)) for b, w in ((b, w.date()) for b, w in pairs)]
    assert age_on(np.array(births, dtype="datetime64[D]"), moments).tolist() == expected
