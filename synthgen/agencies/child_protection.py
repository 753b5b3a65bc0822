"""The child protection records: section 47 enquiries, initial conferences and child protection plans (with their
categories, earlier plans and review conferences), as the CIN census counts them.

Every plan follows an enquiry and a conference held on a weekday; a plan's category follows the child's needs in
England's shares (parameters/social_care.csv: cp_category_share, cp_previous_plans_share, ...).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies.children_in_need import Referrals
from synthgen.agencies.open_cases import Cases
from synthgen.agencies.social_care_records import ABUSE, dates, ids, weekday
from synthgen.kernel.arrays import categorical
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

CP_FIRST_REVIEW_DAYS, CP_REVIEW_EVERY_DAYS = 91, 182
"""A child protection plan is first reviewed within three months of the initial conference, then at intervals
of no more than six months (Working Together 2023): the statutory timetable, held to exactly."""


def enquiry_tables(
    plan: Plan, shard: int, cases: Cases, refs: Referrals, la_ids: NDArray[np.object_], referral_id: pa.Array
) -> tuple[pa.Table, pa.Table]:
    """Section 47 enquiries and initial conferences: those behind the plans open at the start (after the referral,
    before the plan), then this year's."""
    s_ref = np.r_[refs.n_hist + np.flatnonzero(cases.s47)]
    s_day = np.r_[cases.s47_day[cases.s47]]
    s_icpc = np.r_[cases.icpc[cases.s47]]
    # the referrals behind the plans open at the start sit after the open CIN episodes in the history
    cp0_ref = len(cases.hist_child) - len(cases.cla0_child) - len(cases.cp0_child) + np.arange(len(cases.cp0_child))
    s_ref = np.r_[cp0_ref, s_ref]
    s_day = np.r_[np.clip(cases.cp0_start - 25, refs.day[cp0_ref], cases.cp0_start), s_day]
    s_icpc = np.r_[np.ones(len(cases.cp0_child), bool), s_icpc]
    date = partial(dates, cases.start)
    s47_id = ids(plan, shard, "section47", len(s_ref))
    section47 = pa.table(
        {
            "section47_id": s47_id,
            "la_child_id": pa.array(la_ids[refs.child[s_ref]], pa.string()),
            "referral_id": referral_id.take(pa.array(s_ref)),
            "start_date": date(s_day),
            "icpc_required": pa.array(s_icpc),
        }
    )
    i_rows = np.flatnonzero(s_icpc)
    i_day = np.r_[cases.cp0_start, cases.icpc_day[cases.icpc]]
    planned_from = np.full(len(cases.child_rows), -(10**9))
    planned_from[cases.cp_new_child] = cases.cp_new_start
    on_plan = np.r_[
        np.ones(len(cases.cp0_child), bool), planned_from[cases.ref_child[cases.icpc]] == cases.icpc_day[cases.icpc]
    ]
    icpcs = pa.table(
        {
            "icpc_id": ids(plan, shard, "icpcs", len(i_rows)),
            "la_child_id": pa.array(la_ids[refs.child[s_ref[i_rows]]], pa.string()),
            "section47_id": s47_id.take(pa.array(i_rows)),
            "conference_date": date(i_day),
            "cp_plan": pa.array(on_plan),
        }
    )
    return section47, icpcs


