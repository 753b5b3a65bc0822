"""Line charts: curves (a precision-recall curve, scores by threshold) with axes, grid, legend and marked points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synthgen.outputs.html.svg import (
    AXIS,
    CHAR_WIDTH,
    GRID,
    INK,
    LINE_STYLES,
    REFERENCE_STYLE,
    legend,
    marker_shape,
    n,
    nice_ticks,
    padded_range,
    svg_open,
    tick_label,
)
from synthgen.outputs.html.text import esc, finite


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
class _Plot:
    """Where the data goes: the plot area in pixels and the data ranges it shows (points outside are clamped)."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def sx(self, x: float) -> float:
        x0, x1 = self.x_range
        return self.left + (min(max(x, x0), x1) - x0) / (x1 - x0) * self.width

    def sy(self, y: float) -> float:
        y0, y1 = self.y_range
        return self.top + self.height - (min(max(y, y0), y1) - y0) / (y1 - y0) * self.height


def _line_style(index: int, reference: bool) -> tuple[str, str, float]:
    """(colour, dash pattern, width) of the index-th data series, or of a reference line."""
    if reference:
        return REFERENCE_STYLE
    colour, dash = LINE_STYLES[index % len(LINE_STYLES)]
    return colour, dash, 2.0


def _line_swatch(index: int, reference: bool = False) -> str:
    colour, dash, stroke_width = _line_style(index, reference)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="0" y1="0" x2="28" y2="0" stroke="{colour}" stroke-width="{n(stroke_width + 0.5)}"{dash_attr}/>'


def _range(given: tuple[float, float] | None, values: Sequence[float | None]) -> tuple[float, float]:
    low, high = given if given is not None else padded_range(values)
    return (low - 0.5, low + 0.5) if high <= low else (low, high)


def _axes(plot: _Plot, x_label: str, y_label: str) -> list[str]:
    """Grid lines and tick labels on both axes, the frame, and the axis titles."""
    x_ticks, y_ticks = nice_ticks(*plot.x_range), nice_ticks(*plot.y_range)
    top, bottom, right = plot.top, plot.top + plot.height, plot.left + plot.width
    out = []
    for t in x_ticks:
        out.append(f'<line x1="{n(plot.sx(t))}" y1="{n(top)}" x2="{n(plot.sx(t))}" y2="{n(bottom)}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{n(plot.sx(t))}" y="{n(bottom + 16)}" text-anchor="middle" fill="{INK}">'
            f"{esc(tick_label(t, x_ticks))}</text>"
        )
    for t in y_ticks:
        out.append(
            f'<line x1="{n(plot.left)}" y1="{n(plot.sy(t))}" x2="{n(right)}" y2="{n(plot.sy(t))}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{n(plot.left - 6)}" y="{n(plot.sy(t) + 4)}" text-anchor="end" fill="{INK}">'
            f"{esc(tick_label(t, y_ticks))}</text>"
        )
    out.append(
        f'<rect x="{n(plot.left)}" y="{n(top)}" width="{n(plot.width)}" height="{n(plot.height)}" fill="none" '
        f'stroke="{AXIS}"/>'
    )
    out.append(
        f'<text x="{n(plot.left + plot.width / 2)}" y="{n(bottom + 36)}" text-anchor="middle" fill="{INK}" '
        f'font-weight="600">{esc(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14,{n(top + plot.height / 2)}) rotate(-90)" text-anchor="middle" fill="{INK}" '
        f'font-weight="600">{esc(y_label)}</text>'
    )
    return out


def _vertical_lines(plot: _Plot, vlines: Sequence[tuple[float, str]]) -> list[str]:
    """Dashed reference lines across the plot at given x values, each labelled near its foot."""
    out = []
    x0, x1 = plot.x_range
    top, bottom = plot.top, plot.top + plot.height
    for x, label in vlines:
        vx = finite(x)
        if vx is None or not x0 <= vx <= x1:
            continue
        out.append(
            f'<line x1="{n(plot.sx(vx))}" y1="{n(top)}" x2="{n(plot.sx(vx))}" y2="{n(bottom)}" stroke="{INK}" '
            f'stroke-dasharray="3 3"/>'
        )
        anchor = "end" if plot.sx(vx) > plot.left + plot.width * 0.75 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<text x="{n(plot.sx(vx) + dx)}" y="{n(bottom - 6)}" text-anchor="{anchor}" fill="{INK}">'
            f"{esc(label)}</text>"
        )
    return out


def _series(plot: _Plot, index: int, s: LineSeries, show_points: bool) -> list[str]:
    """One series: its path (broken at missing points) and, for data, a dot per point with its hover text."""
    colour, dash, stroke_width = _line_style(index, s.reference)
    points = [
        (px, py, k)
        for k, (px, py) in enumerate(zip((finite(x) for x in s.xs), (finite(y) for y in s.ys), strict=False))
    ]
    path: list[str] = []
    pen_down = False
    for px, py, _ in points:
        if px is None or py is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{n(plot.sx(px))} {n(plot.sy(py))}")
        pen_down = True
    out = []
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    label = f"<title>{esc(s.name)}</title>" if s.name else ""
    if path:
        out.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" '
            f'stroke-width="{n(stroke_width)}"{dash_attr}>{label}</path>'
        )
    if show_points and not s.reference:
        for px, py, k in points:
            if px is None or py is None:
                continue
            hover = s.point_titles[k] if s.point_titles is not None and k < len(s.point_titles) else ""
            hover_html = f"<title>{esc(hover)}</title>" if hover else ""
            out.append(
                f'<circle cx="{n(plot.sx(px))}" cy="{n(plot.sy(py))}" r="2" fill="{colour}">{hover_html}</circle>'
            )
    return out


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
    xs = _range(x_range, [x for s in series for x in s.xs])
    ys = _range(y_range, [y for s in series for y in s.ys])
    y_ticks = nice_ticks(*ys)
    left = 30 + CHAR_WIDTH * max((len(tick_label(t, y_ticks)) for t in y_ticks), default=1) + 8
    right, top = 18.0, 14.0
    legend_items = [(_line_swatch(i, s.reference), s.name) for i, s in enumerate(series) if s.name]
    legend_items += [(marker_shape(m.shape, 17, 0, 5), m.label) for m in markers]
    key, key_height = legend(legend_items, left, 0, width - left - right)
    bottom = 46 + (key_height + 8 if legend_items else 0)
    plot = _Plot(left, top, width - left - right, height - top - bottom, xs, ys)
    out = [svg_open(width, height, title), *_axes(plot, x_label, y_label), *_vertical_lines(plot, vlines)]
    for i, s in enumerate(series):
        out += _series(plot, i, s, show_points)
    for m in markers:
        mx, my = finite(m.x), finite(m.y)
        if mx is None or my is None:
            continue
        out.append(f"<g>{marker_shape(m.shape, plot.sx(mx), plot.sy(my), 6)}<title>{esc(m.label)}</title></g>")
    out.append(f'<g transform="translate(0,{n(top + plot.height + 56)})">{key}</g>' if legend_items else "")
    out.append("</svg>")
    return "".join(out)
