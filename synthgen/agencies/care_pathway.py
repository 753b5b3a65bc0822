"""The year's pathway through children's social care: referrals and their outcomes, section 47 enquiries and
initial conferences, new child protection plans and entries to care, as days from the first day of the period.

The year's flows are set per head of the shard's children from the DfE's figures (parameters/social_care.csv);
who is referred, enquired into, planned for or taken into care follows the simulation's risk, so the children
with needs are the ones the pathway finds. Every later stage follows an earlier one in time. The cases already
open on the first day are added by open_cases.py; the records are written by children_in_need.py,
child_protection.py and care_periods.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.social_care_records import ABUSE, weekday
from synthgen.kernel.arrays import categorical, mean_or_one, weighted_sample
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

SOURCES = ("1A", "2A", "2B", "3A", "3B", "3E", "3F", "4", "5A", "5D", "6", "7", "8", "9", "10")
"""CIN census referral sources (their shares: referral_source_share.<code>)."""


def banded(rng: np.random.Generator, params: Parameters, family: str, n: int) -> NDArray[np.int64]:
    """Days drawn from a family of duration bands (`family.days_<from>_<to>`: the share lasting from .. to days),
    uniformly within the band."""
    bands = params.series(family)
    bounds = [label.removeprefix("days_").split("_") for label in bands]
    shares = np.array(list(bands.values()))
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    lo = np.array([int(low) for low, _ in bounds])[band]
    hi = np.array([int(high) for _, high in bounds])[band]
    result: NDArray[np.int64] = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    return result


def assessment_days(rng: np.random.Generator, params: Parameters, n: int) -> NDArray[np.int64]:
    """Days an assessment (or a closed referral's episode) runs: lognormal about assessment_median_days, 3 to 180."""
    median, sigma = params["assessment_median_days"], params["assessment_duration_sigma"]
    result: NDArray[np.int64] = np.clip(np.exp(rng.normal(np.log(median), sigma, n)), 3, 180).astype(np.int64)
    return result


def care_days(rng: np.random.Generator, params: Parameters, n: int) -> NDArray[np.int64]:
    """Days a period of care runs: lognormal (cla_median_days, cla_duration_sigma), 20 days to about 16 years."""
    median, sigma = params["cla_median_days"], params["cla_duration_sigma"]
    result: NDArray[np.int64] = np.clip(np.exp(rng.normal(np.log(median), sigma, n)), 20, 6000).astype(np.int64)
    return result


def children_by_weight(rng: np.random.Generator, weight: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """n children drawn (with replacement) in proportion to their weights; none when n is 0."""
    if not n:
        return np.zeros(0, np.int64)
    chosen: NDArray[np.int64] = rng.choice(len(weight), size=n, p=weight / weight.sum())
    return chosen


def sources(
    rng: np.random.Generator, params: Parameters, sim: Simulation, pop: Population, rows: NDArray[np.int64]
) -> pa.Array:
    """Who referred: each referral's chances tilted by the child's circumstances (police where there is domestic
    abuse or a missing child, schools for school-age children, health visitors and GPs for the youngest), then
    scaled so that the year's shares come out at the published ones (iterative proportional fitting)."""
    if not len(rows):
        return pa.array([], pa.string())
    age = pop.people.age[rows]
    hh = pop.people.household[rows]
    tilts = params.series("referral_source_tilt")
    tilt = np.ones((len(rows), len(SOURCES)))
    police = sim.domestic_abuse[hh] | sim.needs["going_missing"][rows] | sim.needs["child_criminal_exploitation"][rows]
    tilt[:, SOURCES.index("6")] *= np.where(police, tilts["police_contact"], 1.0)
    for code in ("2A", "2B"):
        tilt[:, SOURCES.index(code)] *= np.where(age < 4, 0.0, tilts["school_age"])
    for code in ("3A", "3B", "3E", "3F"):
        tilt[:, SOURCES.index(code)] *= np.where(age < 5, tilts["health_under_5"], 1.0)
    tilt[:, SOURCES.index("3B")] *= np.where(age < 5, 1.0, 0.0)
    shares = [params[f"referral_source_share.{code}"] for code in SOURCES]
    target = np.array(shares) / sum(shares)
    scale = np.ones(len(SOURCES))
    for _ in range(30):
        weights = tilt * scale
        fitted = (weights / weights.sum(axis=1, keepdims=True)).mean(axis=0)
        scale *= np.where(fitted > 0, target / np.maximum(fitted, 1e-12), 1.0)
    return pa.array(np.asarray(SOURCES, dtype=object)[categorical(rng, tilt * scale)], pa.string())


@dataclass(frozen=True)
class Children:
    """The shard's resident children and what the pathway weighs about each."""

    rows: NDArray[np.int64]  # person rows
    weight: NDArray[np.float64]  # chance of coming to the service's notice, relative
    need: NDArray[np.bool_]  # any need
    abuse: NDArray[np.bool_]  # abuse or neglect
    limit: NDArray[np.int64]  # days from the start to the 18th birthday
    born_day: NDArray[np.int64]  # days from the start to birth (< 0)

    @property
    def per10k(self) -> float:
        return len(self.rows) / 10_000


def children(plan: Plan, pop: Population, sim: Simulation) -> Children:
    """The resident children under 18, weighted by risk, need and the risk factors at home (referral_weight)."""
    p = pop.people
    start = np.datetime64(plan.period_start, "D")
    child_rows = np.flatnonzero(p.resident & (p.age < 18))
    hh = p.household[child_rows]
    need = sim.any_need()[child_rows]
    abuse = np.zeros(len(child_rows), bool)
    for name in ABUSE:
        abuse |= sim.needs[name][child_rows]
    factors = sim.domestic_abuse[hh] | sim.parental_mental_health[hh] | sim.substance_misuse[hh]
    w = plan.params.series("referral_weight")
    weight = np.exp(w["risk"] * sim.risk[child_rows]) * (1 + w["need"] * need + w["factors"] * factors)
    eighteenth = p.date_of_birth[child_rows] + np.timedelta64(6574, "D")  # about 18 years
    limit = (eighteenth - start).astype(np.int64)
    born_day = (p.date_of_birth[child_rows] - start).astype(np.int64)
    return Children(child_rows, weight, need, abuse, limit, born_day)


@dataclass(frozen=True)
class Flows:
    """This year's referrals and what followed them, in distinct children where a plan or care is concerned;
    `*_child` index Children.rows, days count from the first day of the period."""

    ref_child: NDArray[np.int64]
    ref_day: NDArray[np.int64]
    ref_source: pa.Array
    nfa: NDArray[np.bool_]
    in_need: NDArray[np.bool_]
    assess_start: NDArray[np.int64]
    assess_end: NDArray[np.int64]
    s47: NDArray[np.bool_]
    s47_day: NDArray[np.int64]
    icpc: NDArray[np.bool_]
    icpc_day: NDArray[np.int64]
    cp_new_child: NDArray[np.int64]
    cp_new_start: NDArray[np.int64]
    cp_new_end: NDArray[np.int64]
    cla_new_child: NDArray[np.int64]
    cla_new_start: NDArray[np.int64]
    cla_new_end: NDArray[np.int64]


def _referrals(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    kids: Children,
    unborn_referred: int,
    police_days: NDArray[np.int64] | None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], pa.Array]:
    """The year's referrals (less those of unborn children, who count within England's flows): which child,
    on which day, and who referred, in child and day order."""
    params = plan.params
    days = plan.days
    n_ref = round(params["referrals_per_10k_children"] * kids.per10k * plan.years) - unborn_referred
    # (a handful of people may have no children to refer, or fewer referrals due than unborn children referred)
    n_ref = max(n_ref, 0) if len(kids.rows) else 0
    ref_child = children_by_weight(rng, kids.weight, n_ref)
    # referred while still a child: a day before the 18th birthday
    ref_day = (rng.random(n_ref) * np.minimum(days, kids.limit[ref_child])).astype(np.int64)
    # who referred is decided here, so that a police referral can follow the police's own contact with the child:
    # a notification a few days after the incident that brought them to notice (a child present at domestic
    # abuse, a child reported missing)
    source_rng = shard_stream(plan.seed, pop.shard, "referral-sources")
    ref_source = sources(source_rng, params, sim, pop, kids.rows[ref_child])
    if police_days is not None:
        contact = police_days[kids.rows[ref_child]]
        notified = (ref_source.to_numpy(zero_copy_only=False) == "6") & (contact >= 0) & (contact < days - 1)
        notice = contact + rng.integers(1, 11, n_ref)
        ref_day = np.where(notified, np.minimum(notice, np.minimum(days, kids.limit[ref_child]) - 1), ref_day)
        ref_day = np.maximum(ref_day, 0)
    order = np.lexsort((ref_day, ref_child))
    return ref_child[order], ref_day[order], ref_source.take(pa.array(order))


def _outcomes(
    rng: np.random.Generator, params: Parameters, ref_weight: NDArray[np.float64], ref_day: NDArray[np.int64], days: int
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
    """Each referral's outcome (no further action; assessed and found not in need; in need), likelier to go on the
    more weight the child carries, at England's shares; and the assessment's start and end."""
    n_ref = len(ref_weight)
    nfa_share = params["referral_nfa_share"]
    nfa_p = np.clip(nfa_share * (1 / ref_weight) / mean_or_one(1 / ref_weight), 0, 0.9)
    nfa = rng.random(n_ref) < nfa_p
    not_in_need_p = params["assessed_not_in_need_share"] / (1 - nfa_share)
    nin_p = np.clip(not_in_need_p * (1 / ref_weight) / mean_or_one(1 / ref_weight[~nfa]), 0, 0.95)
    not_in_need = ~nfa & (rng.random(n_ref) < nin_p)
    in_need = ~nfa & ~not_in_need
    assess_start = np.minimum(ref_day + rng.integers(0, 4, n_ref), days - 1)
    assess_end = assess_start + assessment_days(rng, params, n_ref)
    return nfa, in_need, assess_start, assess_end


def _enquiries(
    rng: np.random.Generator,
    plan: Plan,
    kids: Children,
    ref_child: NDArray[np.int64],
    ref_day: NDArray[np.int64],
    in_need: NDArray[np.bool_],
    unborn_protected: int,
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """Section 47 enquiries and initial conferences at England's counts (less the unborn's), among each child's
    first in-need referral, the abused and neglected first; only what happens inside the period is this year's."""
    params = plan.params
    start, days, per10k, years = np.datetime64(plan.period_start, "D"), plan.days, kids.per10k, plan.years
    n_ref = len(ref_child)
    s47_count = round(params["section47_per_10k_children"] * per10k * years) - unborn_protected
    # one enquiry per child a year at most: only each child's first in-need referral is a candidate
    first_in_need = np.zeros(n_ref, bool)
    in_need_refs = np.flatnonzero(in_need)
    first_in_need[in_need_refs[np.unique(ref_child[in_need_refs], return_index=True)[1]]] = True
    s47_day = ref_day + rng.integers(0, 8, n_ref)
    icpc_day = weekday(start, s47_day + np.clip(rng.normal(20, 5, n_ref), 8, 45).astype(np.int64))
    # an enquiry or conference due after the period is not this year's
    abuse_weight = 1 + params["section47_abuse_weight"] * kids.abuse[ref_child]
    s47_weight = np.where(first_in_need & (s47_day < days), kids.weight[ref_child] * abuse_weight, 0.0)
    s47 = np.zeros(n_ref, bool)
    s47[weighted_sample(rng, s47_weight, s47_count)] = True
    icpc = np.zeros(n_ref, bool)
    icpc_count = round(params["icpc_per_10k_children"] * per10k * years) - unborn_protected
    icpc[weighted_sample(rng, np.where(s47 & (icpc_day < days), s47_weight, 0.0), icpc_count)] = True
    return s47, s47_day, icpc, icpc_day


def _new_plans(
    rng: np.random.Generator,
    plan: Plan,
    kids: Children,
    ref_child: NDArray[np.int64],
    icpc: NDArray[np.bool_],
    icpc_day: NDArray[np.int64],
    unborn_protected: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """New child protection plans at England's count (less the unborn's), from this year's conferences, none within
    a month of the 18th birthday; each lasting as England's plans do (cp_plan_duration_share)."""
    params = plan.params
    icpc_refs = np.flatnonzero(icpc)
    cp_new_count = round(params["cp_starts_per_10k_children"] * kids.per10k * plan.years) - unborn_protected
    before_18 = kids.limit[ref_child[icpc_refs]] > icpc_day[icpc_refs] + 30
    weight = np.where(before_18, kids.weight[ref_child[icpc_refs]], 0.0)
    cp_new_refs = icpc_refs[weighted_sample(rng, weight, cp_new_count)]
    cp_new_child = ref_child[cp_new_refs]
    cp_new_start = icpc_day[cp_new_refs]
    lengths = banded(rng, params, "cp_plan_duration_share", len(cp_new_refs))
    cp_new_end = np.minimum(cp_new_start + lengths, kids.limit[cp_new_child])
    return cp_new_child, cp_new_start, cp_new_end


def _entries_to_care(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    kids: Children,
    protected: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Entries to care at England's count, in distinct children: most from child protection work (`protected`:
    children on a new plan or enquired into, cla_from_cp_share), the rest adolescents with needs entering directly;
    none within a month of the 18th birthday."""
    params = plan.params
    days = plan.days
    cla_new_count = round(params["cla_starts_per_10k_children"] * kids.per10k * plan.years)
    from_cp = round(cla_new_count * params["cla_from_cp_share"])
    protected_weight = np.zeros(len(kids.rows))
    protected_weight[protected] = kids.weight[protected]
    cla_new_child = weighted_sample(rng, protected_weight, from_cp)
    direct_weight = np.where((pop.people.age[kids.rows] >= 11) & kids.need, kids.weight, 0.0)
    direct_weight[cla_new_child] = 0.0
    cla_new_child = np.r_[cla_new_child, weighted_sample(rng, direct_weight, cla_new_count - len(cla_new_child))]
    cla_new_start = np.minimum(rng.integers(0, days, len(cla_new_child)), kids.limit[cla_new_child] - 30)
    keep = cla_new_start >= 0
    cla_new_child, cla_new_start = cla_new_child[keep], cla_new_start[keep]
    cla_new_end = np.minimum(cla_new_start + care_days(rng, params, len(cla_new_child)), kids.limit[cla_new_child])
    return cla_new_child, cla_new_start, cla_new_end


def this_year(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    kids: Children,
    unborn: tuple[int, int],
    police_days: NDArray[np.int64] | None,
) -> Flows:
    """The year's flows, drawn in pathway order from the shard's stream (`unborn`: the unborn children referred,
    and those protected, whom England's flows include)."""
    unborn_referred, unborn_protected = unborn
    ref_child, ref_day, ref_source = _referrals(rng, plan, pop, sim, kids, unborn_referred, police_days)
    nfa, in_need, assess_start, assess_end = _outcomes(rng, plan.params, kids.weight[ref_child], ref_day, plan.days)
    s47, s47_day, icpc, icpc_day = _enquiries(rng, plan, kids, ref_child, ref_day, in_need, unborn_protected)
    cp_new = _new_plans(rng, plan, kids, ref_child, icpc, icpc_day, unborn_protected)
    cla_new = _entries_to_care(rng, plan, pop, kids, np.r_[cp_new[0], ref_child[s47]])
    return Flows(
        ref_child,
        ref_day,
        ref_source,
        nfa,
        in_need,
        assess_start,
        assess_end,
        s47,
        s47_day,
        icpc,
        icpc_day,
        *cp_new,
        *cla_new,
    )
