"""MARAC: multi-agency risk assessment conferences for victims of domestic abuse at high risk.

The year's cases come to England's rate per adult woman (`marac_cases_per_10k_adult_women`, SafeLives: 47 per
10,000 women aged 16 and over), taken from the victims of the area's domestic-abuse incidents, highest DASH risk
first. A victim referred again within the period is a repeat; so is a share of the rest, referred in the twelve
months before it, so that repeats come to SafeLives' 31% (`marac_repeat_share`). The police refer most cases
(partner agencies `marac_partner_referral_share`); the conference meets every `marac_meeting_interval_days` and
hears a case at its first meeting at least three days after referral. The children in the victim's household
are listed with the case, as the MARAC research form lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context
from synthgen.kernel.arrays import categorical, first_of_runs, ranges

DASH_ORDER = {"high": 3, "medium": 2, "standard": 1}


@dataclass(frozen=True)
class Cases:
    role: NDArray[np.int64]  # row of agencies/police/incident_persons (the victim's role)
    referral_day: NDArray[np.int64]
    meeting_day: NDArray[np.int64]
    repeat: NDArray[np.bool_]
    agency: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.role)


def cases(rng: np.random.Generator, ctx: Context, people: Everyone) -> Cases:
    params = ctx.plan.params
    roles = ctx.made["agencies/police/incident_persons"]
    if roles.context is None or roles.day is None:
        raise ValueError("a role in an incident carries its incident's type, time and DASH risk")
    p = ctx.pop.people
    women = int((p.resident & p.female & (p.age >= 16)).sum())
    wanted = round(params["marac_cases_per_10k_adult_women"] * women / 10_000 * ctx.plan.years)
    start = np.datetime64(ctx.plan.period_start, "D")
    role = roles.table.column("role").to_numpy(zero_copy_only=False).astype(object)
    kind = roles.context.column("incident_type").to_numpy(zero_copy_only=False).astype(object)
    dash = roles.context.column("dash_risk").fill_null("").to_numpy(zero_copy_only=False).astype(object)
    row = people.rows(roles.person_id)
    day = (roles.day.astype("datetime64[D]") - start).astype(np.int64)
    age = (roles.day.astype("datetime64[D]") - people.date_of_birth[row]).astype(np.int64) / 365.25
    victim = np.flatnonzero((role == "victim") & (kind == "domestic_abuse") & (age >= 16))
    level = np.zeros(len(victim))
    for name, value in DASH_ORDER.items():
        level[dash[victim] == name] = value
    # children at home raise the assessed risk (the DASH checklist asks about children and pregnancy)
    children = _children_at_home(ctx, people, people.household[row[victim]])
    score = level + params["marac_children_at_home_weight"] * (children > 0) + rng.random(len(victim))
    # first hearings: each victim's highest-risk incident, the highest first; repeats: a later incident of a
    # victim already heard, a month or more on, up to the repeat share; the rest of that share were heard in the
    # twelve months before the period
    order = victim[np.lexsort((-score, row[victim]))]
    first_row = order[first_of_runs(row[order])]
    best = first_row[np.argsort(-score_of(first_row, victim, score), kind="stable")]
    share = params["marac_repeat_share"]
    heard = best[:wanted]
    later = order[~first_of_runs(row[order])]
    later = later[np.isin(row[later], row[heard])]
    by_row = np.argsort(row[heard], kind="stable")
    gap = day[later] - day[heard][by_row][np.searchsorted(row[heard][by_row], row[later])]
    later = later[gap >= 30]
    again = later[: min(len(later), round(share * wanted))]
    heard = heard[: max(wanted - len(again), 0)]
    chosen = np.r_[heard, again].astype(np.int64)
    repeat = np.r_[np.zeros(len(heard), bool), np.ones(len(again), bool)]
    top_up = max(share * len(chosen) - len(again), 0.0) / max(len(heard), 1)
    repeat[: len(heard)] = rng.random(len(heard)) < top_up
    referral = np.minimum(day[chosen] + rng.integers(1, 8, len(chosen)), ctx.plan.days - 1)
    interval = int(params["marac_meeting_interval_days"])
    first_meeting = int((np.busday_offset(start, 0, roll="forward", weekmask="Tue") - start).astype(np.int64))
    meeting = (
        first_meeting + np.ceil(np.maximum(referral + 3 - first_meeting, 0) / interval).astype(np.int64) * interval
    )
    partner = rng.random(len(chosen)) < params["marac_partner_referral_share"]
    shares = params.series("marac_partner_agency_share")
    names = np.asarray(list(shares), dtype=object)
    picked = names[categorical(rng, np.tile(np.array(list(shares.values())), (len(chosen), 1)))]
    agency = np.where(partner, picked, "police").astype(object)
    back = np.argsort(chosen, kind="stable")
    return Cases(chosen[back], referral[back], meeting[back], repeat[back], agency[back])


def _children_at_home(ctx: Context, people: Everyone, household: NDArray[np.int64]) -> NDArray[np.int64]:
    """Children under 18 living in each household at the start of the period."""
    p = ctx.pop.people
    counts = np.bincount(p.household[p.resident & (p.age < 18)], minlength=len(ctx.pop.household_id))
    result: NDArray[np.int64] = counts[household]
    return result


def score_of(rows: NDArray[np.int64], victim: NDArray[np.int64], score: NDArray[np.float64]) -> NDArray[np.float64]:
    """The score of each chosen role (rows are among `victim`, whose scores are `score`)."""
    order = np.argsort(victim)
    result: NDArray[np.float64] = score[order][np.searchsorted(victim[order], rows)]
    return result


def children_of(ctx: Context, people: Everyone, found: Cases) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(case row, person row) of each child under 18 living in a case's victim's household."""
    roles = ctx.made["agencies/police/incident_persons"]
    household = people.household[people.rows(roles.person_id[found.role])]
    start = np.datetime64(ctx.plan.period_start, "D")
    on = start + found.referral_day.astype("timedelta64[D]")
    order = np.argsort(people.household, kind="stable")
    low = np.searchsorted(people.household[order], household, side="left")
    high = np.searchsorted(people.household[order], household, side="right")
    case = np.repeat(np.arange(len(found)), high - low)
    member = order[ranges(low, high - low)]
    born = people.date_of_birth[member]
    child = (born <= on[case]) & ((on[case] - born).astype(np.int64) < 18 * 365.25) & people.resident[member]
    return case[child], member[child]


