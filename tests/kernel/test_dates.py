"""Ages by the calendar, checked against Python's own date arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synthgen.kernel import dates
from synthgen.kernel.dates import age_on, moments


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


def test_moments_fall_in_their_rows_days_at_the_weighted_hours() -> None:
    first = np.array(["2024-04-01", "2024-06-30", "2025-03-31"], dtype="datetime64[D]").repeat(1000)
    end = np.datetime64("2025-04-01", "D")
    hours = np.zeros(24)
    hours[[9, 17]] = 1.0
    when = moments(np.random.default_rng(1), first, end, len(first), hours)
    assert (when >= first).all() and (when < end).all()
    assert set(((when - when.astype("datetime64[D]")).astype(np.int64) // 3600).tolist()) == {9, 17}
    assert (when[-1000:].astype("datetime64[D]") == np.datetime64("2025-03-31")).all()


_day_numbers = st.integers(-200_000, 200_000) | st.sampled_from([np.iinfo(np.int64).min])  # far days, and NaT


@given(st.lists(st.tuples(_day_numbers, _day_numbers), min_size=1, max_size=30), st.booleans())
def test_age_on_looked_up_is_age_on_computed(pairs: list[tuple[int, int]], one_day: bool) -> None:
    """The calendar look-up (days 1800-2299) gives what the date arithmetic gives, beyond it and for NaT too."""
    born = np.array([b for b, _ in pairs], dtype=np.int64).astype("datetime64[D]")
    when = np.array([w for _, w in pairs], dtype=np.int64).astype("datetime64[D]")
    day = when[:1][0] if one_day else when
    day_when = np.broadcast_to(np.asarray(day), born.shape)
    with np.errstate(over="ignore"):  # NaT's parts are nonsense, but the same nonsense both ways
        years = day_when.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
        expected = years - (dates._month_day(born) > dates._month_day(day_when))
        assert age_on(born, day).tolist() == expected.tolist()
