"""Annex A lists 1 to 3: the front door's contacts, early help and referrals.

- List 1: every contact received in the window, one row each (a run's contact names one child).
- List 2: every early help episode whose assessment was completed in the window, and every one open on the day
  of inspection (Ofsted: "current early help interventions"); the assessment starts when the episode does.
- List 3: every referral received in the window, one row each ("children may appear multiple times"), with the
  number of the child's referrals received in the twelve months before the inspection.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs.returns.annex_a_people import Fallback, Register, identity
from synthgen.outputs.returns.annex_a_spec import Window, between, coded, counts_of, known_by, shaped, yes_no


def contacts_list(contacts: pa.Table, subjects: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 1: contacts received in the window, the child as the LA's record (or the contact) names them."""
    received = pc.cast(contacts["received_at"], pa.date32())
    contacts = contacts.append_column("received_on", received)
    contacts = contacts.filter(between(received, window.start, window.inspection))
    contacts = contacts.sort_by([("received_at", "ascending"), ("contact_id", "ascending")])
    children = subjects.filter(pc.is_in(subjects["role"], pa.array(["child", "unborn"])))
    at = pc.index_in(contacts["contact_id"], value_set=children["contact_id"].combine_chunks())
    named = Fallback(*(pc.take(children[c], at) for c in ("record_id", "sex", "date_of_birth")))
    people = identity(register, contacts["la_child_id"], window.inspection, named)
    del people["disability"]
    columns = {
        **people,
        "date_of_contact": contacts["received_on"],
        "contact_source": coded(contacts["cin_source"], "source"),
    }
    return shaped(1, contacts.num_rows, columns)


def early_help_list(early_help: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 2: early help assessments completed in the window, and early help open on the day of inspection."""
    last = pa.scalar(window.inspection, pa.date32())
    assessed = between(early_help["assessment_date"], window.start, window.inspection)
    still_open = pc.and_(
        pc.less_equal(early_help["start_date"], last),
        pc.fill_null(pc.greater(early_help["end_date"], last), True),
    )
    episodes = early_help.filter(pc.or_(assessed, still_open))
    episodes = episodes.sort_by([("start_date", "ascending"), ("record_id", "ascending")])
    own = Fallback(episodes["record_id"], episodes["sex"], episodes["date_of_birth"])
    people = identity(register, episodes["la_child_id"], window.inspection, own)
    del people["disability"]
    columns = {
        **people,
        "assessment_start": episodes["start_date"],
        "assessment_completed": known_by(episodes["assessment_date"], window.inspection),
        "organisation": coded(episodes["lead_agency"], "organisation"),
    }
    return shaped(2, episodes.num_rows, columns)


def referrals_list(referrals: pa.Table, register: Register, window: Window) -> pa.Table:
    """List 3: referrals received in the window, each with the child's referrals in the last twelve months."""
    year = referrals.filter(between(referrals["referral_date"], window.year_start, window.inspection))
    rows = referrals.filter(between(referrals["referral_date"], window.start, window.inspection))
    rows = rows.sort_by([("referral_date", "ascending"), ("referral_id", "ascending")])
    people = identity(register, rows["la_child_id"], window.inspection)
    del people["disability"]
    columns = {
        **people,
        "referral_date": rows["referral_date"],
        "referral_source": coded(rows["referral_source"], "source"),
        "referral_nfa": yes_no(rows["nfa"]),
        "referrals_12_months": counts_of(rows["la_child_id"], year["la_child_id"]),
    }
    return shaped(3, rows.num_rows, columns)