def tables(
    ctx: Context, people: Everyone, found: Cases, case_id: pa.Array
) -> tuple[pa.Table, pa.Table, NDArray[np.int64]]:
    """marac_cases, marac_children, and each listed child's person id."""
    roles = ctx.made["agencies/police/incident_persons"]
    start = np.datetime64(ctx.plan.period_start, "D")
    take = pa.array(found.role, pa.int64())
    case, child = children_of(ctx, people, found)
    counts = np.bincount(case, minlength=len(found))
    cases_table = pa.table(
        {
            "case_id": case_id,
            "police_person_id": roles.table.column("police_person_id").combine_chunks().take(take),
            "incident_id": roles.table.column("incident_id").combine_chunks().take(take),
            "referral_date": pa.array(start + found.referral_day.astype("timedelta64[D]"), pa.date32()),
            "referring_agency": pa.array(found.agency, pa.string()),
            "meeting_date": pa.array(start + found.meeting_day.astype("timedelta64[D]"), pa.date32()),
            "repeat": pa.array(found.repeat),
            "children_in_household": pa.array(counts, pa.int16()),
        }
    )
    children = pa.table(
        {
            "case_id": case_id.take(pa.array(case, pa.int64())),
            "given_name": people.given_name.take(pa.array(child, pa.int64())),
            "family_name": people.family_name.take(pa.array(child, pa.int64())),
            "date_of_birth": pa.array(people.date_of_birth[child], pa.date32()),
        }
    )
    return cases_table, children, people.base + child
