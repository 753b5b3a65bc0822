"""Annex A lists 4 to 7: assessments, section 47 enquiries, children in need and child protection.

- List 4: every assessment in progress at some time in the window (begun by the inspection, and authorised in the
  window or not yet). A run does not record whether the child was seen: an authorised assessment saw the child
  (Working Together 2023 asks it of every assessment), one in progress is "unknown".
- List 5: every section 47 enquiry begun in the window, one row each, with its initial conference if held by the
  inspection, and the child's enquiries and conferences in the twelve months before the inspection.
- List 6: every child with a CIN episode (as the CIN census counts episodes: a re-referral while open is part of
  the open episode) open at some time in the window, leaving out episodes that were only a referral with no
  further action; one row per child, their latest episode, with the case's status on the day of inspection.
- List 7: every child protection plan open on the day of inspection or ended in the window, one row each.

A run records no visits, so the dates a child was last seen or visited, and whether seen alone, are blank.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs.returns.annex_a_people import Register, identity
from synthgen.outputs.returns.annex_a_spec import (
    Window,
    between,
    coded,
    counts_of,
    day,
    days,
    known_by,
    shaped,
    yes_no,
)
from synthgen.outputs.returns.cin_census import CollectionYear, cin_episodes


def assessments_list(assessments: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 4: assessments in progress at some time in the window."""
    last = pa.scalar(window.inspection, pa.date32())
    authorised = known_by(assessments["authorised_date"], window.inspection)
    assessments = assessments.set_column(
        assessments.schema.get_field_index("authorised_date"), "authorised_date", authorised
    )
    keep = pc.and_(
        pc.less_equal(assessments["start_date"], last),
        pc.fill_null(pc.greater_equal(authorised, pa.scalar(window.start, pa.date32())), True),
    )
    rows = assessments.filter(keep).sort_by([("start_date", "ascending"), ("assessment_id", "ascending")])
    done = pc.is_valid(rows["authorised_date"])
    columns = {
        **identity(register, rows["la_child_id"], window.inspection),
        "assessment_start": rows["start_date"],
        "child_seen": coded(pc.if_else(done, "Y", "U"), "yes_no"),
        "assessment_authorised": rows["authorised_date"],
        "support_needed": yes_no(pc.if_else(done, pc.equal(rows["outcome"], "in_need"), pa.scalar(None, pa.bool_()))),
    }
    return shaped(4, rows.num_rows, columns)


