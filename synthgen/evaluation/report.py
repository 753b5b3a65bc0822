"""One self-contained HTML page per linkage evaluation, readable offline and on paper.

A report is passed around as a file: attached to an email, left on a shared drive, opened on a locked-down
machine with no internet, printed for a meeting. So the page loads nothing: no scripts, fonts, stylesheets or
images from elsewhere; the styling is one <style> block and every plot is inline SVG drawn here from the
numbers. Drawing the SVG by hand (rather than with matplotlib or a JavaScript library) keeps the package free of
a plotting dependency and makes the output deterministic: the same result gives the same bytes, so reports can
be diffed and tested. Meaning never rests on colour alone (series differ by fill and dash pattern as well, and
highlighted cells are also bold and underlined), so the page survives a greyscale printer and colour blindness.

Every string taken from the result is escaped with `html.escape`: record values are synthetic data built to be
messy, and the predictions file name and method come from whoever ran the evaluation.

The helpers (`html_table`, `svg_line_chart`, `svg_bar_chart`, `figure`, `page`) know nothing about linkage, so
later reports (data sharing, data quality) reuse them and look the same.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FEW_PAIRS = 30
"""Recall from fewer true pairs than this is marked as uncertain: at 30 pairs a 95% interval is still about
+/-0.18 wide around a recall of 0.5, too wide to rank one error kind or source pair above another."""

SIZE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 4, "4"),
    (5, 9, "5-9"),
    (10, 99, "10-99"),
    (100, None, "100+"),
)
"""Cluster sizes as plotted: exact where almost every cluster is (people have a handful of records), widening
buckets above, so one giant over-merged cluster still shows without a thousand empty bars."""

MAX_CURVE_POINTS = 400
"""More points than this are thinned before plotting: they add bytes, not visible detail, at chart width."""

EXAMPLE_COLUMNS = (
    "record_id",
    "source",
    "person_id",
    "cluster_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "nhs_number",
    "upn",
    "errors",
)
"""Column order for example records; keys not listed here follow in the order they first appear."""

NOT_COMPARED = frozenset({"record_id", "source", "errors"})
"""Example columns that differ between records by design, so highlighting them would only add noise."""

FREE_TEXT = frozenset({"given_name", "family_name", "errors"})
"""Example columns that may wrap; identifiers, dates and postcodes stay on one line so they read as one token."""

_INK = "#222"
_GRID = "#ddd"
_AXIS = "#555"
# (stroke colour, dash pattern): distinguishable by dash alone when printed in grey.
_LINE_STYLES = (("#1f4e79", ""), ("#b35900", "7 4"), ("#2e7d32", "2 3"), ("#6a1b9a", "10 3 2 3"))
_REFERENCE_STYLE = ("#777", "1 3", 1.5)
# (fill, stroke): dark solid, white outlined, mid grey: distinguishable without colour.
_BAR_STYLES = (("#1f4e79", "#1f4e79"), ("#ffffff", "#1f4e79"), ("#9aa9b8", "#4a5a6a"))
_CHAR_WIDTH = 6.6  # rough width of one character of 12px sans-serif, for sizing margins to labels

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #222; background: #fff; margin: 0 auto; max-width: 1160px; padding: 24px 32px 48px;
  line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 2em 0 .6em; padding-bottom: .2em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05em; margin: 1.4em 0 .4em; }
p.summary { font-size: 1.05em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; font-size: .92em; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav ol { columns: 2; margin: .4em 0; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: .9em; min-width: 14em; }
table.ex { font-size: .82em; }
table.ex td { white-space: nowrap; }
table.ex td.wrap { white-space: normal; overflow-wrap: anywhere; min-width: 7em; }
td .sub { display: block; font-size: .85em; color: #555; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; white-space: nowrap; }
th, td { border: 1px solid #bbb; padding: .2em .6em; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.diff { background: #ffe9a8; font-weight: 700; text-decoration: underline dotted; }
.null { color: #777; }
.few { font-size: .78em; font-weight: 600; border: 1px solid #666; border-radius: 3px; padding: 0 .3em;
  margin-left: .4em; white-space: nowrap; }
.row { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
figure { margin: 0 0 1em; }
figcaption { font-size: .88em; color: #444; max-width: 560px; }
svg { max-width: 100%; height: auto; font-family: inherit; }
.scroll { overflow-x: auto; }
.note, p.empty { color: #444; font-size: .9em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2, h3 { break-after: avoid; }
  figure, .example { break-inside: avoid; }
  td.diff, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .scroll { overflow: visible; }
  table.ex { font-size: .78em; }
  table.ex td { white-space: normal; overflow-wrap: anywhere; }
}
"""


# --------------------------------------------------------------------------------------------------- formatting


def esc(value: object) -> str:
    """Any value as escaped text (quotes too, so the result is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def _finite(value: Any) -> float | None:
    """A plottable number, or None for missing, non-numeric and non-finite values."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fmt_metric(value: Any, decimals: int = 4) -> str:
    """A score to fixed decimals; a dash for missing values rather than a misleading 0 or 'nan'."""
    number = _finite(value)
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


# ------------------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Cell:
    """A table cell that needs more than plain text: markup built by this module, a class, or hover text."""

    text: str
    markup: bool = False  # text is HTML already (escaped where needed); otherwise it is escaped here
    classes: str = ""
    title: str = ""


CellValue = Cell | str | int | float | None


