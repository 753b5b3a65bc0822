"""One self-contained HTML page per MASH evaluation, built with the HTML kit like the linkage and sharing reports,
so all three read and print alike (no scripts, inline SVG, A4-friendly).

The page goes from "how good" to "why": partner checks, decisions and ratings, the children at risk the system
missed, timeliness, sharing, the same scores by group, then worked examples (what was known that day, what the
system found and what it missed), which is where a vendor sees what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synthgen.evaluation.groups_report import who_is_missed
from synthgen.outputs.html import (
    BarSeries,
    Cell,
    Section,
    esc,
    figure,
    fmt_count,
    fmt_metric,
    html_table,
    page,
    row,
    svg_bar_chart,
    wilson_interval,
)

_OUTCOME_TEXT = {
    "found": "found",
    "missed": "missed",
    "future": "from the future (held only after the contact)",
    "wrong": "wrong (not about the family)",
}


def _percent(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def _summary(result: Mapping[str, Any]) -> str:
    checks = result["partner_checks"]
    decisions = result["decisions"]
    timely = result["timeliness"]
    facts = [
        ("Run", esc(result["run"])),
        ("Responses", esc(result.get("responses") or "(a table given in Python)")),
        ("Contacts answered", f"{fmt_count(result['answered'])} of {fmt_count(result['contacts'])}"),
        ("Partner checks: recall", _percent(checks["recall"])),
        ("Partner checks: precision", _percent(checks["precision"])),
        ("Records from the future", fmt_count(checks["from_the_future"])),
        ("Decisions: weighted kappa", fmt_metric(decisions["weighted_kappa"], 3)),
        ("Decided within one working day", _percent(timely["within_one_working_day"])),
        ("Contacts about children needing social care, given less", fmt_count(decisions["under"])),
    ]
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    return (
        f'<dl class="meta">{items}</dl>'
        "<p>A record found is right when the truth lists it for the contact (about the child or "
        "someone at home, held by the contact's day), from the future when it is about the family but was held "
        "only later, and wrong otherwise; precision leaves the future out.</p>"
    )


def _interval(hits: int, trials: int) -> tuple[float, float] | None:
    return wilson_interval(hits, trials)


def _partner_checks(result: Mapping[str, Any]) -> str:
    checks = result["partner_checks"]
    agencies = checks["agencies"]
    table = html_table(
        ["agency", "expected", "found", "right", "from the future", "wrong", "recall", "precision"],
        [
            (
                a["agency"],
                a["expected"],
                a["found"],
                a["correct"],
                a["from_the_future"],
                a["wrong"],
                a["recall"],
                a["precision"],
            )
            for a in agencies
        ],
        caption=f"Records about the child ({_percent(checks['child_recall'])} found) and household "
        f"({_percent(checks['household_recall'])} found) each partner held on the contact's day",
        empty="No partner held anything about these contacts' families.",
    )
    names = [a["agency"] for a in agencies]
    chart = svg_bar_chart(
        names,
        [
            BarSeries(
                "recall",
                [a["recall"] for a in agencies],
                [_interval(a["correct"], a["expected"]) for a in agencies],
            ),
            BarSeries(
                "precision",
                [a["precision"] for a in agencies],
                [_interval(a["correct"], a["correct"] + a["wrong"]) for a in agencies],
            ),
        ],
        title="Partner checks by agency",
        value_label="share",
        value_range=(0.0, 1.0),
        value_format=lambda v: f"{v:.2f}",
    )
    caption = "Whiskers are 95% Wilson intervals: a short bar with a long whisker rests on few records."
    return table + figure(chart, caption)


def _agreement(title: str, agreement: Mapping[str, Any]) -> str:
    labels: Sequence[str] = agreement["labels"]
    rows = []
    for label, counts in zip(labels, agreement["confusion"], strict=True):
        cells: list[Any] = [Cell(f"truth: {label}")]
        for i, count in enumerate(counts):
            diagonal = labels[i] == label
            cells.append(Cell(f"{count:,}", classes="num hit") if diagonal else count)
        rows.append(cells)
    caption = (
        f"{title}: {fmt_count(agreement['rated'])} rated; {_percent(agreement['agreement'])} the same as the truth; "
        f"weighted kappa {fmt_metric(agreement['weighted_kappa'], 3)}; {fmt_count(agreement['under'])} lower, "
        f"{fmt_count(agreement['over'])} higher"
    )
    return html_table(["", *[f"system: {label}" for label in labels]], rows, caption=caption)


def _decisions(result: Mapping[str, Any]) -> str:
    return row(_agreement("Decisions", result["decisions"]), _agreement("Ratings", result["rag"]))


def _missed(result: Mapping[str, Any]) -> str:
    missed = result["at_risk_missed"]
    return html_table(
        ["contact", "received", "source", "concern", "band", "truth supports", "system decided", "storyline"],
        [
            (
                m["contact_id"],
                m["received_at"],
                m["source"],
                m["concern"],
                m["band"],
                m["supported"],
                m["decided"],
                m["storyline_id"] or "",
            )
            for m in missed
        ],
        caption=f"Contacts the truth says needed a referral or more, given less (red first; up to {len(missed)} "
        f"shown of {fmt_count(result['decisions']['under'])} decided lower)",
        empty="No child the truth says needed social care was given less.",
    )


def _timeliness(result: Mapping[str, Any]) -> str:
    timely = result["timeliness"]
    by_source, by_day = timely["by_source"], timely["by_weekday"]
    percent: Any = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    source_chart = svg_bar_chart(
        list(by_source),
        [BarSeries("within one working day", list(by_source.values()))],
        title="Decided within one working day, by source",
        value_label="share",
        horizontal=True,
        value_range=(0.0, 1.0),
        value_format=percent,
    )
    day_chart = svg_bar_chart(
        list(by_day),
        [BarSeries("within one working day", list(by_day.values()))],
        title="Decided within one working day, by the day the contact came in",
        value_label="share",
        value_range=(0.0, 1.0),
        value_format=percent,
    )
    return (
        f"<p>{fmt_count(timely['decided'])} contacts decided; {_percent(timely['within_one_working_day'])} by 17:00 "
        "on the first working day after they came in (Working Together 2023).</p>"
        + row(figure(source_chart), figure(day_chart, "A weekend contact's clock starts on the Monday."))
    )


def _sharing(result: Mapping[str, Any]) -> str:
    s = result["sharing"]
    if not s["shares"]:
        return '<p class="empty">The responses shared nothing.</p>'
    table = html_table(
        ["finding", "shares"],
        [
            ("Shares", s["shares"]),
            ("With fields the policy does not allow for that recipient and purpose", s["fields_outside_policy"]),
            ("To a recipient with no purpose for that agency's records", s["recipients_without_purpose"]),
            ("Of a record not about the contact's family", s["about_people_outside_the_family"]),
        ],
    )
    outside = html_table(
        ["agency", "recipient", "fields outside the policy"],
        [(o["agency"], o["recipient"], ", ".join(o["fields"])) for o in s["outside"]],
        caption="The first shares with fields outside the policy",
        empty="Every share kept to the policy's fields.",
    )
    return table + outside


def _groups(title: str, groups: Sequence[Mapping[str, Any]]) -> str:
    return html_table(
        [
            title,
            "contacts",
            "answered",
            "check recall",
            "check precision",
            "same decision",
            "at risk, given less",
            "within one working day",
        ],
        [
            (
                g["name"],
                g["contacts"],
                g["answered"],
                g["check_recall"],
                g["check_precision"],
                g["decision_agreement"],
                g["at_risk_missed"],
                g["within_one_working_day"],
            )
            for g in groups
        ],
        empty=f"No contacts by {title}.",
    )


def _by_group(result: Mapping[str, Any]) -> str:
    return (
        "<p>Errors fall unevenly: the same scores for each concern, source and planted storyline.</p>"
        + _groups("concern", result["by_concern"])
        + _groups("source", result["by_source"])
        + _groups("storyline", result["by_storyline"])
    )


def _examples(result: Mapping[str, Any]) -> str:
    parts = []
    for example in result["examples"]:
        heading = (
            f"<h3>Contact {esc(example['contact_id'])}</h3><p>From {esc(example['source'])} at "
            f"{esc(example['received_at'])} about {esc(example['concern'])}. The truth rates it "
            f"{esc(example['band'])} and supports {esc(example['supported'])}; the system decided "
            f"{esc(example['decided'] or 'nothing (not answered)')}.</p>"
        )
        records = html_table(
            ["agency", "table", "record", "about", "outcome"],
            [
                (
                    r["agency"],
                    r["table"],
                    r["record_id"],
                    r["relation"],
                    Cell(_OUTCOME_TEXT[r["outcome"]], classes="hit" if r["outcome"] == "found" else ""),
                )
                for r in example["records"]
            ],
            caption="What a perfect partner check found that day, and what the system found",
            empty="No partner held anything about this child or household that day, and the system found nothing.",
        )
        parts.append(heading + records)
    return "".join(parts) or '<p class="empty">No contacts to show.</p>'


def mash_report(result: Mapping[str, Any]) -> str:
    """The evaluation result (MashScores.as_dict()) as one HTML page."""
    sections = [
        Section("Partner checks", _partner_checks(result)),
        Section("Decisions and ratings", _decisions(result)),
        Section("Children at risk given less", _missed(result)),
        Section("Timeliness", _timeliness(result)),
        Section("Sharing", _sharing(result)),
        Section("By group", _by_group(result)),
        who_is_missed(
            result,
            "check_recall",
            {
                "check_recall": "partner check recall",
                "check_precision": "partner check precision",
                "decision_agreement": "decision as the truth supports",
                "within_one_working_day": "decided within one working day",
            },
            "Each contact counts for the groups of the child it is about. Partner check recall is over the records a "
            "perfect check finds; the agency pair is the contact's source and the partner agency checked.",
        ),
        Section("Worked examples", _examples(result)),
    ]
    return page("MASH evaluation", sections, intro=_summary(result))
