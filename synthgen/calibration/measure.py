"""What every figure is measured with: the run's people read once, and shares, rates and dates over columns."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.run_folder import Run

Measured = dict[str, "float | tuple[float, float]"]
"""A figure's generated value, or (value, basis): the number of trials (for a share) or of expected events (for
a rate) it rests on, so that its tolerance can widen where the run is too small to measure it closely."""


def mean(values: np.ndarray) -> float:
    """The mean, or NaN where there is nothing to average: a figure a small run cannot measure is left out."""
    return float(np.mean(values)) if len(values) else math.nan


def share(mask: np.ndarray) -> float:
    return mean(mask) * 100


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or NaN where the run has none of what the figure is counted over."""
    return float(numerator / denominator) if denominator else math.nan


@dataclass(frozen=True)
class People:
    """truth/people, read once per describe: the columns the figures use, and the two counts several rest on."""

    table: pa.Table
    residents: int  # residents at the start of the period (babies born during it are not counted)
    children: int  # children among them, as the pathway counts them


def read_people(run: Run) -> People:
    people = run.read("truth/people", ["age_at_start", "sex", "ethnic_group", "twin", "resident", "died_on"])
    ages, resident = people["age_at_start"], people["resident"]
    at_start = pc.and_(resident, pc.greater_equal(ages, 0))
    children = pc.and_(resident, pc.and_(pc.less(ages, 18), pc.greater_equal(ages, 0)))
    return People(
        people,
        int(pc.sum(at_start.cast(pa.int64())).as_py()),
        int(pc.sum(children.cast(pa.int64())).as_py()),
    )


def days(run: Run) -> tuple[np.datetime64, np.datetime64, float]:
    period = run.manifest["period"]
    start, end = np.datetime64(period["start"], "D"), np.datetime64(period["end"], "D")
    return start, end, (int((end - start) / np.timedelta64(1, "D")) + 1) / 365.25


def dates(column: pa.ChunkedArray | pa.Array) -> NDArray[np.datetime64]:
    """Dates as datetime64[D], NaT where null (open episodes)."""
    filled = pc.fill_null(column.cast(pa.int32()), np.iinfo(np.int32).min)
    days = filled.to_numpy(zero_copy_only=False).astype(np.int64)
    result: NDArray[np.datetime64] = days.astype("datetime64[D]")
    result[days == np.iinfo(np.int32).min] = np.datetime64("NaT")
    return result
