"""What every health event record starts from, and the small date and band arithmetic the event models share.

The A&E, health-visiting, maternity and CAMHS models (one module each) build their columns from the same person
columns and label their codes the same way; the storylines' planted health events use the same person columns.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import name_columns
from synthgen.kernel import strings
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population

Columns = dict[str, pa.Array]
YEAR_DAYS = 365.25


def period(plan: Plan) -> tuple[np.datetime64, np.datetime64]:
    """The period's first and last days, as numpy days."""
    return np.datetime64(plan.period_start, "D"), np.datetime64(plan.period_end, "D")


def days_between(
    rng: np.random.Generator, lo: NDArray[np.datetime64], hi: NDArray[np.datetime64]
) -> NDArray[np.datetime64]:
    """A day uniformly in [lo, hi] (inclusive), row by row."""
    span = (hi - lo).astype(np.int64) + 1
    result: NDArray[np.datetime64] = lo + np.floor(rng.random(len(span)) * span).astype("timedelta64[D]")
    return result


def labels(names: tuple[str, ...], index: NDArray[np.int64]) -> pa.Array:
    """The code names of an index column (a complaint, a source), as strings."""
    return pa.array(names, pa.string()).take(pa.array(index, pa.int64()))


def plus(day: NDArray[np.datetime64], days: int) -> NDArray[np.datetime64]:
    """Days later (numpy's stubs type datetime + timedelta as timedelta; this keeps the dates typed as dates)."""
    result: NDArray[np.datetime64] = (day + np.timedelta64(days, "D")).astype("datetime64[D]")
    return result


def band(values: NDArray[np.int64] | NDArray[np.float64], starts: tuple[int, ...]) -> NDArray[np.int64]:
    """The band each value falls in, bands beginning at `starts` (ascending)."""
    result: NDArray[np.int64] = np.searchsorted(np.array(starts), values, side="right") - 1
    return result


def age_bands(params: Parameters, prefix: str) -> tuple[tuple[int, ...], NDArray[np.float64]]:
    """A family of numbers by age band (`prefix.age_05`: from age 5 to the next band): the bands' first ages, and
    the numbers, in file order."""
    series = params.series(prefix)
    return tuple(int(label.removeprefix("age_")) for label in series), np.array(list(series.values()))


def matrix(params: Parameters, prefix: str, rows: tuple[str, ...]) -> NDArray[np.float64]:
    """A matrix of shares named `prefix.row.column`: one row per name in `rows`, columns in file order."""
    return np.array([params.values_of(f"{prefix}.{row}") for row in rows])


def person_columns(plan: Plan, pop: Population, rows: NDArray[np.int64]) -> Columns:
    """Who the record is about, as the person's true details (errors come later, from the data-quality model)."""
    p = pop.people
    home = pop.household_postcode[p.household[rows]]
    return {
        "nhs_number": pa.array(p.nhs_number[rows], pa.string()),
        **name_columns(pop, p, rows, middle=False),
        "date_of_birth": pa.array(p.date_of_birth[rows], pa.date32()),
        # NHS Data Dictionary 'person stated gender code': 1 male, 2 female
        "sex": pc.if_else(pa.array(p.female[rows], pa.bool_()), strings.text("2"), strings.text("1")),
        "postcode": strings.taken(plan.postcodes.postcode, home),
    }
