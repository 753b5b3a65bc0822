"""One self-contained HTML page per linkage evaluation, readable offline and on paper (see `synthgen.outputs.html`
for why the page loads nothing and how it stays legible in grey).

The report is drawn from the evaluation's JSON form (`LinkageScores.as_dict()`), so a page can be rebuilt from a
saved JSON file, and a result edited by hand or written by an older version still renders: a missing part is
said to be missing rather than failing. Sections run from the headline numbers to the evidence behind them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synthgen.evaluation.groups_report import who_is_missed
from synthgen.evaluation.record_examples import examples_section
from synthgen.outputs.html import (
    BarSeries,
    Cell,
    CellValue,
    LineSeries,
    PointMarker,
    Section,
    esc,
    figure,
    finite,
    fmt_count,
    fmt_metric,
    html_table,
    page,
    row,
    svg_bar_chart,
    svg_line_chart,
    wilson_interval,
)

IN_MEMORY = "a table given in memory"
"""What the page calls predictions that were handed over as a table rather than a file."""

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
        [label, e.get(total), e.get(count), finite(e.get(share)), _interval_text(e.get(count), e.get(total))]
        for label, e in zip(labels, entries, strict=True)
    ]
    return html_table(headers, table_rows, empty=empty, numeric=[False, True, True, True, True])


def _by_recall(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Worst recall first (what to look at), the larger group first among equals; missing recalls last."""

    def key(r: Mapping[str, Any]) -> tuple[bool, float, int]:
        recall = finite(r.get("recall"))
        pairs = r.get("true_pairs")
        return (recall is None, recall if recall is not None else 0.0, -pairs if isinstance(pairs, int) else 0)

    return sorted(rows, key=key)


def _summary(result: Mapping[str, Any]) -> str:
    predictions = esc(result.get("predictions", "predictions") or IN_MEMORY)
    fmt = result.get("format")
    threshold = finite(result.get("threshold"))
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
        ("Predictions", esc(result.get("predictions", "—") or IN_MEMORY)),
        ("Format", esc(result.get("format", "—"))),
    ]
    if result.get("format") == "pairs" or result.get("threshold") is not None:
        threshold = result.get("threshold")
        items.append(("Threshold", esc(f"{threshold:g}" if finite(threshold) is not None else "—")))
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


@dataclass(frozen=True)
class _Curve:
    """The curve's points as plotted (thinned), with each point's hover text."""

    thresholds: list[Any]
    precision: list[Any]
    recall: list[Any]
    f1: list[Any]
    titles: list[str]

    def point(self, threshold: float) -> tuple[Any, Any] | None:
        """(recall, precision) of the plotted point nearest a threshold, if it has both."""
        nearest = _nearest(self.thresholds, threshold)
        if nearest is None or finite(self.recall[nearest]) is None or finite(self.precision[nearest]) is None:
            return None
        return self.recall[nearest], self.precision[nearest]


def _curve_points(curve: Mapping[str, Any]) -> _Curve | None:
    thresholds = list(curve.get("thresholds") or [])
    precision = list(curve.get("precision") or [])
    recall = list(curve.get("recall") or [])
    f1 = list(curve.get("f1") or [])
    count = min(len(thresholds), len(precision), len(recall), len(f1))
    if not count:
        return None
    keep = _thinned(count, MAX_CURVE_POINTS)
    thresholds, precision, recall, f1 = ([values[i] for i in keep] for values in (thresholds, precision, recall, f1))
    titles = [
        f"threshold {fmt_metric(t)}: precision {fmt_metric(p)}, recall {fmt_metric(r)}, F1 {fmt_metric(f)}"
        for t, p, r, f in zip(thresholds, precision, recall, f1, strict=True)
    ]
    return _Curve(thresholds, precision, recall, f1, titles)


