"""summary.html: an experiment's headline scores across seeds, drawn with the report kit (inline SVG, nothing
loaded from elsewhere): per scenario and quality setting, each system's mean with its 95% t-interval, overall and
by ethnic group, and the table of those figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from synthgen.experiments import summary as summary_module
from synthgen.experiments.config import Experiment
from synthgen.outputs.html import BarSeries, Cell, CellValue, Section, esc, figure, html_table, page, row, svg_bar_chart

HEADLINES = {
    "linkage": ("pairwise.precision", "pairwise.recall", "pairwise.f1"),
    "sharing": ("detection.precision", "detection.recall", "detection.f1"),
    "mash": ("partner_checks.recall", "partner_checks.precision", "decisions.agreement"),
}
"""The metrics charted for each kind of evaluation (every metric is in summary.csv)."""
BY_GROUP = {"linkage": "recall", "sharing": "recall", "mash": "check_recall"}
"""The score charted by ethnic group for each kind of evaluation."""


def _chart(
    rows: Sequence[dict[str, Any]], systems: Sequence[str], categories: Sequence[str], key: str, title: str
) -> str:
    """Bars of each system's mean per category (a metric or a group), whiskers its t-interval."""
    series = []
    for system in systems:
        found = {r[key]: r for r in rows if r["system"] == system}
        values = [found[c]["mean"] if c in found else None for c in categories]
        intervals = [
            (found[c]["lower"], found[c]["upper"]) if c in found and found[c]["lower"] is not None else None
            for c in categories
        ]
        series.append(BarSeries(system, values, intervals))
    svg = svg_bar_chart(
        categories, series, title=title, value_label="mean across seeds", horizontal=True, value_range=(0.0, 1.0)
    )
    shown = ", ".join(systems)
    return figure(svg, f"{title} ({shown}): bars are means across seeds, whiskers the 95% t-interval of the mean.")


def _percent(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.2f}%"


def _table(rows: Sequence[dict[str, Any]]) -> str:
    cells: list[list[CellValue]] = [
        [
            r["system"],
            r["metric"],
            r["seeds"],
            Cell(f"{_percent(r['mean'])} [{_percent(r['lower'])}, {_percent(r['upper'])}]", classes="num"),
            Cell(f"{_percent(r['min'])} – {_percent(r['max'])}", classes="num"),
        ]
        for r in rows
    ]
    return html_table(
        ["system", "metric", "seeds", "mean [95% interval]", "min – max"], cells, caption="Headline scores"
    )


def summary_page(experiment: Experiment, summarised: pa.Table) -> str:
    """The page: one section per scenario and quality setting."""
    rows = summarised.to_pylist()
    sections = []
    settings = list(dict.fromkeys((r["scenario"], r["quality"]) for r in rows))
    for scenario, quality in settings:
        here = [r for r in rows if r["scenario"] == scenario and r["quality"] == quality]
        charts, headline_rows = [], []
        for kind, metrics in HEADLINES.items():
            systems = list(dict.fromkeys(r["system"] for r in here if r["evaluation"] == kind))
            if not systems:
                continue
            overall = [
                r for r in here if r["evaluation"] == kind and r["group_kind"] == "all" and r["metric"] in metrics
            ]
            headline_rows += sorted(overall, key=lambda r: (systems.index(r["system"]), metrics.index(r["metric"])))
            charts.append(_chart(overall, systems, metrics, "metric", f"{kind}: headline scores"))
            grouped = [
                r for r in here
                if r["evaluation"] == kind and r["group_kind"] == "ethnic_group" and r["metric"] == BY_GROUP[kind]
            ]  # fmt: skip
            groups = list(dict.fromkeys(r["group"] for r in grouped))
            if groups:
                charts.append(_chart(grouped, systems, groups, "group", f"{kind}: {BY_GROUP[kind]} by ethnic group"))
        sections.append(Section(f"{scenario}, quality {quality}", row(*charts) + _table(headline_rows)))
    seeds = len(experiment.seeds)
    intro = (
        f"<p>{esc(experiment.description)}</p>"
        f"<p>{seeds} seeds × {len(experiment.scenarios)} scenarios × {len(experiment.quality)} quality settings × "
        f"{len(experiment.systems)} systems. Intervals: {esc(summary_module.METHOD)}. Every metric, and every group, "
        "is in summary.csv; every seed's value in results.parquet.</p>"
    )
    return page(f"Experiment {experiment.name}", sections, intro=intro)
