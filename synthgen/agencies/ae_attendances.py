"""A&E attendances: who comes, with what, how they arrive and leave, and when a safeguarding concern is noted.

A&E sees the same truth as the other agencies: a neglected or physically abused child comes more often and more
often injured, a woman living with domestic abuse comes with injuries, and a child who self-harms or is sexually
exploited comes with a mental-health crisis or an overdose. The rates by age are England's (uk-facts.md C) and
hold by construction: risk and need multiply a person's rate, normalised within each age band, so risk decides
who attends, not how many. Every number is a parameter (parameters/health.csv: ae_*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import LOCAL_ID_OFFSET, TABLE_CODES, local_ids
from synthgen.agencies.health_records import YEAR_DAYS, Columns, age_bands, band, labels, matrix, period, person_columns
from synthgen.kernel.arrays import categorical
from synthgen.kernel.dates import moments
from synthgen.kernel.record_ids import record_ids
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

COMPLAINTS = ("injury", "breathing", "fever", "abdominal pain", "mental health", "overdose/poisoning", "other")
INJURY, MENTAL_HEALTH, OVERDOSE = 0, 4, 5
PROFILES = ("under_5", "age_5_17", "age_18_64", "age_65_plus", "maltreated_child", "abused_woman", "need_visit")
"""Kinds of patient, each with its own mix of complaints (ae_complaint_share.<kind>.<complaint>)."""
MALTREATED_CHILD, ABUSED_WOMAN, NEED_VISIT = 4, 5, 6
ARRIVAL_MODES = ("ambulance", "walk-in", "police", "other")
DISCHARGES = ("home", "admitted", "left before treatment", "referred")


@dataclass(frozen=True)
class _Expected:
    """Each resident's expected attendances over the period, and what about them shapes their attendances."""

    live: NDArray[np.int64]  # person rows of the residents
    base: NDArray[np.float64]  # attendances expected from the age rate, raised by risk and need
    extra: NDArray[np.float64]  # attendances the needs themselves bring (self-harm, sexual exploitation)
    extra_from: NDArray[np.datetime64]  # from when the need's own attendances come
    maltreated: NDArray[np.bool_]
    abused_woman: NDArray[np.bool_]
    any_need: NDArray[np.bool_]


def _expected(plan: Plan, pop: Population, sim: Simulation) -> _Expected:
    """Expected attendances per resident: the age band's rate times risk and need multipliers normalised to
    average 1 within the band (so each band keeps England's rate), plus the needs' own attendances from onset."""
    params = plan.params
    p = pop.people
    start, end = period(plan)
    live = np.flatnonzero(p.resident)
    age = p.age[live]
    starts, rates = age_bands(params, "ae_attendances_per_1000")
    age_band = band(age, starts)
    needs = {name: mask[live] for name, mask in sim.needs.items()}
    maltreated = needs["neglect"] | needs["physical_abuse"]
    need_factor = np.where(
        needs["physical_abuse"],
        params["ae_need_factor.physical_abuse"],
        np.where(needs["neglect"], params["ae_need_factor.neglect"], 1.0),
    )
    abused_woman = p.female[live] & (age >= 16) & (age < 65) & sim.domestic_abuse[p.household[live]]
    factor = (
        np.exp(params["ae_risk_weight"] * sim.risk[live])
        * need_factor
        * np.where(abused_woman, params["ae_domestic_abuse_factor"], 1.0)
    )
    band_mean = np.bincount(age_band, weights=factor, minlength=len(starts)) / np.maximum(
        np.bincount(age_band, minlength=len(starts)), 1
    )
    base = rates[age_band] / 1000.0 * factor / band_mean[age_band] * plan.years

    extra_rate = np.zeros(len(live))
    for name, rate in params.series("ae_need_attendances_per_year").items():
        extra_rate += rate * needs[name]
    has_extra = extra_rate > 0
    extra_from = np.full(len(live), start)
    extra_from[has_extra] = np.maximum(sim.onset[live[has_extra]], start)
    extra = extra_rate * ((end - extra_from).astype(np.int64) + 1) / YEAR_DAYS
    return _Expected(live, base, extra, extra_from, maltreated, abused_woman, sim.any_need()[live])


