"""The data dictionary: every table and column of a run, for people (Markdown) and programs (JSON).

`synthgen tables` prints it and docs/tables.md holds it; both come from the registry, and a test fails when the
file is out of date, so the dictionary can never drift from what a run writes.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from synthgen.tables import AGENCIES, Table, all_tables

AGENCY_TITLES = {
    "police": "Police",
    "health": "Health",
    "school": "Schools",
    "social_care": "Children's social care",
}
REGENERATE = "python -m synthgen tables --markdown > docs/tables.md"


def type_name(kind: pa.DataType) -> str:
    """A column's type as a reader would say it."""
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind):
        return "number"
    if pa.types.is_string(kind):
        return "text"
    if pa.types.is_list(kind):
        inner = kind.value_type
        if pa.types.is_struct(inner):
            return "list of {" + ", ".join(f"{f.name}: {type_name(f.type)}" for f in inner) + "}"
        return f"list of {type_name(inner)}"
    return str(kind)


def _facts(table: Table) -> list[str]:
    facts = []
    if table.id_column:
        facts.append(f"records named by `{table.id_column}`")
    if table.event_date:
        facts.append(f"dated by `{table.event_date}`")
    if table.person is not None:
        facts.append("person-level: through the data-quality model into `linkage/records`")
    if table.optional:
        facts.append("written with `--pairs`")
    return facts


def as_records() -> list[dict[str, Any]]:
    """Every table as a JSON-ready record: path, agency, description, and its columns with type and meaning."""
    return [
        {
            "path": table.path,
            "agency": table.agency,
            "description": table.description,
            "person_level": table.person is not None,
            "id_column": table.id_column,
            "event_date": table.event_date,
            "columns": [
                {"name": c.name, "type": type_name(c.type), "arrow_type": str(c.type), "description": c.description}
                for c in table.columns
            ],
        }
        for table in all_tables()
    ]


def _section(table: Table) -> list[str]:
    lines = [f"### `{table.path}`", "", table.description]
    facts = _facts(table)
    if facts:
        lines += ["", "(" + "; ".join(facts) + ")"]
    lines += ["", "| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c.name}` | {type_name(c.type)} | {c.description.replace('|', '/')} |" for c in table.columns]
    return [*lines, ""]


def markdown() -> str:
    """The whole dictionary as Markdown: agencies, then the linkage view, then truth."""
    tables = all_tables()
    lines = [
        "# Data dictionary",
        "",
        "Every table a run writes (`<run>/<path>.parquet`), with every column's type and meaning. Generated from "
        f"the table registry (`synthgen/tables/`): do not edit by hand; `{REGENERATE}` rewrites it. Each Parquet "
        "file carries the same descriptions in its field metadata (key `description`).",
        "",
    ]
    for agency in AGENCIES:
        lines += [f"## {AGENCY_TITLES[agency]} (`agencies/{agency}/`)", ""]
        for table in tables:
            if table.agency == agency:
                lines += _section(table)
    lines += ["## The linkage view", ""]
    lines += [line for table in tables if table.path.startswith("linkage/") for line in _section(table)]
    lines += ["## Truth (`truth/`)", ""]
    lines += [line for table in tables if table.path.startswith("truth/") for line in _section(table)]
    return "\n".join(lines).rstrip("\n") + "\n"
