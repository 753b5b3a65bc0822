"""Bar charts, vertical or horizontal, grouped by category, with the value at each bar and optional whiskers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synthgen.outputs.html.svg import AXIS, CHAR_WIDTH, GRID, INK, legend, n, nice_ticks, svg_open, tick_label
from synthgen.outputs.html.text import esc, finite, fmt_count, fmt_metric

_BAR_STYLES = (("#1f4e79", "#1f4e79"), ("#ffffff", "#1f4e79"), ("#9aa9b8", "#4a5a6a"))
"""(fill, stroke): dark solid, white outlined, mid grey: distinguishable without colour."""
LOG_FLOOR = 0.5
"""A log axis starts here, so a count of 1 still shows as a stub and 0 shows as no bar."""


@dataclass(frozen=True)
class BarSeries:
    """One series of a bar chart, one value per category; `intervals` adds a whisker (low, high) per bar."""

    name: str
    values: Sequence[float | None]
    intervals: Sequence[tuple[float, float] | None] | None = None
    value_titles: Sequence[str] | None = None  # hover text per bar; the formatted value when not given


@dataclass(frozen=True)
class _Axis:
    """The value axis: its ticks with their labels, and where a value falls along it (0 to 1)."""

    ticks: list[float]
    labels: list[str]
    scale: Callable[[float], float]
    base: float  # where bars start


def _log_axis(top_value: float) -> _Axis:
    low, high = math.log10(LOG_FLOOR), math.log10(max(top_value, 1.0) * 1.6)
    ticks = [10.0**e for e in range(0, math.floor(high) + 1)]

    def scale(value: float) -> float:
        return (math.log10(max(value, LOG_FLOOR)) - low) / (high - low)

    return _Axis(ticks, [fmt_count(int(t)) for t in ticks], scale, LOG_FLOOR)


def _linear_axis(top_value: float, value_range: tuple[float, float] | None) -> _Axis:
    low, high = value_range if value_range is not None else (0.0, top_value if top_value > 0 else 1.0)
    if high <= low:
        high = low + 1.0
    ticks = nice_ticks(low, high)
    if value_range is None and ticks and ticks[-1] < high:
        step = ticks[1] - ticks[0] if len(ticks) > 1 else high
        high = ticks[-1] + step
        ticks.append(round(high, 12))

    def scale(value: float) -> float:
        return (min(max(value, low), high) - low) / (high - low)

    return _Axis(ticks, [tick_label(t, ticks) for t in ticks], scale, low)


def _bar_paint(index: int, muted: bool = False) -> str:
    """The fill and stroke of series `index`'s bars (faded when muted), shared by the bars and the legend."""
    fill, stroke = _BAR_STYLES[index % len(_BAR_STYLES)]
    opacity = ' fill-opacity="0.4"' if muted else ""
    return f'fill="{fill}"{opacity} stroke="{stroke}"'


def _bar_swatch(index: int) -> str:
    return f'<rect x="0" y="-6" width="28" height="12" {_bar_paint(index)} stroke-width="1.5"/>'


@dataclass(frozen=True)
class _Bars:
    """What both orientations draw: the categories, series, axis, value format and which categories are faded."""

    categories: Sequence[str]
    series: Sequence[BarSeries]
    axis: _Axis
    value_format: Callable[[float], str]
    faded: list[bool]
    values: list[float]
    legend_items: list[tuple[str, str]]


def _axis_lines(left: float, top: float, plot_w: float, plot_h: float) -> str:
    return (
        f'<line x1="{n(left)}" y1="{n(top)}" x2="{n(left)}" y2="{n(top + plot_h)}" stroke="{AXIS}"/>'
        f'<line x1="{n(left)}" y1="{n(top + plot_h)}" x2="{n(left + plot_w)}" y2="{n(top + plot_h)}" '
        f'stroke="{AXIS}"/>'
    )


