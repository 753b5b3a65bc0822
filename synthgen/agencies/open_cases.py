"""The cases open on the first day of the period (children in need, on plans, in care), sized so that the stocks
at the end of the period (31 March) come out at England's rates, and the referral history behind them.

Each open case is drawn length-biased from the published duration distributions (a long case is likelier to be
open on a given day) with its time already run; cases are taken until enough are still open on the last day.
Last year's closed referrals are drawn too: they are what makes a referral this year a re-referral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.care_pathway import Children, Flows, assessment_days, banded, care_days, children_by_weight
from synthgen.kernel.arrays import weighted_sample
from synthgen.scenario.plan import Plan


@dataclass(frozen=True)
class Cases:
    """The pathway as days from the start: this year's referrals and what followed, and the cases open on
    the first day (their history before it), for the tables to be built from."""

    child_rows: NDArray[np.int64]
    start: np.datetime64
    days: int
    ref_child: NDArray[np.int64]
    ref_day: NDArray[np.int64]
    ref_source: pa.Array
    nfa: NDArray[np.bool_]
    in_need: NDArray[np.bool_]
    assess_start: NDArray[np.int64]
    assess_end: NDArray[np.int64]
    cin_close: NDArray[np.int64]
    s47: NDArray[np.bool_]
    s47_day: NDArray[np.int64]
    icpc: NDArray[np.bool_]
    icpc_day: NDArray[np.int64]
    hist_child: NDArray[np.int64]
    hist_ref_day: NDArray[np.int64]
    hist_close: NDArray[np.int64]
    cp_new_child: NDArray[np.int64]
    cp_new_start: NDArray[np.int64]
    cp_new_end: NDArray[np.int64]
    cp0_child: NDArray[np.int64]
    cp0_start: NDArray[np.int64]
    cp0_end: NDArray[np.int64]
    cla_new_child: NDArray[np.int64]
    cla_new_start: NDArray[np.int64]
    cla_new_end: NDArray[np.int64]
    cla0_child: NDArray[np.int64]
    cla0_start: NDArray[np.int64]
    cla0_end: NDArray[np.int64]
    limit: NDArray[np.int64]  # days from the start to each child's 18th birthday

    @property
    def cp_child(self) -> NDArray[np.int64]:
        """Every child protection plan's child: those open on the first day, then this year's."""
        result: NDArray[np.int64] = np.r_[self.cp0_child, self.cp_new_child]
        return result

    @property
    def cp_start(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = np.r_[self.cp0_start, self.cp_new_start]
        return result

    @property
    def cp_end(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = np.r_[self.cp0_end, self.cp_new_end]
        return result

    @property
    def cla_child(self) -> NDArray[np.int64]:
        """Every period of care's child: those open on the first day, then this year's entries."""
        result: NDArray[np.int64] = np.r_[self.cla0_child, self.cla_new_child]
        return result

    @property
    def cla_start(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = np.r_[self.cla0_start, self.cla_new_start]
        return result

    @property
    def cla_end(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = np.r_[self.cla0_end, self.cla_new_end]
        return result


Spans = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
"""Children (rows of Children) with each case's start and end, in days from the start."""


def open_cases(
    rng: np.random.Generator,
    weights: NDArray[np.float64],
    lengths: Callable[[int], NDArray[np.int64]],
    limit: NDArray[np.int64],
    days: int,
    needed_at_end: float,
    earliest: NDArray[np.int64],
) -> Spans:
    """Cases already open on the first day: children drawn by weight, each case length-biased with its time
    already run, taken in that order until `needed_at_end` of them are still open on the last day.

    Returns the children and each case's start and end, in days from the start (start < 0); `earliest` is each
    child's day of birth, before which no case begins."""
    wanted = round(max(needed_at_end, 0.0))
    if wanted == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    pool = weighted_sample(rng, weights, min(int((weights > 0).sum()), 6 * wanted + 50))
    length = lengths(len(pool) * 4)
    length = length[rng.choice(len(length), size=len(pool), p=length / length.sum())]
    elapsed = (rng.random(len(pool)) * length).astype(np.int64)
    begin = -elapsed - 1
    end = np.minimum(begin + length, limit[pool])
    # a case that closed before the first day was not open on it; and none began before the child was born
    keep = (end >= 0) & (begin >= earliest[pool])
    pool, begin, end = pool[keep], begin[keep], end[keep]
    survivors = np.cumsum(end >= days)
    count = int(np.searchsorted(survivors, wanted) + 1) if survivors[-1] >= wanted else len(pool)
    return pool[:count], begin[:count], end[:count]


