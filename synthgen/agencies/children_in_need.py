"""The children-in-need records: referrals (with their need codes, sources and closures), assessments (with the
factors identified) and child-in-need plans, as the CIN census counts them.

A referral's need code, an assessment's factors and a closure's reason follow the child's truth: abuse or neglect
(N1), the risk factors at home (N5; factors 3B, 4B, 2B/1B), exploitation or going missing (N6). The closure
reasons' shares are parameters (parameters/social_care.csv: cin_closure_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.care_pathway import sources
from synthgen.agencies.open_cases import Cases
from synthgen.agencies.social_care_records import ABUSE, dates, ids, list_column
from synthgen.kernel.arrays import last_of_runs
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation


@dataclass(frozen=True)
class Referrals:
    """Every referral recorded: the ones behind cases open at the start (history) first, then this year's."""

    child: NDArray[np.int64]  # rows of cases.child_rows
    day: NDArray[np.int64]
    close: NDArray[np.int64]
    nfa: NDArray[np.bool_]
    in_need: NDArray[np.bool_]
    n_hist: int  # how many are history


def referrals(cases: Cases) -> Referrals:
    """The referrals to record, each closing when its episode does: a child's latest episode stays open while a
    plan or a period of care is open (every end was capped at the 18th birthday where it was drawn)."""
    r_child = np.r_[cases.hist_child, cases.ref_child]
    r_day = np.r_[cases.hist_ref_day, cases.ref_day]
    r_close = np.r_[cases.hist_close, cases.cin_close]
    case_end = np.full(len(cases.child_rows), -(10**9))
    np.maximum.at(case_end, cases.cp_child, cases.cp_end)
    np.maximum.at(case_end, cases.cla_child, cases.cla_end)
    order = np.lexsort((r_day, r_child))
    last = order[last_of_runs(r_child[order])]
    r_close[last] = np.maximum(r_close[last], case_end[r_child[last]])
    n_hist = len(cases.hist_child)
    r_nfa = np.r_[np.zeros(n_hist, bool), cases.nfa]
    r_in_need = np.r_[np.ones(n_hist, bool), cases.in_need]
    return Referrals(r_child, r_day, r_close, r_nfa, r_in_need, n_hist)


def _need_codes(
    sim: Simulation, pop: Population, rows: NDArray[np.int64], on_plan: NDArray[np.bool_]
) -> NDArray[np.object_]:
    """The CIN census primary need code of each referral's child: abuse or neglect (N1, also for a child on a
    plan), exploitation or going missing (N6), the risk factors at home (N5), otherwise N4."""
    hh = pop.people.household[rows]
    need_code = np.full(len(rows), "N4", dtype=object)
    need_code[sim.substance_misuse[hh] | sim.parental_mental_health[hh] | sim.domestic_abuse[hh]] = "N5"
    for name in ("child_criminal_exploitation", "child_sexual_exploitation", "going_missing"):
        need_code[sim.needs[name][rows]] = "N6"
    for name in ABUSE:
        need_code[sim.needs[name][rows]] = "N1"
    need_code[on_plan] = "N1"
    return need_code


def other_factors(
    rng: np.random.Generator, params: Parameters, n: int, household_only: bool = False
) -> NDArray[np.object_]:
    """An assessment factor for each of n children in need with none of the modelled risks at home, at the shares
    of assessment_other_factor_share (only those about the household or other, with `household_only`: for a child
    not yet born)."""
    others = params.series("assessment_other_factor_share")
    codes = np.asarray(list(others), dtype=object)
    shares = np.array(list(others.values()))
    if household_only:
        shares = shares * np.array([not code.endswith("A") for code in codes])
    result: NDArray[np.object_] = codes[rng.choice(len(codes), size=n, p=shares / shares.sum())]
    return result


def _open_before(refs: Referrals) -> NDArray[np.bool_]:
    """Per referral: another in-need referral of the child's, made before it, is still open on its day (a
    re-referral during an open episode)."""
    offset, span = 10**6, 10**8  # days fit well within
    order = np.lexsort((refs.day, refs.child))
    close = np.where(refs.in_need, refs.close + offset, 0)[order]
    latest = np.maximum.accumulate(refs.child[order] * span + close)
    before = np.r_[-1, latest[:-1]]
    same_child = before // span == refs.child[order]
    result = np.zeros(len(order), bool)
    result[order] = same_child & (before % span - offset >= refs.day[order])
    return result


