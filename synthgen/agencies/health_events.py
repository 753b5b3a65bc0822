"""Health events over the period: A&E attendances, health-visiting reviews, maternity bookings, CAMHS referrals.

The GP register (health.py) says who the NHS knows. This module says what happened to them during the period,
as the trust, the health-visiting service, the maternity unit and CAMHS each record it. The same truth that
drives the other agencies drives these records (simulate.py), so the signals co-occur as they do in life: a
neglected or physically abused child comes to A&E more often and more often injured, a child who self-harms
or is sexually exploited comes with a mental-health crisis or an overdose and is referred to CAMHS, a
health-visiting review is missed more often in a risky household, and a booking midwife notes a concern more
often where there is domestic abuse or substance misuse.

Every calibrated rate is met by construction in expectation (rates are normalised within the groups they are
quoted for, so risk decides who, not how many) and the tests hold each to its tolerance:

- A&E: 659.6 attendances per 1,000 children under five a year (uk-facts.md C, 2019/20), 720 per 1,000
  infants (uk-facts.md C, BMC HSR 2022); about 345 per 1,000 residents overall (design, see AE_RATE).
- New-birth visits: 85.2% within 14 days of birth (OHID health visitor service delivery metrics 2024/25).
- Maternity bookings: one per birth, 9.7 births per 1,000 residents a year (ONS Births in E&W 2023, the
  `birth_rate` parameter; population.md 3), mothers' ages in population.md 3's shape.
- CAMHS: 8% of children referred in a year (uk-facts.md C: 949,200 of 11.9m, 2022/23).

Names, dates of birth and NHS numbers are the person's true values (the data-quality model adds errors later);
only the trust's own missing NHS numbers are made here, as they are a property of how A&E registers patients.

Scope: the population is the one alive at the start of the period. Babies born during the period are not
people in it, so their new-birth and 6-8 week reviews are not made: the new-birth visits here are those of
babies born in the 14 days before the start (whose visits fall due in the period), and maternity bookings stand
for the births they lead to, without adding the babies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import LOCAL_ID_OFFSET, TABLE_CODES, AgencyTable, local_ids, name_columns
from synthgen.kernel.arrays import categorical, mean_or_one, top
from synthgen.kernel.dates import moments
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import ROLE, Population
from synthgen.world.simulate import Simulation

Columns = dict[str, pa.Array]
TABLES = ("ae_attendances", "health_visits", "maternity_bookings", "camhs_referrals")
YEAR_DAYS = 365.25

# --- A&E ---
AE_AGE_FROM = (0, 1, 5, 10, 15, 20, 30, 45, 65, 75, 85)
AE_RATE = (720.0, 646.0, 255.0, 285.0, 370.0, 370.0, 285.0, 255.0, 300.0, 540.0, 880.0)
"""Attendances per 1,000 a year by age band at the start (bands begin at AE_AGE_FROM).

