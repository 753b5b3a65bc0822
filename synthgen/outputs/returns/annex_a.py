"""Ofsted's Annex A for a run: the eleven child-level lists a local authority hands Ofsted at the start of an
inspection of its children's services (ILACS), as on the last day of the run's period (the date of inspection).

The lists are built over whole columns from the local authority's records (`agencies/social_care`), each by its
own module: the front door's (lists 1 to 3, `annex_a_front_door`), children in need and protection (4 to 7,
`annex_a_cin`), children in care (8, `annex_a_care`), care leavers, adoption and adopters (9 to 11,
`annex_a_leavers`). Which rows each list holds, and over which window, is in those modules and in
`annex_a_spec`; who holds each case in `annex_a_people`; the workbook in `annex_a_workbook`; planted errors in
`annex_a_breaches`. As the other returns, the values are the authority's records as recorded (its ids, its
spellings, its data-quality errors); the export maps them to Ofsted's codes and counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from synthgen.arguments import ArgumentError
from synthgen.errors import SynthgenError
from synthgen.kernel.rng import shard_stream
from synthgen.outputs.returns import annex_a_breaches, annex_a_care, annex_a_cin, annex_a_front_door, annex_a_leavers
from synthgen.outputs.returns.annex_a_people import Register, allocate
from synthgen.outputs.returns.annex_a_spec import MONTHS, Window
from synthgen.outputs.returns.annex_a_workbook import Cell, workbook
from synthgen.run_folder import Run, open_run

INPUTS = (
    "children",
    "contacts",
    "contact_subjects",
    "early_help",
    "referrals",
    "assessments",
    "cin_plans",
    "section47",
    "icpcs",
    "cp_plans",
    "cla_episodes",
    "cla_reviews",
    "cla_missing",
    "cla_uasc",
    "cla_adoption_decisions",
    "cla_adoptions",
    "care_leavers",
)
"""The social-care tables (agencies/social_care/<name>) the lists are read from."""


@dataclass(frozen=True)
class AnnexA:
    """Annex A built from a run: each list as a table (by number, columns by synthgen's field names), the window,
    the workbook's bytes, and the key to its planted errors (when asked for); once exported, where the workbook
    and its key were written."""

    lists: dict[int, pa.Table]
    window: Window
    xlsx: bytes
    key: pa.Table | None
    path: Path | None = None
    key_path: Path | None = None

    def rows(self) -> dict[int, int]:
        """Each list's number of rows."""
        return {number: table.num_rows for number, table in self.lists.items()}


def build_lists(tables: dict[str, pa.Table], window: Window, la_number: int) -> dict[int, pa.Table]:
    """Lists 1 to 11 from the social-care tables (`INPUTS`), teams and workers allocated."""
    register = Register.of(tables["children"])
    built = {
        1: annex_a_front_door.contacts_list(tables["contacts"], tables["contact_subjects"], register, window),
        2: annex_a_front_door.early_help_list(tables["early_help"], register, window),
        3: annex_a_front_door.referrals_list(tables["referrals"], register, window),
        4: annex_a_cin.assessments_list(tables["assessments"], register, window),
        5: annex_a_cin.section47_list(tables["section47"], tables["icpcs"], register, window),
        6: annex_a_cin.children_in_need_list(tables, register, window),
        7: annex_a_cin.child_protection_list(tables["cp_plans"], tables["cla_episodes"], register, window),
        8: annex_a_care.looked_after_list(tables, register, window, la_number),
        9: annex_a_leavers.care_leavers_list(tables["care_leavers"], register, window),
        10: annex_a_leavers.adoption_list(tables, register, window),
        11: annex_a_leavers.adopters_list(),
    }
    return allocate(built)


def _tables(run: Run) -> dict[str, pa.Table]:
    if not run.has("agencies/social_care/referrals"):
        raise SynthgenError(f"{run.path}: this run has no children's social care records (agencies/social_care)")
    if not run.has("agencies/social_care/contacts"):
        raise SynthgenError(
            f"{run.path}: this run has no front door (agencies/social_care/contacts), which Annex A's contacts "
            "and early help are read from"
        )
    return {name: run.read_or_empty(f"agencies/social_care/{name}") for name in INPUTS}


def build_annex_a(run: str | Path | Run, months: int = 6, plant_errors: int = 0) -> AnnexA:
    """Annex A for a run, as on the last day of its period, lists 1 to 8 over the `months` (6 or 12) before it;
    with `plant_errors` N, N known breaches of the format and their key."""
    if months not in MONTHS:
        raise ArgumentError("months", f"{{argument}}: {months} is not allowed (6 or 12)")
    if plant_errors < 0:
        raise ArgumentError("plant_errors", f"{{argument}}: {plant_errors} is not allowed (0 or more)")
    opened = open_run(run)
    tables = _tables(opened)
    window = Window(dt.date.fromisoformat(str(opened.manifest["period"]["end"])), months)
    lists = build_lists(tables, window, int(opened.manifest["area"]["la_number"]))
    key = None
    overrides: dict[Cell, object] = {}
    if plant_errors:
        rng = shard_stream(int(opened.manifest["seed"]), 0, "annex-a-planted-errors")
        overrides, key = annex_a_breaches.plant_errors(lists, plant_errors, rng)
    return AnnexA(lists, window, workbook(lists, overrides), key)
