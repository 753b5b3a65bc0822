"""The HTML kit: tables that format and escape, charts that nest properly and cope with gaps, pages with unique
anchors, round ticks and honest intervals."""

from __future__ import annotations

import pytest

from synthgen.outputs.html import (
    BarSeries,
    Cell,
    LineSeries,
    PointMarker,
    Section,
    html_table,
    nice_ticks,
    page,
    svg_bar_chart,
    svg_line_chart,
    wilson_interval,
)
from tests.outputs.html_checks import ESCAPED, HOSTILE, parse


def test_html_table_formats_and_escapes() -> None:
    table = html_table(
        ["a<b", "n", "x"],
        [
            [HOSTILE, 1234567, 0.123456],
            [Cell("<em>ok</em>", markup=True), None, Cell("t", classes="diff", title='"q"')],
        ],
        caption="c&d",
    )
    parse(table)
    assert "a&lt;b" in table and ESCAPED in table and "c&amp;d" in table
    assert '<td class="num">1,234,567</td>' in table and '<td class="num">0.1235</td>' in table
    assert "<em>ok</em>" in table and '<td class="null">—</td>' in table
    assert 'title="&quot;q&quot;"' in table
    assert html_table(["a"], [], empty="Nothing <here>.") == '<p class="empty">Nothing &lt;here&gt;.</p>'


def test_charts_are_balanced_and_cope_with_gaps() -> None:
    line = svg_line_chart(
        [LineSeries(HOSTILE, [0.0, 0.5, None, 1.0], [0.1, float("nan"), 0.5, 2.0])],
        title=HOSTILE,
        x_label="x",
        y_label="y",
        markers=[PointMarker(0.5, 0.5, "m", "square")],
        vlines=[(0.25, "v")],
    )
    parse(line)
    assert HOSTILE not in line and ESCAPED in line
    bars = svg_bar_chart(
        ["a", "b"],
        [BarSeries("one", [3, None]), BarSeries("two", [0, 10_000])],
        title="t",
        value_label="v",
        log_scale=True,
    )
    parse(bars)
    assert ">10,000<" in bars
    empty = svg_bar_chart([], [], title="t", value_label="v", horizontal=True)
    parse(empty)
    assert "No data." in empty
    assert svg_line_chart([], title="t", x_label="x", y_label="y").startswith("<svg")


def test_page_sections_get_unique_anchors() -> None:
    document = page(HOSTILE, [Section("A b", "<p>1</p>"), Section("A b", "<p>2</p>")], intro="<p>i</p>")
    parse(document)
    assert 'id="a-b"' in document and 'id="a-b-2"' in document
    assert 'href="#a-b-2"' in document
    assert HOSTILE not in document


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0.5, 1.0, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
        (0, 10, [0, 2, 4, 6, 8, 10]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_wilson_interval() -> None:
    low, high = wilson_interval(9, 15) or (0.0, 0.0)
    assert low == pytest.approx(0.3575, abs=1e-3) and high == pytest.approx(0.8018, abs=1e-3)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 3) == (0.0, pytest.approx(0.5615, abs=1e-3))