Infants 720 (uk-facts.md C, BMC HSR 2022) and ages 1-4 at 646, so that under-fives come to 659.6 on the England
age pyramid (uk-facts.md C, 2019/20). Older bands are design, shaped like HES A&E attendances by age (a dip at
school age, a rise in young adults, a steep rise from 75) and scaled to about 345 per 1,000 overall: between
major (type 1) departments alone, about 290, and all types, about 440 (HES A&E 2019/20).
"""
AE_RISK_WEIGHT = 0.2
"""Log rate per unit of risk (design): deprived, risky households use A&E more. 0.2 makes the most deprived
fifth of households attend about 1.4 times as often as the least; in HES the most deprived IMD quintile attends
about 1.7 times as often as the least (Hull et al., BMJ Open 2018, PMC5750365, Table 1), part of it age."""
AE_NEED_FACTOR = {"physical_abuse": 1.5, "neglect": 1.3}
"""Rate multipliers for maltreated children (design; the larger applies), with an injury-heavy complaint mix."""
AE_DOMESTIC_ABUSE_FACTOR = 1.5
"""Rate multiplier for women 16-64 in a household with domestic abuse (design), with injuries more common."""
AE_NEED_EXTRA = {"self_harm": 1.2, "child_sexual_exploitation": 0.8}
"""Attendances a year caused by the need itself, from its onset (design): self-harm, overdoses and crises."""
AE_NHS_MISSING = 0.03
"""Attendances registered without a traced NHS number (design: unknown or untraced patients)."""

COMPLAINTS = ("injury", "breathing", "fever", "abdominal pain", "mental health", "overdose/poisoning", "other")
INJURY, MENTAL_HEALTH, OVERDOSE = 0, 4, 5
AE_PROFILES = np.array(
    [
        # injury, breathing, fever, abdominal pain, mental health, overdose/poisoning, other
        [0.30, 0.22, 0.20, 0.06, 0.00, 0.02, 0.20],  # under 5
        [0.45, 0.08, 0.06, 0.12, 0.04, 0.02, 0.23],  # 5-17
        [0.30, 0.08, 0.03, 0.14, 0.05, 0.02, 0.38],  # 18-64
        [0.25, 0.15, 0.03, 0.10, 0.01, 0.005, 0.455],  # 65 and over
        [0.50, 0.09, 0.09, 0.08, 0.02, 0.03, 0.19],  # a neglected or physically abused child
        [0.50, 0.06, 0.02, 0.10, 0.08, 0.04, 0.20],  # a woman in a household with domestic abuse
        [0.15, 0.00, 0.00, 0.00, 0.45, 0.40, 0.00],  # self-harm or sexual exploitation: the need's own visits
    ]
)
"""Chief complaint group by kind of patient (design, after ECDS chief-complaint groupings: injuries are about a
third of attendances, more in school-age children, respiratory and fever complaints common under five)."""
MALTREATED_CHILD, ABUSED_WOMAN, NEED_VISIT = 4, 5, 6
ARRIVAL_MODES = ("ambulance", "walk-in", "police", "other")
DISCHARGES = ("home", "admitted", "left before treatment", "referred")
ARRIVAL_HOUR = np.array(
    [25, 20, 17, 14, 12, 12, 16, 28, 46, 60, 66, 65, 62, 60, 58, 57, 57, 58, 58, 56, 50, 43, 37, 30], dtype=np.float64
)
"""Relative arrivals by hour of day (design, the shape of NHS A&E arrivals: a trough before dawn, a late-morning
peak held into the evening)."""

# --- health visiting ---
VISITS = (
    # type, window opens (days after birth), due by, share on time, share late, latest late visit (days after due)
    ("new_birth", 10, 14, 0.852, 0.128, 16),
    ("6_8_week", 42, 56, 0.83, 0.09, 28),
    ("1_year", 274, 365, 0.78, 0.104, 91),
    ("2_2_half_year", 730, 913, 0.808, 0.06, 90),
)
"""The four post-birth mandated reviews of the Healthy Child Programme, each due by the end of its window.

OHID health visitor service delivery metrics 2024/25: new-birth visits 85.2% within 14 days and 98.0% within 30
(so 12.8% late, 2.0% not within 30 days); 12-month reviews 88.4% by 15 months; 2-2.5 year reviews 80.8%. The
6-8 week share (83%, 2023/24 81.8% and 'over 80%' in 2024/25), the 12-month share by 12 months (78%, 74.6% in
2017/18 and rising) and the late shares of the last two reviews are design.
"""
VISIT_NEGLECT_WEIGHT = 1.0
"""Added to a child's risk when ranking who misses a review (design): reviews are missed more in neglect."""