def _in_care_and_on_plans(rng: np.random.Generator, plan: Plan, kids: Children, flows: Flows) -> tuple[Spans, Spans]:
    """Periods of care, then child protection plans, open on the first day: as many as England's stocks at the
    end need beyond this year's new ones still open then, in children not already taken."""
    params, days, per10k = plan.params, plan.days, kids.per10k
    taken = np.zeros(len(kids.rows), bool)
    taken[flows.cla_new_child] = True
    cla_target = params["cla_at_31_march_per_10k_children"] * per10k - int((flows.cla_new_end >= days).sum())
    cla0 = open_cases(
        rng,
        np.where(taken, 0.0, kids.weight),
        lambda n: care_days(rng, params, n),
        kids.limit,
        days,
        cla_target,
        kids.born_day,
    )
    taken[cla0[0]] = True
    taken[flows.cp_new_child] = True
    cp_target = params["cp_at_31_march_per_10k_children"] * per10k - int((flows.cp_new_end >= days).sum())
    cp0 = open_cases(
        rng,
        np.where(taken, 0.0, kids.weight * (1 + params["cp_open_abuse_weight"] * kids.abuse)),
        lambda n: banded(rng, params, "cp_plan_duration_share", n),
        kids.limit,
        days,
        cp_target,
        kids.born_day,
    )
    return cla0, cp0


def _children_in_need(
    rng: np.random.Generator, plan: Plan, kids: Children, flows: Flows, cla0: Spans, cp0: Spans
) -> tuple[NDArray[np.int64], Spans]:
    """When each of this year's referrals closes (every in-need referral is an episode), and the episodes of
    children in need open on the first day, sized to England's stock at the end."""
    params, days = plan.params, plan.days
    ref_child, ref_day, nfa, in_need = flows.ref_child, flows.ref_day, flows.nfa, flows.in_need
    cin_days = banded(rng, params, "cin_episode_duration_share", len(ref_child))
    cin_close = np.minimum(
        np.where(in_need, flows.assess_end + cin_days, np.where(nfa, ref_day, flows.assess_end)),
        kids.limit[ref_child],
    )
    # an episode closes when its work is done: not before the assessment is authorised or the enquiry and its
    # conference are held, even where the child turned 18 in the meantime
    work_done = np.maximum(
        np.where(nfa, ref_day, flows.assess_end),
        np.where(flows.s47, np.where(flows.icpc, flows.icpc_day, flows.s47_day), ref_day),
    )
    cin_close = np.maximum(cin_close, work_done)
    open_at_end = np.unique(
        np.r_[
            ref_child[cin_close >= days],
            flows.cp_new_child[flows.cp_new_end >= days],
            cp0[0][cp0[2] >= days],
            flows.cla_new_child[flows.cla_new_end >= days],
            cla0[0][cla0[2] >= days],
        ]
    )
    taken = np.zeros(len(kids.rows), bool)
    taken[np.r_[flows.cla_new_child, cla0[0], flows.cp_new_child, cp0[0]]] = True
    taken[open_at_end] = True
    cin_target = params["cin_at_31_march_per_10k_children"] * kids.per10k - len(open_at_end)
    cin0 = open_cases(
        rng,
        np.where(taken, 0.0, kids.weight),
        lambda n: banded(rng, params, "cin_episode_duration_share", n),
        kids.limit,
        days,
        cin_target,
        kids.born_day + 14,  # a referral history for a baby begins after birth (pre-birth cases are this year's)
    )
    return cin_close, cin0


