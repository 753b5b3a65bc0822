"""Whole-column date arithmetic: ages as the law and the DfE count them."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
from numpy.typing import NDArray


def _month_day(days: NDArray[np.datetime64]) -> NDArray[np.int64]:
    month = days.astype("datetime64[M]")
    result: NDArray[np.int64] = (month - days.astype("datetime64[Y]")).astype(np.int64) * 100 + (days - month).astype(
        np.int64
    )
    return result


_CALENDAR_FROM = np.datetime64("1800-01-01", "D").astype(np.int64)
_CALENDAR_TO = np.datetime64("2300-01-01", "D").astype(np.int64)


@cache
def _calendar() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each day from 1800 to 2299 (days since 1800-01-01): its year and its month and day as month * 100 + day,
    as `_month_day` counts them (made once per process: an age is then two look-ups a row)."""
    days = np.arange(_CALENDAR_FROM, _CALENDAR_TO).astype("datetime64[D]")
    return days.astype("datetime64[Y]").astype(np.int64), _month_day(days)


def _in_calendar(days: NDArray[np.datetime64]) -> bool:
    numbers = days.astype(np.int64)
    return not numbers.size or bool(numbers.min() >= _CALENDAR_FROM and numbers.max() < _CALENDAR_TO)


def age_on(dob: NDArray[np.datetime64], day: dt.date | NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Completed years on `day` (one date for everyone, or each row's own): the birthday must have been reached
    (compared by month and day, so leap years do not shift it)."""
    born = dob.astype("datetime64[D]")
    when = np.asarray(day, dtype="datetime64[D]")
    if _in_calendar(born) and _in_calendar(when):  # every day in the calendar (no NaT): look the parts up
        year, month_day = _calendar()
        at_born, at_when = born.astype(np.int64) - _CALENDAR_FROM, when.astype(np.int64) - _CALENDAR_FROM
        looked_up: NDArray[np.int64] = (year[at_when] - year[at_born]) - (month_day[at_born] > month_day[at_when])
        return looked_up
    years = when.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
    result: NDArray[np.int64] = years - (_month_day(born) > _month_day(when))
    return result


def moments(
    rng: np.random.Generator,
    first: NDArray[np.datetime64],
    end: np.datetime64,
    n: int,
    hour_weights: NDArray[np.float64],
) -> NDArray[np.datetime64]:
    """n moments (to the second), each from its row's first day (one day for all, or one per row) to the day
    before `end`: a day uniformly, then an hour of day in proportion to `hour_weights` (when things happen has a
    daily shape), then a second within the hour. Three draws, in that order, so callers' streams stay fixed."""
    first_day = np.broadcast_to(first.astype("datetime64[D]"), (n,))
    days = np.maximum((end - first_day).astype(np.int64), 1)
    day = first_day + np.floor(rng.random(n) * days).astype("timedelta64[D]")
    hour = rng.choice(24, size=n, p=hour_weights / hour_weights.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    result: NDArray[np.datetime64] = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return result


def one_working_day_deadline(day: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    """17:00 on the first working day after each day (seconds): Working Together 2023's "within one working day"
    for a contact received that day. Bank holidays are not counted apart."""
    following = np.busday_offset(day.astype("datetime64[D]"), 1, roll="forward").astype("datetime64[s]")
    result: NDArray[np.datetime64] = (following + np.timedelta64(17 * 3600, "s")).astype("datetime64[s]")
    return result