# --- maternity ---
MOTHER_AGE_FROM = (0, 20, 25, 30, 35, 40)
MOTHER_AGE_SHARE = (0.025, 0.12, 0.26, 0.33, 0.21, 0.055)
"""Births by mother's age at delivery: <20, 20-24, 25-29, 30-34, 35-39, 40+ (population.md 3, shape only)."""
MOTHER_ROLE_WEIGHT = {"partner": 2.0, "parent": 2.0, "single": 1.0, "sharer": 1.0, "child": 0.5, "grandparent": 0.2}
"""Relative chance of a pregnancy by household role at the same age (design): most births are to couples."""
BOOKING_LATE = 0.15
"""Bookings after 12+6 weeks (design; NICE NG201 asks for booking by 10 weeks), twice as common with domestic
abuse or substance misuse in the household."""

# --- CAMHS ---
CAMHS_RATE = 0.08
"""Children referred to CAMHS in a year (uk-facts.md C: 949,200 of 11.9m children, 2022/23)."""
CAMHS_AGE_FROM = (0, 5, 11, 16)
CAMHS_AGE_WEIGHT = (0.15, 0.8, 1.6, 1.6)
"""Relative referral rates by age (design: referrals are concentrated in adolescence)."""
CAMHS_NEED_FACTOR = {
    "self_harm": 10.0,
    "child_sexual_exploitation": 5.0,
    "sexual_abuse": 4.0,
    "physical_abuse": 3.0,
    "emotional_abuse": 3.0,
    "child_criminal_exploitation": 3.0,
    "going_missing": 2.5,
    "neglect": 2.0,
}
"""Referral rate multipliers for children with each need (design; the largest applies)."""
CAMHS_RISK_WEIGHT = 0.3
"""Log referral rate per unit of risk (design): adversity raises mental ill health in children."""
SOURCES = ("GP", "education", "self/family", "A&E/acute", "social care", "police/youth justice", "other")
REASONS = (
    "anxiety",
    "low mood",
    "self-harm",
    "behaviour",
    "neurodevelopmental",
    "eating disorder",
    "trauma",
    "other",
)
CAMHS_SOURCE = np.array(
    [
        [0.38, 0.17, 0.15, 0.10, 0.06, 0.03, 0.11],  # under 11
        [0.38, 0.17, 0.15, 0.10, 0.06, 0.03, 0.11],  # 11-17
        [0.25, 0.10, 0.10, 0.40, 0.08, 0.02, 0.05],  # self-harm
        [0.20, 0.15, 0.05, 0.05, 0.45, 0.05, 0.05],  # abuse or neglect
        [0.15, 0.15, 0.05, 0.10, 0.30, 0.20, 0.05],  # exploitation or going missing
    ]
)
"""Source of referral by kind of child (design, after MHSDS source-of-referral groups: primary care first)."""
CAMHS_REASON = np.array(
    [
        [0.20, 0.05, 0.01, 0.25, 0.35, 0.02, 0.05, 0.07],  # under 11
        [0.30, 0.22, 0.10, 0.08, 0.15, 0.06, 0.04, 0.05],  # 11-17
        [0.10, 0.20, 0.60, 0.00, 0.00, 0.03, 0.05, 0.02],  # self-harm
        [0.15, 0.10, 0.05, 0.15, 0.05, 0.00, 0.45, 0.05],  # abuse or neglect
        [0.10, 0.15, 0.10, 0.25, 0.00, 0.00, 0.30, 0.10],  # exploitation or going missing
    ]
)
"""Primary reason for referral by kind of child (design)."""
ABUSE = ("neglect", "emotional_abuse", "physical_abuse", "sexual_abuse")
EXPLOITATION = ("child_sexual_exploitation", "child_criminal_exploitation", "going_missing")


