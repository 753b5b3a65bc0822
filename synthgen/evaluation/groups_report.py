"""The "Who is missed" section every evaluation report ends its scores with: a chart per dimension of the headline
proportion by group with its 95% interval, and a table of every group's figures beside everyone else's, with the
gaps (intervals that do not overlap) marked first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synthgen.evaluation.groups import MIN_CLUSTERS
from synthgen.outputs.html import BarSeries, Cell, CellValue, Section, esc, figure, html_table, row, svg_bar_chart

DIMENSION_NAMES = {
    "ethnic_group": "Ethnic group",
    "age_band": "Age band (years at the period's start)",
    "sex": "Sex",
    "deprivation_quintile": "Deprivation quintile (1 most deprived)",
    "agency_pair": "Agency pair",
}
GAP_MARK = {"lower": "▼ lower", "higher": "▲ higher"}


def _percent(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f}%"


def _with_interval(r: Mapping[str, Any], prefix: str = "") -> Cell:
    value, low, high = r[f"{prefix}value"], r[f"{prefix}low"], r[f"{prefix}high"]
    return Cell(f"{_percent(value)} [{_percent(low)}, {_percent(high)}]", classes="num")


def _chart(rows: Sequence[Mapping[str, Any]], metric_name: str, dimension: str) -> str:
    shown = [r for r in rows if r["trials"]]
    if not shown:
        return ""
    categories = [
        f"{r['group']} ({r['trials']:,}){' ' + GAP_MARK[r['gap']] if r['gap'] else ''}" for r in shown
    ]  # fmt: skip
    series = BarSeries(
        metric_name,
        [r["value"] for r in shown],
        [(r["low"], r["high"]) if r["low"] is not None else None for r in shown],
    )
    svg = svg_bar_chart(
        categories,
        [series],
        title=f"{metric_name} by {DIMENSION_NAMES.get(dimension, dimension).lower()}",
        value_label=metric_name,
        horizontal=True,
        value_range=(0.0, 1.0),
        width=440,
    )
    return figure(svg, f"{DIMENSION_NAMES.get(dimension, dimension)}: bars are {metric_name} with 95% intervals")


def _table(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    ordered = sorted(
        (r for r in rows if r["trials"] and r["low"] is not None),
        key=lambda r: (r["gap"] is None, r["metric"], r["dimension"]),
    )
    cells: list[list[CellValue]] = []
    for r in ordered:
        gap = GAP_MARK.get(r["gap"] or "", "")
        cells.append(
            [
                names.get(r["metric"], r["metric"]),
                DIMENSION_NAMES.get(r["dimension"], r["dimension"]),
                r["group"],
                r["trials"],
                _with_interval(r),
                _with_interval(r, "rest_"),
                Cell(gap, classes="hit") if gap else "",
            ]
        )
    return html_table(
        ["score", "by", "group", "out of", "group [95% interval]", "everyone else [95% interval]", "gap"],
        cells,
        caption="Every group beside everyone else; gaps (intervals that do not overlap) first",
        empty="No group has anything to score.",
    )


def who_is_missed(result: Mapping[str, Any], headline: str, names: Mapping[str, str], note: str) -> Section:
    """The section: `headline` is the metric charted (e.g. recall), `names` each metric's readable name, `note`
    what the scores count, in a sentence or two."""
    rows: list[Mapping[str, Any]] = list(result.get("by_group") or [])
    gaps = [r for r in rows if r["gap"]]
    intro = (
        f"<p>{esc(note)} Intervals are Wilson's 95% score intervals; a group is marked where its interval does not "
        f"overlap everyone else's and both come in at least {MIN_CLUSTERS} independent clusters (people, predicted "
        f"clusters or children: fewer decide nothing) ({len(gaps)} such gaps here).</p>"
    )
    charts = [
        _chart([r for r in rows if r["metric"] == headline and r["dimension"] == dimension], names[headline], dimension)
        for dimension in DIMENSION_NAMES
    ]
    body = intro + row(*charts) + _table(rows, names)
    return Section("Who is missed", body)
