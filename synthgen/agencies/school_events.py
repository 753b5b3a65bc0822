"""School events: attendance by half-term, suspensions and permanent exclusions, in-year moves, and children
missing education, as schools and the local authority record them over the period.

Why one module: the four tables are one pupil's year seen four ways, and they must agree. A suspension's sessions
appear in the attendance return as code E in the half-term it began; a permanently excluded pupil leaves the roll
five school days later; a child removed from roll as missing education first shows ten school days of
unauthorised absence, has no attendance while off roll, and, if found, joins a school again, which is an in-year
move; a Year 6 pupil sits in a secondary school's returns from September and a Year 11 leaves at the end of June.
Who is absent, excluded, moved or missing follows the simulation's truth (risk, the household's risk factors and the
child's needs), so the school signals co-occur with police, health and social care as they do in life.

Everything is computed over whole columns: pupils x half-terms x (before, after a departure) as arrays, dates by
numpy's business-day functions over the school calendar. Counts of events are set from England's rates per pupil
(stochastically rounded, so shards sum to the rate without coordination) and shared out by weight, as
``simulate`` sets needs by rank: the rates hold exactly at any size while who gets the events follows the risk.

Figures (England, state-funded schools; DfE, explore-education-statistics.service.gov.uk):

- Absence, *Pupil absence in schools in England 2022/23*: overall 7.4% of sessions, authorised 5.0% (so
  unauthorised about a third); 2023/24: illness 3.5% of sessions, unauthorised other 1.7%, unauthorised holiday
  0.5%, authorised other 0.5%; primary 5.9% and secondary 9.0% (2022/23); terms 6.7% autumn, 7.2% spring,
  7.6% summer (2023/24). Persistent absence (10%+ of sessions) 22.5% of pupils in 2021/22, 20.1% in autumn
  2023/24; 37% of pupils eligible for free school meals (Children's Commissioner on the 2021/22 figures).
- Exclusions, *Suspensions and permanent exclusions in England 2023/24*: 954,952 suspensions (11.31 per 100
  pupils) and 10,900 permanent exclusions (0.13); persistent disruptive behaviour 51% of suspension reasons
  (then verbal abuse or threatening behaviour against an adult, then physical assault against a pupil) and 36%
  of permanent-exclusion reasons (then physical assault against a pupil, then against an adult; autumn 2023/24).
  FSM pupils had 573,538 suspensions (60%) and 6,929 permanent exclusions (64%); SEN support 330,908 and 4,639;
  EHC plans 101,381 and 1,044. Autumn 2023/24: suspension rate 0.83 in primary and 8.19 in secondary schools;
  660,463 days lost to 346,300 suspensions (1.9 days each); permanent exclusions in primary 511 of 4,168.
- Children missing education (*Children missing education*, autumn 2024/25): about 143,000 children at some
  point in 2024/25 against about 9.0m pupils (1.6%); 39,200 on the autumn census day, 54% boys.
- Registers: attendance codes from August 2024 (present / \\ L; approved activity K V P W B D; authorised C1 C2
  C M T R I J1 S E; unauthorised G N O U: *Working together to improve school attendance*, 2024). Schools
  open 190 days a year (380 sessions) with five INSET days; a suspended pupil is coded E for up to five days.
  Schools notify the LA after ten school days of continuous unexplained absence.

In-year moves and the CME reasons and durations are design figures (no national series gives them in this form):
they are marked where they are set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES, AgencyTable, nearest
from synthgen.agencies.producer import Context, Produced
from synthgen.agencies.school import Pupils, academic_year, year_groups
from synthgen.kernel import strings
from synthgen.kernel.arrays import categorical
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation

OVERALL_ABSENCE = 0.074
"""Sessions missed as a share of possible sessions (DfE, pupil absence 2022/23)."""
UNAUTHORISED_SHARE = 0.33
"""Unauthorised share of absence: 2022/23 authorised 5.0% of 7.4%, so 2.4 points (32%)."""
ABSENCE_SHAPE = 2.0
"""Beta shape (alpha) of the pupil's own absence propensity: tuned so that with the risk terms about 22% of pupils
miss 10% or more of sessions (DfE 2021/22: 22.5%; autumn 2023/24: 20.1%)."""
SECONDARY_ABSENCE = 1.45
"""Secondary over primary absence once FSM, SEN and risk are accounted for (DfE 2022/23: 9.0% against 5.9%)."""
HALF_TERM_ABSENCE = np.array([0.0, 0.88, 0.99, 1.03, 0.98, 1.0, 1.12])
"""Absence by half-term 1..6, relative: terms 6.7% autumn, 7.2% spring, 7.6% summer (DfE 2023/24)."""
AUTHORISED_SPLIT = (("illness_I", 0.79), ("medical_M", 0.09), ("religious_R", 0.01), ("authorised_other", 0.11))
"""Authorised absence other than exclusion, by code: illness 3.5% and authorised other 0.5% of sessions (DfE
2023/24); medical appointments and religious observance design. authorised_other holds C C1 C2 J1 S T."""
UNAUTHORISED_SPLIT = (
    ("unauthorised_other_O", 0.68),
    ("unauthorised_holiday_G", 0.20),
    ("no_reason_N", 0.06),
    ("late_after_close_U", 0.06),
)
"""Unauthorised absence by code: other 1.7% and holiday 0.5% of sessions (DfE 2023/24); N and U design."""
APPROVED_ACTIVITY = 0.006
"""Share of attended sessions at approved off-site activity (K V P W B D): design."""
LATE_BEFORE_CLOSE = 0.02
"""Share of attended sessions marked L (late before registers close, counted present): design."""

SUSPENSIONS_PER_PUPIL = 0.1131
"""Suspensions per pupil per year: 954,952 in 2023/24, 11.31 per 100 pupils (DfE)."""
PERMANENT_PER_PUPIL = 0.0013
"""Permanent exclusions per pupil per year: 10,900 in 2023/24, 0.13 per 100 (DfE)."""
SECONDARY_SUSPENSION = 10.0
"""Suspension and permanent-exclusion rate, secondary over primary: autumn 2023/24 8.19 against 0.83 (DfE)."""
SUSPENSIONS_PER_SUSPENDED = 2.5
"""Suspensions per suspended pupil: design, near DfE's earlier years (2018/19: 5.36 suspensions per 100 pupils
against about 2.1% of pupils suspended at least once; unconfirmed). Repeats fall on the most prone pupils."""
SUSPENSION_SESSIONS = ((1, 0.12), (2, 0.47), (4, 0.20), (6, 0.11), (10, 0.08), (20, 0.02))
"""Sessions per suspension: mean 3.7 sessions, 1.9 days (autumn 2023/24: 660,463 days over 346,300 suspensions)."""
PERMANENT_SESSIONS_ON_ROLL = 5
"""School days a permanently excluded pupil stays on roll coded E before alternative provision (DfE guidance)."""
SUSPENSION_REASONS = (
    ("persistent disruptive behaviour", 0.51),
    ("verbal abuse or threatening behaviour against an adult", 0.17),
    ("physical assault against a pupil", 0.115),
    ("verbal abuse or threatening behaviour against a pupil", 0.06),
    ("physical assault against an adult", 0.035),
    ("drug and alcohol related", 0.025),
    ("damage", 0.02),
    ("use or threat of use of an offensive weapon or prohibited item", 0.015),
    ("bullying", 0.01),
    ("racist abuse", 0.01),
    ("sexual misconduct", 0.01),
    ("inappropriate use of social media or online technology", 0.01),
    ("theft", 0.005),
    ("abuse against sexual orientation and gender identity", 0.005),
)
"""DfE reasons for suspension: persistent disruptive behaviour 51% and the order of the next two as DfE 2023/24; the
rest design, in the DfE's categories."""
PERMANENT_REASONS = (
    ("persistent disruptive behaviour", 0.36),
    ("physical assault against a pupil", 0.16),
    ("physical assault against an adult", 0.11),
    ("verbal abuse or threatening behaviour against an adult", 0.09),
    ("drug and alcohol related", 0.07),
    ("use or threat of use of an offensive weapon or prohibited item", 0.07),
    ("verbal abuse or threatening behaviour against a pupil", 0.03),
    ("damage", 0.02),
    ("sexual misconduct", 0.02),
    ("inappropriate use of social media or online technology", 0.02),
    ("bullying", 0.01),
    ("racist abuse", 0.01),
    ("theft", 0.01),
    ("abuse against sexual orientation and gender identity", 0.01),
)
"""DfE reasons for permanent exclusion: persistent disruptive behaviour 36% and the order of the next two as DfE
(autumn 2023/24); the rest design."""
EXPLOITATION_REASONS = {
    "drug and alcohol related": 6.0,
    "use or threat of use of an offensive weapon or prohibited item": 6.0,
    "physical assault against a pupil": 1.5,
    "physical assault against an adult": 1.5,
}
"""Reasons made likelier for children being criminally exploited (county lines carry drugs and weapons): design."""

