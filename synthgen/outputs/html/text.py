"""Values as a reader sees them on a page: escaped text, scores to fixed decimals, counts with separators.

A missing value shows as a dash, never as a misleading 0 or 'nan'.
"""

from __future__ import annotations

import html
import math
from typing import Any


def esc(value: object) -> str:
    """Any value as escaped text (quotes too, so the result is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def finite(value: Any) -> float | None:
    """A plottable number, or None for missing, non-numeric and non-finite values."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fmt_metric(value: Any, decimals: int = 4) -> str:
    """A score to fixed decimals; a dash for missing values rather than a misleading 0 or 'nan'."""
    number = finite(value)
    return "—" if number is None else f"{number:.{decimals}f}"


def fmt_count(value: Any) -> str:
    """A count with thousands separators, as people read large record counts."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"


def wilson_interval(hits: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion: sensible at 0 and 1 and for few trials, unlike p +/- z*se."""
    if trials <= 0:
        return None
    p = hits / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
