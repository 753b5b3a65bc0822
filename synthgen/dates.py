"""Whole-column date arithmetic: ages as the law and the DfE count them."""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import NDArray


def _month_day(days: NDArray[np.datetime64]) -> NDArray[np.int64]:
    month = days.astype("datetime64[M]")
    result: NDArray[np.int64] = (month - days.astype("datetime64[Y]")).astype(np.int64) * 100 + (days - month).astype(
        np.int64
    )
    return result


def age_on(dob: NDArray[np.datetime64], day: dt.date | NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Completed years on `day` (one date for everyone, or each row's own): the birthday must have been reached
    (compared by month and day, so leap years do not shift it)."""
    born = dob.astype("datetime64[D]")
    when = np.asarray(day, dtype="datetime64[D]")
    years = when.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
    result: NDArray[np.int64] = years - (_month_day(born) > _month_day(when))
    return result
