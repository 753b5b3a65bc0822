"""The HTML kit: self-contained pages (tables, inline SVG charts) for reports, case bundles and answer keys.

A page made here is passed around as a file: attached to an email, left on a shared drive, opened on a locked-down
machine with no internet, printed for a meeting. So it loads nothing: no scripts, fonts, stylesheets or images
from elsewhere; the styling is one <style> block and every plot is inline SVG drawn here from the numbers.
Drawing the SVG by hand (rather than with matplotlib or a JavaScript library) keeps the package free of a
plotting dependency and makes the output deterministic: the same numbers give the same bytes, so pages can be
diffed and tested. Meaning never rests on colour alone (series differ by fill and dash pattern as well, and
highlighted cells are also bold and underlined), so a page survives a greyscale printer and colour blindness.

Every string is escaped with `html.escape` (`esc`): record values are synthetic data built to be messy, and file
names come from whoever ran the command. The kit knows nothing about linkage, sharing or training, so every page
synthgen writes reads and prints alike.
"""

from synthgen.outputs.html.bar_chart import BarSeries, svg_bar_chart
from synthgen.outputs.html.line_chart import LineSeries, PointMarker, svg_line_chart
from synthgen.outputs.html.page import Section, figure, page, row
from synthgen.outputs.html.svg import nice_ticks
from synthgen.outputs.html.table import Cell, CellValue, html_table
from synthgen.outputs.html.text import esc, finite, fmt_count, fmt_metric, wilson_interval

__all__ = [
    "BarSeries",
    "Cell",
    "CellValue",
    "LineSeries",
    "PointMarker",
    "Section",
    "esc",
    "figure",
    "finite",
    "fmt_count",
    "fmt_metric",
    "html_table",
    "nice_ticks",
    "page",
    "row",
    "svg_bar_chart",
    "svg_line_chart",
    "wilson_interval",
]
