"""Early help: episodes of support coordinated by the local authority below the threshold of social care.

An episode begins when the hub passes a contact to early help, or when social care steps a child down: every
CIN episode closed as referred to early help (RC9) and a share of those closed with services ceased (RC7,
`early_help_step_down_share`). A referral whose source is early help (5D) ends an episode already open (stepped
up, begun before the period). An episode runs a lognormal length (`early_help_days_median`, `..._sigma`) and
closes with its needs met, declined, disengaged, moved or otherwise (`early_help_closure_share.*`), unless a
referral comes first: then it ends that day, stepped up. So early help and social care never overlap except at
the day one hands over to the other. A child has one episode at a time; nothing follows a death.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies.front_door.contacts import Contacts
from synthgen.agencies.front_door.handling import DAY, DECISIONS, Handled, open_case
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context
from synthgen.kernel.arrays import categorical

ROUTES = ("contact", "step_down", "open_at_start")
CLOSURES = ("needs_met", "declined", "disengaged", "moved", "other", "stepped_up")
LEADS = ("school", "la_family_support", "health", "voluntary")
NEVER = 10**6


@dataclass(frozen=True)
class Episodes:
    person_row: NDArray[np.int64]
    contact: NDArray[np.int64]  # contact row, -1 for none
    route: NDArray[np.int64]  # index into ROUTES
    start: NDArray[np.int64]  # day of the period
    assessed: NDArray[np.int64]  # day of the assessment, NEVER when not (yet) done
    end: NDArray[np.int64]  # day it ended, NEVER while open
    closure: NDArray[np.int64]  # index into CLOSURES, -1 while open
    lead: NDArray[np.int64]  # index into LEADS

    def __len__(self) -> int:
        return len(self.start)


def _referrals(
    ctx: Context, people: Everyone
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.object_], NDArray[np.object_], NDArray[np.int64]]:
    """Each referral's child (row), day, source code, closure reason and closure day (NEVER while open)."""
    table = ctx.made["agencies/social_care/referrals"]
    start = np.datetime64(ctx.plan.period_start, "D")
    day = (signals.days(table.table.column("referral_date").combine_chunks()) - start).astype(np.int64)
    closed = signals.days(table.table.column("closure_date").combine_chunks())
    close_day = np.where(np.isnat(closed), NEVER, (closed - start).astype(np.int64))
    source = table.table.column("referral_source").fill_null("").to_numpy(zero_copy_only=False).astype(object)
    reason = table.table.column("closure_reason").fill_null("").to_numpy(zero_copy_only=False).astype(object)
    return people.rows(table.person_id), day, source, reason, close_day


def _lengths(rng: np.random.Generator, ctx: Context, n: int) -> NDArray[np.int64]:
    params = ctx.plan.params
    days = np.exp(rng.normal(np.log(params["early_help_days_median"]), params["early_help_days_sigma"], n))
    result: NDArray[np.int64] = np.clip(days, 14, 1095).astype(np.int64)
    return result


