"""Errors in a record's date of birth and sex: day and month swapped, a mistyped digit, an age taken instead of a
date, a relative's date of birth, the wrong sex."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel import strings
from synthgen.quality.changes import Columns, Log, Rates, chosen, replace
from synthgen.quality.edits import date_parts, dates_with
from synthgen.quality.relatives import household_member
from synthgen.reference import Parameters
from synthgen.world.population import Population


def date_of_birth_errors(
    rng: np.random.Generator,
    params: Parameters,
    pop: Population,
    person: NDArray[np.int64],
    column: pa.Array,
    rates: Rates,
    log: Log,
    checked: NDArray[np.bool_] | None = None,
) -> pa.Array:
    """The date-of-birth column with its errors; `person` is each record's person row, -1 where none; `checked`:
    the rows whose date the agency has seen proven (left as they are)."""
    checked = checked if checked is not None else np.zeros(len(column), bool)
    recorded = column.is_valid().to_numpy(zero_copy_only=False)
    valid = recorded.copy()
    dob = column.fill_null(0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    year, month, day = date_parts(dob)
    valid &= ~checked
    swappable = valid & (day <= 12) & (day != month)
    rows = chosen(rng, swappable, rates, "date_of_birth", "day_month_swap", log)
    dob[rows] = dates_with(dob[rows], year[rows], day[rows], month[rows])
    log.add(rows, "day_month_swap", "date_of_birth")
    rows = chosen(rng, valid, rates, "date_of_birth", "dob_typo", log)
    if len(rows):
        dob[rows] = _mistyped(rng, params, dob[rows], year[rows], month[rows], day[rows])
        log.add(rows, "dob_typo", "date_of_birth")
    # police take an age at the scene where no date of birth is given: the record keeps only the age
    rows = chosen(rng, valid, rates, "date_of_birth", "age_only", log)
    valid[rows] = False
    log.add(rows, "age_only", "date_of_birth")
    rows = chosen(rng, valid, rates, "date_of_birth", "copied_from_household", log)
    if len(rows):
        other = household_member(rng, pop, person[rows], same_generation=True)  # a child's is a sibling's
        found = other >= 0
        found[found] = pop.people.date_of_birth[other[found]] != dob[rows[found]]
        dob[rows[found]] = pop.people.date_of_birth[other[found]]
        log.add(rows[found], "copied_from_household", "date_of_birth")
    return pa.array(dob, pa.date32(), mask=~(valid | (checked & recorded)))  # a proven date stays as it was


def _mistyped(
    rng: np.random.Generator,
    params: Parameters,
    dob: NDArray[np.datetime64],
    year: NDArray[np.int64],
    month: NDArray[np.int64],
    day: NDArray[np.int64],
) -> NDArray[np.datetime64]:
    """Dates with one slip each: the year off by one or by ten, the day off by one, or another day of the month
    (the shares of each are the cumulative `dob_typo_until.*`); never the date it was."""
    until = params.series("dob_typo_until")
    u = rng.random(len(dob))
    shift_day = np.where(rng.random(len(dob)) < params["dob_typo_down_share"], -1, 1)
    new_year = year + np.where(u < until["year"], shift_day, np.where(u < until["decade"], 10 * shift_day, 0))
    new_day = np.where((u >= until["decade"]) & (u < until["day"]), np.clip(day + shift_day, 1, 28), day)
    new_day = np.where(u >= until["day"], rng.integers(1, 29, len(dob)), new_day)
    changed = dates_with(dob, new_year, month, new_day)
    same = changed == dob
    changed[same] = changed[same] + np.timedelta64(1, "D")
    return changed


def sex_errors(rng: np.random.Generator, values: dict[str, pa.Array], columns: Columns, rates: Rates, log: Log) -> None:
    """The wrong sex on some records, in the agency's own coding (`values` changed in place)."""
    sex = values[columns.sex]
    flipped = chosen(rng, np.ones(len(sex), bool), rates, "sex", "wrong_value", log)
    if len(flipped):
        current = sex.take(pa.array(flipped))
        female, male = strings.text(columns.female), strings.text(columns.male)
        other_sex = pc.if_else(pc.equal(current, female), male, female)
        values[columns.sex] = replace(sex, flipped, other_sex)
        log.add(flipped, "wrong_value", "sex")