def categories(
    rng: np.random.Generator,
    params: Parameters,
    sim: Simulation,
    rows: NDArray[np.int64],
    households: NDArray[np.int64],
    unrecorded_rng: np.random.Generator,
) -> NDArray[np.object_]:
    """The plan's category from the child's needs. A child with one kind of abuse or neglect gets that; with
    several, one of them in proportion to England's category shares (cp_category_share), or now and then MUL
    (multiple); with none recorded but domestic abuse at home, emotional abuse (as most such plans are); otherwise
    one in England's shares, drawn from `unrecorded_rng`."""
    national = params.series("cp_category_share")
    weights = np.zeros((len(rows), len(ABUSE)))
    for column, (name, code) in enumerate(ABUSE.items()):
        weights[:, column] = sim.needs[name][rows] * national[code]
    kinds = (weights > 0).sum(axis=1)
    codes = np.asarray(list(ABUSE.values()), dtype=object)
    category = np.where(kinds > 0, codes[categorical(rng, weights)], "NEG").astype(object)
    # with no need of the child's recorded, the category follows England's shares
    unrecorded = np.flatnonzero(kinds == 0)
    shares = np.array([national[str(code)] for code in codes])
    category[unrecorded] = codes[unrecorded_rng.choice(len(codes), len(unrecorded), p=shares / shares.sum())]
    category[(kinds == 0) & sim.domestic_abuse[households]] = "EMO"
    category[(kinds >= 2) & (rng.random(len(rows)) < params["cp_category_multiple_share"])] = "MUL"
    return category


def cp_plans_table(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    cases: Cases,
    la_ids: NDArray[np.object_],
) -> pa.Table:
    """The child protection plans: those open on the first day, then this year's, with their categories (the
    latest now and then become multiple)."""
    params = plan.params
    cp_child = cases.cp_child
    unrecorded_rng = shard_stream(plan.seed, pop.shard, "social-care-categories-unrecorded")
    rows = cases.child_rows[cp_child]
    category = categories(rng, params, sim, rows, pop.people.household[rows], unrecorded_rng)
    latest = category.copy()
    changed = rng.random(len(cp_child)) < params["cp_latest_category_multiple_share"]
    latest[changed] = "MUL"
    date = partial(dates, cases.start)
    return pa.table(
        {
            "cp_plan_id": ids(plan, pop.shard, "cp_plans", len(cp_child)),
            "la_child_id": pa.array(la_ids[cp_child], pa.string()),
            "start_date": date(cases.cp_start),
            "end_date": date(cases.cp_end, open_from=cases.days),
            "initial_category": pa.array(category, pa.string()),
            "latest_category": pa.array(latest, pa.string()),
        }
    )


def with_census_fields(plan: Plan, shard: int, cp: pa.Table) -> pa.Table:
    """Each plan's earlier plans (cp_previous_plans_share) and review conferences (on the statutory timetable, on
    weekdays, up to the plan's end and no later than the last day), drawn from a stream of their own so that
    nothing else in the run changes."""
    previous_rng = shard_stream(plan.seed, shard, "social-care-previous-plans")
    previous_shares = list(plan.params.series("cp_previous_plans_share").values())
    previous = previous_rng.choice(len(previous_shares), cp.num_rows, p=previous_shares)
    start = np.datetime64(plan.period_start, "D")
    plan_start = (cp.column("start_date").to_numpy(zero_copy_only=False).astype("datetime64[D]") - start).astype(
        np.int64
    )
    end = pc.fill_null(cp.column("end_date"), pa.scalar(plan.period_end, pa.date32()))
    plan_end = (end.to_numpy(zero_copy_only=False).astype("datetime64[D]") - start).astype(np.int64)
    # reviews held up to the plan's end (the last may be the one that ends it) and no later than the last day
    last = np.minimum(plan_end, plan.days - 1)
    due = np.maximum((last - plan_start - CP_FIRST_REVIEW_DAYS) // CP_REVIEW_EVERY_DAYS + 1, 0)
    parent = np.repeat(np.arange(cp.num_rows), due)
    within = np.arange(len(parent)) - np.repeat(np.cumsum(due) - due, due)
    review_day = weekday(start, plan_start[parent] + CP_FIRST_REVIEW_DAYS + within * CP_REVIEW_EVERY_DAYS)
    keep = review_day <= last[parent]  # (a review moved off a weekend may pass the plan's end)
    review_offsets = np.zeros(cp.num_rows + 1, np.int32)
    np.cumsum(np.bincount(parent[keep], minlength=cp.num_rows), out=review_offsets[1:])
    reviews = pa.ListArray.from_arrays(pa.array(review_offsets), dates(start, review_day[keep]))
    return cp.append_column("previous_plans", pa.array(previous, pa.int64())).append_column("review_dates", reviews)