def referrals_table(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    cases: Cases,
    refs: Referrals,
    la_ids: NDArray[np.object_],
) -> pa.Table:
    """The referrals table.

    CIN census reasons for closure: RC8 / RC9 (closed after assessment, no further action / referred to early help)
    for the children assessed and found not in need; RC7 (case closed for any other reason, including the child no
    longer in need) for referrals with no further action, which were never assessed (the DfE queries RC8 or RC9
    without an assessment: 8825Q), and for most episodes of children in need, RC5 (transferred to another
    authority) for some; RC6 (transferred to adult services) at 18."""
    params = plan.params
    r_child, r_in_need = refs.child, refs.in_need
    rows = cases.child_rows[r_child]
    need_code = _need_codes(sim, pop, rows, np.isin(r_child, cases.cp_child))
    closure = np.full(len(r_child), "RC8", dtype=object)
    closure[~r_in_need & (rng.random(len(r_child)) < params["cin_closure_early_help_share"])] = "RC9"
    closure[refs.nfa] = "RC7"
    transferred = rng.random(len(r_child)) < params["cin_closure_transferred_share"]
    closure[r_in_need] = np.where(transferred, "RC5", "RC7")[r_in_need]
    aged_out = refs.close >= cases.limit[r_child]
    closure[aged_out & r_in_need] = "RC6"
    still_open = refs.close >= cases.days
    date = partial(dates, cases.start)
    return pa.table(
        {
            "referral_id": ids(plan, pop.shard, "referrals", len(r_child)),
            "la_child_id": pa.array(la_ids[r_child], pa.string()),
            "referral_date": date(refs.day),
            # sources fitted to the year's referrals; those behind older cases follow the same tilts
            "referral_source": pa.concat_arrays(
                [sources(rng, params, sim, pop, rows[: refs.n_hist]), cases.ref_source]
            ),
            "nfa": pa.array(refs.nfa),
            "primary_need_code": pa.array(need_code, pa.string()),
            "closure_date": date(refs.close, open_from=cases.days),
            "closure_reason": pa.array(closure, pa.string(), mask=still_open),
        }
    )


def assessments_table(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    cases: Cases,
    refs: Referrals,
    la_ids: NDArray[np.object_],
    referral_id: pa.Array,
) -> pa.Table:
    """The assessments of this year's referrals that were assessed, with the factors identified from the child's
    needs and the risks at home ("21": none identified)."""
    a_ref = refs.n_hist + np.flatnonzero(~cases.nfa)
    a_rows = cases.child_rows[refs.child[a_ref]]
    a_hh = pop.people.household[a_rows]
    drugs = plan.params["assessment_substance_drugs_share"]
    factor_masks = [
        (sim.domestic_abuse[a_hh], "3B"),
        (sim.parental_mental_health[a_hh], "4B"),
        (sim.substance_misuse[a_hh] & (rng.random(len(a_ref)) < drugs), "2B"),
        (sim.substance_misuse[a_hh] & (rng.random(len(a_ref)) >= drugs), "1B"),
        (sim.needs["neglect"][a_rows], "16A"),
        (sim.needs["emotional_abuse"][a_rows], "17A"),
        (sim.needs["physical_abuse"][a_rows], "18B"),
        (sim.needs["sexual_abuse"][a_rows], "19B"),
        (sim.needs["child_sexual_exploitation"][a_rows], "11A"),
        (sim.needs["child_criminal_exploitation"][a_rows], "24A"),
        (sim.needs["going_missing"][a_rows], "10A"),
        (sim.needs["self_harm"][a_rows], "15A"),
    ]
    entries = [(np.flatnonzero(mask), code) for mask, code in factor_masks]
    any_factor = np.zeros(len(a_ref), bool)
    for rows_with, _ in entries:
        any_factor[rows_with] = True
    a_local = a_ref - refs.n_hist
    # a child found in need (or re-referred while in need: another episode of theirs is open) was found in need of
    # something: where none of the modelled risks is at home, one of the other factors the DfE counts (the child's
    # own mental health, disability, behaviour, caring ...); "21" (no factors identified) is for children found
    # not in need, whose case then closes after assessment
    needs_one = ~any_factor & (cases.in_need[a_local] | _open_before(refs)[a_ref])
    other = other_factors(rng, plan.params, len(a_ref))
    entries += [(np.flatnonzero(needs_one & (other == code)), code) for code in np.unique(other)]
    entries.append((np.flatnonzero(~any_factor & ~needs_one), "21"))
    date = partial(dates, cases.start)
    in_need = np.where(cases.in_need[a_local], "in_need", "not_in_need").astype(object)
    return pa.table(
        {
            "assessment_id": ids(plan, pop.shard, "assessments", len(a_ref)),
            "la_child_id": pa.array(la_ids[refs.child[a_ref]], pa.string()),
            "referral_id": referral_id.take(pa.array(a_ref)),
            "start_date": date(cases.assess_start[a_local]),
            "authorised_date": date(cases.assess_end[a_local], open_from=cases.days),
            "outcome": pa.array(in_need, pa.string()),
            "factors": list_column(len(a_ref), entries),
        }
    )


def cin_plans_table(
    plan: Plan, shard: int, cases: Cases, refs: Referrals, la_ids: NDArray[np.object_], referral_id: pa.Array
) -> pa.Table:
    """Child-in-need plans: in-need referrals of children not under a child protection plan, from the assessment
    (for the history, 20 days after the referral) while the episode is open."""
    planned = np.isin(refs.child, cases.cp_child)
    plan_start = np.r_[cases.hist_ref_day + 20, cases.assess_end]  # a CIN plan follows the assessment
    c_ref = np.flatnonzero(refs.in_need & ~planned & (refs.close > plan_start) & (plan_start < cases.days))
    date = partial(dates, cases.start)
    return pa.table(
        {
            "cin_plan_id": ids(plan, shard, "cin_plans", len(c_ref)),
            "la_child_id": pa.array(la_ids[refs.child[c_ref]], pa.string()),
            "referral_id": referral_id.take(pa.array(c_ref)),
            "start_date": date(plan_start[c_ref]),
            "end_date": date(refs.close[c_ref], open_from=cases.days),
        }
    )
