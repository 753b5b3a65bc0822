"""An evaluation's JSON as tidy rows: one row per metric, each with the group it is about (``all`` for the run as
a whole) and, for the scores by group, its Wilson 95% interval. Pure: it reads the dict an evaluation returns and
the cell it came from, so the reshaping is tested against the JSON itself.

What counts as a metric is found, not listed: every number in the JSON's sections (``pairwise.recall``,
``detection.f1``, ``time_to_flag.median_days``, ...), so a metric an evaluation gains later comes through without a
change here. Left out are what is not a score of the system (the paths read, the threshold, the provenance), the
examples, and the histograms (cluster sizes, days to flag), whose keys are values rather than names. The lists of
breakdowns become rows by group (`BREAKDOWNS`), and ``by_group`` gives the rows with intervals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from synthgen.experiments.grid import Cell

ALL = "all"
"""group_kind and group of a metric of the whole run."""

NOT_SCORES = frozenset(
    {"run", "predictions", "flags", "disclosures", "responses", "format", "threshold", "period", "provenance"}
)
HISTOGRAMS = frozenset({"splits", "merges", "cluster_sizes", "histogram", "flags_by_stated_concern", "by_source"})
"""Mappings from a value (a size, a day count, a source) to a count: breakdowns, not metrics."""

BREAKDOWNS: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # list key: (group_kind, the keys naming the group (joined by ':'), the metrics of each item)
    "recall_by_error_kind": ("error_kind", ("kind", "field"), ("recall",)),
    "recall_by_source_pair": ("source_pair", ("sources",), ("recall",)),
    "false_merges_by_hard_negative": ("hard_negative", ("kind",), ("share",)),
    "by_concern": (
        "concern",
        ("concern", "name"),
        ("recall", "median_days_to_flag", "check_recall", "check_precision", "decision_agreement"),
    ),
}
"""Lists of an evaluation's JSON scored group by group, without intervals (the evaluation gives none)."""

SCHEMA = pa.schema(
    [
        pa.field("scenario", pa.string(), nullable=False),
        pa.field("scenario_sha256", pa.string()),
        pa.field("quality", pa.string(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("system", pa.string(), nullable=False),
        pa.field("evaluation", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("group_kind", pa.string(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("lower", pa.float64()),
        pa.field("upper", pa.float64()),
        pa.field("synthgen_version", pa.string()),
    ]
)
"""The results table: one row per run × system × metric (× group)."""

Metric = tuple[str, str, str, float | None, float | None, float | None]
"""metric, group_kind, group, value, lower, upper."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flatten(prefix: str, section: Mapping[str, Any]) -> Iterator[Metric]:
    for key, value in section.items():
        name = f"{prefix}.{key}"
        if key in HISTOGRAMS:
            continue
        if isinstance(value, Mapping):
            yield from _flatten(name, value)
        elif _number(value) or value is None:
            yield (name, ALL, ALL, None if value is None else float(value), None, None)


def overall(result: Mapping[str, Any]) -> list[Metric]:
    """Every number of the run as a whole: top-level numbers, and the numbers (or nulls) inside each section."""
    rows: list[Metric] = []
    for key, value in result.items():
        if key in NOT_SCORES or key in HISTOGRAMS:
            continue
        if _number(value):
            rows.append((key, ALL, ALL, float(value), None, None))
        elif isinstance(value, Mapping):
            rows += _flatten(key, value)
    return rows


def breakdowns(result: Mapping[str, Any]) -> list[Metric]:
    """The evaluation's lists of scores by error kind, source pair, hard negative and concern."""
    rows: list[Metric] = []
    for key, (kind, naming, metrics) in BREAKDOWNS.items():
        for item in result.get(key) or []:
            group = ":".join(str(item[name]) for name in naming if name in item)
            for metric in metrics:
                if metric in item and (_number(item[metric]) or item[metric] is None):
                    value = item[metric]
                    rows.append((metric, kind, group, None if value is None else float(value), None, None))
    return rows


def by_group(result: Mapping[str, Any]) -> list[Metric]:
    """The scores by ethnic group, age band, sex, deprivation quintile and agency pair, with Wilson intervals."""
    return [
        (row["metric"], row["dimension"], row["group"], row["value"], row["low"], row["high"])
        for row in result.get("by_group") or []
    ]


def metrics(result: Mapping[str, Any]) -> list[Metric]:
    """Every row of one evaluation, in a fixed order: the run as a whole, the breakdowns, the groups."""
    return overall(result) + breakdowns(result) + by_group(result)


def cell_table(cell: Cell, evaluation: str, result: Mapping[str, Any]) -> pa.Table:
    """One cell's rows of the results table."""
    rows = metrics(result)
    provenance = result.get("provenance") or {}
    n = len(rows)
    columns: dict[str, list[Any]] = {
        "scenario": [cell.scenario] * n,
        "scenario_sha256": [provenance.get("run_scenario_sha256")] * n,
        "quality": [cell.quality] * n,
        "seed": [cell.seed] * n,
        "system": [cell.system] * n,
        "evaluation": [evaluation] * n,
    }
    for index, name in enumerate(("metric", "group_kind", "group", "value", "lower", "upper")):
        columns[name] = [row[index] for row in rows]
    columns["synthgen_version"] = [provenance.get("synthgen_version")] * n
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def results_table(cells: Sequence[tuple[Cell, str, Mapping[str, Any]]]) -> pa.Table:
    """The tidy table of every cell (cell, evaluation kind, evaluation JSON), in the order given."""
    if not cells:
        return SCHEMA.empty_table()
    return pa.concat_tables([cell_table(cell, evaluation, result) for cell, evaluation, result in cells])