def _cell(value: CellValue, tag: str) -> str:
    classes: list[str] = []
    title = ""
    if isinstance(value, Cell):
        body = value.text if value.markup else esc(value.text)
        classes.extend(value.classes.split())
        title = value.title
    elif value is None:
        body = "—"
        classes.append("null")
    elif isinstance(value, bool):
        body = "yes" if value else "no"
    elif isinstance(value, int):
        body = fmt_count(value)
        classes.append("num")
    elif isinstance(value, float):
        body = fmt_metric(value)
        classes.append("num")
    else:
        body = esc(value)
    attributes = f' class="{esc(" ".join(classes))}"' if classes else ""
    if title:
        attributes += f' title="{esc(title)}"'
    return f"<{tag}{attributes}>{body}</{tag}>"


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    *,
    caption: str = "",
    empty: str = "Nothing to show.",
    numeric: Sequence[bool] | None = None,
    classes: str = "",
) -> str:
    """A bordered table; ints get thousands separators and floats four decimals, both right-aligned.

    Headers are plain text. `numeric` right-aligns header cells of number columns (worked out from the first
    row when not given) so a header sits over its figures. With no rows, a one-line note replaces the table,
    which reads better than an empty grid.
    """
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    if numeric is None:
        numeric = [
            (isinstance(v, int | float) and not isinstance(v, bool)) or (isinstance(v, Cell) and "num" in v.classes)
            for v in rows[0]
        ]
    num_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_class if i < len(numeric) and numeric[i] else ""}>{esc(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(_cell(value, "td") for value in cells) + "</tr>" for cells in rows)
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    table_class = f' class="{esc(classes)}"' if classes else ""
    return (
        f'<div class="scroll"><table{table_class}>{caption_html}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


# ------------------------------------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class LineSeries:
    """One line of a line chart: points joined in the order given (a curve, not a scatter plot).

    A None or non-finite y breaks the line rather than dropping to zero. `point_titles` gives each point hover
    text (an SVG <title>, no script needed), e.g. the threshold behind a point of a precision-recall curve.
    """

    name: str
    xs: Sequence[float | None]
    ys: Sequence[float | None]
    point_titles: Sequence[str] | None = None
    reference: bool = False  # a guide (thin, grey, dotted, no points), not data: e.g. a line of equal F1


@dataclass(frozen=True)
class PointMarker:
    """A labelled point drawn over a line chart, e.g. the best threshold on a precision-recall curve."""

    x: float
    y: float
    label: str
    shape: str = "circle"  # "circle" or "square": two markers on one chart differ by shape, not colour


@dataclass(frozen=True)
class BarSeries:
    """One series of a bar chart, one value per category; `intervals` adds a whisker (low, high) per bar."""

    name: str
    values: Sequence[float | None]
    intervals: Sequence[tuple[float, float] | None] | None = None
    value_titles: Sequence[str] | None = None  # hover text per bar; the formatted value when not given


def _n(value: float) -> str:
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


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    """Tick labels with as many decimals as the step needs, and no more (0, 0.2, 0.4 rather than 0.000 ...)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9:
        decimals += 1
    if decimals == 0 and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{decimals}f}"


def _padded_range(values: Iterable[float | None]) -> tuple[float, float]:
    """The span of the finite values, widened to round ticks; (0, 1) when there is nothing to span."""
    finite = [v for v in (_finite(x) for x in values) if v is not None]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    if low == high:
        low, high = low - 0.5, high + 0.5
    ticks = nice_ticks(low, high)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return min(low, math.floor(low / step) * step), max(high, math.ceil(high / step) * step)


def _svg_open(width: float, height: float, title: str) -> str:
    return (
        f'<svg width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-label="{esc(title)}" font-size="12"><title>{esc(title)}</title>'
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#fff"/>'
    )


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Legend entries (swatch markup drawn at the origin, name) laid out in rows; returns markup and height."""
    parts: list[str] = []
    cx, cy = x, y
    for swatch, name in items:
        item_width = 34 + _CHAR_WIDTH * len(name) + 16
        if cx > x and cx + item_width > x + width:
            cx, cy = x, cy + 18
        parts.append(f'<g transform="translate({_n(cx)},{_n(cy)})">{swatch}')
        parts.append(f'<text x="34" y="4" fill="{_INK}">{esc(name)}</text></g>')
        cx += item_width
    return "".join(parts), (cy - y) + 18 if items else 0.0


def _marker_shape(shape: str, x: float, y: float, size: float) -> str:
    if shape == "square":
        return (
            f'<rect x="{_n(x - size)}" y="{_n(y - size)}" width="{_n(2 * size)}" height="{_n(2 * size)}" '
            f'fill="#fff" stroke="{_INK}" stroke-width="2"/>'
        )
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size)}" fill="{_INK}" stroke="#fff" stroke-width="1.5"/>'


