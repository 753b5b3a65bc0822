"""School: the pupil register of state-funded schools, as the school census records it.

Children of school age (reception to Year 11) appear unless they attend an independent school or are educated at
home. Each pupil carries a UPN: issued by the school the child first entered, so it names that school's local
authority and establishment and the year of entry. Free school meals and SEN are drawn at England's shares,
with FSM following household deprivation (siblings share it, as eligibility is the household's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.agencies import TABLE_CODES, AgencyTable, address_columns, choose_nearby, name_columns, nearest
from synthgen.agencies.producer import Context, PersonRecords, Produced
from synthgen.kernel import identifiers, strings
from synthgen.kernel.arrays import mean_or_one, rank_within
from synthgen.kernel.dates import age_on
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population

YEAR_GROUPS = ("R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")
UPN_SERIALS = 1000


def academic_year(plan: Plan) -> int:
    """The calendar year in which the academic year running at the start of the period began (September)."""
    start = plan.period_start
    return start.year if start.month >= 9 else start.year - 1


def year_groups(plan: Plan, dob: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """0 for reception .. 11 for Year 11; by age on 31 August before the academic year, as the DfE counts it."""
    result: NDArray[np.int64] = age_on(dob, dt.date(academic_year(plan), 8, 31)) - 4
    return result


@dataclass(frozen=True)
class Pupils(AgencyTable):
    """The pupil register, and which school (row of plan.schools) each pupil is at, for the school's events."""

    school: NDArray[np.int64]


def _upns(
    rng: np.random.Generator,
    plan: Plan,
    shard: int,
    entry_year: NDArray[np.int64],
    first_school: NDArray[np.int64],
) -> NDArray[np.object_]:
    """UPNs unique across the run: serials within (school, entry year) interleave shards; the rest (pupils who
    moved in from another LA, and any overflow) take a UPN from another LA with a per-shard establishment."""
    n = len(entry_year)
    estab = plan.schools.establishment[first_school]
    serial = rank_within(estab * 100 + entry_year % 100) * plan.shards + shard
    moved_in = rng.random(n) < plan.params["upn_from_other_la_share"]
    elsewhere = moved_in | (serial >= UPN_SERIALS)
    la = np.full(n, plan.la.number, dtype=np.int64)
    others = np.array(sorted(set(reference.local_authorities()) - {plan.la.number}))
    la[elsewhere] = others[rng.integers(0, len(others), int(elsewhere.sum()))]
    estab = np.where(elsewhere, 1000 + shard % 1000, estab)
    serial[elsewhere] = rank_within(entry_year[elsewhere] % 100)
    return identifiers.make_upns(la, estab, entry_year % 100, serial)


def _school_choices(rng: np.random.Generator, plan: Plan, home: NDArray[np.int64]) -> dict[str, NDArray[np.int64]]:
    """Each household's primary and secondary school: one of its nearest few of each phase, a larger school taking
    more of its neighbourhood's children."""
    pcs, schools = plan.postcodes, plan.schools
    school_pc = schools.postcode_index
    weights = tuple(plan.params.series("school_choice_weight").values())
    choice = {}
    for phase in ("primary", "secondary"):
        of_phase = np.flatnonzero(schools.kind == phase)
        near = nearest(
            pcs.easting[home],
            pcs.northing[home],
            pcs.easting[school_pc[of_phase]],
            pcs.northing[school_pc[of_phase]],
            len(weights),
        )
        choice[phase] = of_phase[choose_nearby(rng, near, weights, schools.size[of_phase])]
    return choice