def _precision_recall_chart(
    points: _Curve, best_threshold: float | None, best_f1: float | None, used: float | None
) -> str:
    """Precision against recall, with the best threshold and the one used marked, and a line of equal best F1."""
    markers: list[PointMarker] = []
    if best_threshold is not None and best_f1 is not None:
        # The best threshold is searched over every distinct score, the curve only sampled: mark the nearest
        # sampled point; the equal-F1 line below shows where the exact best lies.
        best = points.point(best_threshold)
        if best is not None:
            markers.append(PointMarker(*best, f"best F1 {best_f1:.4f} at threshold {best_threshold:.4g}"))
    if used is not None:
        chosen = points.point(used)
        if chosen is not None:
            markers.append(PointMarker(*chosen, f"threshold used ({used:g})", "square"))
    series = [LineSeries("precision against recall", points.recall, points.precision, points.titles)]
    if best_f1 is not None and 0 < best_f1 < 1:
        # Where F1 equals the best F1: P = F R / (2R - F), for R from F / (2 - F) (P = 1) to 1.
        start = best_f1 / (2 - best_f1)
        rs = [start + (1 - start) * k / 60 for k in range(61)]
        series.append(
            LineSeries(f"F1 = {best_f1:.4f}", rs, [best_f1 * r / (2 * r - best_f1) for r in rs], reference=True)
        )
    return svg_line_chart(
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


def _threshold_chart(points: _Curve, best_threshold: float | None) -> str:
    vlines: list[tuple[float, str]] = []
    if best_threshold is not None:
        vlines.append((best_threshold, f"best {best_threshold:.4g}"))
    return svg_line_chart(
        [
            LineSeries("precision", points.thresholds, points.precision, points.titles),
            LineSeries("recall", points.thresholds, points.recall, points.titles),
            LineSeries("F1", points.thresholds, points.f1, points.titles),
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


def _curve_section(result: Mapping[str, Any]) -> str:
    curve = result["curve"]
    points = _curve_points(curve)
    if points is None:
        return '<p class="empty">The curve has no points.</p>'
    best_threshold = finite(curve.get("best_threshold"))
    best_f1 = finite(curve.get("best_f1"))
    pr = _precision_recall_chart(points, best_threshold, best_f1, finite(result.get("threshold")))
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
        figure(
            _threshold_chart(points, best_threshold),
            "The same scores against the threshold; the vertical line marks the best one.",
        ),
    )


def _thinned(n: int, limit: int) -> list[int]:
    """Indices of at most `limit` points spread evenly over n, keeping the first and the last."""
    if n <= limit:
        return list(range(n))
    return sorted({round(k * (n - 1) / (limit - 1)) for k in range(limit)})


def _nearest(values: Sequence[Any], target: float) -> int | None:
    best: int | None = None
    for i, value in enumerate(values):
        v = finite(value)
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
                [finite(e.get("recall")) for e in entries],
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
        share = finite(r.get("share"))
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


def linkage_report(result: dict[str, Any]) -> str:
    """The evaluation result (as `synthgen.evaluation.linkage.evaluate_linkage` returns it) as one HTML page.

    Sections run from the headline numbers to the evidence behind them (which errors and sources lose pairs,
    which look-alikes get merged, and the worst clusters record by record), the order a reader asks "how good"
    then "why". Sections whose data is absent (no curve for cluster predictions, empty lists) say so briefly
    rather than vanish, except the curve, which only scored pairs can have.
    """
    method = result.get("method")
    title = f"Linkage evaluation: {method}" if method else "Linkage evaluation"
    return page(title, linkage_sections(result), intro=_summary(result) + _meta(result))


def linkage_sections(result: Mapping[str, Any]) -> list[Section]:
    """The report's sections, for a page of its own or the last day of a series' page."""
    sections = [Section("Headline metrics", _headline(result))]
    if result.get("curve") is not None:
        sections.append(Section("Precision and recall by threshold", _curve_section(result)))
    sections += [
        Section("Cluster sizes", _sizes_section(result)),
        Section("Splits and merges", _splits_merges_section(result)),
        Section("Recall by error kind", _error_kind_section(result)),
        Section("Recall by source pair", _source_pair_section(result)),
        who_is_missed(
            result,
            "recall",
            {"recall": "recall", "precision": "precision", "falsely_matched": "records falsely matched"},
            "Recall is over the true pairs of each group's people (the rest are missed matches); precision over the "
            "pairs of the group's records linked together (the rest are false matches); records falsely matched are "
            "the group's records put in a cluster with another person's record.",
        ),
        Section("False merges of hard negatives", _hard_negative_section(result)),
        Section("Worst examples", examples_section(result)),
    ]
    return sections