def svg_line_chart(
    series: Sequence[LineSeries],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    markers: Sequence[PointMarker] = (),
    vlines: Sequence[tuple[float, str]] = (),
    width: float = 520,
    height: float = 400,
    show_points: bool = True,
) -> str:
    """A line chart with axes, grid, legend and optional labelled markers and vertical reference lines.

    Ranges default to the data's span rounded out to tick values; pass (0, 1) for rates so charts compare at a
    glance. Points outside the range are clamped to the frame (no clip paths: they would need ids unique across
    the page). Series are told apart by dash pattern as well as colour.
    """
    xs_all = [x for s in series for x in s.xs]
    ys_all = [y for s in series for y in s.ys]
    x0, x1 = x_range if x_range is not None else _padded_range(xs_all)
    y0, y1 = y_range if y_range is not None else _padded_range(ys_all)
    if x1 <= x0:
        x0, x1 = x0 - 0.5, x0 + 0.5
    if y1 <= y0:
        y0, y1 = y0 - 0.5, y0 + 0.5
    x_ticks = nice_ticks(x0, x1)
    y_ticks = nice_ticks(y0, y1)
    y_tick_labels = [_tick_label(t, y_ticks) for t in y_ticks]
    left = 30 + _CHAR_WIDTH * max((len(t) for t in y_tick_labels), default=1) + 8
    right, top = 18.0, 14.0
    legend_items = [(_line_swatch(i, s.reference), s.name) for i, s in enumerate(series) if s.name]
    legend_items += [(_marker_shape(m.shape, 17, 0, 5), m.label) for m in markers]
    legend, legend_height = _legend(legend_items, left, 0, width - left - right)
    bottom = 46 + (legend_height + 8 if legend_items else 0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (min(max(x, x0), x1) - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (min(max(y, y0), y1) - y0) / (y1 - y0) * plot_h

    out = [_svg_open(width, height, title)]
    for t in x_ticks:
        out.append(f'<line x1="{_n(sx(t))}" y1="{_n(top)}" x2="{_n(sx(t))}" y2="{_n(top + plot_h)}" stroke="{_GRID}"/>')
        out.append(
            f'<text x="{_n(sx(t))}" y="{_n(top + plot_h + 16)}" text-anchor="middle" fill="{_INK}">'
            f"{esc(_tick_label(t, x_ticks))}</text>"
        )
    for t, label in zip(y_ticks, y_tick_labels, strict=True):
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(sy(t))}" x2="{_n(left + plot_w)}" y2="{_n(sy(t))}" stroke="{_GRID}"/>'
        )
        out.append(f'<text x="{_n(left - 6)}" y="{_n(sy(t) + 4)}" text-anchor="end" fill="{_INK}">{esc(label)}</text>')
    out.append(
        f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(plot_w)}" height="{_n(plot_h)}" fill="none" stroke="{_AXIS}"/>'
    )
    out.append(
        f'<text x="{_n(left + plot_w / 2)}" y="{_n(top + plot_h + 36)}" text-anchor="middle" fill="{_INK}" '
        f'font-weight="600">{esc(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14,{_n(top + plot_h / 2)}) rotate(-90)" text-anchor="middle" fill="{_INK}" '
        f'font-weight="600">{esc(y_label)}</text>'
    )
    for x, label in vlines:
        vx = _finite(x)
        if vx is None or not x0 <= vx <= x1:
            continue
        out.append(
            f'<line x1="{_n(sx(vx))}" y1="{_n(top)}" x2="{_n(sx(vx))}" y2="{_n(top + plot_h)}" stroke="{_INK}" '
            f'stroke-dasharray="3 3"/>'
        )
        anchor = "end" if sx(vx) > left + plot_w * 0.75 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<text x="{_n(sx(vx) + dx)}" y="{_n(top + plot_h - 6)}" text-anchor="{anchor}" fill="{_INK}">'
            f"{esc(label)}</text>"
        )
    for i, s in enumerate(series):
        colour, dash, stroke_width = _line_style(i, s.reference)
        points = [
            (px, py, k)
            for k, (px, py) in enumerate(zip((_finite(x) for x in s.xs), (_finite(y) for y in s.ys), strict=False))
        ]
        path: list[str] = []
        pen_down = False
        for px, py, _ in points:
            if px is None or py is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_n(sx(px))} {_n(sy(py))}")
            pen_down = True
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        label = f"<title>{esc(s.name)}</title>" if s.name else ""
        if path:
            out.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" '
                f'stroke-width="{_n(stroke_width)}"{dash_attr}>{label}</path>'
            )
        if show_points and not s.reference:
            for px, py, k in points:
                if px is None or py is None:
                    continue
                hover = s.point_titles[k] if s.point_titles is not None and k < len(s.point_titles) else ""
                hover_html = f"<title>{esc(hover)}</title>" if hover else ""
                out.append(f'<circle cx="{_n(sx(px))}" cy="{_n(sy(py))}" r="2" fill="{colour}">{hover_html}</circle>')
    for m in markers:
        mx, my = _finite(m.x), _finite(m.y)
        if mx is None or my is None:
            continue
        out.append(f"<g>{_marker_shape(m.shape, sx(mx), sy(my), 6)}<title>{esc(m.label)}</title></g>")
    out.append(f'<g transform="translate(0,{_n(top + plot_h + 56)})">{legend}</g>' if legend_items else "")
    out.append("</svg>")
    return "".join(out)


def _line_style(index: int, reference: bool) -> tuple[str, str, float]:
    """(colour, dash pattern, width) of the index-th data series, or of a reference line."""
    if reference:
        return _REFERENCE_STYLE
    colour, dash = _LINE_STYLES[index % len(_LINE_STYLES)]
    return colour, dash, 2.0


def _line_swatch(index: int, reference: bool = False) -> str:
    colour, dash, stroke_width = _line_style(index, reference)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="0" y1="0" x2="28" y2="0" stroke="{colour}" stroke-width="{_n(stroke_width + 0.5)}"{dash_attr}/>'


def _bar_paint(index: int, muted: bool = False) -> str:
    """The fill and stroke of series `index`'s bars (faded when muted), shared by the bars and the legend."""
    fill, stroke = _BAR_STYLES[index % len(_BAR_STYLES)]
    opacity = ' fill-opacity="0.4"' if muted else ""
    return f'fill="{fill}"{opacity} stroke="{stroke}"'