MOVES_PER_PUPIL = 0.03
"""In-year moves between the area's schools per pupil per year, besides returns from missing education: design
(mobile pupils are poorer and more often known to services: FFT Education Datalab, Who's Left, 2021)."""
CME_PER_PUPIL = 143_000 / 9_000_000
"""Children missing education at some point in the year per pupil: about 143,000 in 2024/25 of about 9.0m (DfE)."""
CME_NOT_ON_ROLL_SHARE = 0.2
"""Share of CME never on the area's register (unsuitable home education, never registered): design."""
CME_UPN_UNKNOWN = 0.1
"""Share of former pupils whose UPN the LA's CME record lacks: design."""
CME_MEAN_DAYS = 90.0
"""Mean calendar days missing before a child is placed again: design; 39,200 on a census day against 143,000 in the
year (DfE 2024/25) puts the mean spell at about a quarter of a year."""
CME_REASONS_FROM_ROLL = (
    # reason, share, chance of being placed again, preceded by ten days of unexplained absence
    ("awaiting a school place after moving home", 0.35, 0.9, False),
    ("removed from roll after continuous absence", 0.25, 0.6, True),
    ("whereabouts unknown", 0.25, 0.3, True),
    ("believed to have left the country", 0.15, 0.1, True),
)
"""Why a pupil leaves the roll as missing education: design, in the terms of the DfE's statutory guidance."""
CME_REASONS_NOT_ON_ROLL = (
    ("awaiting a school place", 0.5),
    ("unsuitable elective home education", 0.35),
    ("whereabouts unknown", 0.15),
)
"""Why a child never on the area's register is missing education: design."""
ABSENT_BEFORE_CME = 20
"""Sessions of unexplained absence before removal from roll: ten school days (DfE attendance guidance, 2024)."""