@dataclass(frozen=True)
class HealthEvents:
    """One shard's health event tables, with the truth of whose record each row is kept alongside."""

    ae_attendances: pa.Table
    health_visits: pa.Table
    maternity_bookings: pa.Table
    camhs_referrals: pa.Table
    person_ids: dict[str, NDArray[np.int64]]  # per table: the person row (into pop.people) of each record
    keys: dict[str, NDArray[np.uint64]]  # per table: the numeric record id of each record (the writer's order)

    def agency_tables(self, pop: Population) -> list[AgencyTable]:
        """The tables in the form the writers take, with person rows turned into truth person ids."""
        return [
            AgencyTable(
                "health", name, getattr(self, name), self.keys[name], pop.people.person_id[self.person_ids[name]]
            )
            for name in TABLES
        ]


def health_events(plan: Plan, pop: Population, sim: Simulation, born: Births | None = None) -> HealthEvents:
    """A&E attendances, health-visiting reviews, maternity bookings and CAMHS referrals of one shard's residents.

    Each table draws from its own child of the shard's 'health-events' stream, so changing one table's model
    never shifts another's numbers.
    """
    ae_rng, visit_rng, maternity_rng, camhs_rng = shard_stream(plan.seed, pop.shard, "health-events").spawn(4)
    built = {
        "ae_attendances": _ae_attendances(ae_rng, plan, pop, sim),
        "health_visits": _health_visits(visit_rng, plan, pop, sim),
        "maternity_bookings": _maternity_bookings(maternity_rng, plan, pop, sim, born),
        "camhs_referrals": _camhs_referrals(camhs_rng, plan, pop, sim),
    }
    keys = {}
    tables = {}
    for name, (rows, columns) in built.items():
        key = record_ids(plan.record_key, TABLE_CODES[f"health/{name}"], pop.shard, len(rows))
        keys[name] = key
        tables[name] = pa.table({"record_id": format_record_ids(key), **columns})
    return HealthEvents(
        ae_attendances=tables["ae_attendances"],
        health_visits=tables["health_visits"],
        maternity_bookings=tables["maternity_bookings"],
        camhs_referrals=tables["camhs_referrals"],
        person_ids={name: rows for name, (rows, _) in built.items()},
        keys=keys,
    )


def _period(plan: Plan) -> tuple[np.datetime64, np.datetime64]:
    """The period's first and last days, as numpy days."""
    return np.datetime64(plan.period_start, "D"), np.datetime64(plan.period_end, "D")


def _days_between(
    rng: np.random.Generator, lo: NDArray[np.datetime64], hi: NDArray[np.datetime64]
) -> NDArray[np.datetime64]:
    """A day uniformly in [lo, hi] (inclusive), row by row."""
    span = (hi - lo).astype(np.int64) + 1
    result: NDArray[np.datetime64] = lo + np.floor(rng.random(len(span)) * span).astype("timedelta64[D]")
    return result


def _labels(labels: tuple[str, ...], index: NDArray[np.int64]) -> pa.Array:
    return pa.array(labels, pa.string()).take(pa.array(index, pa.int64()))


def _plus(day: NDArray[np.datetime64], days: int) -> NDArray[np.datetime64]:
    """Days later (numpy's stubs type datetime + timedelta as timedelta; this keeps the dates typed as dates)."""
    result: NDArray[np.datetime64] = (day + np.timedelta64(days, "D")).astype("datetime64[D]")
    return result


