"""Children's social care: the pathway from referral to child protection and care, as the local authority
records it (the tables the CIN census and SSDA903 returns are built from).

The year's flows are set per head of the shard's children from the DfE's figures (referrals, section 47
enquiries, ICPCs, plans, entries to care); who is referred, enquired into, planned for or taken into care
follows the simulation's risk, so the children with needs are the ones the pathway finds. The cases already
open on the first day (children in need, on plans, in care) are drawn length-biased from the published
duration distributions and sized so that the stocks at the end of the period (31 March) come out at England's
rates. Every later stage follows an earlier one in time: no plan without an enquiry and a conference, no
episode ending before it starts; an episode closes only after its assessment and enquiry are done, and a
conference is held on a weekday. What the CIN census export (synthgen/outputs/returns/cin_census.py) corrects when it
turns these records into the DfE's return, and why, is listed in that module's docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.agencies import TABLE_CODES, AgencyTable, address_columns, looked_after, name_columns, police
from synthgen.agencies.producer import Context, PersonRecords, Produced
from synthgen.kernel import identifiers
from synthgen.kernel.arrays import categorical, last_of_runs, mean_or_one, weighted_sample
from synthgen.kernel.record_ids import format_record_ids, parse_record_ids, record_ids, record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ID_STRIDE, People, Population
from synthgen.world.simulate import Simulation

CP_DURATION_BANDS = ((30, 91, 0.159), (91, 182, 0.110), (182, 365, 0.435), (365, 730, 0.252), (730, 1460, 0.044))
"""Days on a child protection plan (plans ended 2025, DfE; uk-facts.md A): (from, to, share)."""
CIN_DURATION_BANDS = ((14, 91, 0.50), (91, 365, 0.30), (365, 1095, 0.20))
"""Days of a child-in-need episode: almost half end within three months (DfE 2024; the rest design)."""
CLA_MEDIAN_DAYS, CLA_SIGMA = 420.0, 1.0
"""Days of a period of care: lognormal, design; with about 28 entries a year per 10,000 children a median near
14 months and a long tail give the stock of 67 per 10,000 (stock / flow ~ 2.4 years)."""
EVENT_TABLES = (
    ("referrals", "referral_id"),
    ("assessments", "assessment_id"),
    ("cin_plans", "cin_plan_id"),
    ("section47", "section47_id"),
    ("icpcs", "icpc_id"),
    ("cp_plans", "cp_plan_id"),
    ("cla_episodes", "episode_id"),
    *looked_after.TABLES,
)
"""The service's event tables and their (random) id columns; rows are written in id order, a shuffle."""
ABUSE = {"neglect": "NEG", "emotional_abuse": "EMO", "physical_abuse": "PHY", "sexual_abuse": "SAB"}
SOURCES = ("1A", "2A", "2B", "3A", "3B", "3E", "3F", "4", "5A", "5D", "6", "7", "8", "9", "10")
SOURCE_SHARES = (0.05, 0.21, 0.03, 0.04, 0.03, 0.04, 0.03, 0.02, 0.07, 0.03, 0.28, 0.03, 0.08, 0.02, 0.04)
"""CIN census referral sources; police 28% and schools 21% (DfE 2025), the rest in the 2014 shape (health 14%)."""


def _no_rows() -> pa.Table:
    return pa.table({})


@dataclass(frozen=True)
class SocialCareTables:
    children: AgencyTable  # one row per child known to children's social care (person-level)
    referrals: pa.Table
    assessments: pa.Table
    cin_plans: pa.Table
    section47: pa.Table
    icpcs: pa.Table
    cp_plans: pa.Table
    cla_episodes: pa.Table  # one row per episode of care (see looked_after)
    # the rest of the looked-after record (SSDA903): set by _with_looked_after
    cla_reviews: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_missing: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_uasc: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_adoption_decisions: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_adoptions: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_previous_permanence: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_outcomes: pa.Table = field(default_factory=_no_rows, repr=False)
    care_leavers: pa.Table = field(default_factory=_no_rows, repr=False)


def _banded(rng: np.random.Generator, bands: tuple[tuple[int, int, float], ...], n: int) -> NDArray[np.int64]:
    shares = np.array([b[2] for b in bands])
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    lo = np.array([b[0] for b in bands])[band]
    hi = np.array([b[1] for b in bands])[band]
    result: NDArray[np.int64] = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    return result


