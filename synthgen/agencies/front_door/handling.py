"""The hub's handling of each contact, as the local authority records it: a RAG rating, whether it went to a MASH
enquiry with checks of the partners' records, the decision, and when it was made.

The rating is the hub's judgement on partial information: the band the truth supports most of the time
(`rag_agreement_share`), a band either side otherwise. A contact that became a referral was decided on the
referral's day: a strategy discussion when the enquiry began within `strategy_discussion_days`, a referral
otherwise. Any other contact is closed with no further action, given information and advice, or passed to early
help, in shares that depend on its rating (`decision_share.<rag>.<decision>`); a child whose case is open to
social care on the day is not passed to early help (the contact goes to the allocated worker as information).
Working Together 2023 asks for a decision within one working day: most are (`decision_within_one_working_day_
share`), the rest take up to `decision_late_days_max` working days. Times are seconds since the period began.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies.front_door.bands import BANDS, Bands
from synthgen.agencies.front_door.contacts import Contacts
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context
from synthgen.kernel.arrays import categorical
from synthgen.kernel.dates import one_working_day_deadline

DECISIONS = ("nfa", "information_advice", "early_help", "referral", "strategy_discussion")
CHECKED = ("police", "health", "school")
"""The partners a MASH enquiry checks with (schools only for children of school age)."""
DAY = 86_400


@dataclass(frozen=True)
class Handled:
    rag: NDArray[np.int64]  # index into BANDS
    mash: NDArray[np.bool_]
    decision: NDArray[np.int64]  # index into DECISIONS
    received: NDArray[np.int64]  # seconds since the period began
    decided: NDArray[np.int64]
    deadline: NDArray[np.int64]  # the end of the next working day after receipt


@dataclass(frozen=True)
class Checks:
    contact: NDArray[np.int64]  # row of the contact
    agency: NDArray[np.int64]  # index into CHECKED
    requested: NDArray[np.int64]
    answered: NDArray[np.int64]  # -1: never answered
    held: NDArray[np.bool_]  # what the partner said: it holds information on the child or household


def _next_working_day_end(start: np.datetime64, received: NDArray[np.int64]) -> NDArray[np.int64]:
    """Seconds (since the start) of 17:00 on the first working day after the day of receipt."""
    day = start + (received // DAY).astype("timedelta64[D]")
    deadline = one_working_day_deadline(day) - start.astype("datetime64[s]")
    result: NDArray[np.int64] = deadline.astype(np.int64)
    return result


def _working_days_after(start: np.datetime64, moment: NDArray[np.int64], days: NDArray[np.int64]) -> NDArray[np.int64]:
    day = start + (moment // DAY).astype("timedelta64[D]")
    later = np.busday_offset(day, days, roll="forward")
    result: NDArray[np.int64] = (later - start).astype(np.int64) * DAY + (moment % DAY)
    return result


def open_case(
    ctx: Context,
    people: Everyone,
    row: NDArray[np.int64],
    day: NDArray[np.int64],
    opened_by: NDArray[np.int64] | None = None,
) -> NDArray[np.bool_]:
    """Whether each child (person row) had a social care episode open on the day (of the period): referred before
    the day and not closed by it. `opened_by`: each row's own referral (row of referrals), not counted."""
    referrals = ctx.made["agencies/social_care/referrals"]
    start = np.datetime64(ctx.plan.period_start, "D")
    opened = (signals.days(referrals.table.column("referral_date").combine_chunks()) - start).astype(np.int64)
    closed_on = signals.days(referrals.table.column("closure_date").combine_chunks())
    closed = np.where(np.isnat(closed_on), 10**6, (closed_on - start).astype(np.int64))
    child = people.rows(referrals.person_id)
    order = np.argsort(child, kind="stable")
    result = np.zeros(len(row), bool)
    low = np.searchsorted(child[order], row, side="left")
    high = np.searchsorted(child[order], row, side="right")
    for offset in range(int((high - low).max(initial=0))):  # a child's referrals: a handful at most
        at = np.where(low + offset < high, order[np.minimum(low + offset, len(order) - 1)], -1)
        valid = at >= 0
        index = np.where(valid, at, 0)
        inside = valid & (opened[index] < day) & (day < closed[index])
        if opened_by is not None:
            inside &= opened_by != index
        result |= inside
    return result


def _strategy(ctx: Context, contacts: Contacts) -> NDArray[np.bool_]:
    """Whether each referral contact's referral led to a section 47 enquiry within strategy_discussion_days."""
    referrals = ctx.made["agencies/social_care/referrals"].table
    enquiries = ctx.made.get("agencies/social_care/section47")
    result = np.zeros(len(contacts), bool)
    if enquiries is None or not enquiries.table.num_rows:
        return result
    ref_day = signals.days(referrals.column("referral_date").combine_chunks())
    found = pc.index_in(enquiries.table.column("referral_id"), value_set=referrals.column("referral_id"))
    known = found.is_valid().to_numpy(zero_copy_only=False)
    ref_row = found.to_numpy(zero_copy_only=False)[known].astype(np.int64)
    gap = signals.days(enquiries.table.column("start_date").combine_chunks())[known] - ref_day[ref_row]
    window = np.timedelta64(int(ctx.plan.params["strategy_discussion_days"]), "D")
    soon = np.zeros(referrals.num_rows, bool)
    np.logical_or.at(soon, ref_row, gap <= window)
    referred = contacts.referral >= 0
    result[referred] = soon[contacts.referral[referred]]
    return result