def _horizontal(bars: _Bars, title: str, value_label: str, width: float) -> list[str]:
    """Bars along x, category labels above their bars (so long labels cost no bar width); the height grows with
    the number of categories."""
    left = 12.0
    right = 12 + CHAR_WIDTH * max(len(bars.value_format(v)) for v in bars.values) if bars.values else 40.0
    bar_h, label_h, top = 14.0, 15.0, 6.0
    group_h = label_h + bar_h * len(bars.series) + 9
    max_chars = int((width - left - right) / CHAR_WIDTH)
    plot_h = group_h * len(bars.categories)
    plot_w = width - left - right
    key, key_height = legend(bars.legend_items, left, 0, plot_w)
    height = top + plot_h + 44 + (key_height + 6 if bars.legend_items else 0)
    out = [svg_open(width, height, title)]

    def sv(value: float) -> float:
        return left + bars.axis.scale(value) * plot_w

    for t, label in zip(bars.axis.ticks, bars.axis.labels, strict=True):
        out.append(f'<line x1="{n(sv(t))}" y1="{n(top)}" x2="{n(sv(t))}" y2="{n(top + plot_h)}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{n(sv(t))}" y="{n(top + plot_h + 16)}" text-anchor="middle" fill="{INK}">{esc(label)}</text>'
        )
    for c, category in enumerate(bars.categories):
        gy = top + c * group_h
        shown = category if len(category) <= max_chars else category[: max_chars - 1] + "…"
        out.append(
            f'<text x="{n(left + 3)}" y="{n(gy + label_h - 3)}" fill="{INK}">'
            f"<title>{esc(category)}</title>{esc(shown)}</text>"
        )
        for i, s in enumerate(bars.series):
            y = gy + label_h + i * bar_h
            base = sv(bars.axis.base)
            out.append(_bar(s, i, c, bars, base=base, y=y, x=None, thickness=bar_h - 2, sv=sv))
    out.append(_axis_lines(left, top, plot_w, plot_h))
    out.append(
        f'<text x="{n(left + plot_w / 2)}" y="{n(top + plot_h + 34)}" text-anchor="middle" fill="{INK}" '
        f'font-weight="600">{esc(value_label)}</text>'
    )
    if bars.legend_items:
        out.append(f'<g transform="translate(0,{n(top + plot_h + 52)})">{key}</g>')
    return out