def _assessment_days(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    """Days an assessment (or a closed referral's episode) runs: lognormal about a median of 33, 3 to 180."""
    result: NDArray[np.int64] = np.clip(np.exp(rng.normal(np.log(33.0), 0.69, n)), 3, 180).astype(np.int64)
    return result


def _care_days(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    """Days a period of care runs: lognormal (CLA_MEDIAN_DAYS, CLA_SIGMA), 20 days to about 16 years."""
    result: NDArray[np.int64] = np.clip(np.exp(rng.normal(np.log(CLA_MEDIAN_DAYS), CLA_SIGMA, n)), 20, 6000).astype(
        np.int64
    )
    return result


def _weekday(start: np.datetime64, offset: NDArray[np.int64]) -> NDArray[np.int64]:
    """Days from the start moved on to the next weekday where they fall on a weekend: a conference is held on a
    working day (the CIN census rejects one dated on a Saturday or Sunday)."""
    day = start + offset.astype("timedelta64[D]")
    moved: NDArray[np.int64] = (np.busday_offset(day, 0, roll="forward") - start).astype(np.int64)
    return moved


def _dates(start: np.datetime64, offset: NDArray[np.int64], open_from: int | None = None) -> pa.Array:
    """Days from the start as dates; null from `open_from` on (an end still to come when the period ends)."""
    mask = offset >= open_from if open_from is not None else None
    return pa.array(start + offset.astype("timedelta64[D]"), pa.date32(), mask=mask)


def _ids(plan: Plan, shard: int, table: str, n: int, after: int = 0) -> pa.Array:
    """Record ids of a social-care table's rows `after` .. `after` + n - 1 (the unborn are added after the rest)."""
    code = TABLE_CODES[f"social_care/{table}"]
    return format_record_ids(record_ids_from(plan.record_key, code, shard, after, n))


def social_care(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    person_upn: NDArray[np.object_] | None = None,
    born: Births | None = None,
    police_days: NDArray[np.int64] | None = None,
    died: NDArray[np.datetime64] | None = None,
) -> SocialCareTables:
    """The local authority's children's social care records for one shard (`person_upn`: each person's UPN;
    `born`: the babies born during the period, some of them referred before birth; `police_days`: for each
    person, the day of the period the police first met them, -1 for none; `died`: each person's date of death,
    NaT for the living)."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "social-care")
    # unborn children referred this year count within England's flows, so the rest of the pathway makes room
    unborn = _unborn_cases(plan, pop, sim, born)
    unborn_protected = int(unborn[4].sum())
    p = pop.people
    start = np.datetime64(plan.period_start, "D")
    days = plan.days
    years = plan.years
    child_rows = np.flatnonzero(p.resident & (p.age < 18))
    per10k = len(child_rows) / 10_000
    hh = p.household[child_rows]
    risk = sim.risk[child_rows]
    need = sim.any_need()[child_rows]
    abuse = np.zeros(len(child_rows), bool)
    for name in ABUSE:
        abuse |= sim.needs[name][child_rows]
    factors = sim.domestic_abuse[hh] | sim.parental_mental_health[hh] | sim.substance_misuse[hh]
    weight = np.exp(0.5 * risk) * (1 + 2.0 * need + 0.8 * factors)
    eighteenth = p.date_of_birth[child_rows] + np.timedelta64(6574, "D")  # about 18 years

    # ---------------- the year's referrals and their outcomes ----------------
    n_ref = round(params["referrals_per_10k_children"] * per10k * years) - len(unborn[0])
    # (a handful of people may have no children to refer, or fewer referrals due than unborn children referred)
    n_ref = max(n_ref, 0) if len(child_rows) else 0
    ref_child = _children_by_weight(rng, weight, n_ref)
    limit = (eighteenth - start).astype(np.int64)  # days from the start to each child's 18th birthday
    born_day = (p.date_of_birth[child_rows] - start).astype(np.int64)  # days from the start to birth (< 0)
    # referred while still a child: a day before the 18th birthday
    ref_day = (rng.random(n_ref) * np.minimum(days, limit[ref_child])).astype(np.int64)
    # who referred is decided here, so that a police referral can follow the police's own contact with the child:
    # a notification a few days after the incident that brought them to notice (a child present at domestic
    # abuse, a child reported missing)
    ref_source = _sources(shard_stream(plan.seed, pop.shard, "referral-sources"), sim, pop, child_rows[ref_child])
    if police_days is not None:
        contact = police_days[child_rows[ref_child]]
        notified = (ref_source.to_numpy(zero_copy_only=False) == "6") & (contact >= 0) & (contact < days - 1)
        notice = contact + rng.integers(1, 11, n_ref)
        ref_day = np.where(notified, np.minimum(notice, np.minimum(days, limit[ref_child]) - 1), ref_day)
        ref_day = np.maximum(ref_day, 0)
    order = np.lexsort((ref_day, ref_child))
    ref_child, ref_day = ref_child[order], ref_day[order]
    ref_source = ref_source.take(pa.array(order))
    ref_weight = weight[ref_child]
    nfa_p = np.clip(params["referral_nfa_share"] * (1 / ref_weight) / mean_or_one(1 / ref_weight), 0, 0.9)
    nfa = rng.random(n_ref) < nfa_p
    not_in_need_p = params["assessed_not_in_need_share"] / (1 - params["referral_nfa_share"])
    nin_p = np.clip(not_in_need_p * (1 / ref_weight) / mean_or_one(1 / ref_weight[~nfa]), 0, 0.95)
    not_in_need = ~nfa & (rng.random(n_ref) < nin_p)
    in_need = ~nfa & ~not_in_need
    assess_start = np.minimum(ref_day + rng.integers(0, 4, n_ref), days - 1)
    assess_end = assess_start + _assessment_days(rng, n_ref)

    s47_count = round(params["section47_per_10k_children"] * per10k * years) - unborn_protected
    # one enquiry per child a year at most: only each child's first in-need referral is a candidate
    first_in_need = np.zeros(n_ref, bool)
    in_need_refs = np.flatnonzero(in_need)
    first_in_need[in_need_refs[np.unique(ref_child[in_need_refs], return_index=True)[1]]] = True
    s47_day = ref_day + rng.integers(0, 8, n_ref)
    icpc_day = _weekday(start, s47_day + np.clip(rng.normal(20, 5, n_ref), 8, 45).astype(np.int64))
    # only what happens inside the period is this year's: an enquiry or conference due after it is not
    s47_weight = np.where(first_in_need & (s47_day < days), ref_weight * (1 + 3 * abuse[ref_child]), 0.0)
    s47 = np.zeros(n_ref, bool)
    s47[weighted_sample(rng, s47_weight, s47_count)] = True
    icpc = np.zeros(n_ref, bool)
    icpc_count = round(params["icpc_per_10k_children"] * per10k * years) - unborn_protected
    icpc[weighted_sample(rng, np.where(s47 & (icpc_day < days), s47_weight, 0.0), icpc_count)] = True

    # ---------------- new plans and entries to care this year, in distinct children ----------------
    icpc_refs = np.flatnonzero(icpc)
    cp_new_count = round(params["cp_starts_per_10k_children"] * per10k * years) - unborn_protected
    # a plan or a period of care is for a child: none starts within a month of the 18th birthday
    before_18 = limit[ref_child[icpc_refs]] > icpc_day[icpc_refs] + 30
    cp_new_refs = icpc_refs[weighted_sample(rng, np.where(before_18, ref_weight[icpc_refs], 0.0), cp_new_count)]
    cp_new_child = ref_child[cp_new_refs]
    cp_new_start = icpc_day[cp_new_refs]
    cp_new_end = np.minimum(cp_new_start + _banded(rng, CP_DURATION_BANDS, len(cp_new_refs)), limit[cp_new_child])

    cla_new_count = round(params["cla_starts_per_10k_children"] * per10k * years)
    from_cp = round(cla_new_count * params["cla_from_cp_share"])
    protected = np.r_[cp_new_child, ref_child[s47]]
    protected_weight = np.zeros(len(child_rows))
    protected_weight[protected] = weight[protected]
    cla_new_child = weighted_sample(rng, protected_weight, from_cp)
    direct_weight = np.where((p.age[child_rows] >= 11) & need, weight, 0.0)
    direct_weight[cla_new_child] = 0.0
    cla_new_child = np.r_[cla_new_child, weighted_sample(rng, direct_weight, cla_new_count - len(cla_new_child))]
    cla_new_start = np.minimum(rng.integers(0, days, len(cla_new_child)), limit[cla_new_child] - 30)
    keep = cla_new_start >= 0
    cla_new_child, cla_new_start = cla_new_child[keep], cla_new_start[keep]
    cla_new_end = np.minimum(cla_new_start + _care_days(rng, len(cla_new_child)), limit[cla_new_child])

    # ---------------- cases open on the first day, sized to England's stocks on 31 March ----------------
    taken = np.zeros(len(child_rows), bool)
    taken[cla_new_child] = True
    cla_target = params["cla_at_31_march_per_10k_children"] * per10k - int((cla_new_end >= days).sum())

    cla0_child, cla0_start, cla0_end = _open_cases(
        rng, np.where(taken, 0.0, weight), lambda n: _care_days(rng, n), limit, days, cla_target, born_day
    )
    taken[cla0_child] = True
    taken[cp_new_child] = True
    cp_target = params["cp_at_31_march_per_10k_children"] * per10k - int((cp_new_end >= days).sum())
    cp0_child, cp0_start, cp0_end = _open_cases(
        rng,
        np.where(taken, 0.0, weight * (1 + 2 * abuse)),
        lambda n: _banded(rng, CP_DURATION_BANDS, n),
        limit,
        days,
        cp_target,
        born_day,
    )
    taken[cp0_child] = True

    # ---------------- CIN episodes: every in-need referral, plus those open on the first day ----------------
    cin_days = _banded(rng, CIN_DURATION_BANDS, n_ref)
    cin_close = np.minimum(
        np.where(in_need, assess_end + cin_days, np.where(nfa, ref_day, assess_end)), limit[ref_child]
    )
    # an episode closes when its work is done: not before the assessment is authorised or the enquiry and its
    # conference are held, even where the child turned 18 in the meantime
    work_done = np.maximum(
        np.where(nfa, ref_day, assess_end), np.where(s47, np.where(icpc, icpc_day, s47_day), ref_day)
    )
    cin_close = np.maximum(cin_close, work_done)
    open_at_end = np.unique(
        np.r_[
            ref_child[cin_close >= days],
            cp_new_child[cp_new_end >= days],
            cp0_child[cp0_end >= days],
            cla_new_child[cla_new_end >= days],
            cla0_child[cla0_end >= days],
        ]
    )
    taken[open_at_end] = True
    cin_target = params["cin_at_31_march_per_10k_children"] * per10k - len(open_at_end)
    cin0_child, cin0_ref_day, cin0_close = _open_cases(
        rng,
        np.where(taken, 0.0, weight),
        lambda n: _banded(rng, CIN_DURATION_BANDS, n),
        limit,
        days,
        cin_target,
        born_day + 14,  # a referral history for a baby begins after birth (pre-birth cases are this year's)
    )

    # historical referrals behind the plans and care episodes open at the start
    # last year's referrals that were closed before the start: what makes a referral this year a re-referral
    prior_child = _children_by_weight(rng, weight, n_ref)
    prior_day = -rng.integers(1, 366, n_ref)
    prior_close = prior_day + _assessment_days(rng, n_ref)
    closed = (prior_close < 0) & (prior_day > born_day[prior_child])
    closed &= ~np.isin(prior_child, np.r_[cin0_child, cp0_child, cla0_child])
    hist_child = np.r_[prior_child[closed], cin0_child, cp0_child, cla0_child]
    hist_ref_day = np.r_[
        prior_day[closed],
        cin0_ref_day,
        np.maximum(cp0_start - rng.integers(30, 120, len(cp0_child)), born_day[cp0_child]),
        np.maximum(cla0_start - rng.integers(30, 365, len(cla0_child)), born_day[cla0_child]),
    ]
    hist_close = np.r_[prior_close[closed], cin0_close, cp0_end, cla0_end]
    cases = _Cases(
        child_rows=child_rows,
        start=start,
        days=days,
        ref_child=ref_child,
        ref_day=ref_day,
        ref_source=ref_source,
        nfa=nfa,
        in_need=in_need,
        assess_start=assess_start,
        assess_end=assess_end,
        cin_close=cin_close,
        s47=s47,
        s47_day=s47_day,
        icpc=icpc,
        icpc_day=icpc_day,
        hist_child=hist_child,
        hist_ref_day=hist_ref_day,
        hist_close=hist_close,
        cp_new_child=cp_new_child,
        cp_new_start=cp_new_start,
        cp_new_end=cp_new_end,
        cp0_child=cp0_child,
        cp0_start=cp0_start,
        cp0_end=cp0_end,
        cla_new_child=cla_new_child,
        cla_new_start=cla_new_start,
        cla_new_end=cla_new_end,
        cla0_child=cla0_child,
        cla0_start=cla0_start,
        cla0_end=cla0_end,
        limit=limit,
    )
    tables = _tables(plan, pop, sim, rng, cases, person_upn)
    if born is not None and len(unborn[0]):
        tables = _with_unborn(plan, pop, sim, rng, born, unborn, tables)
    tables = _with_looked_after(plan, pop, sim, cases, tables, person_upn, weight, per10k)
    tables = _census_fields(plan, pop.shard, tables)
    # each child's date of death (the babies born in the period, after the residents in the ids, all live)
    row = tables.children.person_id - pop.shard * ID_STRIDE
    death = np.full(len(row), np.datetime64("NaT"), dtype="datetime64[D]")
    if died is not None:
        resident = row < len(died)
        death[resident] = died[row[resident]]
    return with_deaths(tables, death)


def _with_looked_after(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    cases: _Cases,
    tables: SocialCareTables,
    person_upn: NDArray[np.object_] | None,
    weight: NDArray[np.float64],
    per10k: float,
) -> SocialCareTables:
    """The looked-after children's full record: each period of care cut into its episodes, with reviews,
    missing spells, adoption and the rest of the SSDA903 return; plus the periods that ended in the year before
    the period (last year's leavers, who are in last year's return and, at 16 or over, are care leavers now),
    whose young people join the children the service knows."""
    p = pop.people
    start = np.datetime64(plan.period_start, "D")
    # the periods open during the period: the rows of the pathway's cla_episodes, in the same order
    periods = tables.cla_episodes
    rows = cases.child_rows[np.r_[cases.cla0_child, cases.cla_new_child]]
    period_start = np.r_[cases.cla0_start, cases.cla_new_start]
    period_end = np.r_[cases.cla0_end, cases.cla_new_end]
    la = periods.column("la_child_id").to_numpy(zero_copy_only=False)
    # last year's leavers: people under 20 at the start, not in care during the period, drawn by the same weight
    # as entries to care (the young adults by their own risk and needs)
    young = np.flatnonzero(p.resident & (p.age < 20))
    born_day = (p.date_of_birth - start).astype(np.int64)
    pick = np.exp(0.5 * sim.risk[young]) * (1 + 2.0 * sim.any_need()[young])
    pick[np.isin(young, rows)] = 0.0
    leavers = round(plan.params["cla_starts_per_10k_children"] * per10k)
    chosen, past_start, past_end = looked_after.past_periods(plan, young, born_day[young], pick, leavers, pop.shard)
    past_rows = young[chosen]
    rng = shard_stream(plan.seed, pop.shard, "looked-after-children")
    used = tables.children.table.column("la_child_id").to_numpy(zero_copy_only=False)
    pool = identifiers.allocate_la_child_ids(rng, len(past_rows) + len(used), pop.shard, plan.shards)
    past_la = pool[~np.isin(pool, used)][: len(past_rows)]
    key = record_ids_from(
        plan.record_key, TABLE_CODES["social_care/children"], pop.shard, tables.children.table.num_rows, len(past_rows)
    )
    upn = person_upn[past_rows] if person_upn is not None else np.full(len(past_rows), None, dtype=object)
    added = _children_rows(plan, pop, key, pa.array(past_la, pa.string()), p, past_rows, upn)
    known = tables.children
    children = AgencyTable(
        "social_care",
        "children",
        pa.concat_tables([known.table, added]),
        np.r_[known.key, key],
        np.r_[known.person_id, p.person_id[past_rows]],
    )
    all_rows = np.r_[rows, past_rows]
    home = pop.household_postcode[p.household[all_rows]]
    everyone = looked_after.Periods(
        rows=all_rows,
        la_child_id=np.r_[la, past_la].astype(object),
        start=np.r_[period_start, past_start],
        end=np.r_[period_end, past_end],
        home_postcode=home,
        born=born_day[all_rows],
        going_missing=sim.needs["going_missing"][all_rows],
    )
    history = looked_after.history(plan, pop.shard, everyone, plan.days, ~p.female[all_rows])
    ids = partial(_ids, plan, pop.shard)
    with_ids = {
        name: getattr(history, name).add_column(0, column, ids(name, getattr(history, name).num_rows))
        for name, column in (("cla_episodes", "episode_id"), *looked_after.TABLES)
    }
    return replace(tables, children=children, **with_ids)


def _open_cases(
    rng: np.random.Generator,
    weights: NDArray[np.float64],
    lengths: Callable[[int], NDArray[np.int64]],
    limit: NDArray[np.int64],
    days: int,
    needed_at_end: float,
    earliest: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
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


def _list_column(n: int, entries: list[tuple[NDArray[np.int64], str]]) -> pa.Array:
    """A list<string> column of n rows from (rows, value) pairs: each row lists the values whose rows hold it."""
    rows = np.concatenate([r for r, _ in entries]) if entries else np.zeros(0, np.int64)
    values = np.concatenate([np.full(len(r), v, dtype=object) for r, v in entries]) if entries else np.zeros(0, object)
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values[order], pa.string()))


def _choice(rng: np.random.Generator, codes: tuple[str, ...], shares: tuple[float, ...], n: int) -> pa.Array:
    weights = np.array(shares)
    return pa.array(
        np.asarray(codes, dtype=object)[rng.choice(len(codes), size=n, p=weights / weights.sum())], pa.string()
    )


def _sources(rng: np.random.Generator, sim: Simulation, pop: Population, rows: NDArray[np.int64]) -> pa.Array:
    """Who referred: each referral's chances tilted by the child's circumstances (police where there is domestic
    abuse or a missing child, schools for school-age children, health visitors and GPs for the youngest), then
    scaled so that the year's shares come out at the published ones (iterative proportional fitting)."""
    if not len(rows):
        return pa.array([], pa.string())
    age = pop.people.age[rows]
    hh = pop.people.household[rows]
    tilt = np.ones((len(rows), len(SOURCES)))
    police = sim.domestic_abuse[hh] | sim.needs["going_missing"][rows] | sim.needs["child_criminal_exploitation"][rows]
    tilt[:, SOURCES.index("6")] *= np.where(police, 3.0, 1.0)
    for code in ("2A", "2B"):
        tilt[:, SOURCES.index(code)] *= np.where(age < 4, 0.0, 1.5)
    for code in ("3A", "3B", "3E", "3F"):
        tilt[:, SOURCES.index(code)] *= np.where(age < 5, 2.5, 1.0)
    tilt[:, SOURCES.index("3B")] *= np.where(age < 5, 1.0, 0.0)
    target = np.array(SOURCE_SHARES) / sum(SOURCE_SHARES)
    scale = np.ones(len(SOURCES))
    for _ in range(30):
        weights = tilt * scale
        shares = (weights / weights.sum(axis=1, keepdims=True)).mean(axis=0)
        scale *= np.where(shares > 0, target / np.maximum(shares, 1e-12), 1.0)
    return pa.array(np.asarray(SOURCES, dtype=object)[categorical(rng, tilt * scale)], pa.string())


@dataclass(frozen=True)
class _Cases:
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


def _children_by_weight(rng: np.random.Generator, weight: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    """n children drawn (with replacement) in proportion to their weights; none when n is 0."""
    if not n:
        return np.zeros(0, np.int64)
    chosen: NDArray[np.int64] = rng.choice(len(weight), size=n, p=weight / weight.sum())
    return chosen


def _tables(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    rng: np.random.Generator,
    cases: _Cases,
    person_upn: NDArray[np.object_] | None,
) -> SocialCareTables:
    p = pop.people
    shard, shards, key = pop.shard, plan.shards, plan.record_key

    date = partial(_dates, cases.start)
    ids = partial(_ids, plan, shard)

    # children known to the service: anyone referred this year or with a case open at the start
    known = np.unique(np.r_[cases.ref_child, cases.hist_child, cases.cp_new_child, cases.cla_new_child])
    la_ids = np.empty(len(cases.child_rows), dtype=object)
    la_ids[known] = identifiers.allocate_la_child_ids(rng, len(known), shard, shards)
    person = cases.child_rows[known]

    # every end below was capped at the 18th birthday where it was drawn (a referral closed before the first
    # day ends before any child's 18th birthday, as every child is under 18 then)
    cp_child = np.r_[cases.cp0_child, cases.cp_new_child]
    cp_start = np.r_[cases.cp0_start, cases.cp_new_start]
    cp_end = np.r_[cases.cp0_end, cases.cp_new_end]
    cla_child = np.r_[cases.cla0_child, cases.cla_new_child]
    cla_start = np.r_[cases.cla0_start, cases.cla_new_start]
    cla_end = np.r_[cases.cla0_end, cases.cla_new_end]

    # ---- referrals: historical (behind open cases) then this year's ----
    r_child = np.r_[cases.hist_child, cases.ref_child]
    r_day = np.r_[cases.hist_ref_day, cases.ref_day]
    r_close = np.r_[cases.hist_close, cases.cin_close]
    # a child's latest episode stays open while a plan or a period of care is open
    case_end = np.full(len(cases.child_rows), -(10**9))
    np.maximum.at(case_end, cp_child, cp_end)
    np.maximum.at(case_end, cla_child, cla_end)
    order = np.lexsort((r_day, r_child))
    last = order[last_of_runs(r_child[order])]
    r_close[last] = np.maximum(r_close[last], case_end[r_child[last]])
    n_hist = len(cases.hist_child)
    r_nfa = np.r_[np.zeros(n_hist, bool), cases.nfa]
    r_in_need = np.r_[np.ones(n_hist, bool), cases.in_need]
    rows = cases.child_rows[r_child]
    hh = p.household[rows]
    need_code = np.full(len(r_child), "N4", dtype=object)
    need_code[sim.substance_misuse[hh] | sim.parental_mental_health[hh] | sim.domestic_abuse[hh]] = "N5"
    for name in ("child_criminal_exploitation", "child_sexual_exploitation", "going_missing"):
        need_code[sim.needs[name][rows]] = "N6"
    for name in ABUSE:
        need_code[sim.needs[name][rows]] = "N1"
    need_code[np.isin(r_child, cp_child)] = "N1"
    # CIN census reasons for closure: RC8 / RC9 (closed after assessment, no further action / referred to early
    # help) for the children found not in need and for referrals with no further action; RC7 (services ceased,
    # no longer in need) for most episodes of children in need, RC5 (transferred to another authority) for some;
    # RC6 (transferred to adult services) at 18
    closure = np.full(len(r_child), "RC8", dtype=object)
    closure[~r_in_need & (rng.random(len(r_child)) < 0.4)] = "RC9"
    closure[r_in_need] = np.where(rng.random(len(r_child)) < 0.1, "RC5", "RC7")[r_in_need]
    aged_out = r_close >= cases.limit[r_child]
    closure[aged_out & r_in_need] = "RC6"
    still_open = r_close >= cases.days
    referral_id = ids("referrals", len(r_child))
    referrals = pa.table(
        {
            "referral_id": referral_id,
            "la_child_id": pa.array(la_ids[r_child], pa.string()),
            "referral_date": date(r_day),
            # sources fitted to the year's referrals; those behind older cases follow the same tilts
            "referral_source": pa.concat_arrays([_sources(rng, sim, pop, rows[:n_hist]), cases.ref_source]),
            "nfa": pa.array(r_nfa),
            "primary_need_code": pa.array(need_code, pa.string()),
            "closure_date": date(r_close, open_from=cases.days),
            "closure_reason": pa.array(closure, pa.string(), mask=still_open),
        }
    )

    # ---- assessments (this year's referrals that were assessed) ----
    a_ref = n_hist + np.flatnonzero(~cases.nfa)
    a_rows = cases.child_rows[r_child[a_ref]]
    a_hh = p.household[a_rows]
    factor_masks = [
        (sim.domestic_abuse[a_hh], "3B"),
        (sim.parental_mental_health[a_hh], "4B"),
        (sim.substance_misuse[a_hh] & (rng.random(len(a_ref)) < 0.5), "2B"),
        (sim.substance_misuse[a_hh] & (rng.random(len(a_ref)) >= 0.5), "1B"),
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
    entries.append((np.flatnonzero(~any_factor), "21"))
    a_local = a_ref - n_hist
    assessments = pa.table(
        {
            "assessment_id": ids("assessments", len(a_ref)),
            "la_child_id": pa.array(la_ids[r_child[a_ref]], pa.string()),
            "referral_id": referral_id.take(pa.array(a_ref)),
            "start_date": date(cases.assess_start[a_local]),
            "authorised_date": date(cases.assess_end[a_local], open_from=cases.days),
            "outcome": pa.array(np.where(cases.in_need[a_local], "in_need", "not_in_need").astype(object), pa.string()),
            "factors": _list_column(len(a_ref), entries),
        }
    )

    # ---- CIN plans: in-need referrals not under a child protection plan ----
    planned = np.isin(r_child, cp_child)
    plan_start = np.r_[cases.hist_ref_day + 20, cases.assess_end]  # a CIN plan follows the assessment
    c_ref = np.flatnonzero(r_in_need & ~planned & (r_close > plan_start) & (plan_start < cases.days))
    c_start = plan_start[c_ref]
    cin_plans = pa.table(
        {
            "cin_plan_id": ids("cin_plans", len(c_ref)),
            "la_child_id": pa.array(la_ids[r_child[c_ref]], pa.string()),
            "referral_id": referral_id.take(pa.array(c_ref)),
            "start_date": date(c_start),
            "end_date": date(r_close[c_ref], open_from=cases.days),
        }
    )

    # ---- section 47 enquiries and ICPCs: this year's, and those behind the plans open at the start ----
    s_ref = np.r_[n_hist + np.flatnonzero(cases.s47)]
    s_day = np.r_[cases.s47_day[cases.s47]]
    s_icpc = np.r_[cases.icpc[cases.s47]]
    # the referrals behind the plans open at the start sit after the open CIN episodes in the history
    cp0_ref = len(cases.hist_child) - len(cases.cla0_child) - len(cases.cp0_child) + np.arange(len(cases.cp0_child))
    s_ref = np.r_[cp0_ref, s_ref]
    # after the referral, before the plan
    s_day = np.r_[np.clip(cases.cp0_start - 25, r_day[cp0_ref], cases.cp0_start), s_day]
    s_icpc = np.r_[np.ones(len(cases.cp0_child), bool), s_icpc]
    s47_id = ids("section47", len(s_ref))
    section47 = pa.table(
        {
            "section47_id": s47_id,
            "la_child_id": pa.array(la_ids[r_child[s_ref]], pa.string()),
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
            "icpc_id": ids("icpcs", len(i_rows)),
            "la_child_id": pa.array(la_ids[r_child[s_ref[i_rows]]], pa.string()),
            "section47_id": s47_id.take(pa.array(i_rows)),
            "conference_date": date(i_day),
            "cp_plan": pa.array(on_plan),
        }
    )

    # ---- child protection plans ----
    unrecorded_rng = shard_stream(plan.seed, shard, "social-care-categories-unrecorded")
    category = _categories(
        rng, sim, cases.child_rows[cp_child], p.household[cases.child_rows[cp_child]], unrecorded_rng
    )
    latest = category.copy()
    changed = rng.random(len(cp_child)) < 0.05
    latest[changed] = "MUL"
    cp_plans = pa.table(
        {
            "cp_plan_id": ids("cp_plans", len(cp_child)),
            "la_child_id": pa.array(la_ids[cp_child], pa.string()),
            "start_date": date(cp_start),
            "end_date": date(cp_end, open_from=cases.days),
            "initial_category": pa.array(category, pa.string()),
            "latest_category": pa.array(latest, pa.string()),
        }
    )

    # ---- periods of care (SSDA903 episode fields) ----
    n_cla = len(cla_child)
    ended = cla_end < cases.days
    reason_ceased = _choice(
        rng, ("E13", "E4A", "E11", "E45", "E17", "E8", "E41"), (0.25, 0.2, 0.1, 0.12, 0.13, 0.1, 0.1), n_cla
    )
    reason_ceased = pc.if_else(pa.array(ended), reason_ceased, pa.scalar(None, pa.string()))
    at_eighteen = cla_end >= cases.limit[cla_child]
    reason_ceased = pc.if_else(pa.array(ended & at_eighteen), "E17", reason_ceased)
    home = pop.household_postcode[p.household[cases.child_rows[cla_child]]]
    placed = rng.integers(0, len(plan.postcodes.postcode), n_cla)
    away = rng.random(n_cla) < 0.4  # placed out of the area (placement postcodes outside the LA are not modelled)
    placement_pc = np.where(away, placed, home)
    cla_episodes = pa.table(
        {
            "episode_id": ids("cla_episodes", n_cla),
            "la_child_id": pa.array(la_ids[cla_child], pa.string()),
            "start_date": date(cla_start),
            "end_date": date(cla_end, open_from=cases.days),
            "legal_status": _choice(rng, ("V2", "C2", "C1", "L1", "E1"), (0.45, 0.30, 0.10, 0.10, 0.05), n_cla),
            "reason_for_new_episode": pa.array(np.full(n_cla, "S", dtype=object), pa.string()),
            "placement_type": _choice(
                rng, ("U1", "U4", "U6", "K2", "H5", "P1", "S1"), (0.3, 0.25, 0.16, 0.12, 0.07, 0.06, 0.04), n_cla
            ),
            "reason_episode_ceased": reason_ceased,
            "home_postcode": pa.array(plan.postcodes.postcode[home], pa.string()),
            "placement_postcode": pa.array(plan.postcodes.postcode[placement_pc], pa.string()),
        }
    )

    # ---- the children themselves (person-level: names, birth dates and identifiers as the LA holds them) ----
    record_key_children = record_ids(key, TABLE_CODES["social_care/children"], shard, len(known))
    # the UPN is known for most children at school (recorded or missing: see the data-quality model)
    upn = person_upn[person] if person_upn is not None else np.full(len(person), None, dtype=object)
    la_child_ids = pa.array(la_ids[known], pa.string())
    children_table = _children_rows(plan, pop, record_key_children, la_child_ids, p, person, upn)
    children = AgencyTable("social_care", "children", children_table, record_key_children, p.person_id[person])
    return SocialCareTables(children, referrals, assessments, cin_plans, section47, icpcs, cp_plans, cla_episodes)


def _children_rows(
    plan: Plan,
    pop: Population,
    key: NDArray[np.uint64],
    la_ids: pa.Array,
    who: People | Births,
    rows: NDArray[np.int64],
    upn: NDArray[np.object_],
) -> pa.Table:
    """Rows of the children table: the LA's record of each child (`rows` of the people, or of the period's
    babies), at the household's address."""
    return pa.table(
        {
            "record_id": format_record_ids(key),
            "la_child_id": la_ids,
            **name_columns(pop, who, rows),
            "date_of_birth": pa.array(who.date_of_birth[rows], pa.date32()),
            "sex": pc.if_else(pa.array(who.female[rows]), "F", "M"),
            "ethnicity": pa.array(
                np.asarray(reference.ethnicities().codes, dtype=object)[who.ethnicity[rows]], pa.string()
            ),
            "nhs_number": pa.array(who.nhs_number[rows], pa.string()),
            "upn": pa.array(upn, pa.string()),
            **address_columns(plan, pop, who.household[rows]),
        }
    )


def _categories(
    rng: np.random.Generator,
    sim: Simulation,
    rows: NDArray[np.int64],
    households: NDArray[np.int64],
    unrecorded_rng: np.random.Generator | None = None,
) -> NDArray[np.object_]:
    """The plan's category from the child's needs. A child with one kind of abuse or neglect gets that; with
    several, one of them in proportion to England's category shares, or now and then MUL (multiple); with none
    recorded but domestic abuse at home, emotional abuse (as most such plans are); otherwise one in England's
    shares, drawn from `unrecorded_rng` (neglect where none is given). England at
    31 March 2020: NEG 50.5%, EMO 35.7%, PHY 7.4%, SAB 3.8%, MUL 2.6% (uk-facts.md A)."""
    national = {"NEG": 0.505, "EMO": 0.357, "PHY": 0.074, "SAB": 0.038}
    weights = np.zeros((len(rows), len(ABUSE)))
    for column, (name, code) in enumerate(ABUSE.items()):
        weights[:, column] = sim.needs[name][rows] * national[code]
    kinds = (weights > 0).sum(axis=1)
    codes = np.asarray(list(ABUSE.values()), dtype=object)
    category = np.where(kinds > 0, codes[categorical(rng, weights)], "NEG").astype(object)
    if unrecorded_rng is not None:
        # with no need of the child's recorded, the category follows England's shares
        unrecorded = np.flatnonzero(kinds == 0)
        shares = np.array([national[str(code)] for code in codes])
        category[unrecorded] = codes[unrecorded_rng.choice(len(codes), len(unrecorded), p=shares / shares.sum())]
    category[(kinds == 0) & sim.domestic_abuse[households]] = "EMO"
    category[(kinds >= 2) & (rng.random(len(rows)) < 0.05)] = "MUL"
    return category


PRE_BIRTH_REFERRAL = (0.45, 0.004)
"""Chance that a baby born in the period was referred before birth: with domestic abuse, parental mental ill
health or substance misuse at home, and without (design: pre-birth referrals go where those risks are known)."""
PRE_BIRTH_PROTECTION = 0.35
"""Share of pre-birth referrals that go on to an enquiry, a pre-birth conference and a plan for the unborn child."""


Unborn = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]


def _unborn_cases(plan: Plan, pop: Population, sim: Simulation, born: Births | None) -> Unborn:
    """Which of the period's babies were referred before birth (and when), and which went on to an enquiry, a
    pre-birth conference and a plan: (babies, referral day, enquiry day, conference day, protected)."""
    rng = shard_stream(plan.seed, pop.shard, "social-care-unborn")
    empty = np.zeros(0, np.int64)
    if born is None or not len(born):
        return empty, empty, empty, empty, np.zeros(0, bool)
    days = plan.days
    risky = sim.domestic_abuse[born.household] | sim.substance_misuse[born.household]
    risky |= sim.parental_mental_health[born.household]
    birth_day = (born.date_of_birth - np.datetime64(plan.period_start, "D")).astype(np.int64)
    ref_day = birth_day - rng.integers(56, 155, len(born))
    chance = np.where(risky, PRE_BIRTH_REFERRAL[0], PRE_BIRTH_REFERRAL[1])
    chosen = np.flatnonzero((rng.random(len(born)) < chance) & (ref_day >= 0))
    ref_day = ref_day[chosen]
    s47_day = ref_day + rng.integers(7, 22, len(chosen))
    icpc_day = s47_day + np.clip(rng.normal(20, 5, len(chosen)), 8, 45).astype(np.int64)
    icpc_day = _weekday(np.datetime64(plan.period_start, "D"), icpc_day)
    protected = (rng.random(len(chosen)) < PRE_BIRTH_PROTECTION) & (icpc_day < days)
    return chosen, ref_day, s47_day, icpc_day, protected


def _with_unborn(
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
    start = np.datetime64(plan.period_start, "D")
    days = plan.days
    chosen, ref_day, s47_day, icpc_day, protected = unborn
    if not len(chosen):
        return tables
    n = len(chosen)
    hh = born.household[chosen]
    assess_start = np.minimum(ref_day + rng.integers(0, 4, n), days - 1)
    assess_end = assess_start + _assessment_days(rng, n)
    plan_end = icpc_day + _banded(rng, CP_DURATION_BANDS, n)
    close = np.where(protected, plan_end, assess_end + _banded(rng, CIN_DURATION_BANDS, n))
    close = np.maximum(close, assess_end)  # not before the assessment is authorised

    date = partial(_dates, start)
    ids = partial(_ids, plan, pop.shard)

    used = tables.children.table.column("la_child_id").to_numpy(zero_copy_only=False)
    pool = identifiers.allocate_la_child_ids(rng, n + len(used), pop.shard, plan.shards)
    la = pool[~np.isin(pool, used)][:n]  # distinct from the shard's other ids
    la_ids = pa.array(la, pa.string())
    referral_id = ids("referrals", n, after=tables.referrals.num_rows)
    need = np.where(sim.domestic_abuse[hh] | sim.substance_misuse[hh], "N1", "N5").astype(object)
    referrals = pa.table(
        {
            "referral_id": referral_id,
            "la_child_id": la_ids,
            "referral_date": date(ref_day),
            "referral_source": pa.array(np.where(rng.random(n) < 0.6, "3F", "3D").astype(object), pa.string()),
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
    assessments = pa.table(
        {
            "assessment_id": ids("assessments", n, after=tables.assessments.num_rows),
            "la_child_id": la_ids,
            "referral_id": referral_id,
            "start_date": date(assess_start),
            "authorised_date": date(assess_end, open_from=days),
            "outcome": pa.array(np.full(n, "in_need", dtype=object), pa.string()),
            # "21": no factors identified, for a child with none of these at home
            "factors": _list_column(
                n, [*entries, (np.setdiff1d(np.arange(n), np.concatenate([e[0] for e in entries])), "21")]
            ),
        }
    )
    plain = np.flatnonzero(~protected & (assess_end < days) & (close > assess_end))
    cin_plans = pa.table(
        {
            "cin_plan_id": ids("cin_plans", len(plain), after=tables.cin_plans.num_rows),
            "la_child_id": la_ids.take(pa.array(plain)),
            "referral_id": referral_id.take(pa.array(plain)),
            "start_date": date(assess_end[plain]),
            "end_date": date(close[plain], open_from=days),
        }
    )
    enquired = np.flatnonzero(protected)
    s47_id = ids("section47", len(enquired), after=tables.section47.num_rows)
    section47 = pa.table(
        {
            "section47_id": s47_id,
            "la_child_id": la_ids.take(pa.array(enquired)),
            "referral_id": referral_id.take(pa.array(enquired)),
            "start_date": date(s47_day[enquired]),
            "icpc_required": pa.array(np.ones(len(enquired), bool)),
        }
    )
    icpcs = pa.table(
        {
            "icpc_id": ids("icpcs", len(enquired), after=tables.icpcs.num_rows),
            "la_child_id": la_ids.take(pa.array(enquired)),
            "section47_id": s47_id,
            "conference_date": date(icpc_day[enquired]),
            "cp_plan": pa.array(np.ones(len(enquired), bool)),
        }
    )
    category = np.where(sim.domestic_abuse[hh[enquired]], "EMO", "NEG").astype(object)
    cp_plans = pa.table(
        {
            "cp_plan_id": ids("cp_plans", len(enquired), after=tables.cp_plans.num_rows),
            "la_child_id": la_ids.take(pa.array(enquired)),
            "start_date": date(icpc_day[enquired]),
            "end_date": date(plan_end[enquired], open_from=days),
            "initial_category": pa.array(category, pa.string()),
            "latest_category": pa.array(category, pa.string()),
        }
    )
    key = record_ids_from(
        plan.record_key, TABLE_CODES["social_care/children"], pop.shard, tables.children.table.num_rows, n
    )
    children = _children_rows(plan, pop, key, la_ids, born, chosen, np.full(n, None, dtype=object))
    known = tables.children
    merged = AgencyTable(
        "social_care",
        "children",
        pa.concat_tables([known.table, children]),
        np.r_[known.key, key],
        np.r_[known.person_id, born.person_id[chosen]],
    )
    return SocialCareTables(
        merged,
        pa.concat_tables([tables.referrals, referrals]),
        pa.concat_tables([tables.assessments, assessments]),
        pa.concat_tables([tables.cin_plans, cin_plans]),
        pa.concat_tables([tables.section47, section47]),
        pa.concat_tables([tables.icpcs, icpcs]),
        pa.concat_tables([tables.cp_plans, cp_plans]),
        tables.cla_episodes,
    )


DISABILITIES = ("LD", "BEH", "AUT", "COMM", "CON", "PC", "MOB", "HAND", "VIS", "HEAR", "INC", "DDA")
DISABILITY_SHARES = (0.26, 0.18, 0.2, 0.12, 0.06, 0.05, 0.04, 0.02, 0.02, 0.02, 0.02, 0.01)
"""CIN census disability codes and their shares among recorded disabilities (design, in the shape of the DfE's
characteristics of children in need tables: learning disability, behaviour and autism most often)."""
DISABLED_SHARE = 0.13
"""Share of children in need with a disability recorded (about 13% in England, DfE 2024)."""
DISABILITY_COUNTS = (0.6, 0.3, 0.1)
"""Of those, how many codes: one, two or three (design)."""
PREVIOUS_PLANS = (0.76, 0.17, 0.05, 0.02)
"""Earlier child protection plans of a child starting one: none, one, two, three (23.8% of plans in 2024 were
second or subsequent plans, DfE)."""
CP_FIRST_REVIEW_DAYS, CP_REVIEW_EVERY_DAYS = 91, 182
"""A child protection plan is first reviewed within three months of the initial conference, then at intervals
of no more than six months (Working Together 2023)."""


def _census_fields(plan: Plan, shard: int, tables: SocialCareTables) -> SocialCareTables:
    """What the authority records for the CIN census beyond the pathway: each child's disabilities (an empty list
    for a child with none), each child protection plan's earlier plans and review conferences. Drawn from
    streams of their own, so that nothing else in the run changes."""
    children = tables.children
    n = children.table.num_rows
    rng = shard_stream(plan.seed, shard, "social-care-disabilities")
    disabled = rng.random(n) < DISABLED_SHARE
    counts = np.where(disabled, 1 + rng.choice(len(DISABILITY_COUNTS), n, p=DISABILITY_COUNTS), 0)
    # distinct codes in proportion to their shares: the top keys of log-share plus Gumbel noise
    keys = np.log(np.array(DISABILITY_SHARES))[None, :] + rng.gumbel(size=(n, len(DISABILITIES)))
    ranked = np.argsort(-keys, axis=1, kind="stable")
    taken = np.arange(len(DISABILITIES))[None, :] < counts[:, None]
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    codes = np.asarray(DISABILITIES, dtype=object)[ranked[taken]]
    disabilities = pa.ListArray.from_arrays(pa.array(offsets), pa.array(codes, pa.string()))
    children = AgencyTable(
        children.source,
        children.name,
        children.table.append_column("disabilities", disabilities),
        children.key,
        children.person_id,
    )

    cp = tables.cp_plans
    previous_rng = shard_stream(plan.seed, shard, "social-care-previous-plans")
    previous = previous_rng.choice(len(PREVIOUS_PLANS), cp.num_rows, p=PREVIOUS_PLANS)
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
    review_day = _weekday(start, plan_start[parent] + CP_FIRST_REVIEW_DAYS + within * CP_REVIEW_EVERY_DAYS)
    keep = review_day <= last[parent]  # (a review moved off a weekend may pass the plan's end)
    review_offsets = np.zeros(cp.num_rows + 1, np.int32)
    np.cumsum(np.bincount(parent[keep], minlength=cp.num_rows), out=review_offsets[1:])
    reviews = pa.ListArray.from_arrays(pa.array(review_offsets), _dates(start, review_day[keep]))
    cp = cp.append_column("previous_plans", pa.array(previous, pa.int64())).append_column("review_dates", reviews)
    return replace(tables, children=children, cp_plans=cp)


DIED = {"closure": "RC2", "episode": "E2", "in_touch": "DIED"}
"""The codes for a child's death: a CIN episode closed (RC2), a period of care ceased (E2), a care leaver no
longer in touch (OC3 DIED)."""


def with_deaths(tables: SocialCareTables, death: NDArray[np.datetime64]) -> SocialCareTables:
    """The records as the authority holds them when a child it knows dies (`death`: each children row's date of
    death, NaT for the living): the child's record notes the date (every child death is notified to the local
    child death review partners, the authority among them), nothing begins after it, and whatever was open then
    ends on that day (the CIN episode closed as RC2, a plan ended, a period of care ceased as E2; a care leaver
    is no longer in touch, DIED). Deaths are drawn apart from the pathway, so this only cuts records short."""
    children = tables.children
    dead = pa.array(death, pa.date32(), mask=np.isnat(death))
    table = children.table.append_column("date_of_death", dead)
    recorded = AgencyTable(children.source, children.name, table, children.key, children.person_id)
    tables = replace(tables, children=recorded)
    if not np.any(~np.isnat(death)):
        return tables
    ids = table["la_child_id"].combine_chunks()

    def died_on(t: pa.Table) -> pa.Array:
        """The date of death of each row's child (null for the living)."""
        return pc.take(dead, pc.index_in(t["la_child_id"], value_set=ids))

    def before(t: pa.Table, column: str) -> pa.Table:
        """The rows whose `column` date is not after the child's death."""
        return t.filter(pc.invert(pc.fill_null(pc.greater(t[column], died_on(t)), False)))

    def ended(t: pa.Table, column: str, codes: dict[str, str] | None = None) -> pa.Table:
        """`column` (an end date) set to the death where it was open or later; `codes` set where it was."""
        death_of = died_on(t)
        cut = pc.fill_null(pc.or_kleene(pc.is_null(t[column]), pc.greater(t[column], death_of)), False)
        cut = pc.and_(cut, pc.is_valid(death_of))
        t = t.set_column(t.schema.get_field_index(column), column, pc.if_else(cut, death_of, t[column]))
        for name, value in (codes or {}).items():
            kind = t.schema.field(name).type
            t = t.set_column(t.schema.get_field_index(name), name, pc.if_else(cut, pa.scalar(value, kind), t[name]))
        return t

    referrals = ended(before(tables.referrals, "referral_date"), "closure_date", {"closure_reason": DIED["closure"]})
    kept = referrals["referral_id"].combine_chunks()

    def of_kept(t: pa.Table) -> pa.Table:
        return t.filter(pc.is_in(t["referral_id"], value_set=kept))

    assessments = of_kept(before(tables.assessments, "start_date"))
    assessments = _capped(assessments, "authorised_date", died_on)
    cin_plans = ended(of_kept(before(tables.cin_plans, "start_date")), "end_date")
    section47 = of_kept(before(tables.section47, "start_date"))
    icpcs = before(tables.icpcs, "conference_date")
    icpcs = icpcs.filter(pc.is_in(icpcs["section47_id"], value_set=section47["section47_id"].combine_chunks()))
    cp_plans = ended(before(tables.cp_plans, "start_date"), "end_date")
    if "review_dates" in cp_plans.schema.names:
        cp_plans = _reviews_until(cp_plans, died_on(cp_plans))
    episodes = ended(
        before(tables.cla_episodes, "start_date"),
        "end_date",
        {"reason_episode_ceased": DIED["episode"]},
    )
    # a period of care ended by death is no placement change
    e2 = pc.equal(episodes["reason_episode_ceased"], DIED["episode"])
    change = episodes.schema.get_field_index("reason_place_change")
    episodes = episodes.set_column(
        change, "reason_place_change", pc.if_else(e2, pa.scalar(None, pa.string()), episodes["reason_place_change"])
    )
    missing = _capped(before(tables.cla_missing, "start_date"), "end_date", died_on)
    # outcomes are for children still looked after on the year's last day
    outcomes = tables.cla_outcomes.filter(
        pc.invert(pc.fill_null(pc.less_equal(died_on(tables.cla_outcomes), tables.cla_outcomes["year_end"]), False))
    )
    leavers = tables.care_leavers
    gone = pc.is_valid(died_on(leavers))
    none = pa.scalar(None, pa.string())
    for name, value in (("in_touch", pa.scalar(DIED["in_touch"])), ("activity", none), ("accommodation", none)):
        leavers = leavers.set_column(leavers.schema.get_field_index(name), name, pc.if_else(gone, value, leavers[name]))
    return replace(
        tables,
        referrals=referrals,
        assessments=assessments,
        cin_plans=cin_plans,
        section47=section47,
        icpcs=icpcs,
        cp_plans=cp_plans,
        cla_episodes=episodes,
        cla_reviews=before(tables.cla_reviews, "review_date"),
        cla_missing=missing,
        cla_adoption_decisions=before(tables.cla_adoption_decisions, "decision_date"),
        cla_adoptions=before(tables.cla_adoptions, "date_matched"),
        cla_outcomes=outcomes,
        care_leavers=leavers,
    )


def _capped(t: pa.Table, column: str, died_on: Callable[[pa.Table], pa.Array]) -> pa.Table:
    """`column` (a date that may be null) no later than the child's death."""
    death_of = died_on(t)
    later = pc.fill_null(pc.greater(t[column], death_of), False)
    return t.set_column(t.schema.get_field_index(column), column, pc.if_else(later, death_of, t[column]))


def _reviews_until(cp: pa.Table, death_of: pa.Array) -> pa.Table:
    """Each plan's review dates up to the child's death."""
    lists = cp["review_dates"].combine_chunks()
    parent = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    keep = pc.invert(pc.fill_null(pc.greater(flat, pc.take(death_of, parent)), False)).to_numpy(zero_copy_only=False)
    counts = np.bincount(parent.to_numpy(zero_copy_only=False)[keep], minlength=cp.num_rows)
    offsets = np.zeros(cp.num_rows + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    reviews = pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)))
    return cp.set_column(cp.schema.get_field_index("review_dates"), "review_dates", reviews)


def produce(ctx: Context) -> Produced:
    """The local authority's children and their pathway. Police notifications follow the police's first contact
    with a child, so the police are made first; each event row is the child's through its la_child_id."""
    plan, pop = ctx.plan, ctx.pop
    care = social_care(plan, pop, ctx.sim, ctx.person_upn, ctx.born, police.first_met_days(ctx), ctx.died)
    children = care.children
    index = {"value_set": children.table.column("la_child_id").combine_chunks()}
    events = []
    for name, id_column in EVENT_TABLES:
        table = getattr(care, name)
        key = parse_record_ids(table.column(id_column).combine_chunks())
        row = pc.index_in(table["la_child_id"], **index)
        person = np.full(table.num_rows, -1, dtype=np.int64)
        known = row.is_valid().to_numpy(zero_copy_only=False)
        person[known] = children.person_id[row.to_numpy(zero_copy_only=False)[known].astype(np.int64)]
        events.append(AgencyTable("social_care", name, table, key, person))
    own = {"upn": ctx.person_upn, "nhs_number": pop.people.nhs_number}
    return Produced(persons=(PersonRecords(children, own_identifiers=own),), events=tuple(events))
