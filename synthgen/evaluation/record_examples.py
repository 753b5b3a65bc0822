"""The worst splits and merges of a linkage, record by record: what a vendor can act on.

Records of one person the system split, and of one cluster holding several people, side by side, with the cells
that differ from the first record highlighted (shaded, bold and underlined, so it shows in greyscale too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synthgen.outputs.html import Cell, CellValue, fmt_count, html_table

EXAMPLE_COLUMNS = (
    "record_id",
    "source",
    "person_id",
    "cluster_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "nhs_number",
    "upn",
    "errors",
)
"""Column order for example records; keys not listed here follow in the order they first appear."""

NOT_COMPARED = frozenset({"record_id", "source", "errors"})
"""Example columns that differ between records by design, so highlighting them would only add noise."""

FREE_TEXT = frozenset({"given_name", "family_name", "errors"})
"""Example columns that may wrap; identifiers, dates and postcodes stay on one line so they read as one token."""


def _example_columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(record))
    ordered = [c for c in EXAMPLE_COLUMNS if c in present]
    return ordered + [c for c in present if c not in EXAMPLE_COLUMNS]


def example_table(records: Sequence[Mapping[str, Any]], caption: str = "") -> str:
    """Records side by side, one row each; cells that differ from the first record are highlighted.

    The first record is the reference because the eye reads down a column from it; the highlight is a shaded,
    bold, underlined cell (still visible in greyscale), with a hover note saying what it means.
    """
    if not records:
        return '<p class="empty">No records.</p>'
    columns = _example_columns(records)
    first = records[0]
    rows: list[list[CellValue]] = []
    for n, record in enumerate(records):
        cells: list[CellValue] = []
        for column in columns:
            value = record.get(column)
            text = "—" if value is None else str(value)
            classes = "null" if value is None else ""
            if column in FREE_TEXT:
                classes = f"{classes} wrap".strip()
            if n > 0 and column not in NOT_COMPARED and value != first.get(column):
                cells.append(Cell(text, classes=f"diff {classes}".strip(), title="differs from the first record"))
            else:
                cells.append(Cell(text, classes=classes))
        rows.append(cells)
    # Headers as words ("date of birth"), so a narrow page or printout can wrap them.
    headers = [column.replace("_", " ") for column in columns]
    return html_table(headers, rows, caption=caption, numeric=[False] * len(columns), classes="ex")


def examples_section(result: Mapping[str, Any]) -> str:
    examples = result.get("examples") or {}
    parts = [
        '<p class="note">Records of one person the system split, and of one cluster holding several people. '
        "Cells that differ from the first record are <strong>bold, underlined and shaded</strong>.</p>"
    ]
    parts.append("<h3>People split over several clusters</h3>")
    splits = examples.get("splits") or []
    if not splits:
        parts.append('<p class="empty">No person is split.</p>')
    for example in splits:
        caption = (
            f"Person {example.get('person_id', '?')}: {fmt_count(example.get('clusters'))} predicted clusters, "
            f"{fmt_count(len(example.get('records') or []))} records"
        )
        parts.append(f'<div class="example">{example_table(example.get("records") or [], caption)}</div>')
    parts.append("<h3>Clusters merging several people</h3>")
    merges = examples.get("merges") or []
    if not merges:
        parts.append('<p class="empty">No cluster merges people.</p>')
    for example in merges:
        caption = (
            f"Predicted cluster {example.get('cluster_id', '?')}: {fmt_count(example.get('people'))} people, "
            f"{fmt_count(len(example.get('records') or []))} records"
        )
        parts.append(f'<div class="example">{example_table(example.get("records") or [], caption)}</div>')
    return "".join(parts)
