"""What every chart shares: the palette, coordinates, round ticks, the frame of an SVG and its legend.

Series are told apart by dash pattern or fill as well as colour, so a chart still reads printed in grey.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from synthgen.outputs.html.text import esc, finite

INK = "#222"
GRID = "#ddd"
AXIS = "#555"
LINE_STYLES = (("#1f4e79", ""), ("#b35900", "7 4"), ("#2e7d32", "2 3"), ("#6a1b9a", "10 3 2 3"))
"""(stroke colour, dash pattern): distinguishable by dash alone when printed in grey."""
REFERENCE_STYLE = ("#777", "1 3", 1.5)
CHAR_WIDTH = 6.6
"""Rough width of one character of 12px sans-serif, for sizing margins to labels."""


def n(value: float) -> str:
    """A coordinate to one decimal: enough for a screen pixel, and short."""
    text = f"{value:.1f}"
    return "0" if text == "-0.0" else text.removesuffix(".0")


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """Tick labels with as many decimals as the step needs, and no more (0, 0.2, 0.4 rather than 0.000 ...)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9:
        decimals += 1
    if decimals == 0 and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{decimals}f}"


def padded_range(values: Iterable[float | None]) -> tuple[float, float]:
    """The span of the finite values, widened to round ticks; (0, 1) when there is nothing to span."""
    found = [v for v in (finite(x) for x in values) if v is not None]
    if not found:
        return 0.0, 1.0
    low, high = min(found), max(found)
    if low == high:
        low, high = low - 0.5, high + 0.5
    ticks = nice_ticks(low, high)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return min(low, math.floor(low / step) * step), max(high, math.ceil(high / step) * step)


def svg_open(width: float, height: float, title: str) -> str:
    """The opening of a chart: its size, its title for screen readers and hover, and a white ground."""
    return (
        f'<svg width="{n(width)}" height="{n(height)}" viewBox="0 0 {n(width)} {n(height)}" role="img" '
        f'aria-label="{esc(title)}" font-size="12"><title>{esc(title)}</title>'
        f'<rect x="0" y="0" width="{n(width)}" height="{n(height)}" fill="#fff"/>'
    )


def legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Legend entries (swatch markup drawn at the origin, name) laid out in rows; returns markup and height."""
    parts: list[str] = []
    cx, cy = x, y
    for swatch, name in items:
        item_width = 34 + CHAR_WIDTH * len(name) + 16
        if cx > x and cx + item_width > x + width:
            cx, cy = x, cy + 18
        parts.append(f'<g transform="translate({n(cx)},{n(cy)})">{swatch}')
        parts.append(f'<text x="34" y="4" fill="{INK}">{esc(name)}</text></g>')
        cx += item_width
    return "".join(parts), (cy - y) + 18 if items else 0.0


def marker_shape(shape: str, x: float, y: float, size: float) -> str:
    """A marked point: a filled circle, or a hollow square where a second marker must differ by shape."""
    if shape == "square":
        return (
            f'<rect x="{n(x - size)}" y="{n(y - size)}" width="{n(2 * size)}" height="{n(2 * size)}" '
            f'fill="#fff" stroke="{INK}" stroke-width="2"/>'
        )
    return f'<circle cx="{n(x)}" cy="{n(y)}" r="{n(size)}" fill="{INK}" stroke="#fff" stroke-width="1.5"/>'