ATTENDANCE_COUNTS = (
    "present",
    "late_L",
    "approved_activity",
    "authorised_absence",
    "illness_I",
    "medical_M",
    "religious_R",
    "excluded_E",
    "authorised_other",
    "unauthorised_absence",
    "unauthorised_other_O",
    "unauthorised_holiday_G",
    "no_reason_N",
    "late_after_close_U",
)
"""Attendance count columns after possible_sessions. present includes L; authorised_absence is the sum of I M R E
and authorised_other; unauthorised_absence the sum of O G N U."""


@dataclass(frozen=True)
class SchoolEvents:
    """One shard's school event tables, with the truth of whose record each row is (kept apart on writing)."""

    attendance: pa.Table
    exclusions: pa.Table
    moves: pa.Table
    missing_education: pa.Table
    person_ids: dict[str, NDArray[np.int64]]  # table name -> person_id of each row, aligned
    keys: dict[str, NDArray[np.uint64]]  # table name -> record id as a number, aligned

    def agency_tables(self) -> list[AgencyTable]:
        """The four tables as AgencyTables, for the writers."""
        tables = {
            "attendance": self.attendance,
            "exclusions": self.exclusions,
            "moves": self.moves,
            "missing_education": self.missing_education,
        }
        return [
            AgencyTable("school", name, table, self.keys[name], self.person_ids[name]) for name, table in tables.items()
        ]


@dataclass(frozen=True)
class HalfTerms:
    """The half-terms overlapping the period, each counted only for its school days inside the period."""

    year_label: NDArray[np.object_]  # "2023/24"
    number: NDArray[np.int64]  # 1 autumn 1 .. 6 summer 2
    offset: NDArray[np.int64]  # academic years after the one running at the start of the period
    start: NDArray[np.datetime64]  # first day counted
    end: NDArray[np.datetime64]  # the day after the last day counted
    calendar: np.busdaycalendar  # weekdays less bank holidays and INSET days


def _easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian; the anonymous algorithm of Meeus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> dt.date:
    end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return end - dt.timedelta(days=end.weekday())


def _friday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def _school_year(year: int) -> tuple[list[tuple[dt.date, dt.date]], list[dt.date]]:
    """Half-terms of the academic year starting in September `year` as (first day, day after the last), and its
    INSET days and term-time bank holidays.

    A typical English LA calendar: autumn from the first Monday of September to the October half-term (the week of
    the last Monday in October) and on to the Friday before 23 December; spring from the first Monday after New
    Year to the February half-term (the third Monday) and on to the Easter holiday (two weeks from the Monday of
    Holy Week); summer to the late-May bank holiday week and on to the Friday before 23 July. Five INSET days and
    the early-May bank holiday leave about 190 school days.
    """
    autumn = _monday_on_or_after(dt.date(year, 9, 1))
    october = _last_monday(year, 10)
    christmas = _friday_on_or_before(dt.date(year, 12, 22)) + dt.timedelta(days=1)
    spring = _monday_on_or_after(dt.date(year + 1, 1, 2))
    february = _monday_on_or_after(dt.date(year + 1, 2, 15))
    easter = _easter(year + 1) - dt.timedelta(days=6)  # Monday of Holy Week
    may = _last_monday(year + 1, 5)
    july = _friday_on_or_before(dt.date(year + 1, 7, 22)) + dt.timedelta(days=1)
    week = dt.timedelta(days=7)
    terms = [
        (autumn, october),
        (october + week, christmas),
        (spring, february),
        (february + week, easter),
        (easter + 2 * week, may),
        (may + week, july),
    ]
    early_may = _monday_on_or_after(dt.date(year + 1, 5, 1))
    inset = [autumn, autumn + dt.timedelta(days=1), spring, easter + 2 * week, july - dt.timedelta(days=1)]
    return terms, [*inset, early_may]


def school_year_half_terms(year: int) -> list[tuple[dt.date, dt.date]]:
    """The half-terms of the academic year starting in September `year`: (first day, day after the last)."""
    return _school_year(year)[0]


def half_terms(plan: Plan) -> HalfTerms:
    """The half-terms overlapping the period (a 1 April start gives summer 1 and 2, then autumn and spring)."""
    first = academic_year(plan)
    last = plan.period_end.year if plan.period_end.month >= 9 else plan.period_end.year - 1
    start = np.datetime64(plan.period_start, "D")
    stop = np.datetime64(plan.period_end, "D") + 1
    labels, numbers, offsets, starts, ends, holidays = [], [], [], [], [], []
    for year in range(first, last + 1):
        terms, days_off = _school_year(year)
        holidays += days_off
        for number, (begin, end) in enumerate(terms, start=1):
            labels.append(f"{year}/{(year + 1) % 100:02d}")
            numbers.append(number)
            offsets.append(year - first)
            starts.append(max(np.datetime64(begin, "D"), start))
            ends.append(min(np.datetime64(end, "D"), stop))
    calendar = np.busdaycalendar(holidays=np.array(holidays, dtype="datetime64[D]"))
    s = np.array(starts, dtype="datetime64[D]")
    e = np.array(ends, dtype="datetime64[D]")
    keep = np.busday_count(s, np.maximum(s, e), busdaycal=calendar) > 0
    return HalfTerms(
        year_label=np.array(labels, dtype=object)[keep],
        number=np.array(numbers, dtype=np.int64)[keep],
        offset=np.array(offsets, dtype=np.int64)[keep],
        start=s[keep],
        end=e[keep],
        calendar=calendar,
    )