def _bar_swatch(index: int) -> str:
    return f'<rect x="0" y="-6" width="28" height="12" {_bar_paint(index)} stroke-width="1.5"/>'


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
        return _svg_open(width, 60, title) + f'<text x="10" y="34" fill="{_INK}">No data.</text></svg>'
    values = [v for s in series for v in (_finite(x) for x in s.values) if v is not None]
    highs = [hi for s in series for iv in (s.intervals or ()) if iv is not None for hi in iv[1:]]
    top_value = max([*values, *highs], default=1.0)
    if log_scale:
        floor = 0.5
        low, high = math.log10(floor), math.log10(max(top_value, 1.0) * 1.6)
        ticks = [10.0**e for e in range(0, math.floor(high) + 1)]
        tick_labels = [fmt_count(int(t)) for t in ticks]

        def scale(value: float) -> float:
            return (math.log10(max(value, floor)) - low) / (high - low)

    else:
        low, high = value_range if value_range is not None else (0.0, top_value if top_value > 0 else 1.0)
        if high <= low:
            high = low + 1.0
        ticks = nice_ticks(low, high)
        if value_range is None and ticks and ticks[-1] < high:
            step = ticks[1] - ticks[0] if len(ticks) > 1 else high
            high = ticks[-1] + step
            ticks.append(round(high, 12))
        tick_labels = [_tick_label(t, ticks) for t in ticks]

        def scale(value: float) -> float:
            return (min(max(value, low), high) - low) / (high - low)

    faded = list(muted) if muted is not None else [False] * len(categories)
    legend_items = [(_bar_swatch(i), s.name) for i, s in enumerate(series)] if len(series) > 1 else []
    whiskers = any(s.intervals for s in series)
    if whiskers:
        legend_items.append(
            (f'<line x1="2" y1="0" x2="26" y2="0" stroke="{_INK}" stroke-width="1.5"/>', "95% interval")
        )
    out: list[str] = []
    if horizontal:
        # Category labels sit above their bars rather than left of them, so long labels cost no bar width.
        left = 12.0
        right = 12 + _CHAR_WIDTH * max(len(value_format(v)) for v in values) if values else 40.0
        bar_h = 14.0
        label_h = 15.0
        group_h = label_h + bar_h * len(series) + 9
        top = 6.0
        max_chars = int((width - left - right) / _CHAR_WIDTH)
        plot_h = group_h * len(categories)
        plot_w = width - left - right
        legend, legend_height = _legend(legend_items, left, 0, plot_w)
        height = top + plot_h + 44 + (legend_height + 6 if legend_items else 0)
        out.append(_svg_open(width, height, title))

        def sv(value: float) -> float:
            return left + scale(value) * plot_w

        for t, label in zip(ticks, tick_labels, strict=True):
            out.append(
                f'<line x1="{_n(sv(t))}" y1="{_n(top)}" x2="{_n(sv(t))}" y2="{_n(top + plot_h)}" stroke="{_GRID}"/>'
            )
            out.append(
                f'<text x="{_n(sv(t))}" y="{_n(top + plot_h + 16)}" text-anchor="middle" fill="{_INK}">'
                f"{esc(label)}</text>"
            )
        for c, category in enumerate(categories):
            gy = top + c * group_h
            shown = category if len(category) <= max_chars else category[: max_chars - 1] + "…"
            out.append(
                f'<text x="{_n(left + 3)}" y="{_n(gy + label_h - 3)}" fill="{_INK}">'
                f"<title>{esc(category)}</title>{esc(shown)}</text>"
            )
            for i, s in enumerate(series):
                y = gy + label_h + i * bar_h
                out.append(
                    _bar(
                        s,
                        i,
                        c,
                        muted=faded[c],
                        base=sv(low if not log_scale else 0.5),
                        y=y,
                        x=None,
                        thickness=bar_h - 2,
                        sv=sv,
                        value_format=value_format,
                    )
                )
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}" stroke="{_AXIS}"/>'
            f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" y2="{_n(top + plot_h)}" '
            f'stroke="{_AXIS}"/>'
        )
        out.append(
            f'<text x="{_n(left + plot_w / 2)}" y="{_n(top + plot_h + 34)}" text-anchor="middle" fill="{_INK}" '
            f'font-weight="600">{esc(value_label)}</text>'
        )
        if legend_items:
            out.append(f'<g transform="translate(0,{_n(top + plot_h + 52)})">{legend}</g>')
    else:
        left = 30 + _CHAR_WIDTH * max(len(t) for t in tick_labels) + 8
        right, top = 12.0, 16.0
        legend, legend_height = _legend(legend_items, left, 0, width - left - right)
        bottom = 48 + (legend_height + 8 if legend_items else 0)
        plot_w, plot_h = width - left - right, height - top - bottom
        group_w = plot_w / len(categories)
        bar_w = group_w * 0.8 / len(series)
        # Value labels over bars only if every one fits its bar: some labelled and some not would read as a gap.
        widest = max((len(value_format(v)) for v in values), default=0)
        label_bars = widest * _CHAR_WIDTH * 10 / 12 <= bar_w + 2

        def sv(value: float) -> float:
            return top + plot_h - scale(value) * plot_h

        out.append(_svg_open(width, height, title))
        for t, label in zip(ticks, tick_labels, strict=True):
            out.append(
                f'<line x1="{_n(left)}" y1="{_n(sv(t))}" x2="{_n(left + plot_w)}" y2="{_n(sv(t))}" stroke="{_GRID}"/>'
            )
            out.append(
                f'<text x="{_n(left - 6)}" y="{_n(sv(t) + 4)}" text-anchor="end" fill="{_INK}">{esc(label)}</text>'
            )
        for c, category in enumerate(categories):
            gx = left + c * group_w
            out.append(
                f'<text x="{_n(gx + group_w / 2)}" y="{_n(top + plot_h + 16)}" text-anchor="middle" fill="{_INK}">'
                f"{esc(category)}</text>"
            )
            for i, s in enumerate(series):
                x = gx + group_w * 0.1 + i * bar_w
                out.append(
                    _bar(
                        s,
                        i,
                        c,
                        muted=faded[c],
                        base=sv(low if not log_scale else 0.5),
                        y=None,
                        x=x,
                        thickness=bar_w,
                        sv=sv,
                        value_format=value_format,
                        show_label=label_bars,
                    )
                )
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}" stroke="{_AXIS}"/>'
            f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" y2="{_n(top + plot_h)}" '
            f'stroke="{_AXIS}"/>'
        )
        if category_label:
            out.append(
                f'<text x="{_n(left + plot_w / 2)}" y="{_n(top + plot_h + 36)}" text-anchor="middle" fill="{_INK}" '
                f'font-weight="600">{esc(category_label)}</text>'
            )
        out.append(
            f'<text transform="translate(14,{_n(top + plot_h / 2)}) rotate(-90)" text-anchor="middle" '
            f'fill="{_INK}" font-weight="600">{esc(value_label)}</text>'
        )
        if legend_items:
            out.append(f'<g transform="translate(0,{_n(top + plot_h + 56)})">{legend}</g>')
    out.append("</svg>")
    return "".join(out)


