"""Unborn children: babies born during the period who were referred before birth, and what followed.

Pre-birth referrals go where domestic abuse, parental mental ill health or substance misuse are known at home;
some go on to an enquiry, a pre-birth conference and a plan for the unborn child. They count within England's
flows (the rest of the pathway makes room for them). The chances are parameters (parameters/social_care.csv:
pre_birth_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES
from synthgen.agencies.care_pathway import assessment_days, banded
from synthgen.agencies.children_in_need import other_factors
from synthgen.agencies.social_care_records import (
    SocialCareTables,
    children_rows,
    dates,
    ids,
    list_column,
    weekday,
    with_children,
)
from synthgen.kernel import identifiers, strings
from synthgen.kernel.record_ids import record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation


@dataclass(frozen=True)
class Unborn:
    """The period's babies referred before birth (rows of the births), with the referral's day, the enquiry's and
    the conference's (days from the start), and whether they went on to a plan."""

    chosen: NDArray[np.int64]
    ref_day: NDArray[np.int64]
    s47_day: NDArray[np.int64]
    icpc_day: NDArray[np.int64]
    protected: NDArray[np.bool_]


def unborn_cases(plan: Plan, pop: Population, sim: Simulation, born: Births | None) -> Unborn:
    """Which of the period's babies were referred before birth (and when), and which went on to an enquiry, a
    pre-birth conference and a plan; from a stream of their own."""
    rng = shard_stream(plan.seed, pop.shard, "social-care-unborn")
    empty = np.zeros(0, np.int64)
    if born is None or not len(born):
        return Unborn(empty, empty, empty, empty, np.zeros(0, bool))
    params = plan.params
    risky = sim.domestic_abuse[born.household] | sim.substance_misuse[born.household]
    risky |= sim.parental_mental_health[born.household]
    birth_day = (born.date_of_birth - np.datetime64(plan.period_start, "D")).astype(np.int64)
    ref_day = birth_day - rng.integers(56, 155, len(born))
    chance = np.where(risky, params["pre_birth_referral_share.risky"], params["pre_birth_referral_share.other"])
    chosen = np.flatnonzero((rng.random(len(born)) < chance) & (ref_day >= 0))
    ref_day = ref_day[chosen]
    s47_day = ref_day + rng.integers(7, 22, len(chosen))
    icpc_day = s47_day + np.clip(rng.normal(20, 5, len(chosen)), 8, 45).astype(np.int64)
    icpc_day = weekday(np.datetime64(plan.period_start, "D"), icpc_day)
    protected = (rng.random(len(chosen)) < params["pre_birth_protection_share"]) & (icpc_day < plan.days)
    return Unborn(chosen, ref_day, s47_day, icpc_day, protected)