def _repeats(
    ref_child: NDArray[np.int64],
    ref_day: NDArray[np.int64],
    before_child: NDArray[np.int64],
    before_day: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Which of this year's referrals follow another of the child's (this year's, or one before the start in
    `before_*`) by 365 days or fewer: the DfE's re-referrals."""
    child = np.r_[before_child, ref_child]
    day = np.r_[before_day, ref_day]
    order = np.lexsort((day, child))
    repeat = np.zeros(len(child), bool)
    same = child[order][1:] == child[order][:-1]
    repeat[order[1:]] = same & (day[order][1:] - day[order][:-1] <= 365)
    result: NDArray[np.bool_] = repeat[len(before_child) :]
    return result


def _history(
    rng: np.random.Generator, plan: Plan, kids: Children, flows: Flows, cin0: Spans, cp0: Spans, cla0: Spans
) -> Spans:
    """The referrals behind the cases open at the start, after last year's referrals that were closed before the
    start: children, referral days and closing days.

    Last year's closed referrals are what makes many a referral this year a re-referral, so they are placed to
    make re_referral_share of this year's referrals re-referrals (the DfE's national share: in an authority
    that refers more, more of that share already comes from children referred twice this year): the children
    still short of it take a referral within the year before their first this year; the rest of last year's
    referrals go by weight to children not referred this year."""
    born_day = kids.born_day
    open_child = np.r_[cin0[0], cp0[0], cla0[0]]
    open_day = np.r_[
        cin0[1],
        np.maximum(cp0[1] - rng.integers(30, 120, len(cp0[0])), born_day[cp0[0]]),
        np.maximum(cla0[1] - rng.integers(30, 365, len(cla0[0])), born_day[cla0[0]]),
    ]
    n_ref = len(flows.ref_child)
    repeat = _repeats(flows.ref_child, flows.ref_day, open_child, open_day)
    first = np.zeros(n_ref, bool)
    first[np.unique(flows.ref_child, return_index=True)[1]] = True  # referrals are in child and day order
    short = max(round(plan.params["re_referral_share"] * n_ref) - int(repeat.sum()), 0)
    # a referral within the year before: after birth, closed (an assessment's length later) before the start
    length = assessment_days(rng, plan.params, n_ref)
    earliest = np.maximum(flows.ref_day - 365, born_day[flows.ref_child] + 1)
    latest = -1 - length
    fits = first & ~repeat & ~np.isin(flows.ref_child, open_child) & (earliest <= latest)
    again = weighted_sample(rng, np.where(fits, kids.weight[flows.ref_child], 0.0), short)
    again_day = earliest[again] + (rng.random(len(again)) * (latest[again] - earliest[again] + 1)).astype(np.int64)
    # the rest of last year's referrals: children not referred this year (nor with a case open)
    others = np.ones(len(kids.rows)) * kids.weight
    others[np.r_[flows.ref_child, open_child]] = 0.0
    prior_child = children_by_weight(rng, others, max(n_ref - len(again), 0))
    prior_day = -rng.integers(1, 366, len(prior_child))
    prior_close = prior_day + assessment_days(rng, plan.params, len(prior_child))
    closed = (prior_close < 0) & (prior_day > born_day[prior_child])
    hist_child = np.r_[flows.ref_child[again], prior_child[closed], open_child]
    hist_ref_day = np.r_[again_day, prior_day[closed], open_day]
    hist_close = np.r_[again_day + length[again], prior_close[closed], cin0[2], cp0[2], cla0[2]]
    return hist_child, hist_ref_day, hist_close


def with_open_cases(rng: np.random.Generator, plan: Plan, kids: Children, flows: Flows) -> Cases:
    """This year's flows with the cases open on the first day and the history behind them."""
    cla0, cp0 = _in_care_and_on_plans(rng, plan, kids, flows)
    cin_close, cin0 = _children_in_need(rng, plan, kids, flows, cla0, cp0)
    hist_child, hist_ref_day, hist_close = _history(rng, plan, kids, flows, cin0, cp0, cla0)
    return Cases(
        child_rows=kids.rows,
        start=np.datetime64(plan.period_start, "D"),
        days=plan.days,
        ref_child=flows.ref_child,
        ref_day=flows.ref_day,
        ref_source=flows.ref_source,
        nfa=flows.nfa,
        in_need=flows.in_need,
        assess_start=flows.assess_start,
        assess_end=flows.assess_end,
        cin_close=cin_close,
        s47=flows.s47,
        s47_day=flows.s47_day,
        icpc=flows.icpc,
        icpc_day=flows.icpc_day,
        hist_child=hist_child,
        hist_ref_day=hist_ref_day,
        hist_close=hist_close,
        cp_new_child=flows.cp_new_child,
        cp_new_start=flows.cp_new_start,
        cp_new_end=flows.cp_new_end,
        cp0_child=cp0[0],
        cp0_start=cp0[1],
        cp0_end=cp0[2],
        cla_new_child=flows.cla_new_child,
        cla_new_start=flows.cla_new_start,
        cla_new_end=flows.cla_new_end,
        cla0_child=cla0[0],
        cla0_start=cla0[1],
        cla0_end=cla0[2],
        limit=kids.limit,
    )