def pupils(plan: Plan, pop: Population) -> tuple[Pupils, pa.Array]:
    """The pupil register, and each person's UPN (null for people not on it) for the truth."""
    params = plan.params
    rng = shard_stream(plan.seed, pop.shard, "school")
    p = pop.people
    n_hh = len(pop.household_id)
    group = year_groups(plan, p.date_of_birth)
    school_age = p.resident & (group >= 0) & (group <= 11)
    # independent schools draw from better-off households; home education is spread evenly
    affluence = (1.0 - pop.household_deprivation) ** 2
    independent = rng.random(n_hh) < params["independent_school_share"] * affluence / affluence.mean()
    home_educated = rng.random(len(group)) < params["home_educated_share"]
    rows = np.flatnonzero(school_age & ~independent[p.household] & ~home_educated)
    hh = p.household[rows]
    g = group[rows]

    choice = _school_choices(rng, plan, pop.household_postcode)
    school = np.where(g <= 6, choice["primary"][hh], choice["secondary"][hh])
    entry_year = academic_year(plan) - g
    upn = _upns(rng, plan, pop.shard, entry_year, choice["primary"][hh])

    deprivation = pop.household_deprivation
    weight = np.exp(params["fsm_deprivation_weight"] * deprivation)
    fsm_household = rng.random(n_hh) < params["fsm_share"] * weight / mean_or_one(weight[hh])
    boy = ~p.female[rows]
    risk = np.where(boy, params["sen_boys_relative_risk"], 1.0) * (1.0 + deprivation[hh])
    risk = risk / mean_or_one(risk)
    u = rng.random(len(rows))
    ehc = u < params["ehc_plan_share"] * risk
    support = ~ehc & (u < (params["ehc_plan_share"] + params["sen_support_share"]) * risk)
    sen = np.where(ehc, "E", np.where(support, "K", "N"))

    start_of_year = np.datetime64(f"{academic_year(plan)}-09-01", "D")
    phase_start_group = np.where(g <= 6, 0, 7)
    entry_date = start_of_year - ((g - phase_start_group) * 365.25).astype("timedelta64[D]")
    entry_date = entry_date + rng.integers(0, 5, len(rows)).astype("timedelta64[D]")

    names = name_columns(pop, p, rows)
    preferred = strings.surnames(
        pa.array(pop.surnames, pa.string()), p.preferred_surname_1[rows], p.preferred_surname_2[rows]
    )
    eth = reference.ethnicities()
    key = record_ids(plan.record_key, TABLE_CODES["school/pupils"], pop.shard, len(rows))
    table = pa.table(
        {
            "record_id": format_record_ids(key),
            "upn": pa.array(upn, pa.string()),
            **names,
            "preferred_given_name": names["given_name"],
            "preferred_family_name": pc.coalesce(preferred, names["family_name"]),
            "date_of_birth": pa.array(p.date_of_birth[rows], pa.date32()),
            "sex": pc.if_else(pa.array(p.female[rows]), strings.text("F"), strings.text("M")),
            "ethnicity": strings.labelled(eth.codes, p.ethnicity[rows]),
            "school_urn": strings.taken(plan.schools.code, school),
            "year_group": strings.labelled(YEAR_GROUPS, g),
            "entry_date": pa.array(entry_date, pa.date32()),
            "fsm_eligible": pa.array(fsm_household[hh]),
            "sen_provision": pa.array(sen, pa.string()),
            **address_columns(plan, pop, hh),
        }
    )
    person_upn = np.full(len(p.person_id), None, dtype=object)
    person_upn[rows] = upn
    agency = Pupils("school", "pupils", table, key, p.person_id[rows], school)
    return agency, pa.array(person_upn, pa.string())


def schools_table(plan: Plan) -> pa.Table:
    """The schools themselves: reference data the local authority holds."""
    s = plan.schools
    return pa.table(
        {
            "school_urn": pa.array(s.code, pa.string()),
            "laestab": pa.array(plan.la.number * 10000 + s.establishment, pa.int32()),
            "school_name": pa.array(s.name, pa.string()),
            "phase": pa.array(s.kind, pa.string()),
            "postcode": strings.taken(plan.postcodes.postcode, s.postcode_index),
        }
    )


def register(ctx: Context) -> Produced:
    """The pupil register, first of all producers: the storylines and the local authority need to know who is on
    a school roll, and under which UPN."""
    found, upn = pupils(ctx.plan, ctx.pop)
    ctx.pupils = found
    ctx.person_upn = upn.to_numpy(zero_copy_only=False).astype(object)
    return Produced(persons=(PersonRecords(found, own_identifiers={"upn": ctx.person_upn}),))
