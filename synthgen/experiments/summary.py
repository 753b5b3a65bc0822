"""Across seeds: the mean of each metric per scenario × quality setting × system (× group), and a 95% interval
for that mean.

The interval is Student's t-interval, mean ± t(0.975, n - 1) · s / √n, over the n seeds whose run gave the metric
a value: each seed is an independent draw of the whole synthetic population and its errors, so the seeds are the
sample and the t-interval says how well n of them pin down the metric's expected value for the scenario. (It is
not the spread of single runs: `min` and `max` give that.) One seed gives no interval. The t quantile is worked
out here from the regularised incomplete beta function (Numerical Recipes, 3rd ed., 6.4), so no statistics
library is needed at run time.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KEYS = ("scenario", "quality", "system", "evaluation", "metric", "group_kind", "group")
METHOD = "Student's t-interval for the mean across seeds (95%): mean ± t(0.975, n-1)·sd/√n"

SCHEMA = pa.schema(
    [
        *(pa.field(key, pa.string()) for key in KEYS),
        pa.field("seeds", pa.int64()),
        pa.field("mean", pa.float64()),
        pa.field("sd", pa.float64()),
        pa.field("lower", pa.float64()),
        pa.field("upper", pa.float64()),
        pa.field("min", pa.float64()),
        pa.field("max", pa.float64()),
    ]
)


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function, by Lentz's method."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        for numerator in (even, odd):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, 1.0 - x) / b


def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 < p < 1) of Student's t with `df` degrees of freedom: the t whose two tails hold
    2 (1 - p), found by bisection on x = df / (df + t²), where the two tails are I_x(df/2, 1/2)."""
    tails = 2.0 * (1.0 - p)
    low, high = 0.0, 1.0  # I_x rises with x: x small is t large
    for _ in range(200):
        middle = (low + high) / 2.0
        if incomplete_beta(df / 2.0, 0.5, middle) < tails:
            low = middle
        else:
            high = middle
    x = (low + high) / 2.0
    return math.sqrt(df * (1.0 - x) / x)


def summarise(results: pa.Table) -> pa.Table:
    """One row per scenario × quality × system × metric × group: seeds with a value, mean, sd and the t-interval,
    min and max; rows in the order each first appears in `results`."""
    indexed = results.append_column("row", pa.array(np.arange(results.num_rows, dtype=np.int64)))
    grouped = indexed.group_by(list(KEYS), use_threads=False).aggregate(
        [
            ("row", "min"),
            ("value", "count"),
            ("value", "mean"),
            ("value", "stddev", pc.VarianceOptions(ddof=1)),
            ("value", "min"),
            ("value", "max"),
        ]
    )
    grouped = grouped.sort_by("row_min")
    seeds = grouped["value_count"].to_numpy()
    mean = grouped["value_mean"].to_numpy(zero_copy_only=False).astype(np.float64)
    sd = grouped["value_stddev"].to_numpy(zero_copy_only=False).astype(np.float64)
    quantiles = {int(n): t_quantile(0.975, int(n) - 1) for n in np.unique(seeds) if n > 1}
    t = np.array([quantiles.get(int(n), np.nan) for n in seeds], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t * sd / np.sqrt(seeds)
    usable = seeds > 1

    def nullable(values: np.ndarray, where: np.ndarray) -> pa.Array:
        return pa.array(values, pa.float64(), mask=~where | np.isnan(values))

    return pa.table(
        {
            **{key: grouped[key] for key in KEYS},
            "seeds": pa.array(seeds, pa.int64()),
            "mean": nullable(mean, seeds > 0),
            "sd": nullable(sd, usable),
            "lower": nullable(mean - half, usable),
            "upper": nullable(mean + half, usable),
            "min": grouped["value_min"].cast(pa.float64()),
            "max": grouped["value_max"].cast(pa.float64()),
        },
        schema=SCHEMA,
    )
