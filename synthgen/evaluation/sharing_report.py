"""One self-contained HTML page per sharing evaluation, built with the HTML kit (`synthgen.outputs.html`) like the
linkage report, so both read and print alike: no scripts, nothing loaded from elsewhere, every chart inline SVG,
every value taken from the result escaped.

Sections go from "how good" to "why": detection, time to flag, recall by concern, the planted storylines (and,
with or without them, example children) as timelines of signals by agency with the flag, then over-sharing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from synthgen.evaluation.groups_report import who_is_missed
from synthgen.outputs.html import (
    BarSeries,
    Section,
    esc,
    figure,
    fmt_count,
    fmt_metric,
    html_table,
    page,
    row,
    svg_bar_chart,
)
from synthgen.outputs.html.svg import INK, LINE_STYLES, n, svg_open
from synthgen.sharing_policy import AGENCIES

DELAY_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 0, "0"),
    (1, 7, "1-7"),
    (8, 30, "8-30"),
    (31, 90, "31-90"),
    (91, None, "91+"),
)
"""Days from visibility to flag as plotted: the same day, within a week, a month, a quarter, and later."""
_MARKERS = {"police": "circle", "health": "square", "school": "diamond", "social_care": "triangle"}


def _shape(shape: str, x: float, y: float, colour: str) -> str:
    """A signal's marker: agencies differ by shape as well as colour (greyscale printing)."""
    if shape == "square":
        return f'<rect x="{n(x - 4)}" y="{n(y - 4)}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        points = f"M{n(x)} {n(y - 5)} L{n(x + 5)} {n(y)} L{n(x)} {n(y + 5)} L{n(x - 5)} {n(y)} Z"
        return f'<path d="{points}" fill="{colour}"/>'
    if shape == "triangle":
        points = f"M{n(x)} {n(y - 5)} L{n(x + 5)} {n(y + 4)} L{n(x - 5)} {n(y + 4)} Z"
        return f'<path d="{points}" fill="{colour}"/>'
    return f'<circle cx="{n(x)}" cy="{n(y)}" r="4.5" fill="{colour}"/>'


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def timeline_svg(
    title: str,
    signals: Sequence[Mapping[str, Any]],
    period: tuple[dt.date, dt.date],
    marks: Sequence[tuple[dt.date | None, str, str]],
    width: float = 720,
) -> str:
    """Signals by agency over the period (one lane per agency), with labelled vertical lines (onset, visible,
    flagged: (day, label, dash pattern)). Days outside the period are drawn at its edge."""
    left, right, lane = 96.0, 16.0, 26.0
    top = 10.0
    height = top + lane * len(AGENCIES) + 52
    span = max((period[1] - period[0]).days, 1)

    def sx(day: dt.date) -> float:
        offset = min(max((day - period[0]).days, 0), span)
        return left + offset / span * (width - left - right)

    out = [svg_open(width, height, title)]
    for i, agency in enumerate(AGENCIES):
        y = top + lane * (i + 0.5)
        out.append(f'<line x1="{n(left)}" y1="{n(y)}" x2="{n(width - right)}" y2="{n(y)}" stroke="#ddd"/>')
        out.append(f'<text x="{n(left - 8)}" y="{n(y + 4)}" text-anchor="end" fill="{INK}">{esc(agency)}</text>')
    bottom = top + lane * len(AGENCIES)
    out.append(f'<line x1="{n(left)}" y1="{n(bottom)}" x2="{n(width - right)}" y2="{n(bottom)}" stroke="#555"/>')
    for month in range(0, 13, 3):
        year, index = divmod(period[0].month - 1 + month, 12)
        tick = dt.date(period[0].year + year, index + 1, 1)
        if not period[0] <= tick <= period[1]:
            continue
        out.append(
            f'<text x="{n(sx(tick))}" y="{n(bottom + 16)}" text-anchor="middle" fill="{INK}">'
            f"{esc(tick.strftime('%b %Y'))}</text>"
        )
    for day, label, dash in marks:
        if day is None:
            continue
        x = sx(day)
        out.append(
            f'<line x1="{n(x)}" y1="{n(top)}" x2="{n(x)}" y2="{n(bottom)}" stroke="{INK}" stroke-width="1.5"'
            f"{f' stroke-dasharray={chr(34)}{dash}{chr(34)}' if dash else ''}><title>{esc(label)} {day}</title></line>"
        )
    dated = [(day, label) for day, label, _ in marks if day is not None]
    for i, (day, label) in enumerate(dated):
        out.append(
            f'<text x="{n(sx(day) + 3)}" y="{n(bottom + 32 + 12 * (i % 2))}" fill="{INK}" font-size="11">'
            f"{esc(label)}</text>"
        )
    for signal in signals:
        day, agency = _day(signal.get("date")), str(signal.get("agency"))
        if day is None or agency not in AGENCIES:
            continue
        i = AGENCIES.index(agency)
        colour = LINE_STYLES[i % len(LINE_STYLES)][0]
        y = top + lane * (i + 0.5)
        out.append(
            f"<g>{_shape(_MARKERS[agency], sx(day), y, colour)}<title>{esc(signal.get('kind'))} "
            f"({esc(agency)}) {esc(signal.get('date'))}</title></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _period(result: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    span = result.get("period") or {}
    start, end = _day(span.get("start")), _day(span.get("end"))
    return (start or dt.date(2024, 4, 1), end or dt.date(2025, 3, 31))


def _summary(result: Mapping[str, Any]) -> str:
    found = result.get("detection") or {}
    timing = result.get("time_to_flag") or {}
    median = timing.get("median_days")
    return (
        f'<p class="summary">{fmt_count(found.get("flagged_people"))} people flagged; '
        f"{fmt_count(found.get('true_positives'))} of {fmt_count(found.get('children_at_risk'))} children at risk "
        f"found (precision {fmt_metric(found.get('precision'))}, recall {fmt_metric(found.get('recall'))}); "
        f"median {esc('-' if median is None else f'{median:g}')} days from a case becoming visible to its flag.</p>"
        f'<dl class="meta"><dt>Run</dt><dd>{esc(result.get("run"))}</dd><dt>Flags</dt>'
        f"<dd>{esc(result.get('flags') or 'a table given in memory')}</dd>"
        f"<dt>Disclosures</dt><dd>{esc(result.get('disclosures') or '—')}</dd>"
        f"<dt>Flags from the future (citing a record before its agency held it; not credited)</dt>"
        f"<dd>{esc(fmt_count(result.get('flags_from_the_future')))}</dd>"
        f"</dl>"
    )


def _detection(result: Mapping[str, Any]) -> str:
    found = result.get("detection") or {}
    rows = [
        ("Children at risk", found.get("children_at_risk")),
        ("… visible across agencies (signals from two or more)", found.get("children_at_risk_visible")),
        ("Children visible across agencies (at risk or not)", found.get("children_visible")),
        ("People flagged", found.get("flagged_people")),
        ("Flagged and at risk (true positives)", found.get("true_positives")),
        ("Flagged, not at risk (false positives)", found.get("false_positives")),
        ("At risk, not flagged (false negatives)", found.get("false_negatives")),
        ("Precision", found.get("precision")),
        ("Recall", found.get("recall")),
        ("F1", found.get("f1")),
        ("Recall of children at risk whose case became visible", found.get("recall_visible")),
    ]
    return html_table(["measure", "value"], rows, numeric=[False, True])


def _buckets(histogram: Mapping[str, Any], never: int) -> tuple[list[str], list[float]]:
    counts = [0.0] * len(DELAY_BUCKETS)
    for key, count in histogram.items():
        days = int(key)
        for i, (low, high, _) in enumerate(DELAY_BUCKETS):
            if days >= low and (high is None or days <= high):
                counts[i] += float(count)
    return [label for _, _, label in DELAY_BUCKETS] + ["never"], [*counts, float(never)]


def _time_to_flag(result: Mapping[str, Any]) -> str:
    timing = result.get("time_to_flag") or {}
    children = int(timing.get("children") or 0)
    never = children - int(timing.get("flagged") or 0)
    labels, counts = _buckets(timing.get("histogram") or {}, never)
    chart = svg_bar_chart(
        labels,
        [BarSeries("children", counts)],
        title="Days from visibility to flag",
        value_label="children at risk",
        category_label="days from the case becoming visible to the first flag",
        value_format=lambda v: fmt_count(int(v)),
    )
    median = timing.get("median_days")
    table = html_table(
        ["measure", "value"],
        [
            ("Children at risk whose case became visible", timing.get("children")),
            ("… flagged", timing.get("flagged")),
            ("Median days to flag", None if median is None else float(median)),
            ("Share flagged within 7 days", timing.get("within_7_days")),
            ("Share flagged within 30 days", timing.get("within_30_days")),
            ("Share never flagged", timing.get("never")),
            ("Flagged before the case became visible (counted as 0 days)", timing.get("flagged_before_visible")),
        ],
        numeric=[False, True],
    )
    return row(table, figure(chart, "A good screen puts its bars on the left; 'never' is the children it missed."))


def _by_concern(result: Mapping[str, Any]) -> str:
    rows = result.get("by_concern") or []
    table = html_table(
        ["concern", "children", "visible", "flagged", "recall", "median days to flag"],
        [
            (
                r.get("concern"),
                r.get("children"),
                r.get("visible"),
                r.get("flagged"),
                r.get("recall"),
                None if r.get("median_days_to_flag") is None else float(r["median_days_to_flag"]),
            )
            for r in rows
        ],
        empty="No children at risk in this run.",
    )
    chart = svg_bar_chart(
        [str(r.get("concern")) for r in rows],
        [BarSeries("recall", [r.get("recall") for r in rows])],
        title="Recall by concern",
        value_label="recall",
        horizontal=True,
        value_range=(0.0, 1.0),
    )
    stated = result.get("flags_by_stated_concern") or {}
    stated_table = html_table(
        ["concern given with the flag", "flags"],
        [(k, v) for k, v in sorted(stated.items(), key=lambda item: -int(item[1]))[:20]],
        caption="Flags by the concern the system gave (the 20 most common)",
        empty="The flags gave no concern.",
    )
    return row(table, figure(chart) if rows else "") + stated_table


def _marks(item: Mapping[str, Any]) -> list[tuple[dt.date | None, str, str]]:
    return [
        (_day(item.get("onset")), "onset", "1 3"),
        (_day(item.get("visible_on")), "visible", "6 3"),
        (_day(item.get("flagged_at")), "flagged", ""),
    ]


def _storylines(result: Mapping[str, Any]) -> str:
    items = result.get("storylines") or []
    if not items:
        return '<p class="empty">This run plants no storylines.</p>'
    table = html_table(
        [
            "storyline",
            "template",
            "concern",
            "children at risk",
            "detected",
            "flagged",
            "days from onset",
            "days from visibility",
        ],
        [
            (
                s.get("storyline_id"),
                s.get("template"),
                s.get("concern"),
                s.get("children_at_risk"),
                bool(s.get("detected")),
                s.get("flagged_at"),
                s.get("days_from_onset"),
                s.get("days_from_visibility"),
            )
            for s in items
        ],
    )
    period = _period(result)
    charts = [
        figure(
            timeline_svg(f"Storyline {s.get('storyline_id')}", s.get("signals") or [], period, _marks(s)),
            f"{s.get('storyline_id')} ({s.get('template')}, {s.get('concern')}): "
            + ("flagged " + str(s.get("flagged_at")) if s.get("detected") else "never flagged"),
        )
        for s in items
    ]
    return table + "".join(charts)


def _examples(result: Mapping[str, Any]) -> str:
    items = result.get("examples") or []
    if not items:
        return '<p class="empty">No child at risk became visible across agencies.</p>'
    period = _period(result)
    parts = [
        '<p class="note">Children at risk whose case became visible: those never flagged first, then the slowest '
        "flagged. Markers are signals (police circle, health square, school diamond, social care triangle); "
        "hover for the kind and date.</p>"
    ]
    for item in items:
        caption = (
            f"Child {item.get('person_id')} ({', '.join(map(str, item.get('concerns') or []))}): visible "
            f"{item.get('visible_on')}, "
            + (f"flagged {item.get('flagged_at')}" if item.get("flagged_at") else "never flagged")
        )
        parts.append(
            figure(
                timeline_svg(f"Child {item.get('person_id')}", item.get("signals") or [], period, _marks(item)), caption
            )
        )
    return "".join(parts)


def _oversharing(result: Mapping[str, Any]) -> str:
    shared = result.get("oversharing")
    if not shared:
        return '<p class="empty">No disclosures were given (pass --disclosures to check them).</p>'
    disclosures = shared.get("disclosures")
    table = html_table(
        ["finding", "disclosures", "share"],
        [
            (
                "About people in no flagged case (not flagged, nor family of anyone flagged)",
                shared.get("about_people_in_no_flagged_case"),
                shared.get("share_about_people_in_no_flagged_case"),
            ),
            (
                "About people not at risk (nor family of a child at risk)",
                shared.get("about_people_not_at_risk"),
                shared.get("share_about_people_not_at_risk"),
            ),
            (
                "With fields outside the policy",
                shared.get("fields_outside_policy"),
                shared.get("share_fields_outside_policy"),
            ),
            (
                "To a recipient with no purpose under the policy",
                shared.get("recipients_without_purpose"),
                shared.get("share_recipients_without_purpose"),
            ),
            ("For a case that was never flagged", shared.get("for_no_flagged_case"), None),
        ],
        caption=f"{fmt_count(disclosures)} disclosures; "
        f"{fmt_count(shared.get('people_not_at_risk_disclosed'))} people not at risk had records shared",
    )
    fields = html_table(
        ["agency", "recipient", "field", "disclosures"],
        [
            (r.get("agency"), r.get("recipient"), r.get("field"), r.get("disclosures"))
            for r in (shared.get("fields_outside_policy_by_pair") or [])[:30]
        ],
        caption="Fields shared outside the policy (the 30 most common)",
        empty="Every field shared was one the policy allows.",
    )
    purposes = html_table(
        ["agency", "recipient", "purpose", "disclosures"],
        [
            (r.get("agency"), r.get("recipient"), r.get("purpose"), r.get("disclosures"))
            for r in (shared.get("recipients_without_purpose_by_pair") or [])[:30]
        ],
        caption="Recipients the policy gives no purpose for that agency's records",
        empty="Every recipient had a purpose under the policy.",
    )
    return table + fields + purposes


def sharing_report(result: dict[str, Any]) -> str:
    """The evaluation result (as `synthgen.evaluation.sharing.evaluate_sharing` returns it) as one HTML page."""
    sections = [
        Section("Detection", _detection(result)),
        Section("Time to flag", _time_to_flag(result)),
        Section("Recall by concern", _by_concern(result)),
        who_is_missed(
            result,
            "recall",
            {
                "recall": "recall",
                "precision": "precision",
                "within_30_days": "flagged within 30 days",
                "median_days_to_flag": "median days to flag",
            },
            "Recall is over each group's children at risk; precision over the group's people flagged; flagged "
            "within 30 days over the group's children at risk whose case became visible across agencies. The agency "
            "pair is the two agencies whose signals first made a child's case visible.",
        ),
        Section("Storylines", _storylines(result)),
        Section("Example children", _examples(result)),
        Section("Over-sharing", _oversharing(result)),
    ]
    return page("Sharing evaluation", sections, intro=_summary(result))