def section47_list(section47: pa.Table, icpcs: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 5: section 47 enquiries begun in the window."""
    year = section47.filter(between(section47["start_date"], window.year_start, window.inspection))
    rows = section47.filter(between(section47["start_date"], window.start, window.inspection))
    rows = rows.sort_by([("start_date", "ascending"), ("section47_id", "ascending")])
    at = pc.index_in(rows["section47_id"], value_set=icpcs["section47_id"].combine_chunks())
    held = known_by(pc.take(icpcs["conference_date"], at), window.inspection)
    plan = pc.if_else(pc.is_valid(held), pc.take(icpcs["cp_plan"], at), pa.scalar(None, pa.bool_()))
    conferences = icpcs.filter(between(icpcs["conference_date"], window.year_start, window.inspection))
    columns = {
        **identity(register, rows["la_child_id"], window.inspection),
        "s47_start": rows["start_date"],
        "icpc_not_needed": yes_no(pc.invert(rows["icpc_required"])),
        "icpc_date": held,
        "icpc_plan": yes_no(plan),
        "s47_12_months": counts_of(rows["la_child_id"], year["la_child_id"]),
        "icpcs_12_months": counts_of(rows["la_child_id"], conferences["la_child_id"]),
    }
    return shaped(5, rows.num_rows, columns)


def _open_on(table: pa.Table, start: str, end: str, on: int) -> pa.Array:
    """Children (la_child_id) with a row of `table` begun by day `on` and not ended by it."""
    still_open = (days(table[start]) <= on) & (days(table[end]) > on)
    return pc.unique(table["la_child_id"].filter(pa.array(still_open)))


def _case_status(
    children: pa.Array,
    closed: pa.Array,
    tables: dict[str, pa.Table],
    on: int,
) -> pa.Array:
    """Each child's case on the day of inspection: closed, else looked after, on a CP plan, on a CIN plan, being
    assessed, or (an open episode with none of these) a child in need."""
    status = np.full(len(children), "cin_plan", dtype=object)
    for name, code, start, end in (
        ("assessments", "assessment", "start_date", "authorised_date"),
        ("cin_plans", "cin_plan", "start_date", "end_date"),
        ("cp_plans", "cp_plan", "start_date", "end_date"),
        ("cla_episodes", "looked_after", "start_date", "end_date"),
    ):
        member = pc.is_in(children, value_set=_open_on(tables[name], start, end, on)).to_numpy(zero_copy_only=False)
        status[member] = code
    status[closed.to_numpy(zero_copy_only=False)] = "closed"
    return coded(pa.array(status, pa.string()), "case_status")


def children_in_need_list(tables: dict[str, pa.Table], register: Register, window: Window) -> pa.Table:
    """List 6: children in need in the window, one row each (their latest episode)."""
    episodes, _ = cin_episodes(tables["referrals"], CollectionYear(window.start, window.inspection))
    episodes = episodes.filter(pc.equal(episodes["ReferralNFA"], "0"))
    episodes = episodes.sort_by([("la_child_id", "ascending"), ("CINreferralDate", "ascending")])
    ids = episodes["la_child_id"].to_numpy(zero_copy_only=False)
    latest = np.ones(len(ids), bool)
    latest[:-1] = ids[1:] != ids[:-1]
    rows = episodes.filter(pa.array(latest)).sort_by([("CINreferralDate", "ascending"), ("la_child_id", "ascending")])
    closed = pc.is_valid(rows["CINclosureDate"])
    columns = {
        **identity(register, rows["la_child_id"], window.inspection),
        "cin_start": rows["CINreferralDate"],
        "primary_need": coded(rows["PrimaryNeedCode"], "need"),
        "cin_closed": rows["CINclosureDate"],
        "closure_reason": coded(rows["ReasonForClosure"], "closure"),
        "case_status": _case_status(rows["la_child_id"].combine_chunks(), closed, tables, day(window.inspection)),
    }
    return shaped(6, rows.num_rows, columns)


def _latest_review(reviews: pa.ChunkedArray, start: pa.Array, until: pa.Array) -> pa.Array:
    """Each plan's latest review conference on or after its start and on or before `until`."""
    flat = reviews.combine_chunks()
    flat = flat.fill_null(pa.scalar([], flat.type)) if flat.null_count else flat
    parent = np.asarray(pc.list_parent_indices(flat).to_numpy(zero_copy_only=False), np.int64)
    held = days(pc.list_flatten(flat))
    keep = (held >= days(start)[parent]) & (held <= days(until)[parent])
    latest = np.full(len(flat), -1, np.int64)
    np.maximum.at(latest, parent[keep], held[keep])
    return pa.array(latest.astype("datetime64[D]"), pa.date32(), mask=latest < 0)


def child_protection_list(cp_plans: pa.Table, cla_episodes: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 7: child protection plans open on the day of inspection or ended in the window."""
    last = pa.scalar(window.inspection, pa.date32())
    keep = pc.and_(
        pc.less_equal(cp_plans["start_date"], last),
        pc.fill_null(pc.greater_equal(cp_plans["end_date"], pa.scalar(window.start, pa.date32())), True),
    )
    rows = cp_plans.filter(keep).sort_by([("start_date", "ascending"), ("cp_plan_id", "ascending")])
    ended = known_by(rows["end_date"], window.inspection)
    until = pc.fill_null(ended, last)
    # police protection (L1) or an emergency protection order (L2) in the six months the heading names
    six = pa.scalar(window.first_day(6), pa.date32())
    protected = cla_episodes.filter(
        pc.and_(
            pc.is_in(cla_episodes["legal_status"], pa.array(["L1", "L2"])),
            pc.and_(
                pc.less_equal(cla_episodes["start_date"], last),
                pc.fill_null(pc.greater_equal(cla_episodes["end_date"], six), True),
            ),
        )
    )
    columns = {
        **identity(register, rows["la_child_id"], window.inspection),
        "cp_start": rows["start_date"],
        "initial_category": coded(rows["initial_category"], "abuse"),
        "latest_category": coded(rows["latest_category"], "abuse"),
        "latest_review": _latest_review(rows["review_dates"], rows["start_date"].combine_chunks(), until),
        "cp_end": ended,
        "emergency_protection": yes_no(pc.is_in(rows["la_child_id"], value_set=protected["la_child_id"])),
        "previous_plans": rows["previous_plans"],
    }
    return shaped(7, rows.num_rows, columns)
