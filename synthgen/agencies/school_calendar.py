"""The school calendar: half-terms, INSET days and term-time bank holidays of a typical English local authority.

Registers count sessions on school days only, so every school event is dated by numpy's business-day functions over
this calendar: weekdays less bank holidays and INSET days. These are calendar facts, not model numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.agencies.school import academic_year
from synthgen.scenario.plan import Plan


@dataclass(frozen=True)
class HalfTerms:
    """The half-terms overlapping the period, each counted only for its school days inside the period."""

    year_label: NDArray[np.object_]  # "2023/24"
    number: NDArray[np.int64]  # 1 autumn 1 .. 6 summer 2
    offset: NDArray[np.int64]  # academic years after the one running at the start of the period
    start: NDArray[np.datetime64]  # first day counted
    end: NDArray[np.datetime64]  # the day after the last day counted
    calendar: np.busdaycalendar  # weekdays less bank holidays and INSET days


def _easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian; the anonymous algorithm of Meeus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> dt.date:
    end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return end - dt.timedelta(days=end.weekday())


def friday_on_or_before(day: dt.date) -> dt.date:
    """The last school day of a week ending on or before `day` (terms end on a Friday; Year 11 leave on one)."""
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def _school_year(year: int) -> tuple[list[tuple[dt.date, dt.date]], list[dt.date]]:
    """Half-terms of the academic year starting in September `year` as (first day, day after the last), and its
    INSET days and term-time bank holidays.

    A typical English LA calendar: autumn from the first Monday of September to the October half-term (the week of
    the last Monday in October) and on to the Friday before 23 December; spring from the first Monday after New
    Year to the February half-term (the third Monday) and on to the Easter holiday (two weeks from the Monday of
    Holy Week); summer to the late-May bank holiday week and on to the Friday before 23 July. Five INSET days and
    the early-May bank holiday leave about 190 school days.
    """
    autumn = _monday_on_or_after(dt.date(year, 9, 1))
    october = _last_monday(year, 10)
    christmas = friday_on_or_before(dt.date(year, 12, 22)) + dt.timedelta(days=1)
    spring = _monday_on_or_after(dt.date(year + 1, 1, 2))
    february = _monday_on_or_after(dt.date(year + 1, 2, 15))
    easter = _easter(year + 1) - dt.timedelta(days=6)  # Monday of Holy Week
    may = _last_monday(year + 1, 5)
    july = friday_on_or_before(dt.date(year + 1, 7, 22)) + dt.timedelta(days=1)
    week = dt.timedelta(days=7)
    terms = [
        (autumn, october),
        (october + week, christmas),
        (spring, february),
        (february + week, easter),
        (easter + 2 * week, may),
        (may + week, july),
    ]
    early_may = _monday_on_or_after(dt.date(year + 1, 5, 1))
    inset = [autumn, autumn + dt.timedelta(days=1), spring, easter + 2 * week, july - dt.timedelta(days=1)]
    return terms, [*inset, early_may]


def school_year_half_terms(year: int) -> list[tuple[dt.date, dt.date]]:
    """The half-terms of the academic year starting in September `year`: (first day, day after the last)."""
    return _school_year(year)[0]


def half_terms(plan: Plan) -> HalfTerms:
    """The half-terms overlapping the period (a 1 April start gives summer 1 and 2, then autumn and spring)."""
    first = academic_year(plan)
    last = plan.period_end.year if plan.period_end.month >= 9 else plan.period_end.year - 1
    start = np.datetime64(plan.period_start, "D")
    stop = np.datetime64(plan.period_end, "D") + 1
    labels, numbers, offsets, starts, ends, holidays = [], [], [], [], [], []
    for year in range(first, last + 1):
        terms, days_off = _school_year(year)
        holidays += days_off
        for number, (begin, end) in enumerate(terms, start=1):
            labels.append(f"{year}/{(year + 1) % 100:02d}")
            numbers.append(number)
            offsets.append(year - first)
            starts.append(max(np.datetime64(begin, "D"), start))
            ends.append(min(np.datetime64(end, "D"), stop))
    calendar = np.busdaycalendar(holidays=np.array(holidays, dtype="datetime64[D]"))
    s = np.array(starts, dtype="datetime64[D]")
    e = np.array(ends, dtype="datetime64[D]")
    keep = np.busday_count(s, np.maximum(s, e), busdaycal=calendar) > 0
    return HalfTerms(
        year_label=np.array(labels, dtype=object)[keep],
        number=np.array(numbers, dtype=np.int64)[keep],
        offset=np.array(offsets, dtype=np.int64)[keep],
        start=s[keep],
        end=e[keep],
        calendar=calendar,
    )


def academic_offset(day: NDArray[np.datetime64], first: int) -> NDArray[np.int64]:
    """Academic years (from September) after `first` in which each day falls."""
    months = day.astype("datetime64[M]").astype(np.int64)
    result: NDArray[np.int64] = months // 12 + 1970 - (months % 12 < 8) - first
    return result