def _in_need_records(
    rng: np.random.Generator,
    plan: Plan,
    shard: int,
    sim: Simulation,
    hh: NDArray[np.int64],
    unborn: Unborn,
    tables: SocialCareTables,
    la_ids: pa.Array,
    close: NDArray[np.int64],
    assess: tuple[NDArray[np.int64], NDArray[np.int64]],
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The unborn children's referrals (from midwives and other health services), assessments (the factors at
    home) and, for those not protected, child-in-need plans; ids after the records already made."""
    start, days, n = np.datetime64(plan.period_start, "D"), plan.days, len(unborn.chosen)
    assess_start, assess_end = assess
    date = partial(dates, start)
    referral_id = ids(plan, shard, "referrals", n, after=tables.referrals.num_rows)
    need = np.where(sim.domestic_abuse[hh] | sim.substance_misuse[hh], "N1", "N5").astype(object)
    midwife = rng.random(n) < plan.params["pre_birth_referral_midwife_share"]
    referrals = pa.table(
        {
            "referral_id": referral_id,
            "la_child_id": la_ids,
            "referral_date": date(unborn.ref_day),
            "referral_source": pa.array(np.where(midwife, "3F", "3D").astype(object), pa.string()),
            "nfa": pa.array(np.zeros(n, bool)),
            "primary_need_code": pa.array(need, pa.string()),
            "closure_date": date(close, open_from=days),
            "closure_reason": pa.array(np.full(n, "RC7", dtype=object), pa.string(), mask=close >= days),
        }
    )
    entries = [
        (np.flatnonzero(sim.domestic_abuse[hh]), "3B"),
        (np.flatnonzero(sim.parental_mental_health[hh]), "4B"),
        (np.flatnonzero(sim.substance_misuse[hh]), "2B"),
    ]
    # every unborn child referred is assessed in need: with none of these at home, another factor about the
    # household (a parent's illness, another adult's mental health ...)
    none = np.setdiff1d(np.arange(n), np.concatenate([e[0] for e in entries]))
    other = other_factors(rng, plan.params, len(none), household_only=True)
    entries += [(none[other == code], code) for code in np.unique(other)]
    assessments = pa.table(
        {
            "assessment_id": ids(plan, shard, "assessments", n, after=tables.assessments.num_rows),
            "la_child_id": la_ids,
            "referral_id": referral_id,
            "start_date": date(assess_start),
            "authorised_date": date(assess_end, open_from=days),
            "outcome": strings.repeated("in_need", n),
            "factors": list_column(n, entries),
        }
    )
    plain = np.flatnonzero(~unborn.protected & (assess_end < days) & (close > assess_end))
    cin_plans = pa.table(
        {
            "cin_plan_id": ids(plan, shard, "cin_plans", len(plain), after=tables.cin_plans.num_rows),
            "la_child_id": la_ids.take(pa.array(plain)),
            "referral_id": referral_id.take(pa.array(plain)),
            "start_date": date(assess_end[plain]),
            "end_date": date(close[plain], open_from=days),
        }
    )
    return referrals, assessments, cin_plans


def _protection_records(
    plan: Plan,
    shard: int,
    sim: Simulation,
    hh: NDArray[np.int64],
    unborn: Unborn,
    tables: SocialCareTables,
    la_ids: pa.Array,
    referral_id: pa.Array,
    plan_end: NDArray[np.int64],
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The protected unborn children's enquiries, pre-birth conferences and plans (emotional abuse where there is
    domestic abuse at home, else neglect); ids after the records already made."""
    start, days = np.datetime64(plan.period_start, "D"), plan.days
    date = partial(dates, start)
    enquired = np.flatnonzero(unborn.protected)
    s47_id = ids(plan, shard, "section47", len(enquired), after=tables.section47.num_rows)
    section47 = pa.table(
        {
            "section47_id": s47_id,
            "la_child_id": la_ids.take(pa.array(enquired)),
            "referral_id": referral_id.take(pa.array(enquired)),
            "start_date": date(unborn.s47_day[enquired]),
            "icpc_required": pa.array(np.ones(len(enquired), bool)),
        }
    )
    icpcs = pa.table(
        {
            "icpc_id": ids(plan, shard, "icpcs", len(enquired), after=tables.icpcs.num_rows),
            "la_child_id": la_ids.take(pa.array(enquired)),
            "section47_id": s47_id,
            "conference_date": date(unborn.icpc_day[enquired]),
            "cp_plan": pa.array(np.ones(len(enquired), bool)),
        }
    )
    category = np.where(sim.domestic_abuse[hh[enquired]], "EMO", "NEG").astype(object)
    cp_plans = pa.table(
        {
            "cp_plan_id": ids(plan, shard, "cp_plans", len(enquired), after=tables.cp_plans.num_rows),
            "la_child_id": la_ids.take(pa.array(enquired)),
            "start_date": date(unborn.icpc_day[enquired]),
            "end_date": date(plan_end[enquired], open_from=days),
            "initial_category": pa.array(category, pa.string()),
            "latest_category": pa.array(category, pa.string()),
        }
    )
    return section47, icpcs, cp_plans


def with_unborn(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    rng: np.random.Generator,
    born: Births,
    unborn: Unborn,
    tables: SocialCareTables,
) -> SocialCareTables:
    """Add the unborn children referred during the period: a referral and assessment before birth, then a
    child-in-need plan, or an enquiry, a pre-birth conference and a child protection plan for the unborn child."""
    params, days = plan.params, plan.days
    chosen = unborn.chosen
    if not len(chosen):
        return tables
    n = len(chosen)
    hh = born.household[chosen]
    assess_start = np.minimum(unborn.ref_day + rng.integers(0, 4, n), days - 1)
    assess_end = assess_start + assessment_days(rng, params, n)
    plan_end = unborn.icpc_day + banded(rng, params, "cp_plan_duration_share", n)
    close = np.where(unborn.protected, plan_end, assess_end + banded(rng, params, "cin_episode_duration_share", n))
    close = np.maximum(close, assess_end)  # not before the assessment is authorised

    used = tables.children.table.column("la_child_id")
    pool = identifiers.allocate_la_child_ids(rng, n + len(used), pop.shard, plan.shards)
    la_ids = pa.array(pool[~strings.among(pool, used)][:n], pa.string())  # distinct from the shard's other ids
    referrals, assessments, cin_plans = _in_need_records(
        rng, plan, pop.shard, sim, hh, unborn, tables, la_ids, close, (assess_start, assess_end)
    )
    referral_id = referrals["referral_id"].combine_chunks()
    section47, icpcs, cp_plans = _protection_records(
        plan, pop.shard, sim, hh, unborn, tables, la_ids, referral_id, plan_end
    )
    key = record_ids_from(
        plan.record_key, TABLE_CODES["social_care/children"], pop.shard, tables.children.table.num_rows, n
    )
    children = children_rows(plan, pop, key, la_ids, born, chosen, np.full(n, None, dtype=object))
    return SocialCareTables(
        with_children(tables.children, children, key, born.person_id[chosen]),
        pa.concat_tables([tables.referrals, referrals]),
        pa.concat_tables([tables.assessments, assessments]),
        pa.concat_tables([tables.cin_plans, cin_plans]),
        pa.concat_tables([tables.section47, section47]),
        pa.concat_tables([tables.icpcs, icpcs]),
        pa.concat_tables([tables.cp_plans, cp_plans]),
        tables.cla_episodes,
    )