def _round(rng: np.random.Generator, expected: float) -> int:
    """Stochastic rounding: unbiased, so shards add up to the rate without coordination."""
    return int(np.floor(expected + rng.random()))


def _choose(rng: np.random.Generator, weight: NDArray[np.float64], count: int) -> NDArray[np.int64]:
    """`count` distinct rows with chance rising with weight (rows of zero weight never)."""
    count = min(count, int((weight > 0).sum()))
    if count == 0:
        return np.zeros(0, np.int64)
    chosen: NDArray[np.int64] = rng.choice(len(weight), size=count, replace=False, p=weight / weight.sum())
    return np.sort(chosen)


def _pick_day(
    rng: np.random.Generator,
    start: NDArray[np.datetime64],
    days: NDArray[np.int64],
    weight: NDArray[np.float64],
    calendar: np.busdaycalendar,
) -> tuple[NDArray[np.int64], NDArray[np.datetime64]]:
    """For each row of (rows, half-terms) arrays: a half-term with chance days x weight, then a school day in it."""
    h = categorical(rng, days * weight)
    rows = np.arange(len(days))
    offset = np.floor(rng.random(len(days)) * days[rows, h]).astype(np.int64)
    return h, np.busday_offset(start[rows, h], offset, roll="forward", busdaycal=calendar)