def handle(rng: np.random.Generator, ctx: Context, people: Everyone, contacts: Contacts, truth: Bands) -> Handled:
    params = ctx.plan.params
    n = len(contacts)
    start = np.datetime64(ctx.plan.period_start, "D")
    agree = rng.random(n) < params["rag_agreement_share"]
    step = np.where(rng.random(n) < 0.5, -1, 1)
    rag = np.clip(np.where(agree, truth.band, truth.band + step), 0, len(BANDS) - 1)
    referred = contacts.referral >= 0
    rag = np.where(referred, np.maximum(rag, 1), rag)
    mash_share = np.array([params[f"mash_enquiry_share.{band}"] for band in BANDS])[rag]
    mash = rng.random(n) < mash_share

    decision = np.zeros(n, np.int64)
    for index, band in enumerate(BANDS):
        shares = params.series(f"decision_share.{band}")
        weights = np.array([shares.get(name, 0.0) for name in DECISIONS])
        mine = np.flatnonzero(~referred & (rag == index))
        decision[mine] = categorical(rng, np.tile(weights, (len(mine), 1)))
    is_open = open_case(ctx, people, contacts.person_row, contacts.day, contacts.referral)
    decision[(decision == DECISIONS.index("early_help")) & is_open] = DECISIONS.index("information_advice")
    decision[referred] = np.where(_strategy(ctx, contacts)[referred], 4, 3)

    received = contacts.day * DAY + contacts.second
    deadline = _next_working_day_end(start, received)
    timely = rng.random(n) < params["decision_within_one_working_day_share"]
    # the hub decides in office hours: the day it came in (if there is time left) or the next working day
    same_day = np.is_busday(start + contacts.day.astype("timedelta64[D]")) & (contacts.second < 16 * 3600)
    today = same_day & (rng.random(n) < 0.6)
    day = np.where(today, contacts.day, deadline // DAY)
    earliest = np.where(today, np.maximum(contacts.second + 1800, 9 * 3600), 9 * 3600)
    soon = day * DAY + earliest + (rng.random(n) * np.maximum(17 * 3600 - earliest, 60)).astype(np.int64)
    late_days = rng.integers(2, int(params["decision_late_days_max"]) + 1, n)
    late = _working_days_after(start, deadline - 8 * 3600, late_days - 1) + rng.integers(0, 8 * 3600, n)
    decided = np.where(timely, soon, np.maximum(late, deadline + 60))
    # a referral is the decision: it is dated the day the hub decided, after the contact arrived
    ref_day = contacts.day.copy()
    referral_table = ctx.made["agencies/social_care/referrals"].table
    ref_dates = signals.days(referral_table.column("referral_date").combine_chunks())
    ref_day[referred] = (ref_dates[contacts.referral[referred]] - start).astype(np.int64)
    on_day = ref_day * DAY + rng.integers(10 * 3600, 17 * 3600, n)
    decided = np.where(referred, np.maximum(on_day, received + 1800), decided)
    return Handled(rag.astype(np.int64), mash, decision, received, decided.astype(np.int64), deadline)


def checks(
    rng: np.random.Generator,
    ctx: Context,
    people: Everyone,
    contacts: Contacts,
    handled: Handled,
    held: NDArray[np.bool_],
) -> Checks:
    """The partner checks of every MASH enquiry; `held[c, a]`: whether agency a really held records on contact c's
    child or household known by the contact's day."""
    params = ctx.plan.params
    enquiry = np.flatnonzero(handled.mash)
    age = _age_years(ctx, people, contacts)
    rows, partners = [], []
    for index, partner in enumerate(CHECKED):
        asked = enquiry[(age[enquiry] >= 4)] if partner == "school" else enquiry
        rows.append(asked)
        partners.append(np.full(len(asked), index, np.int64))
    contact = np.concatenate(rows)
    agency = np.concatenate(partners)
    order = np.lexsort((agency, contact))
    contact, agency = contact[order], agency[order]
    requested = handled.received[contact] + rng.integers(900, 3 * 3600, len(contact))
    hours = np.exp(rng.normal(np.log(params["partner_check_hours_median"]), 0.8, len(contact)))
    answered = requested + (hours * 3600).astype(np.int64)
    answered[rng.random(len(contact)) < params["partner_check_no_answer_share"]] = -1
    truly = held[contact, agency]
    misread = rng.random(len(contact)) < params["partner_check_misread_share"]
    return Checks(contact, agency, requested, answered, truly ^ misread)


def _age_years(ctx: Context, people: Everyone, contacts: Contacts) -> NDArray[np.int64]:
    start = np.datetime64(ctx.plan.period_start, "D")
    day = start + contacts.day.astype("timedelta64[D]")
    dob = people.date_of_birth[contacts.person_row]
    result: NDArray[np.int64] = ((day - dob).astype(np.int64) // 365).astype(np.int64)
    return result