def _band(values: NDArray[np.int64] | NDArray[np.float64], starts: tuple[int, ...]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = np.searchsorted(np.array(starts), values, side="right") - 1
    return result


def _person(plan: Plan, pop: Population, rows: NDArray[np.int64]) -> Columns:
    """Who the record is about, as the person's true details (errors come later, from the data-quality model)."""
    p = pop.people
    home = pop.household_postcode[p.household[rows]]
    return {
        "nhs_number": pa.array(p.nhs_number[rows], pa.string()),
        **name_columns(pop, p, rows, middle=False),
        "date_of_birth": pa.array(p.date_of_birth[rows], pa.date32()),
        # NHS Data Dictionary 'person stated gender code': 1 male, 2 female
        "sex": pc.if_else(pa.array(p.female[rows], pa.bool_()), "2", "1"),
        "postcode": pa.array(plan.postcodes.postcode[home], pa.string()),
    }


def _ae_attendances(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """Poisson attendances per resident, rates by age raised by risk and need, then one row per attendance.

    Risk and need multiply the rate, and the multipliers are normalised to average 1 within each age band, so
    each band keeps its rate and risk decides only who attends. The needs' own attendances (self-harm, sexual
    exploitation) come on top, from the need's onset, with their own complaints.
    """
    p = pop.people
    start, end = _period(plan)
    live = np.flatnonzero(p.resident)
    age = p.age[live]
    band = _band(age, AE_AGE_FROM)
    child = age < 18
    needs = {name: mask[live] for name, mask in sim.needs.items()}
    any_need = sim.any_need()[live]
    maltreated = needs["neglect"] | needs["physical_abuse"]
    need_factor = np.where(
        needs["physical_abuse"],
        AE_NEED_FACTOR["physical_abuse"],
        np.where(needs["neglect"], AE_NEED_FACTOR["neglect"], 1.0),
    )
    abused_woman = p.female[live] & (age >= 16) & (age < 65) & sim.domestic_abuse[p.household[live]]
    factor = (
        np.exp(AE_RISK_WEIGHT * sim.risk[live]) * need_factor * np.where(abused_woman, AE_DOMESTIC_ABUSE_FACTOR, 1.0)
    )
    band_mean = np.bincount(band, weights=factor, minlength=len(AE_AGE_FROM)) / np.maximum(
        np.bincount(band, minlength=len(AE_AGE_FROM)), 1
    )
    base = np.array(AE_RATE)[band] / 1000.0 * factor / band_mean[band] * plan.years

    extra_rate = np.zeros(len(live))
    for name, rate in AE_NEED_EXTRA.items():
        extra_rate += rate * needs[name]
    has_extra = extra_rate > 0
    extra_from = np.full(len(live), start)
    extra_from[has_extra] = np.maximum(sim.onset[live[has_extra]], start)
    extra = extra_rate * ((end - extra_from).astype(np.int64) + 1) / YEAR_DAYS

    count = rng.poisson(base + extra)
    who = np.repeat(np.arange(len(live)), count)
    n = len(who)
    need_visit = rng.random(n) < (extra / (base + extra))[who]
    age_group = np.searchsorted(np.array([5, 18, 65]), age[who], side="right")  # 0 under 5 .. 3 65 and over
    profile = np.where(
        need_visit,
        NEED_VISIT,
        np.where(maltreated[who], MALTREATED_CHILD, np.where(abused_woman[who], ABUSED_WOMAN, age_group)),
    )
    complaint = categorical(rng, AE_PROFILES[profile])
    injury = (complaint == INJURY) | (complaint == OVERDOSE)  # ECDS counts poisonings among injuries
    mental = complaint == MENTAL_HEALTH
    overdose = complaint == OVERDOSE

    after = end + np.timedelta64(1, "D")  # moments fall before the day after the period
    arrived = moments(rng, np.where(need_visit, extra_from[who], start), after, n, ARRIVAL_HOUR)

    # arrival mode and discharge (design): older patients and overdoses come by ambulance; police bring people in
    # mental-health crises and exploited children; mental-health attendances are referred on (liaison psychiatry)
    adult_group = np.minimum(np.maximum(age_group - 1, 0), 2)  # 0 under 18, 1 18-64, 2 65 and over
    ambulance = np.where(overdose, 0.55, np.where(mental, 0.30, np.array([0.07, 0.18, 0.45])[adult_group]))
    police = np.where(need_visit, 0.12, np.where(mental, 0.10, np.where(overdose, 0.03, 0.005)))
    u = rng.random(n)
    mode = np.where(
        u < ambulance, 0, np.where(u < ambulance + police, 2, np.where(u < ambulance + police + 0.03, 3, 1))
    )
    admitted = np.where(overdose, 0.45, np.where(mental, 0.15, np.array([0.10, 0.18, 0.45])[adult_group]))
    left = np.where(mental, 0.06, 0.03)
    referred = np.where(mental, 0.40, np.where(overdose, 0.30, 0.10))
    u = rng.random(n)
    discharge = np.where(
        u < admitted, 1, np.where(u < admitted + left, 2, np.where(u < admitted + left + referred, 3, 0))
    )

    # safeguarding concern (design): a few of every child's attendances; a quarter of those of children with a
    # need; more for injuries to maltreated children and to infants (NICE CG89: an injury in a non-mobile infant
    # raises the question of maltreatment); most of the needs' own attendances; injuries to abused women
    concern = np.where(child[who], 0.03, 0.01)
    concern = np.where(child[who] & any_need[who], 0.25, concern)
    concern = np.where(injury & maltreated[who], 0.40, concern)
    concern = np.where(injury & (age[who] == 0), np.maximum(concern, 0.15), concern)
    concern = np.where(injury & abused_woman[who], 0.30, concern)
    concern = np.where(need_visit, 0.60, concern)
    safeguarding = rng.random(n) < concern

    rows = live[who]
    person = _person(plan, pop, rows)
    nhs_missing = rng.random(n) < AE_NHS_MISSING
    hospital_number = record_ids(
        plan.record_key, TABLE_CODES["health/ae_attendances"] + LOCAL_ID_OFFSET, pop.shard, len(p.person_id)
    )
    columns: Columns = {
        "nhs_number": pc.if_else(pa.array(nhs_missing, pa.bool_()), pa.scalar(None, pa.string()), person["nhs_number"]),
        "local_patient_id": local_ids(hospital_number[rows]),  # the trust's hospital number: one per patient
        **{k: v for k, v in person.items() if k != "nhs_number"},
        "arrived_at": pa.array(arrived, pa.timestamp("s")),
        "arrival_mode": _labels(ARRIVAL_MODES, mode),
        "chief_complaint_group": _labels(COMPLAINTS, complaint),
        "injury": pa.array(injury, pa.bool_()),
        "safeguarding_concern": pa.array(safeguarding, pa.bool_()),
        "discharge_destination": _labels(DISCHARGES, discharge),
    }
    return rows, columns


def _health_visits(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """The reviews of the Healthy Child Programme that fall due during the period.

    A review is due by the end of its window (14 days for the new-birth visit, 8 weeks, 12 months, 2.5 years);
    the children due in the period are those whose deadline falls in it. Which reviews are late or missed is set
    by rank, so each review's on-time share is England's exactly (up to rounding), and the rank follows the
    child's risk plus neglect: risky households miss more. A visit that would fall after the period's end is
    not yet on the record (null, as it would be in an extract taken then).
    """
    p = pop.people
    start, end = _period(plan)
    live = p.resident
    dob = p.date_of_birth.astype("datetime64[D]")
    kinds, all_rows, all_due, all_visit, all_within = [], [], [], [], []
    for kind, (_, opens, due_by, on_time, late, late_max) in enumerate(VISITS):
        due = _plus(dob, due_by)
        rows = np.flatnonzero(live & (due >= start) & (due <= end))
        n = len(rows)
        due = due[rows]
        neglect = sim.needs["neglect"][rows]
        score = sim.risk[rows] + VISIT_NEGLECT_WEIGHT * neglect + rng.normal(0.0, 1.0, n)
        not_on_time = top(score, round((1.0 - on_time) * n))
        late_given_not = late / (1.0 - on_time)
        is_late = not_on_time & (rng.random(n) < np.where(neglect, 0.6 * late_given_not, late_given_not))
        opened = np.maximum(_plus(dob[rows], opens), start)
        visit = np.where(
            not_on_time,
            _days_between(rng, _plus(due, 1), _plus(due, late_max)),
            _days_between(rng, opened, due),
        )
        visit[(not_on_time & ~is_late) | (visit > end)] = np.datetime64("NaT")
        kinds.append(np.full(n, kind))
        all_rows.append(rows)
        all_due.append(due)
        all_visit.append(visit)
        all_within.append(~not_on_time)
    rows = np.concatenate(all_rows)
    kind_of = np.concatenate(kinds)
    new_birth = kind_of == 0
    columns: Columns = {
        **_person(plan, pop, rows),
        "visit_type": _labels(tuple(v[0] for v in VISITS), kind_of),
        "due_date": pa.array(np.concatenate(all_due), pa.date32()),
        "visit_date": pa.array(np.concatenate(all_visit), pa.date32()),
        # the new-birth visit's own measure (OHID C2); the other reviews have none
        "within_14_days": pa.array(np.concatenate(all_within), pa.bool_(), mask=~new_birth),
    }
    return rows, columns


def _maternity_bookings(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation, born: Births | None = None
) -> tuple[NDArray[np.int64], Columns]:
    """Booking appointments during the period, one per pregnancy, at England's birth rate.

    The number of bookings is the birth rate times residents times years (a booking stands for the birth it
    leads to), split by the mother's age at delivery in England's shape; within each age band, women are chosen
    by household role (couples first) with exactly that band's count. The booking falls about 10-12 weeks into
    the pregnancy, so the expected delivery date is about 28 weeks later: in the period or after it.
    """
    p = pop.people
    start, end = _period(plan)
    age = p.age
    women = np.flatnonzero(p.resident & p.female & (age >= 16) & (age <= 45))
    # the age a woman will be at delivery, on average over the period: half the period plus about 6.5 months
    at_delivery = start + np.timedelta64(plan.days // 2 + 200, "D") - p.date_of_birth[women].astype("datetime64[D]")
    band = _band(at_delivery.astype(np.int64) / YEAR_DAYS, MOTHER_AGE_FROM)
    role_weight = np.zeros(len(ROLE))
    for role, weight in MOTHER_ROLE_WEIGHT.items():
        role_weight[ROLE[role]] = weight
    # weighted choice without replacement (Gumbel top-k): within a band, the highest log weight + Gumbel noise
    key = np.log(role_weight[p.role[women]] + 1e-12) + rng.gumbel(size=len(women))
    expected = plan.params["birth_rate"] * int(p.resident.sum()) * plan.years
    shares = np.array(MOTHER_AGE_SHARE) / sum(MOTHER_AGE_SHARE)
    chosen = []
    for b, share in enumerate(shares):
        where = np.flatnonzero(band == b)
        count = min(round(expected * share), len(where))
        chosen.append(women[where[np.argsort(-key[where], kind="stable")[:count]]])
    rows = np.sort(np.concatenate(chosen))
    n = len(rows)

    household = p.household[rows]
    domestic_abuse = sim.domestic_abuse[household]
    substance = sim.substance_misuse[household]
    mental_health = sim.parental_mental_health[household]
    late = rng.random(n) < BOOKING_LATE * np.where(domestic_abuse | substance, 2.0, 1.0)
    gestation = np.where(late, rng.integers(91, 169, n), rng.integers(70, 91, n))  # days since the last period
    booking = _days_between(rng, np.full(n, start), np.full(n, end))
    delivery = booking + (280 - gestation).astype("timedelta64[D]")  # Naegele: 280 days from the last period
    if born is not None:
        # the babies born in the period are the bookings' deliveries: each mother booked about 28 weeks before
        # the birth (those booked before the start are not this period's); the pregnancies drawn above stand only
        # for deliveries after the period
        later = (delivery > end) & ~np.isin(rows, born.mother)
        baby_late = rng.random(len(born)) < BOOKING_LATE * np.where(
            sim.domestic_abuse[born.household] | sim.substance_misuse[born.household], 2.0, 1.0
        )
        baby_gestation = np.where(baby_late, rng.integers(91, 169, len(born)), rng.integers(70, 91, len(born)))
        baby_booking = born.date_of_birth - (280 - baby_gestation).astype("timedelta64[D]")
        booked = baby_booking >= start
        rows = np.r_[rows[later], born.mother[booked]]
        late = np.r_[late[later], baby_late[booked]]
        booking = np.r_[booking[later], baby_booking[booked]]
        delivery = np.r_[delivery[later], born.date_of_birth[booked]]
        order = np.argsort(rows, kind="stable")
        rows, late, booking, delivery = rows[order], late[order], booking[order], delivery[order]
        n = len(rows)
        household = p.household[rows]
        domestic_abuse = sim.domestic_abuse[household]
        substance = sim.substance_misuse[household]
        mental_health = sim.parental_mental_health[household]
    under_18 = p.age[rows] < 18
    # concern noted at booking (design): a baseline, raised by each of the household's risks, youth, late booking
    no_concern = (
        (1 - 0.04)
        * (1 - 0.45 * domestic_abuse)
        * (1 - 0.55 * substance)
        * (1 - 0.25 * mental_health)
        * (1 - 0.30 * under_18)
        * (1 - 0.20 * late)
    )
    concern = rng.random(n) >= no_concern
    columns: Columns = {
        **_person(plan, pop, rows),
        "booking_date": pa.array(booking, pa.date32()),
        "expected_delivery_date": pa.array(delivery, pa.date32()),
        "safeguarding_concern": pa.array(concern, pa.bool_()),
    }
    return rows, columns


def _camhs_referrals(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation
) -> tuple[NDArray[np.int64], Columns]:
    """At most one referral per child in the period, 8% of children a year, far more often for children in need.

    A child's chance is a common scale times its age weight, need and risk; the scale is solved so the chances
    average 8% a year over the shard's children (a few fixed-point steps, as the largest chances are capped).
    The referral follows the need's onset when the need began during the period.
    """
    p = pop.people
    start, end = _period(plan)
    children = np.flatnonzero(p.resident & (p.age < 18))
    age = p.age[children]
    needs = {name: mask[children] for name, mask in sim.needs.items()}
    need_factor = np.ones(len(children))
    for name, multiplier in CAMHS_NEED_FACTOR.items():
        need_factor = np.where(needs[name], np.maximum(need_factor, multiplier), need_factor)
    weight = (
        np.array(CAMHS_AGE_WEIGHT)[_band(age, CAMHS_AGE_FROM)]
        * need_factor
        * np.exp(CAMHS_RISK_WEIGHT * sim.risk[children])
    )
    target = min(CAMHS_RATE * plan.years, 0.9)
    scale = target / max(mean_or_one(weight), 1e-12)
    for _ in range(6):
        chance = np.minimum(scale * weight, 0.95)
        scale *= target / max(mean_or_one(chance), 1e-12)
    chance = np.minimum(scale * weight, 0.95)
    referred = rng.random(len(children)) < chance
    rows = children[referred]
    n = len(rows)

    def any_of(names: tuple[str, ...]) -> NDArray[np.bool_]:
        result = np.zeros(n, bool)
        for name in names:
            result |= needs[name][referred]
        return result

    self_harm = needs["self_harm"][referred]
    profile = np.where(
        self_harm, 2, np.where(any_of(ABUSE), 3, np.where(any_of(EXPLOITATION), 4, (age[referred] >= 11).astype(int)))
    )
    source = categorical(rng, CAMHS_SOURCE[profile])
    reason = categorical(rng, CAMHS_REASON[profile])
    onset = sim.onset[rows]
    since = np.where(np.isnat(onset), start, np.maximum(onset, start))
    referral = _days_between(rng, since, np.full(n, end))
    columns: Columns = {
        **_person(plan, pop, rows),
        "referral_date": pa.array(referral, pa.date32()),
        "referral_source": _labels(SOURCES, source),
        "reason": _labels(REASONS, reason),
    }
    return rows, columns