def _bar(
    s: BarSeries,
    index: int,
    c: int,
    *,
    muted: bool,
    base: float,
    y: float | None,
    x: float | None,
    thickness: float,
    sv: Callable[[float], float],
    value_format: Callable[[float], str],
    show_label: bool = True,
) -> str:
    """One bar with its value label and whisker: along x when `y` is given (horizontal chart), else along y."""
    value = _finite(s.values[c]) if c < len(s.values) else None
    if value is None:
        return ""
    paint = _bar_paint(index, muted)
    end = sv(value)
    hover = s.value_titles[c] if s.value_titles is not None and c < len(s.value_titles) else value_format(value)
    label = esc(value_format(value))
    interval = s.intervals[c] if s.intervals is not None and c < len(s.intervals) else None
    parts = []
    if y is not None:
        parts.append(
            f'<rect x="{_n(base)}" y="{_n(y)}" width="{_n(max(end - base, 0))}" height="{_n(thickness)}" '
            f"{paint}><title>{esc(hover)}</title></rect>"
        )
        label_x = end
        if interval is not None:
            lo, hi = sv(interval[0]), sv(interval[1])
            mid = y + thickness / 2
            parts.append(
                f'<path d="M{_n(lo)} {_n(mid)}H{_n(hi)}M{_n(lo)} {_n(mid - 4)}V{_n(mid + 4)}M{_n(hi)} {_n(mid - 4)}'
                f'V{_n(mid + 4)}" stroke="{_INK}" stroke-width="1.2" fill="none"/>'
            )
            label_x = max(end, hi)
        parts.append(f'<text x="{_n(label_x + 5)}" y="{_n(y + thickness - 2)}" fill="{_INK}">{label}</text>')
    else:
        assert x is not None
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(end)}" width="{_n(thickness)}" height="{_n(max(base - end, 0))}" '
            f"{paint}><title>{esc(hover)}</title></rect>"
        )
        if show_label:
            parts.append(
                f'<text x="{_n(x + thickness / 2)}" y="{_n(end - 4)}" text-anchor="middle" font-size="10" '
                f'fill="{_INK}">{label}</text>'
            )
    return "".join(parts)


# -------------------------------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Section:
    """A titled part of a page; `body` is HTML built with the helpers here (so already escaped)."""

    heading: str
    body: str


def figure(svg: str, caption: str = "") -> str:
    """A chart with a caption under it; the caption says what to read from the chart, not what it is."""
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>" if caption else f"<figure>{svg}</figure>"


def row(*parts: str) -> str:
    """Blocks side by side while the page is wide enough, stacked when it is not (or on a narrow printout)."""
    return '<div class="row">' + "".join(f"<div>{p}</div>" for p in parts if p) + "</div>"


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def page(title: str, sections: Sequence[Section], *, intro: str = "") -> str:
    """A whole HTML document: title, `intro` (HTML), a contents list and the sections, styled for screen and print.

    Nothing is loaded from anywhere else, and no script runs, so the file can be mailed, archived and opened
    offline and says the same thing in every viewer.
    """
    taken: set[str] = set()
    anchors = [_slug(s.heading, taken) for s in sections]
    contents = "".join(f'<li><a href="#{a}">{esc(s.heading)}</a></li>' for a, s in zip(anchors, sections, strict=True))
    nav = f'<nav aria-label="Contents"><ol>{contents}</ol></nav>' if len(sections) > 1 else ""
    body = "".join(
        f'<section id="{a}"><h2>{esc(s.heading)}</h2>{s.body}</section>' for a, s in zip(anchors, sections, strict=True)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{esc(title)}</h1>{intro}</header>{nav}<main>{body}</main></body></html>\n"
    )


# ------------------------------------------------------------------------------------------------ linkage report


def _few(true_pairs: Any) -> bool:
    return isinstance(true_pairs, int) and true_pairs < FEW_PAIRS


def _few_badge(true_pairs: Any) -> str:
    return (
        f' <span class="few" title="fewer than {FEW_PAIRS} true pairs: the recall is uncertain">few pairs</span>'
        if _few(true_pairs)
        else ""
    )


def _interval(found: Any, total: Any) -> tuple[float, float] | None:
    """The 95% Wilson interval, or None where a count is missing from a hand-edited or older result."""
    if not (isinstance(found, int) and isinstance(total, int)):
        return None
    return wilson_interval(found, total)


def _interval_text(found: Any, total: Any) -> CellValue:
    interval = _interval(found, total)
    if interval is None:
        return None
    return Cell(f"{interval[0]:.3f}–{interval[1]:.3f}", classes="num")


def _share_table(
    headers: Sequence[str],
    labels: Sequence[CellValue],
    entries: Sequence[Mapping[str, Any]],
    keys: tuple[str, str, str],
    empty: str = "Nothing to show.",
) -> str:
    """A label, a total, a count within it, their share and its interval: the shape of every breakdown table."""
    total, count, share = keys
    table_rows: list[list[CellValue]] = [
        [label, e.get(total), e.get(count), _finite(e.get(share)), _interval_text(e.get(count), e.get(total))]
        for label, e in zip(labels, entries, strict=True)
    ]
    return html_table(headers, table_rows, empty=empty, numeric=[False, True, True, True, True])


