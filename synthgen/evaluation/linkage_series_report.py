"""One self-contained HTML page for a series of cluster files scored over time: the "Over time" section (F1 per
day, link latency, id churn), then, when the series reaches the run's last day, that day's full linkage report.

Drawn from the JSON form (`SeriesScores.as_dict()`), as the single-file report is, so a saved JSON file can be
turned back into a page; a missing part is said to be missing rather than failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from synthgen.evaluation.linkage_report import linkage_sections
from synthgen.outputs.html import (
    Cell,
    CellValue,
    LineSeries,
    Section,
    esc,
    figure,
    finite,
    fmt_count,
    fmt_metric,
    html_table,
    page,
    row,
    svg_line_chart,
)


def _percent(value: Any) -> str:
    number = finite(value)
    return "—" if number is None else f"{100 * number:.1f}%"


def _f1_chart(days: Sequence[Mapping[str, Any]]) -> str:
    """Pairwise and B-cubed F1 against the day of the period (days counted from the series' first)."""
    dates = [dt.date.fromisoformat(str(d.get("date"))) for d in days]
    xs: list[float | None] = [float((d - dates[0]).days) for d in dates]
    titles = [f"{d.get('date')}: pairwise F1 {fmt_metric((d.get('pairwise') or {}).get('f1'))}" for d in days]
    series = [
        LineSeries("pairwise F1", xs, [finite((d.get("pairwise") or {}).get("f1")) for d in days], titles),
        LineSeries("B-cubed F1", xs, [finite((d.get("bcubed") or {}).get("f1")) for d in days], titles),
    ]
    return svg_line_chart(
        series,
        title="F1 per day",
        x_label=f"Days from {dates[0].isoformat()}",
        y_label="F1",
        y_range=(0.0, 1.0),
        width=720,
        height=360,
        show_points=len(days) <= 60,
    )


def _latency_table(latency: Mapping[str, Any]) -> str:
    median = finite(latency.get("median_days"))
    rows: list[list[CellValue]] = [
        ["People with two records held on some day", Cell(fmt_count(latency.get("people")), classes="num")],
        ["Linked within the series", Cell(fmt_count(latency.get("linked")), classes="num")],
        ["Median days to link", Cell("—" if median is None else f"{median:g}", classes="num")],
        ["Linked the same day", Cell(_percent(latency.get("within_0_days")), classes="num")],
        ["Within 7 days", Cell(_percent(latency.get("within_7_days")), classes="num")],
        ["Within 30 days", Cell(_percent(latency.get("within_30_days")), classes="num")],
        ["Never", Cell(_percent(latency.get("never")), classes="num")],
    ]
    return html_table(["Link latency", "Value"], rows, caption="Link latency", numeric=[False, True])


def _churn_table(churn: Mapping[str, Any]) -> str:
    rows: list[list[CellValue]] = [
        ["Records compared on consecutive days", Cell(fmt_count(churn.get("compared")), classes="num")],
        ["Cluster id changed", Cell(fmt_count(churn.get("changes")), classes="num")],
        ["... for a truth reason", Cell(fmt_count(churn.get("explained")), classes="num")],
        ["... without one (churn)", Cell(fmt_count(churn.get("churned")), classes="num")],
        ["Records that churned", Cell(fmt_count(churn.get("churned_records")), classes="num")],
        ["Churn share", Cell(_percent(churn.get("churn_share")), classes="num")],
    ]
    return html_table(["Id churn", "Value"], rows, caption="Id churn", numeric=[False, True])


def over_time_section(result: Mapping[str, Any]) -> Section:
    """F1 per day as a line, and link latency and id churn over the series."""
    days = [d for d in result.get("over_time") or [] if isinstance(d, Mapping)]
    if not days:
        return Section("Over time", '<p class="empty">The series has no days.</p>')
    last = days[-1]
    note = (
        '<p class="note">Each day is scored against the records held at the end of that day. Link latency runs from '
        "the first day two of a person's records are held to the first day two of them share a cluster; churn is a "
        "record whose cluster id changed from one day to the next when none of its person's records was made, "
        "changed or deleted in between.</p>"
    )
    last_line = (
        f"<p>On the last day ({esc(last.get('date'))}): pairwise F1 "
        f"{fmt_metric((last.get('pairwise') or {}).get('f1'))}, B-cubed F1 "
        f"{fmt_metric((last.get('bcubed') or {}).get('f1'))}, {fmt_count(last.get('records'))} records held.</p>"
    )
    chart = figure(_f1_chart(days), "F1 of each day's clusters against the records held that day.")
    body = (
        note
        + last_line
        + row(chart)
        + row(_latency_table(result.get("latency") or {}), _churn_table(result.get("churn") or {}))
    )
    return Section("Over time", body)


def series_report(result: dict[str, Any]) -> str:
    """The series' scores as one HTML page."""
    intro = (
        f'<p class="summary">Scored the series <strong>{esc(result.get("series", ""))}</strong> '
        f"({fmt_count(result.get('days'))} days, {esc(result.get('first_day'))} to {esc(result.get('last_day'))}) "
        f"against the truth of run <strong>{esc(result.get('run', ''))}</strong> as of each day.</p>"
    )
    sections = [over_time_section(result)]
    last = result.get("last_day_scores")
    if isinstance(last, Mapping):
        sections += [Section(f"Last day: {s.heading}", s.body) for s in linkage_sections(last)]
    return page("Linkage evaluation over time", sections, intro=intro)


__all__ = ["over_time_section", "series_report"]