def _vertical(bars: _Bars, title: str, value_label: str, category_label: str, width: float, height: float) -> list[str]:
    """Bars up from the category axis, values printed over them when every one fits its bar."""
    left = 30 + CHAR_WIDTH * max(len(t) for t in bars.axis.labels) + 8
    right, top = 12.0, 16.0
    key, key_height = legend(bars.legend_items, left, 0, width - left - right)
    bottom = 48 + (key_height + 8 if bars.legend_items else 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / len(bars.categories)
    bar_w = group_w * 0.8 / len(bars.series)
    # Value labels over bars only if every one fits its bar: some labelled and some not would read as a gap.
    widest = max((len(bars.value_format(v)) for v in bars.values), default=0)
    label_bars = widest * CHAR_WIDTH * 10 / 12 <= bar_w + 2

    def sv(value: float) -> float:
        return top + plot_h - bars.axis.scale(value) * plot_h

    out = [svg_open(width, height, title)]
    for t, label in zip(bars.axis.ticks, bars.axis.labels, strict=True):
        out.append(f'<line x1="{n(left)}" y1="{n(sv(t))}" x2="{n(left + plot_w)}" y2="{n(sv(t))}" stroke="{GRID}"/>')
        out.append(f'<text x="{n(left - 6)}" y="{n(sv(t) + 4)}" text-anchor="end" fill="{INK}">{esc(label)}</text>')
    for c, category in enumerate(bars.categories):
        gx = left + c * group_w
        out.append(
            f'<text x="{n(gx + group_w / 2)}" y="{n(top + plot_h + 16)}" text-anchor="middle" fill="{INK}">'
            f"{esc(category)}</text>"
        )
        for i, s in enumerate(bars.series):
            x = gx + group_w * 0.1 + i * bar_w
            base = sv(bars.axis.base)
            out.append(_bar(s, i, c, bars, base=base, y=None, x=x, thickness=bar_w, sv=sv, show_label=label_bars))
    out.append(_axis_lines(left, top, plot_w, plot_h))
    if category_label:
        out.append(
            f'<text x="{n(left + plot_w / 2)}" y="{n(top + plot_h + 36)}" text-anchor="middle" fill="{INK}" '
            f'font-weight="600">{esc(category_label)}</text>'
        )
    out.append(
        f'<text transform="translate(14,{n(top + plot_h / 2)}) rotate(-90)" text-anchor="middle" '
        f'fill="{INK}" font-weight="600">{esc(value_label)}</text>'
    )
    if bars.legend_items:
        out.append(f'<g transform="translate(0,{n(top + plot_h + 56)})">{key}</g>')
    return out


def svg_bar_chart(
    categories: Sequence[str],
    series: Sequence[BarSeries],
    *,
    title: str,
    value_label: str,
    category_label: str = "",
    horizontal: bool = False,
    log_scale: bool = False,
    value_range: tuple[float, float] | None = None,
    value_format: Callable[[float], str] = fmt_metric,
    muted: Sequence[bool] | None = None,
    width: float = 520,
    height: float = 360,
) -> str:
    """A grouped bar chart, vertical or horizontal, with the value printed at each bar.

    `log_scale` suits counts spanning orders of magnitude (18,000 singletons beside 40 clusters of three); its
    axis starts at 0.5 so a count of 1 still shows as a stub and 0 shows as no bar. Horizontal charts grow in
    height with the number of categories (the given `height` is ignored), so long lists of labels stay legible.
    `muted` draws some categories' bars faded, for estimates the caller also marks in the label as uncertain.
    """
    if not categories or not series:
        return svg_open(width, 60, title) + f'<text x="10" y="34" fill="{INK}">No data.</text></svg>'
    values = [v for s in series for v in (finite(x) for x in s.values) if v is not None]
    highs = [hi for s in series for iv in (s.intervals or ()) if iv is not None for hi in iv[1:]]
    top_value = max([*values, *highs], default=1.0)
    axis = _log_axis(top_value) if log_scale else _linear_axis(top_value, value_range)
    legend_items = [(_bar_swatch(i), s.name) for i, s in enumerate(series)] if len(series) > 1 else []
    if any(s.intervals for s in series):
        legend_items.append((f'<line x1="2" y1="0" x2="26" y2="0" stroke="{INK}" stroke-width="1.5"/>', "95% interval"))
    faded = list(muted) if muted is not None else [False] * len(categories)
    bars = _Bars(categories, series, axis, value_format, faded, values, legend_items)
    if horizontal:
        out = _horizontal(bars, title, value_label, width)
    else:
        out = _vertical(bars, title, value_label, category_label, width, height)
    out.append("</svg>")
    return "".join(out)


def _bar(
    s: BarSeries,
    index: int,
    c: int,
    bars: _Bars,
    *,
    base: float,
    y: float | None,
    x: float | None,
    thickness: float,
    sv: Callable[[float], float],
    show_label: bool = True,
) -> str:
    """One bar with its value label and whisker: along x when `y` is given (horizontal chart), else along y."""
    value = finite(s.values[c]) if c < len(s.values) else None
    if value is None:
        return ""
    paint = _bar_paint(index, bars.faded[c])
    end = sv(value)
    hover = s.value_titles[c] if s.value_titles is not None and c < len(s.value_titles) else bars.value_format(value)
    label = esc(bars.value_format(value))
    interval = s.intervals[c] if s.intervals is not None and c < len(s.intervals) else None
    parts = []
    if y is not None:
        parts.append(
            f'<rect x="{n(base)}" y="{n(y)}" width="{n(max(end - base, 0))}" height="{n(thickness)}" '
            f"{paint}><title>{esc(hover)}</title></rect>"
        )
        label_x = end
        if interval is not None:
            lo, hi = sv(interval[0]), sv(interval[1])
            mid = y + thickness / 2
            parts.append(
                f'<path d="M{n(lo)} {n(mid)}H{n(hi)}M{n(lo)} {n(mid - 4)}V{n(mid + 4)}M{n(hi)} {n(mid - 4)}'
                f'V{n(mid + 4)}" stroke="{INK}" stroke-width="1.2" fill="none"/>'
            )
            label_x = max(end, hi)
        parts.append(f'<text x="{n(label_x + 5)}" y="{n(y + thickness - 2)}" fill="{INK}">{label}</text>')
    else:
        assert x is not None
        parts.append(
            f'<rect x="{n(x)}" y="{n(end)}" width="{n(thickness)}" height="{n(max(base - end, 0))}" '
            f"{paint}><title>{esc(hover)}</title></rect>"
        )
        if show_label:
            parts.append(
                f'<text x="{n(x + thickness / 2)}" y="{n(end - 4)}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{label}</text>'
            )
    return "".join(parts)