def _other_school(
    rng: np.random.Generator, candidates: NDArray[np.int64], current: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A nearby school other than the current one (the nearest most often); the current one when none other."""
    valid = candidates != current[:, None]
    ordered = np.take_along_axis(candidates, np.argsort(~valid, axis=1, kind="stable"), axis=1)
    weights = np.array([0.5, 0.3, 0.2, 0.1])[: candidates.shape[1]]
    pick = rng.choice(len(weights), size=len(current), p=weights / weights.sum())
    pick = np.minimum(pick, np.maximum(valid.sum(axis=1) - 1, 0))
    result: NDArray[np.int64] = np.where(valid.any(axis=1), ordered[np.arange(len(current)), pick], current)
    return result


def _academic_offset(day: NDArray[np.datetime64], first: int) -> NDArray[np.int64]:
    """Academic years (from September) after `first` in which each day falls."""
    months = day.astype("datetime64[M]").astype(np.int64)
    result: NDArray[np.int64] = months // 12 + 1970 - (months % 12 < 8) - first
    return result


def _binomial(rng: np.random.Generator, n: NDArray[np.int64], p: NDArray[np.float64] | float) -> NDArray[np.int64]:
    result: NDArray[np.int64] = rng.binomial(np.maximum(n, 0), np.clip(p, 0.0, 1.0)).astype(np.int64)
    return result


def _split(
    rng: np.random.Generator, total: NDArray[np.int64], shares: tuple[tuple[str, float], ...]
) -> dict[str, NDArray[np.int64]]:
    """Split counts across codes by shares (a multinomial, as successive binomials)."""
    parts = {}
    left = total.copy()
    remaining = sum(share for _, share in shares)
    for name, share in shares[:-1]:
        parts[name] = _binomial(rng, left, share / remaining)
        left = left - parts[name]
        remaining -= share
    parts[shares[-1][0]] = left
    return parts


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result


def school_events(plan: Plan, pop: Population, sim: Simulation, pupils: Pupils) -> SchoolEvents:
    """Attendance, exclusions, moves and children missing education for one shard's pupils over the period."""
    rng = shard_stream(plan.seed, pop.shard, "school-events")
    p = pop.people
    register = pupils.table
    person = pupils.person_id - pop.shard * ID_STRIDE
    n = len(person)
    hh = p.household[person]
    group = year_groups(plan, p.date_of_birth[person])
    fsm = register["fsm_eligible"].to_numpy(zero_copy_only=False).astype(bool)
    sen = register["sen_provision"].to_numpy(zero_copy_only=False)
    ehc = (sen == "E").astype(float)
    support = (sen == "K").astype(float)
    boy = (~p.female[person]).astype(float)
    need = {name: mask[person].astype(float) for name, mask in sim.needs.items()}
    risk = sim.risk[person]
    factors = (
        sim.domestic_abuse[hh].astype(float)
        + sim.parental_mental_health[hh].astype(float)
        + sim.substance_misuse[hh].astype(float)
    )
    upn = register["upn"]
    years = plan.years

    # --- schools: the register's school, the secondary a Year 6 pupil moves up to, and nearby alternatives ---
    schools = plan.schools
    school0 = pupils.school
    secondary = schools.kind == "secondary"
    pcs = plan.postcodes
    home = pop.household_postcode[hh]
    near = {}
    for phase in (False, True):
        of_phase = np.flatnonzero(secondary == phase)
        near[phase] = of_phase[
            nearest(
                pcs.easting[home],
                pcs.northing[home],
                pcs.easting[schools.postcode_index[of_phase]],
                pcs.northing[schools.postcode_index[of_phase]],
                4,
            )
        ]
    second_choice = rng.random(len(pop.household_id))[hh] < 0.25  # siblings go up to the same school
    nearest_secondary = _pad(near[True], 2)
    transfer = np.where(second_choice, nearest_secondary[:, 1], nearest_secondary[:, 0])
    ht = half_terms(plan)
    n_ht = len(ht.number)
    first_year = academic_year(plan)
    offsets = np.arange(int(ht.offset.max(initial=0)) + 1)
    moved_up = (group[:, None] < 7) & (group[:, None] + offsets[None, :] >= 7)
    school_by_year = np.where(moved_up, transfer[:, None], school0[:, None])
    school_base = school_by_year[:, ht.offset]  # (pupils, half-terms)

    # --- time on roll: Year 11 leave on the last Friday of June ---
    june = np.array([_friday_on_or_before(dt.date(first_year + 12 - g, 6, 30)) for g in range(12)], "datetime64[D]")
    roll_end = june[group] + 1
    starts = np.broadcast_to(ht.start, (n, n_ht))
    base_end = np.minimum(ht.end[None, :], roll_end[:, None])
    base_days = np.busday_count(starts, np.maximum(starts, base_end), busdaycal=ht.calendar)
    phase_factor = np.where(secondary[school_base], SECONDARY_SUSPENSION, 1.0)

    # --- proneness to exclusion: who is suspended, how often, and (mostly among them) who is excluded for good ---
    cce = need["child_criminal_exploitation"]
    exclusion_weight = np.exp(
        0.4 * boy
        + 0.9 * fsm
        + 0.75 * support
        + 0.75 * ehc
        + 0.05 * risk
        + 0.6 * cce
        + 0.15 * need["child_sexual_exploitation"]
        + 0.1 * need["going_missing"]
        + 0.1 * factors
    )
    never = np.datetime64(plan.period_end, "D") + 1
    leave = np.full(n, never)
    rejoin = np.full(n, never)
    departed = np.zeros(n, bool)

    # suspensions per pupil: England's count shared out by proneness and time on roll (secondary ten times primary);
    # a first suspension each for the chosen pupils, then the repeats among them, to the most prone most often
    exposure = exclusion_weight * (base_days * phase_factor).sum(axis=1)
    n_susp = _round(rng, SUSPENSIONS_PER_PUPIL * n * years)
    suspended = _choose(rng, exposure, round(n_susp / SUSPENSIONS_PER_SUSPENDED))
    suspensions = np.zeros(n, np.int64)
    suspensions[suspended] = 1
    if len(suspended):
        repeats = rng.choice(suspended, size=n_susp - len(suspended), p=exposure[suspended] / exposure[suspended].sum())
        suspensions += np.bincount(repeats, minlength=n)
    # permanent exclusions, mostly of the suspended: on roll five more school days (coded E), then alternative
    # provision, which is outside the area's school register
    permanent_weight = exposure * np.exp(0.25 * boy + 0.3 * fsm + 0.4 * support + 0.3 * cce) * (suspensions + 0.2)
    excluded = _choose(rng, permanent_weight, _round(rng, PERMANENT_PER_PUPIL * n * years))
    h_pex, pex_date = _pick_day(rng, starts[excluded], base_days[excluded], phase_factor[excluded], ht.calendar)
    pex_leave = np.minimum(
        np.busday_offset(pex_date, PERMANENT_SESSIONS_ON_ROLL, roll="forward", busdaycal=ht.calendar), ht.end[h_pex]
    )
    leave[excluded] = pex_leave
    departed[excluded] = True

    # children missing education who were on the roll: removed on the reported date, some placed again later
    cme_weight = np.exp(
        0.2 * boy
        + 0.6 * fsm
        + 0.25 * risk
        + 1.8 * need["going_missing"]
        + 1.3 * cce
        + 1.1 * need["child_sexual_exploitation"]
        + 1.0 * need["neglect"]
        + 0.3 * factors
        + 0.4 * (group >= 7)
    ) * base_days.sum(axis=1)
    cme_total = _round(rng, CME_PER_PUPIL * n * years)
    n_cme_pupils = round(cme_total * (1 - CME_NOT_ON_ROLL_SHARE))
    missing = _choose(rng, np.where(departed, 0.0, cme_weight), n_cme_pupils)
    h_cme, cme_date = _pick_day(rng, starts[missing], base_days[missing], np.ones((len(missing), n_ht)), ht.calendar)
    reason_shares = np.array([[r[1] for r in CME_REASONS_FROM_ROLL]])
    cme_reason = categorical(rng, np.repeat(reason_shares, len(missing), axis=0))
    placed = rng.random(len(missing)) < np.array([r[2] for r in CME_REASONS_FROM_ROLL])[cme_reason]
    gap = np.ceil(rng.exponential(CME_MEAN_DAYS, len(missing))).astype(np.int64).astype("timedelta64[D]")
    leave[missing] = cme_date
    rejoin[missing] = np.where(placed, np.minimum(cme_date + gap, never), never)
    departed[missing] = True
    same_school = np.zeros(n, bool)
    same_school[missing] = rng.random(len(missing)) < 0.3

    # ordinary in-year moves: more for poorer and at-risk pupils
    any_need = sim.any_need()[person].astype(float)
    move_weight = np.exp(0.7 * fsm + 0.2 * risk + 0.8 * any_need + 0.3 * factors) * base_days.sum(axis=1)
    movers = _choose(rng, np.where(departed, 0.0, move_weight), _round(rng, MOVES_PER_PUPIL * n * years))
    _, move_date = _pick_day(rng, starts[movers], base_days[movers], np.ones((len(movers), n_ht)), ht.calendar)
    leave[movers] = move_date
    rejoin[movers] = move_date
    departed[movers] = True

    # the school joined on return: of the phase the child is in by then
    returning = np.flatnonzero(rejoin < never)
    year_back = np.minimum(_academic_offset(rejoin[returning], first_year), offsets[-1])
    was_at = school_by_year[returning, year_back]
    back_secondary = group[returning] + year_back >= 7
    candidates = np.where(back_secondary[:, None], _pad(near[True], 4)[returning], _pad(near[False], 4)[returning])
    new_school = school0.copy()
    new_school[returning] = np.where(same_school[returning], was_at, _other_school(rng, candidates, was_at))
    year_rejoin = np.zeros(n, np.int64)
    year_rejoin[returning] = year_back

    # --- attendance rows: each pupil x half-term, before a departure (A) and after a return (B) ---
    end_a = np.minimum(base_end, leave[:, None])
    start_b = np.maximum(starts, rejoin[:, None])
    days = np.stack(
        [
            np.busday_count(starts, np.maximum(starts, end_a), busdaycal=ht.calendar),
            np.busday_count(start_b, np.maximum(start_b, base_end), busdaycal=ht.calendar),
        ],
        axis=2,
    )
    moved_up_after = (group + year_rejoin < 7)[:, None] & (group[:, None] + ht.offset[None, :] >= 7)
    school_b = np.where(
        (ht.offset[None, :] > year_rejoin[:, None]) & moved_up_after, transfer[:, None], new_school[:, None]
    )
    keep = days > 0
    row_of = np.where(keep, np.cumsum(keep.ravel()).reshape(keep.shape) - 1, -1)
    row_pupil, row_h, row_seg = np.nonzero(keep)
    row_days = days[keep]
    row_start = np.where(row_seg == 0, starts[row_pupil, row_h], start_b[row_pupil, row_h])
    row_school = np.where(row_seg == 0, school_base[row_pupil, row_h], school_b[row_pupil, row_h])
    possible = 2 * row_days
    n_rows = len(row_pupil)

    # --- suspensions dated: each in one of its pupil's half-terms on roll, by school days and phase ---
    row_secondary = secondary[row_school]
    cumulative = np.cumsum(np.where(row_secondary, SECONDARY_SUSPENSION, 1.0) * row_days)
    pupil_rows = np.searchsorted(row_pupil, np.arange(n + 1))
    below = np.r_[0.0, cumulative][pupil_rows]
    susp_pupil = np.repeat(np.arange(n), suspensions)
    susp_pupil = susp_pupil[below[susp_pupil + 1] > below[susp_pupil]]  # a pupil off roll all period has no rows
    span = below[susp_pupil + 1] - below[susp_pupil]
    susp_row = np.searchsorted(cumulative, below[susp_pupil] + rng.random(len(susp_pupil)) * span, side="right")
    susp_row = np.minimum(susp_row, pupil_rows[susp_pupil + 1] - 1)
    n_susp = len(susp_row)
    susp_date = np.busday_offset(
        row_start[susp_row],
        np.floor(rng.random(n_susp) * row_days[susp_row]).astype(np.int64),
        roll="forward",
        busdaycal=ht.calendar,
    )
    lengths = np.array([s for s, _ in SUSPENSION_SESSIONS])
    susp_sessions = lengths[rng.choice(len(lengths), size=n_susp, p=np.array([w for _, w in SUSPENSION_SESSIONS]))]
    susp_reason = _reasons(rng, SUSPENSION_REASONS, cce[row_pupil[susp_row]])
    pex_reason = _reasons(rng, PERMANENT_REASONS, cce[excluded])
    pex_row = row_of[excluded, h_pex, 0]
    pex_sessions = 2 * np.busday_count(pex_date, pex_leave, busdaycal=ht.calendar)
    excluded_e = np.bincount(susp_row, weights=susp_sessions, minlength=n_rows)
    excluded_e += np.bincount(pex_row, weights=pex_sessions, minlength=n_rows)
    excluded_e = np.minimum(excluded_e.astype(np.int64), possible)

    # --- ten days' unexplained absence before removal from roll as missing education ---
    absent_first = np.array([r[3] for r in CME_REASONS_FROM_ROLL])[cme_reason]
    last_row = row_of[missing, h_cme, 0]
    flagged = absent_first & (last_row >= 0)
    forced = np.bincount(last_row[flagged], minlength=n_rows).astype(np.int64) * ABSENT_BEFORE_CME
    forced = np.minimum(forced, possible - excluded_e)

    # --- absence: a Beta propensity per pupil, raised by risk, scaled to England's overall rate ---
    propensity = rng.beta(ABSENCE_SHAPE, ABSENCE_SHAPE * (1 - OVERALL_ABSENCE) / OVERALL_ABSENCE, n) * np.exp(
        0.5 * fsm
        + 0.35 * ehc
        + 0.3 * support
        + 0.1 * risk
        + 0.15 * factors
        + 0.9 * need["neglect"]
        + 1.1 * need["going_missing"]
        + 1.1 * cce
        + 0.9 * need["child_sexual_exploitation"]
        + 0.5 * need["self_harm"]
        + 0.3 * (need["emotional_abuse"] + need["physical_abuse"] + need["sexual_abuse"])
    )
    spell = rng.gamma(6.0, 1.0 / 6.0, n_rows)  # illnesses and bad patches come in spells
    raw = (
        propensity[row_pupil]
        * np.where(row_secondary, SECONDARY_ABSENCE, 1.0)
        * HALF_TERM_ABSENCE[ht.number[row_h]]
        * spell
    )
    available = possible - excluded_e - forced
    target = OVERALL_ABSENCE * possible.sum() - excluded_e.sum() - forced.sum()
    rate = np.zeros(n_rows)
    scale = max(target, 0.0) / max(float((raw * available).sum()), 1e-9)
    for _ in range(3):  # the cap at 95% loses a little; rescale to put it back
        rate = np.minimum(scale * raw, 0.95)
        scale *= max(target, 0.0) / max(float((rate * available).sum()), 1e-9)
    school_days_left = available // 2
    whole_days = _binomial(rng, school_days_left, 0.9 * rate)
    half_days = _binomial(rng, available - 2 * whole_days, 0.1 * rate / (1 - 0.9 * rate))
    absent = 2 * whole_days + half_days

    # unauthorised share: higher for poorer, secondary and at-risk pupils; intercept set to a third overall
    lean = (
        0.5 * fsm
        + 0.2 * risk
        + 0.5 * (group >= 7)
        + 0.9 * np.minimum(need["neglect"] + need["going_missing"] + cce + need["child_sexual_exploitation"], 1)
    )
    absent_by_pupil = np.bincount(row_pupil, weights=absent, minlength=n)
    wanted = UNAUTHORISED_SHARE * (absent.sum() + excluded_e.sum() + forced.sum()) - forced.sum()
    low, high = -8.0, 4.0
    for _ in range(40):
        mid = (low + high) / 2
        if (absent_by_pupil * _sigmoid(mid + lean)).sum() < wanted:
            low = mid
        else:
            high = mid
    unauthorised = _binomial(rng, absent, _sigmoid(low + lean)[row_pupil])
    authorised = absent - unauthorised
    codes = {**_split(rng, authorised, AUTHORISED_SPLIT), **_split(rng, unauthorised, UNAUTHORISED_SPLIT)}
    codes["excluded_E"] = excluded_e
    codes["unauthorised_other_O"] = codes["unauthorised_other_O"] + forced
    attended = available - absent
    codes["approved_activity"] = _binomial(rng, attended, APPROVED_ACTIVITY)
    codes["present"] = attended - codes["approved_activity"]
    codes["late_L"] = _binomial(rng, codes["present"], LATE_BEFORE_CLOSE)
    codes["authorised_absence"] = authorised + excluded_e
    codes["unauthorised_absence"] = unauthorised + forced

    urn = pa.array(schools.code, pa.string())
    keys: dict[str, NDArray[np.uint64]] = {}
    person_ids: dict[str, NDArray[np.int64]] = {}

    def ids(name: str, count: int) -> pa.Array:
        keys[name] = record_ids(plan.record_key, TABLE_CODES[f"school/{name}"], pop.shard, count)
        return format_record_ids(keys[name])

    attendance = pa.table(
        {
            "record_id": ids("attendance", n_rows),
            "upn": upn.take(pa.array(row_pupil)),
            "school_urn": urn.take(pa.array(row_school)),
            "academic_year": pa.array(ht.year_label[row_h], pa.string()),
            "half_term": pa.array(ht.number[row_h], pa.int8()),
            "possible_sessions": pa.array(possible, pa.int16()),
            **{name: pa.array(codes[name], pa.int16()) for name in ATTENDANCE_COUNTS},
        }
    )
    person_ids["attendance"] = pupils.person_id[row_pupil]

    # --- exclusions: suspensions, then permanent exclusions ---
    ex_pupil = np.concatenate([row_pupil[susp_row], excluded])
    n_susp_rows = len(susp_row)
    exclusions = pa.table(
        {
            "record_id": ids("exclusions", len(ex_pupil)),
            "upn": upn.take(pa.array(ex_pupil)),
            "school_urn": urn.take(pa.array(np.concatenate([row_school[susp_row], school_base[excluded, h_pex]]))),
            "category": pa.array(
                np.repeat(np.array(["suspension", "permanent"], dtype=object), [n_susp_rows, len(excluded)])
            ),
            "start_date": pa.array(np.concatenate([susp_date, pex_date]), pa.date32()),
            "sessions": pa.array(
                np.concatenate([susp_sessions, np.zeros(len(excluded), np.int64)]),
                pa.int16(),
                mask=np.r_[np.zeros(n_susp_rows, bool), np.ones(len(excluded), bool)],
            ),
            "reason": pa.array(np.concatenate([susp_reason, pex_reason]), pa.string()),
        }
    )
    person_ids["exclusions"] = pupils.person_id[ex_pupil]

    # --- moves: the first school joined after leaving another, where the school differs ---
    after = np.flatnonzero(row_seg == 1)
    joined_pupil, first = np.unique(row_pupil[after], return_index=True)
    first_row = after[first]
    h_left = np.minimum(np.searchsorted(ht.end, leave[joined_pupil], side="right"), n_ht - 1)
    from_school = school_base[joined_pupil, h_left]
    real = row_school[first_row] != from_school
    mover = joined_pupil[real]
    moves = pa.table(
        {
            "record_id": ids("moves", len(mover)),
            "upn": upn.take(pa.array(mover)),
            "from_urn": urn.take(pa.array(from_school[real])),
            "to_urn": urn.take(pa.array(row_school[first_row[real]])),
            "move_date": pa.array(row_start[first_row[real]], pa.date32()),
        }
    )
    person_ids["moves"] = pupils.person_id[mover]

    missing_education, cme_person = _missing_education(
        rng, plan, pop, sim, ht, pupils, missing, cme_date, cme_reason, cme_total - len(missing), ids
    )
    person_ids["missing_education"] = cme_person
    return SchoolEvents(attendance, exclusions, moves, missing_education, person_ids, keys)


def _pad(candidates: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """Repeat the last column so phases with fewer schools than `width` line up."""
    if candidates.shape[1] >= width:
        return candidates[:, :width]
    extra = np.repeat(candidates[:, -1:], width - candidates.shape[1], axis=1)
    return np.concatenate([candidates, extra], axis=1)


def _reasons(
    rng: np.random.Generator, table: tuple[tuple[str, float], ...], exploited: NDArray[np.float64]
) -> NDArray[np.object_]:
    """A DfE reason per exclusion; drugs, weapons and assault likelier for criminally exploited children."""
    names = np.array([name for name, _ in table], dtype=object)
    base = np.array([share for _, share in table])
    tilt = base * np.array([EXPLOITATION_REASONS.get(name, 1.0) for name, _ in table])
    weights = np.where(exploited[:, None] > 0, tilt[None, :], base[None, :])
    result: NDArray[np.object_] = names[categorical(rng, weights)]
    return result


def _missing_education(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    ht: HalfTerms,
    pupils: AgencyTable,
    missing: NDArray[np.int64],
    cme_date: NDArray[np.datetime64],
    cme_reason: NDArray[np.int64],
    not_on_roll: int,
    ids: Callable[[str, int], pa.Array],
) -> tuple[pa.Table, NDArray[np.int64]]:
    """The LA's CME records: former pupils (with the UPN, mostly) and school-age children never on the register."""
    p = pop.people
    on_register = np.zeros(len(p.person_id), bool)
    on_register[pupils.person_id - pop.shard * ID_STRIDE] = True
    group = year_groups(plan, p.date_of_birth)
    # compulsory school age (Year 1 on), resident, not on the register: independent schools and home education
    candidates = np.flatnonzero(p.resident & (group >= 1) & (group <= 11) & ~on_register)
    weight = np.exp(
        1.5 * pop.household_deprivation[p.household[candidates]]
        + 0.25 * sim.risk[candidates]
        + 1.5 * sim.needs["going_missing"][candidates]
        + 1.0 * sim.needs["neglect"][candidates]
    )
    others = candidates[_choose(rng, weight, not_on_roll)]
    starts = np.broadcast_to(ht.start, (len(others), len(ht.start)))
    ends = np.broadcast_to(ht.end, (len(others), len(ht.start)))
    days = np.busday_count(starts, ends, busdaycal=ht.calendar)
    _, other_date = _pick_day(rng, starts, days, np.ones(days.shape), ht.calendar)
    other_reason = np.array([r[0] for r in CME_REASONS_NOT_ON_ROLL], dtype=object)[
        rng.choice(len(CME_REASONS_NOT_ON_ROLL), size=len(others), p=[r[1] for r in CME_REASONS_NOT_ON_ROLL])
    ]
    rows = np.concatenate([pupils.person_id[missing] - pop.shard * ID_STRIDE, others])
    upn_known = rng.random(len(missing)) >= CME_UPN_UNKNOWN
    upn = pc.if_else(
        pa.array(np.r_[upn_known, np.zeros(len(others), bool)]),
        pa.concat_arrays(
            [
                pupils.table["upn"].combine_chunks().take(pa.array(missing)),
                pa.nulls(len(others), pa.string()),
            ]
        ),
        pa.scalar(None, pa.string()),
    )
    forenames = pa.array(pop.forenames, pa.string())
    surnames = pa.array(pop.surnames, pa.string())
    family = strings.surnames(surnames, p.surname_1[rows], p.surname_2[rows])
    known_as = strings.surnames(surnames, p.preferred_surname_1[rows], p.preferred_surname_2[rows])
    table = pa.table(
        {
            "record_id": ids("missing_education", len(rows)),
            "upn": upn,
            "given_name": strings.names(forenames, p.given_name[rows]),
            "family_name": pc.coalesce(known_as, family),
            "date_of_birth": pa.array(p.date_of_birth[rows], pa.date32()),
            "reported_date": pa.array(np.concatenate([cme_date, other_date]), pa.date32()),
            "reason": pa.array(
                np.concatenate(
                    [np.array([r[0] for r in CME_REASONS_FROM_ROLL], dtype=object)[cme_reason], other_reason]
                ),
                pa.string(),
            ),
        }
    )
    return table, p.person_id[rows]


def produce(ctx: Context) -> Produced:
    """The school year of the pupils on the register, with the planted storylines' absence and suspensions."""
    if ctx.pupils is None:
        raise ValueError("the school register is made before the school year")
    tables = school_events(ctx.plan, ctx.pop, ctx.sim, ctx.pupils).agency_tables()
    if ctx.script:
        tables = ctx.script.school_tables(tables, ctx.pupils)
    return Produced(events=tuple(tables))