def _by_recall(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Worst recall first (what to look at), the larger group first among equals; missing recalls last."""

    def key(r: Mapping[str, Any]) -> tuple[bool, float, int]:
        recall = _finite(r.get("recall"))
        pairs = r.get("true_pairs")
        return (recall is None, recall if recall is not None else 0.0, -pairs if isinstance(pairs, int) else 0)

    return sorted(rows, key=key)


def _summary(result: Mapping[str, Any]) -> str:
    predictions = esc(result.get("predictions", "predictions"))
    fmt = result.get("format")
    threshold = _finite(result.get("threshold"))
    if fmt == "pairs":
        how = "scored pairs" + (f", linked at score ≥ {threshold:g}" if threshold is not None else "")
    elif fmt == "clusters":
        how = "clusters"
    else:
        how = esc(fmt) if fmt else "predictions"
    method = result.get("method")
    by = f"; method {esc(method)}" if method else ""
    records = result.get("records")
    absent = result.get("absent_singletons")
    if isinstance(absent, int) and absent > 0:
        absent_text = f"{fmt_count(absent)} of them absent from the predictions and counted as singletons"
    elif absent == 0:
        absent_text = "every one of them present in the predictions"
    else:
        absent_text = "how many are absent from the predictions is not recorded"
    return (
        f'<p class="summary">Scored <strong>{predictions}</strong> ({how}{by}) against the truth of run '
        f"<strong>{esc(result.get('run', ''))}</strong>: {esc(fmt_count(records))} records, {absent_text}.</p>"
    )


def _meta(result: Mapping[str, Any]) -> str:
    items: list[tuple[str, str]] = [
        ("Run", esc(result.get("run", "—"))),
        ("Predictions", esc(result.get("predictions", "—"))),
        ("Format", esc(result.get("format", "—"))),
    ]
    if result.get("format") == "pairs" or result.get("threshold") is not None:
        threshold = result.get("threshold")
        items.append(("Threshold", esc(f"{threshold:g}" if _finite(threshold) is not None else "—")))
    if result.get("method"):
        items.append(("Method", esc(result["method"])))
    items.append(("Records in the run", esc(fmt_count(result.get("records")))))
    items.append(("Records in the predictions", esc(fmt_count(result.get("records_in_predictions")))))
    items.append(("Absent, scored as singletons", esc(fmt_count(result.get("absent_singletons")))))
    if "self_pairs_ignored" in result:
        items.append(("Self-pairs ignored", esc(fmt_count(result["self_pairs_ignored"]))))
    return '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _headline(result: Mapping[str, Any]) -> str:
    families = (
        ("pairwise", "Pairwise", "pairs of records put together; large clusters weigh most"),
        ("bcubed", "B-cubed", "per record, averaged: every record weighs the same"),
        ("cluster", "Cluster (exact)", "whole people reproduced exactly as one cluster"),
    )
    rows: list[list[CellValue]] = []
    for key, name, meaning in families:
        values = result.get(key) or {}
        rows.append(
            [
                Cell(f"<strong>{esc(name)}</strong>", markup=True, title=meaning),
                Cell(fmt_metric(values.get("precision")), classes="num"),
                Cell(fmt_metric(values.get("recall")), classes="num"),
                Cell(fmt_metric(values.get("f1")), classes="num"),
                meaning,
            ]
        )
    main = html_table(["Measure", "Precision", "Recall", "F1", "What it counts"], rows, caption="Precision and recall")
    info = html_table(
        ["Measure", "Value"],
        [
            ["Homogeneity", Cell(fmt_metric(result.get("homogeneity")), classes="num")],
            ["Completeness", Cell(fmt_metric(result.get("completeness")), classes="num")],
            ["V-measure", Cell(fmt_metric(result.get("v_measure")), classes="num")],
            ["Adjusted Rand index", Cell(fmt_metric(result.get("adjusted_rand_index")), classes="num")],
        ],
        caption="Information and chance-corrected",
        numeric=[False, True],
    )
    counts = result.get("counts") or {}
    count_rows: list[list[CellValue]] = [
        ["Records", counts.get("records")],
        ["True clusters (people)", counts.get("true_clusters")],
        ["Predicted clusters", counts.get("predicted_clusters")],
        ["True pairs", counts.get("true_pairs")],
        ["Predicted pairs", counts.get("predicted_pairs")],
        ["True-positive pairs", counts.get("true_positive_pairs")],
    ]
    counts_table = html_table(["Count", "Value"], count_rows, caption="Counts", numeric=[False, True])
    return row(main) + row(info, counts_table)


def _curve_section(result: Mapping[str, Any]) -> str:
    curve = result["curve"]
    thresholds = list(curve.get("thresholds") or [])
    precision = list(curve.get("precision") or [])
    recall = list(curve.get("recall") or [])
    f1 = list(curve.get("f1") or [])
    n = min(len(thresholds), len(precision), len(recall), len(f1))
    if not n:
        return '<p class="empty">The curve has no points.</p>'
    keep = _thinned(n, MAX_CURVE_POINTS)
    thresholds, precision, recall, f1 = ([values[i] for i in keep] for values in (thresholds, precision, recall, f1))
    titles = [
        f"threshold {fmt_metric(t)}: precision {fmt_metric(p)}, recall {fmt_metric(r)}, F1 {fmt_metric(f)}"
        for t, p, r, f in zip(thresholds, precision, recall, f1, strict=True)
    ]
    best_threshold = _finite(curve.get("best_threshold"))
    best_f1 = _finite(curve.get("best_f1"))
    used = _finite(result.get("threshold"))
    markers: list[PointMarker] = []
    if best_threshold is not None and best_f1 is not None:
        # The best threshold is searched over every distinct score, the curve only sampled: mark the nearest
        # sampled point; the equal-F1 line below shows where the exact best lies.
        nearest = _nearest(thresholds, best_threshold)
        if nearest is not None and _finite(recall[nearest]) is not None and _finite(precision[nearest]) is not None:
            markers.append(
                PointMarker(
                    recall[nearest], precision[nearest], f"best F1 {best_f1:.4f} at threshold {best_threshold:.4g}"
                )
            )
    if used is not None:
        nearest = _nearest(thresholds, used)
        if nearest is not None and _finite(recall[nearest]) is not None and _finite(precision[nearest]) is not None:
            markers.append(PointMarker(recall[nearest], precision[nearest], f"threshold used ({used:g})", "square"))
    series = [LineSeries("precision against recall", recall, precision, titles)]
    if best_f1 is not None and 0 < best_f1 < 1:
        # Where F1 equals the best F1: P = F R / (2R - F), for R from F / (2 - F) (P = 1) to 1.
        start = best_f1 / (2 - best_f1)
        rs = [start + (1 - start) * k / 60 for k in range(61)]
        series.append(
            LineSeries(f"F1 = {best_f1:.4f}", rs, [best_f1 * r / (2 * r - best_f1) for r in rs], reference=True)
        )
    pr = svg_line_chart(
        series,
        title="Precision-recall curve",
        x_label="Recall",
        y_label="Precision",
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
        markers=markers,
        width=480,
        height=460,
    )
    vlines: list[tuple[float, str]] = []
    if best_threshold is not None:
        vlines.append((best_threshold, f"best {best_threshold:.4g}"))
    by_threshold = svg_line_chart(
        [
            LineSeries("precision", thresholds, precision, titles),
            LineSeries("recall", thresholds, recall, titles),
            LineSeries("F1", thresholds, f1, titles),
        ],
        title="Precision, recall and F1 by threshold",
        x_label="Threshold (link pairs scoring at least this)",
        y_label="Score",
        y_range=(0.0, 1.0),
        vlines=vlines,
        width=480,
        height=460,
        show_points=False,
    )
    if best_threshold is not None and best_f1 is not None:
        best_text = (
            f"The best pairwise F1 of scored pairs is {best_f1:.4f}, linking pairs scoring at least "
            f"{best_threshold:.4g}"
        )
    elif best_f1 is not None:
        best_text = f"No threshold beats linking nothing (F1 {best_f1:.4f})"
    else:
        best_text = "No best threshold was recorded"
    caption = (
        f"{best_text}. Each point is one threshold (hover for its values); precision is of the scored pairs "
        "themselves, before clusters are formed, and recall counts every true pair, scored or not. The dotted "
        "curve joins all precision-recall combinations with the best F1."
    )
    return row(
        figure(pr, caption),
        figure(by_threshold, "The same scores against the threshold; the vertical line marks the best one."),
    )


def _thinned(n: int, limit: int) -> list[int]:
    """Indices of at most `limit` points spread evenly over n, keeping the first and the last."""
    if n <= limit:
        return list(range(n))
    return sorted({round(k * (n - 1) / (limit - 1)) for k in range(limit)})


def _nearest(values: Sequence[Any], target: float) -> int | None:
    best: int | None = None
    for i, value in enumerate(values):
        v = _finite(value)
        if v is not None and (best is None or abs(v - target) < abs(float(values[best]) - target)):
            best = i
    return best


def _size_histogram(histogram: Mapping[str, Any]) -> dict[str, int]:
    counts = dict.fromkeys((label for _, _, label in SIZE_BUCKETS), 0)
    for size_text, count in histogram.items():
        try:
            size = int(size_text)
        except (TypeError, ValueError):
            continue
        for low, high, label in SIZE_BUCKETS:
            if size >= low and (high is None or size <= high):
                counts[label] += int(count)
                break
    return counts


def _sizes_section(result: Mapping[str, Any]) -> str:
    sizes = result.get("cluster_sizes") or {}
    true = _size_histogram(sizes.get("true") or {})
    predicted = _size_histogram(sizes.get("predicted") or {})
    labels = [label for _, _, label in SIZE_BUCKETS]
    used = [i for i, label in enumerate(labels) if true[label] or predicted[label]]
    if not used:
        return '<p class="empty">No cluster sizes were recorded.</p>'
    shown = labels[: max(max(used) + 1, 2)]
    chart = svg_bar_chart(
        shown,
        [
            BarSeries("true (people)", [true[label] for label in shown]),
            BarSeries("predicted", [predicted[label] for label in shown]),
        ],
        title="Cluster sizes, predicted against true",
        value_label="Clusters (log scale)",
        category_label="Records per cluster",
        log_scale=True,
        value_format=lambda v: fmt_count(int(v)),
        width=520,
        height=340,
    )
    table = html_table(
        ["Records per cluster", "True", "Predicted", "Difference"],
        [
            [label, true[label], predicted[label], Cell(f"{predicted[label] - true[label]:+,}", classes="num")]
            for label in shown
        ],
        caption="Clusters by size",
    )
    caption = (
        "More predicted than true singletons and fewer large clusters mean people were split; the reverse, or a "
        "tail beyond the true sizes, means people were merged."
    )
    return row(figure(chart, caption), table)


def _splits_merges_section(result: Mapping[str, Any]) -> str:
    def rows(mapping: Mapping[str, Any]) -> list[list[CellValue]]:
        items = []
        for k, v in mapping.items():
            try:
                items.append((int(k), v))
            except (TypeError, ValueError):
                continue
        return [[Cell(str(k), classes="num"), v] for k, v in sorted(items)]

    splits = html_table(
        ["Predicted clusters", "People"],
        rows(result.get("splits") or {}),
        caption="People split over several clusters",
        empty="No person is split.",
        numeric=[True, True],
    )
    merges = html_table(
        ["People", "Predicted clusters"],
        rows(result.get("merges") or {}),
        caption="Clusters merging several people",
        empty="No cluster merges people.",
        numeric=[True, True],
    )
    return row(splits, merges)


def _error_kind_section(result: Mapping[str, Any]) -> str:
    entries = _by_recall(result.get("recall_by_error_kind") or [])
    if not entries:
        return '<p class="empty">No recall by error kind was recorded.</p>'
    labels = []
    kind_cells: list[CellValue] = []
    for e in entries:
        kind = str(e.get("kind", ""))
        field = str(e.get("field") or "")
        if kind == "none" and not field:
            kind = "no error"
        labels.append(kind + (f" ({field})" if field else "") + (" [few]" if _few(e.get("true_pairs")) else ""))
        badge = _few_badge(e.get("true_pairs"))
        sub = f'<span class="sub">{esc(field)}{badge}</span>' if field or badge else ""
        kind_cells.append(Cell(esc(kind) + sub, markup=True))
    intervals = [_interval(e.get("found"), e.get("true_pairs")) for e in entries]
    chart = svg_bar_chart(
        labels,
        [
            BarSeries(
                "recall",
                [_finite(e.get("recall")) for e in entries],
                intervals,
                [
                    f"{fmt_metric(e.get('recall'))}: {fmt_count(e.get('found'))} of {fmt_count(e.get('true_pairs'))}"
                    for e in entries
                ],
            )
        ],
        title="Recall by error kind",
        value_label="Recall (true pairs with this error on either record)",
        horizontal=True,
        value_range=(0.0, 1.0),
        muted=[_few(e.get("true_pairs")) for e in entries],
        width=460,
    )
    table = _share_table(
        ["Error kind, field", "True pairs", "Found", "Recall", "95% interval"],
        kind_cells,
        entries,
        ("true_pairs", "found", "recall"),
    )
    caption = (
        f"Worst first. A pair counts under every error kind on either of its records. Bars marked [few] (faded) "
        f"rest on fewer than {FEW_PAIRS} true pairs; whiskers show the 95% Wilson interval."
    )
    return row(figure(chart, caption), table)


def _source_pair_section(result: Mapping[str, Any]) -> str:
    entries = _by_recall(result.get("recall_by_source_pair") or [])
    table = _share_table(
        ["Sources", "True pairs", "Found", "Recall", "95% interval"],
        [Cell(esc(e.get("sources", "")) + _few_badge(e.get("true_pairs")), markup=True) for e in entries],
        entries,
        ("true_pairs", "found", "recall"),
        empty="No recall by source pair was recorded.",
    )
    note = '<p class="note">Worst first: which agencies\' records the system fails to bring together.</p>'
    return (note if entries else "") + table


def _hard_negative_section(result: Mapping[str, Any]) -> str:
    def key(r: Mapping[str, Any]) -> tuple[float, str]:
        share = _finite(r.get("share"))
        return (-(share if share is not None else -1.0), str(r.get("kind", "")))

    entries = sorted(result.get("false_merges_by_hard_negative") or [], key=key)
    table = _share_table(
        ["Hard negative", "Pairs of people", "Merged", "Share merged", "95% interval"],
        [str(e.get("kind", "")) for e in entries],
        entries,
        ("pairs", "merged", "share"),
        empty="The run has no hard negatives, or none were recorded.",
    )
    note = (
        '<p class="note">Different people built to look alike (twins, siblings, namesakes): the share the system '
        "put in one cluster. Lower is better; worst first.</p>"
    )
    return (note if entries else "") + table


def _example_columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(record))
    ordered = [c for c in EXAMPLE_COLUMNS if c in present]
    return ordered + [c for c in present if c not in EXAMPLE_COLUMNS]


def example_table(records: Sequence[Mapping[str, Any]], caption: str = "") -> str:
    """Records side by side, one row each; cells that differ from the first record are highlighted.

    The first record is the reference because the eye reads down a column from it; the highlight is a shaded,
    bold, underlined cell (still visible in greyscale), with a hover note saying what it means.
    """
    if not records:
        return '<p class="empty">No records.</p>'
    columns = _example_columns(records)
    first = records[0]
    rows: list[list[CellValue]] = []
    for n, record in enumerate(records):
        cells: list[CellValue] = []
        for column in columns:
            value = record.get(column)
            text = "—" if value is None else str(value)
            classes = "null" if value is None else ""
            if column in FREE_TEXT:
                classes = f"{classes} wrap".strip()
            if n > 0 and column not in NOT_COMPARED and value != first.get(column):
                cells.append(Cell(text, classes=f"diff {classes}".strip(), title="differs from the first record"))
            else:
                cells.append(Cell(text, classes=classes))
        rows.append(cells)
    # Headers as words ("date of birth"), so a narrow page or printout can wrap them.
    headers = [column.replace("_", " ") for column in columns]
    return html_table(headers, rows, caption=caption, numeric=[False] * len(columns), classes="ex")


def _examples_section(result: Mapping[str, Any]) -> str:
    examples = result.get("examples") or {}
    parts = [
        '<p class="note">Records of one person the system split, and of one cluster holding several people. '
        "Cells that differ from the first record are <strong>bold, underlined and shaded</strong>.</p>"
    ]
    parts.append("<h3>People split over several clusters</h3>")
    splits = examples.get("splits") or []
    if not splits:
        parts.append('<p class="empty">No person is split.</p>')
    for example in splits:
        caption = (
            f"Person {example.get('person_id', '?')}: {fmt_count(example.get('clusters'))} predicted clusters, "
            f"{fmt_count(len(example.get('records') or []))} records"
        )
        parts.append(f'<div class="example">{example_table(example.get("records") or [], caption)}</div>')
    parts.append("<h3>Clusters merging several people</h3>")
    merges = examples.get("merges") or []
    if not merges:
        parts.append('<p class="empty">No cluster merges people.</p>')
    for example in merges:
        caption = (
            f"Predicted cluster {example.get('cluster_id', '?')}: {fmt_count(example.get('people'))} people, "
            f"{fmt_count(len(example.get('records') or []))} records"
        )
        parts.append(f'<div class="example">{example_table(example.get("records") or [], caption)}</div>')
    return "".join(parts)


def linkage_report(result: dict[str, Any]) -> str:
    """The evaluation result (as `synthgen.evaluation.linkage.evaluate_linkage` returns it) as one HTML page.

    Sections run from the headline numbers to the evidence behind them (which errors and sources lose pairs,
    which look-alikes get merged, and the worst clusters record by record), the order a reader asks "how good"
    then "why". Sections whose data is absent (no curve for cluster predictions, empty lists) say so briefly
    rather than vanish, except the curve, which only scored pairs can have.
    """
    method = result.get("method")
    title = f"Linkage evaluation: {method}" if method else "Linkage evaluation"
    sections = [Section("Headline metrics", _headline(result))]
    if result.get("curve") is not None:
        sections.append(Section("Precision and recall by threshold", _curve_section(result)))
    sections += [
        Section("Cluster sizes", _sizes_section(result)),
        Section("Splits and merges", _splits_merges_section(result)),
        Section("Recall by error kind", _error_kind_section(result)),
        Section("Recall by source pair", _source_pair_section(result)),
        Section("False merges of hard negatives", _hard_negative_section(result)),
        Section("Worst examples", _examples_section(result)),
    ]
    return page(title, sections, intro=_summary(result) + _meta(result))
