"""Known breaches of Annex A's format, planted on request with a key, so that a cleaner (liiatools', or a
vendor's) can be tested against errors whose place and kind are known.

Four kinds, as a cleaner meets them in local authorities' files: a value outside the column's code list (`code`),
a date written as ISO text rather than a date or dd/mm/yyyy (`date`), a required cell left blank (`blank`) and a
count that is not a number (`integer`). One breach per row, each in a different child, the breaches of `BREACHES`
taken in turn (one whose list has no row left is passed over). liiatools' cleaner logs each as a count per list
and column (blanked because it could not be formatted, or blank that should have held data), never by row; the
key gives the row as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from synthgen.arguments import ArgumentError
from synthgen.outputs.returns.annex_a_spec import spec
from synthgen.outputs.returns.annex_a_workbook import Cell


@dataclass(frozen=True)
class Breach:
    rule: str  # code, date, blank or integer
    list: int
    field: str
    value: str | None  # what is written (for `date`, None: the cell's own date as ISO text)


BREACHES = (
    Breach("code", 1, "contact_source", "x) Unrecorded"),
    Breach("date", 3, "referral_date", None),
    Breach("blank", 4, "worker", ""),
    Breach("integer", 5, "s47_12_months", "several"),
    Breach("code", 6, "primary_need", "NX - Unrecorded"),
    Breach("code", 7, "initial_category", "Spiritual"),
    Breach("code", 8, "placement_type", "Q9: Unrecorded"),
    Breach("code", 2, "gender", "X"),
    Breach("date", 8, "placement_start", None),
    Breach("blank", 3, "referral_source", ""),
    Breach("code", 9, "in_touch", "Maybe"),
    Breach("blank", 10, "adoption_decision", ""),
)
"""The breaches, across lists and kinds, taken in turn."""

KEY_COLUMNS = ("rule", "list", "column", "row", "child", "value")
"""The key: the kind, the sheet, the column's heading, the Excel row (the header is row 1), the child's id, and
the value written (empty for a blank)."""


def plant_errors(lists: dict[int, pa.Table], n: int, rng: np.random.Generator) -> tuple[dict[Cell, object], pa.Table]:
    """`n` breaches as cell overrides for the workbook, and their key (KEY_COLUMNS)."""
    order = {number: list(rng.permutation(table.num_rows)) for number, table in lists.items()}
    used: set[str] = set()
    overrides: dict[Cell, object] = {}
    key: list[tuple[str, str, str, int, str, str]] = []
    turn = failed = 0
    while len(key) < n and failed < len(BREACHES):
        breach = BREACHES[turn % len(BREACHES)]
        turn += 1
        rows, ids = order[breach.list], lists[breach.list]["child_id"]
        while rows and str(ids[int(rows[0])]) in used:
            rows.pop(0)
        if not rows:
            failed += 1
            continue
        failed = 0
        row = int(rows.pop(0))
        child = str(ids[row])
        used.add(child)
        held = lists[breach.list][breach.field][row].as_py()
        if breach.rule == "date" and held is None:
            continue
        value = held.isoformat() if breach.rule == "date" else breach.value
        overrides[(breach.list, row, breach.field)] = None if value == "" else value
        heading = spec(breach.list).column(breach.field).heading
        key.append((breach.rule, spec(breach.list).sheet, heading, row + 2, child, str(value)))
    if len(key) < n:
        raise ArgumentError(
            "plant_errors", f"{{argument}}: this return has room for {len(key)} planted errors, not {n}"
        )
    return overrides, pa.table({name: pa.array([k[i] for k in key]) for i, name in enumerate(KEY_COLUMNS)})