def _next_referral(
    child: NDArray[np.int64], after: NDArray[np.int64], ref_child: NDArray[np.int64], ref_day: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The day of each child's first referral strictly after `after` (NEVER for none)."""
    key = ref_child.astype(np.int64) * 4 * NEVER + (ref_day + NEVER)
    order = np.sort(key)
    at = np.searchsorted(order, child * 4 * NEVER + (after + NEVER), side="right")
    at_key = order[np.minimum(at, len(order) - 1)] if len(order) else np.zeros(len(child), np.int64)
    same = (at < len(order)) & (at_key // (4 * NEVER) == child)
    result: NDArray[np.int64] = np.where(same, at_key % (4 * NEVER) - NEVER, NEVER)
    return result


def episodes(
    rng: np.random.Generator, ctx: Context, people: Everyone, contacts: Contacts, handled: Handled
) -> Episodes:
    params = ctx.plan.params
    ref_child, ref_day, ref_source, reason, close_day = _referrals(ctx, people)
    days = ctx.plan.days
    # from the front door: the day after the decision, or a few days on
    passed = np.flatnonzero(handled.decision == DECISIONS.index("early_help"))
    from_contact_start = handled.decided[passed] // DAY + rng.integers(1, 11, len(passed))
    # stepped down by social care at the close of an episode in the period
    closed_in = (close_day >= 0) & (close_day < days)
    down = np.flatnonzero(
        closed_in
        & ((reason == "RC9") | ((reason == "RC7") & (rng.random(len(reason)) < params["early_help_step_down_share"])))
    )
    # open before the period, stepped up by a referral from early help
    up = np.flatnonzero((ref_source == "5D") & (ref_day >= 0) & (ref_day < days))
    up_start = np.minimum(ref_day[up] - _lengths(rng, ctx, len(up)), -1)
    child = np.r_[contacts.person_row[passed], ref_child[down], ref_child[up]]
    contact = np.r_[passed, np.full(len(down) + len(up), -1)]
    route = np.r_[np.zeros(len(passed)), np.ones(len(down)), np.full(len(up), 2)].astype(np.int64)
    start = np.r_[from_contact_start, close_day[down], up_start].astype(np.int64)
    # none begins while the child's case is open to social care (a referral since the decision took it there)
    keep = (start < days) & ~open_case(ctx, people, child, start)
    child, contact, route, start = child[keep], contact[keep], route[keep], start[keep]
    end = start + _lengths(rng, ctx, len(start))
    # a referral ends the episode that day: stepped up
    referred = _next_referral(child, start, ref_child, ref_day)
    stepped_up = referred <= end
    end = np.where(stepped_up, referred, end)
    # nothing after a death
    n_pop = len(ctx.pop.people.person_id)
    died = np.full(len(child), NEVER)
    in_pop = child < n_pop
    death = ctx.died[np.where(in_pop, child, 0)]
    dead = in_pop & ~np.isnat(death)
    died[dead] = (death[dead] - np.datetime64(ctx.plan.period_start, "D")).astype(np.int64)
    alive_at_start = start < died
    end = np.minimum(end, died)
    kept = alive_at_start & _one_at_a_time(child, start, end)
    child, contact, route, start, end, stepped_up = (a[kept] for a in (child, contact, route, start, end, stepped_up))
    shares = params.series("early_help_closure_share")
    weights = np.array([shares.get(name, 0.0) for name in CLOSURES])
    closure = categorical(rng, np.tile(weights, (len(child), 1))).astype(np.int64)
    closure[stepped_up] = CLOSURES.index("stepped_up")
    open_at_end = end >= days
    closure[open_at_end] = -1
    end = np.where(open_at_end, NEVER, end)
    assessed = start + np.exp(rng.normal(np.log(params["early_help_assessment_days_median"]), 0.5, len(child))).astype(
        np.int64
    )
    assessed = np.where((assessed <= np.minimum(end, days - 1)), assessed, NEVER)
    lead_shares = params.series("early_help_lead_share")
    lead = categorical(rng, np.tile(np.array([lead_shares[name] for name in LEADS]), (len(child), 1))).astype(np.int64)
    order = np.lexsort((start, child))
    return Episodes(*(a[order] for a in (child, contact, route, start, assessed, end, closure, lead)))


def _one_at_a_time(child: NDArray[np.int64], start: NDArray[np.int64], end: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Keep an episode only if it begins after the child's previous kept episode ended (a child is in one episode
    at a time): dropping is repeated until nothing overlaps, a few passes at most."""
    keep = np.ones(len(child), bool)
    order = np.lexsort((start, child))
    while True:
        rows = order[keep[order]]
        same = np.r_[False, child[rows][1:] == child[rows][:-1]]
        previous_end = np.r_[-NEVER, end[rows][:-1]]
        clash = same & (start[rows] <= previous_end)
        if not clash.any():
            return keep
        # drop only the first clash of each run: the next pass sees what is left
        first = clash & ~np.r_[False, clash[:-1]]
        keep[rows[first]] = False