def _arrival_and_discharge(
    rng: np.random.Generator,
    params: Parameters,
    need_visit: NDArray[np.bool_],
    mental: NDArray[np.bool_],
    overdose: NDArray[np.bool_],
    adult_group: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """How each attendance arrived (ARRIVAL_MODES) and left (DISCHARGES): older patients and overdoses come by
    ambulance; police bring people in mental-health crises and exploited children; mental-health attendances are
    referred on (liaison psychiatry). `adult_group`: 0 under 18, 1 18-64, 2 65 and over."""
    n = len(need_visit)
    by_age = ("under_18", "age_18_64", "age_65_plus")
    amb, cops = params.series("ae_ambulance_share"), params.series("ae_police_share")
    ambulance = np.where(
        overdose,
        amb["overdose"],
        np.where(mental, amb["mental_health"], np.array([amb[a] for a in by_age])[adult_group]),
    )
    police = np.where(
        need_visit,
        cops["need_visit"],
        np.where(mental, cops["mental_health"], np.where(overdose, cops["overdose"], cops["other"])),
    )
    other = params["ae_other_arrival_share"]
    u = rng.random(n)
    mode = np.where(
        u < ambulance, 0, np.where(u < ambulance + police, 2, np.where(u < ambulance + police + other, 3, 1))
    )
    adm, gone, sent = (
        params.series("ae_admitted_share"),
        params.series("ae_left_share"),
        params.series("ae_referred_share"),
    )
    admitted = np.where(
        overdose,
        adm["overdose"],
        np.where(mental, adm["mental_health"], np.array([adm[a] for a in by_age])[adult_group]),
    )
    left = np.where(mental, gone["mental_health"], gone["other"])
    referred = np.where(mental, sent["mental_health"], np.where(overdose, sent["overdose"], sent["other"]))
    u = rng.random(n)
    discharge = np.where(
        u < admitted, 1, np.where(u < admitted + left, 2, np.where(u < admitted + left + referred, 3, 0))
    )
    return mode, discharge


def _concern(
    rng: np.random.Generator,
    params: Parameters,
    child: NDArray[np.bool_],
    any_need: NDArray[np.bool_],
    injury: NDArray[np.bool_],
    maltreated: NDArray[np.bool_],
    infant: NDArray[np.bool_],
    abused_woman: NDArray[np.bool_],
    need_visit: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Whether a safeguarding concern is noted: a few of every child's attendances; a quarter of those of children
    with a need; more for injuries to maltreated children and to infants (NICE CG89: an injury in a non-mobile
    infant raises the question of maltreatment); most of the needs' own attendances; injuries to abused women."""
    share = params.series("ae_concern_share")
    concern = np.where(child, share["child"], share["adult"])
    concern = np.where(child & any_need, share["child_with_need"], concern)
    concern = np.where(injury & maltreated, share["maltreated_injury"], concern)
    concern = np.where(injury & infant, np.maximum(concern, share["infant_injury"]), concern)
    concern = np.where(injury & abused_woman, share["abused_woman_injury"], concern)
    concern = np.where(need_visit, share["need_visit"], concern)
    result: NDArray[np.bool_] = rng.random(len(child)) < concern
    return result


def ae_attendances(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """Poisson attendances per resident at the expected rate (_expected), then one row per attendance: its
    complaint by kind of patient, when it came, how it arrived and left, and whether a concern was noted."""
    params = plan.params
    p = pop.people
    start, end = period(plan)
    expected = _expected(plan, pop, sim)
    live, base, extra = expected.live, expected.base, expected.extra
    age = p.age[live]
    count = rng.poisson(base + extra)
    who = np.repeat(np.arange(len(live)), count)
    n = len(who)
    # the share is taken per attendance: a resident whose expected rate is 0 (a scenario's zero rates) has none
    need_visit = rng.random(n) < extra[who] / (base[who] + extra[who])
    age_group = np.searchsorted(np.array([5, 18, 65]), age[who], side="right")  # 0 under 5 .. 3 65 and over
    maltreated, abused_woman = expected.maltreated[who], expected.abused_woman[who]
    profile = np.where(
        need_visit,
        NEED_VISIT,
        np.where(maltreated, MALTREATED_CHILD, np.where(abused_woman, ABUSED_WOMAN, age_group)),
    )
    complaint = categorical(rng, matrix(params, "ae_complaint_share", PROFILES)[profile])
    injury = (complaint == INJURY) | (complaint == OVERDOSE)  # ECDS counts poisonings among injuries
    mental = complaint == MENTAL_HEALTH
    overdose = complaint == OVERDOSE

    after = end + np.timedelta64(1, "D")  # moments fall before the day after the period
    hours = params.values_of("ae_arrival_hour_weight")
    arrived = moments(rng, np.where(need_visit, expected.extra_from[who], start), after, n, hours)
    adult_group = np.minimum(np.maximum(age_group - 1, 0), 2)  # 0 under 18, 1 18-64, 2 65 and over
    mode, discharge = _arrival_and_discharge(rng, params, need_visit, mental, overdose, adult_group)
    child = age[who] < 18
    safeguarding = _concern(
        rng, params, child, expected.any_need[who], injury, maltreated, age[who] == 0, abused_woman, need_visit
    )

    rows = live[who]
    person = person_columns(plan, pop, rows)
    nhs_missing = rng.random(n) < params["ae_nhs_number_missing_share"]
    hospital_number = record_ids(
        plan.record_key, TABLE_CODES["health/ae_attendances"] + LOCAL_ID_OFFSET, pop.shard, len(p.person_id)
    )
    columns: Columns = {
        "nhs_number": pc.if_else(pa.array(nhs_missing, pa.bool_()), pa.scalar(None, pa.string()), person["nhs_number"]),
        "local_patient_id": local_ids(hospital_number[rows]),  # the trust's hospital number: one per patient
        **{k: v for k, v in person.items() if k != "nhs_number"},
        "arrived_at": pa.array(arrived, pa.timestamp("s")),
        "arrival_mode": labels(ARRIVAL_MODES, mode),
        "chief_complaint_group": labels(COMPLAINTS, complaint),
        "injury": pa.array(injury, pa.bool_()),
        "safeguarding_concern": pa.array(safeguarding, pa.bool_()),
        "discharge_destination": labels(DISCHARGES, discharge),
    }
    return rows, columns
