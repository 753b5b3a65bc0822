"""Annex A lists 9 to 11: care leavers, adoption and adopters.

- List 9: the care leavers on the local authority's list on the day of inspection (relevant children under 18,
  former relevant children from 18), one row each; a run keeps no qualifying care leavers. Eligible children (16
  and 17, still in care) are on list 8: liiatools' code list for the column has no "eligible" value.
- List 10: every child with a decision that they should be placed for adoption who was adopted in the twelve
  months before the inspection or is still waiting (looked after, not yet adopted); one row per child, their
  latest decision. A run records no reversed decisions, so those columns are blank.
- List 11: a run holds no adopters' records (enquiries, stages, approval): the list is its header alone.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs.returns.annex_a_care import ADOPTED, FOSTERING_FOR_ADOPTION, OPEN, PLACED_FOR_ADOPTION, Episodes
from synthgen.outputs.returns.annex_a_people import Register, identity
from synthgen.outputs.returns.annex_a_spec import Window, coded, dates, day, days, known_by, shaped

ADULT = 18


def _one_per_child(table: pa.Table, order: str) -> pa.Table:
    """Each child's last row by `order`."""
    table = table.sort_by([("la_child_id", "ascending"), (order, "ascending")])
    ids = table["la_child_id"].to_numpy(zero_copy_only=False)
    last = np.ones(len(ids), bool)
    last[:-1] = ids[1:] != ids[:-1]
    return table.filter(pa.array(last))


def care_leavers_list(care_leavers: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 9: care leavers on the day of inspection."""
    leavers = _one_per_child(care_leavers, "leaver_id")
    people = identity(register, leavers["la_child_id"], window.inspection)
    adult = pc.fill_null(pc.greater_equal(people["age"], ADULT), True)
    accommodation = leavers["accommodation"]
    recorded = pc.fill_null(pc.not_equal(accommodation, "0"), False)
    nothing = pa.scalar(None, pa.string())
    letter = pc.if_else(recorded, pc.utf8_slice_codeunits(accommodation, 0, 1), nothing)
    suitable = pc.if_else(recorded, pc.utf8_slice_codeunits(accommodation, 1, 2), nothing)
    activity = leavers["activity"]
    columns = {
        **people,
        "eligibility": coded(pc.if_else(adult, "former_relevant", "relevant"), "eligibility"),
        "in_touch": coded(leavers["in_touch"], "in_touch"),
        "accommodation": coded(letter, "accommodation"),
        "suitability": coded(suitable, "suitability"),
        "activity": coded(pc.if_else(pc.fill_null(pc.not_equal(activity, "0"), False), activity, nothing), "activity"),
    }
    return shaped(9, leavers.num_rows, columns).sort_by([("child_id", "ascending")])


def adoption_list(tables: dict[str, pa.Table], register: Register, window: Window) -> pa.Table:
    """List 10: children adopted in the twelve months before the inspection, or waiting to be."""
    on, year = day(window.inspection), day(window.year_start)
    decisions = tables["cla_adoption_decisions"]
    decisions = _one_per_child(decisions.filter(pa.array(days(decisions["decision_date"]) <= on)), "decision_date")
    ep = Episodes.of(tables["cla_episodes"], window.inspection)
    # the period of care each decision was made in: the child's latest begun on or before it
    owner, begun = ep.child[ep.first], ep.start[ep.first]
    children = decisions["la_child_id"].to_numpy(zero_copy_only=False)
    codes = np.unique(np.r_[owner, children].astype(str))
    span = np.int64(1) << 32
    keys = np.searchsorted(codes, owner.astype(str)) * span + begun
    asked = np.searchsorted(codes, children.astype(str)) * span + days(decisions["decision_date"])
    at = np.searchsorted(keys, asked, side="right") - 1
    found = at >= 0
    found[found] = owner[at[found]] == children[found]
    at = np.where(found, at, 0)
    ends = ep.end[ep.last][at] if len(ep.first) else np.zeros(len(at), np.int64)
    reasons = ep.column("reason_episode_ceased", ep.last[at]).to_numpy(zero_copy_only=False) if len(ep.first) else []
    adopted = found & (ends != OPEN) & np.isin(reasons, ADOPTED)
    keep = (adopted & (ends >= year)) | (found & (ends == OPEN))
    decisions, at, ends, adopted = decisions.filter(pa.array(keep)), at[keep], ends[keep], adopted[keep]

    def first_start(column: str, codes: tuple[str, ...]) -> pa.Array:
        flagged = ep.first_start_where(np.isin(ep.table[column].to_numpy(zero_copy_only=False), codes))[at]
        return dates(flagged, flagged != OPEN)

    matches = tables["cla_adoptions"]
    matched = pc.take(matches["date_matched"], pc.index_in(decisions["la_child_id"], value_set=matches["la_child_id"]))
    people = identity(register, decisions["la_child_id"], window.inspection)
    columns = {
        **people,
        "care_start": dates(ep.start[ep.first][at] if len(at) else np.zeros(0, np.int64)),
        "adoption_decision": decisions["decision_date"],
        "placement_order": first_start("legal_status", ("E1",)),
        "matched": known_by(matched, window.inspection),
        "placed_for_adoption": first_start("placement_type", PLACED_FOR_ADOPTION),
        "adoption_order": dates(ends, adopted),
        "ffa_placed": first_start("placement_type", FOSTERING_FOR_ADOPTION),
    }
    order = [("adoption_decision", "ascending"), ("child_id", "ascending")]
    return shaped(10, decisions.num_rows, columns).sort_by(order)


def adopters_list() -> pa.Table:
    """List 11: a run holds no adopters' records, so the list is its header alone."""
    return shaped(11, 0, {})
