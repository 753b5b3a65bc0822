"""One shard's pupils over the period: who they are, which school they are at each half-term, and when they are
on roll; with the draws the school event models share.

The event models (exclusions, missing education, moves, attendance) are one pupil's year seen four ways and must
agree, so they work over the same arrays: the cohort (what about each pupil the events follow), the roll before
anyone leaves (pupils x half-terms), the departures the events make in turn (a permanent exclusion, a child
missing education, an in-year move), and the segments of the roll that result (each pupil x half-term, before a
departure and after a return): the rows of the attendance return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen.agencies import nearest
from synthgen.agencies.school import Pupils, academic_year, year_groups
from synthgen.agencies.school_calendar import HalfTerms, friday_on_or_before, half_terms
from synthgen.kernel.arrays import categorical
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation


@dataclass(frozen=True)
class Cohort:
    """One shard's pupils and what about each of them the school events follow (the simulation's truth)."""

    pupils: Pupils
    person: NDArray[np.int64]  # person rows (into pop.people)
    hh: NDArray[np.int64]  # household rows
    group: NDArray[np.int64]  # year group at the start: 0 reception .. 11
    fsm: NDArray[np.bool_]
    ehc: NDArray[np.float64]
    support: NDArray[np.float64]
    boy: NDArray[np.float64]
    need: dict[str, NDArray[np.float64]]  # each need, 0 or 1
    any_need: NDArray[np.bool_]
    risk: NDArray[np.float64]
    factors: NDArray[np.float64]  # risk factors at home: domestic abuse, parental mental health, substance misuse
    years: float

    @property
    def n(self) -> int:
        return len(self.person)

    @property
    def cce(self) -> NDArray[np.float64]:
        """Criminal exploitation (county lines), which the exclusion and absence models weigh most."""
        return self.need["child_criminal_exploitation"]


def cohort(plan: Plan, pop: Population, sim: Simulation, pupils: Pupils) -> Cohort:
    """The pupils on the register, with their FSM and SEN as the register has them and their truth."""
    p = pop.people
    register = pupils.table
    person = pupils.person_id - pop.shard * ID_STRIDE
    hh = p.household[person]
    sen = register["sen_provision"].to_numpy(zero_copy_only=False)
    return Cohort(
        pupils=pupils,
        person=person,
        hh=hh,
        group=year_groups(plan, p.date_of_birth[person]),
        fsm=register["fsm_eligible"].to_numpy(zero_copy_only=False).astype(bool),
        ehc=(sen == "E").astype(float),
        support=(sen == "K").astype(float),
        boy=(~p.female[person]).astype(float),
        need={name: mask[person].astype(float) for name, mask in sim.needs.items()},
        any_need=sim.any_need()[person],
        risk=sim.risk[person],
        factors=(
            sim.domestic_abuse[hh].astype(float)
            + sim.parental_mental_health[hh].astype(float)
            + sim.substance_misuse[hh].astype(float)
        ),
        years=plan.years,
    )


@dataclass(frozen=True)
class Roll:
    """Each pupil's school and school days by half-term before anyone leaves: the register's school, the secondary
    a Year 6 pupil moves up to in September, and Year 11 leaving at the end of June."""

    ht: HalfTerms
    first_year: int  # the academic year running at the start of the period
    school0: NDArray[np.int64]  # the register's school (row of plan.schools)
    secondary: NDArray[np.bool_]  # by school: a secondary school
    near: dict[bool, NDArray[np.int64]]  # each pupil's nearest schools of each phase (True: secondary), nearest first
    transfer: NDArray[np.int64]  # the secondary school a pupil moves up to
    school_by_year: NDArray[np.int64]  # (pupils, academic years of the period)
    school_base: NDArray[np.int64]  # (pupils, half-terms)
    starts: NDArray[np.datetime64]  # (pupils, half-terms): each half-term's first day counted
    base_end: NDArray[np.datetime64]  # (pupils, half-terms): the day after the last day on roll in it
    base_days: NDArray[np.int64]  # (pupils, half-terms): school days on roll
    never: np.datetime64  # the day after the period: a departure or return that does not happen

    @property
    def n_ht(self) -> int:
        return len(self.ht.number)


def roll(rng: np.random.Generator, plan: Plan, pop: Population, pupils: Cohort) -> Roll:
    """The roll before anyone leaves; the one draw is which secondary school each household's children go up to
    (siblings go up to the same one)."""
    schools = plan.schools
    secondary = schools.kind == "secondary"
    pcs = plan.postcodes
    home = pop.household_postcode[pupils.hh]
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
    share = plan.params["school_transfer_second_choice_share"]
    second_choice = rng.random(len(pop.household_id))[pupils.hh] < share
    nearest_secondary = pad(near[True], 2)
    transfer = np.where(second_choice, nearest_secondary[:, 1], nearest_secondary[:, 0])
    ht = half_terms(plan)
    first_year = academic_year(plan)
    offsets = np.arange(int(ht.offset.max(initial=0)) + 1)
    group, school0 = pupils.group, pupils.pupils.school
    moved_up = (group[:, None] < 7) & (group[:, None] + offsets[None, :] >= 7)
    school_by_year = np.where(moved_up, transfer[:, None], school0[:, None])
    # time on roll: Year 11 leave on the last Friday of June
    june = np.array([friday_on_or_before(dt.date(first_year + 12 - g, 6, 30)) for g in range(12)], "datetime64[D]")
    roll_end = june[group] + 1
    starts = np.broadcast_to(ht.start, (pupils.n, len(ht.number)))
    base_end = np.minimum(ht.end[None, :], roll_end[:, None])
    return Roll(
        ht=ht,
        first_year=first_year,
        school0=school0,
        secondary=secondary,
        near=near,
        transfer=transfer,
        school_by_year=school_by_year,
        school_base=school_by_year[:, ht.offset],
        starts=starts,
        base_end=base_end,
        base_days=np.busday_count(starts, np.maximum(starts, base_end), busdaycal=ht.calendar),
        never=np.datetime64(plan.period_end, "D") + 1,
    )


@dataclass(frozen=True)
class Departures:
    """When each pupil leaves the roll and comes back (roll.never: not in the period), filled in by the events
    that take pupils off the roll, in turn: permanent exclusion, missing education, in-year moves."""

    leave: NDArray[np.datetime64]
    rejoin: NDArray[np.datetime64]
    departed: NDArray[np.bool_]
    same_school: NDArray[np.bool_]  # back to the school left (after missing education)

    @classmethod
    def none(cls, n: int, never: np.datetime64) -> Departures:
        """Nobody has left: every pupil on roll to the end of the period."""
        return cls(np.full(n, never), np.full(n, never), np.zeros(n, bool), np.zeros(n, bool))


@dataclass(frozen=True)
class Segments:
    """The rows of the attendance return: each pupil x half-term on roll before a departure (segment 0) and after
    a return (segment 1), with its school days and school."""

    row_of: NDArray[np.int64]  # (pupils, half-terms, 2): the row of each segment, -1 where none
    pupil: NDArray[np.int64]
    half_term: NDArray[np.int64]
    segment: NDArray[np.int64]
    days: NDArray[np.int64]
    start: NDArray[np.datetime64]
    school: NDArray[np.int64]

    @property
    def possible(self) -> NDArray[np.int64]:
        """Possible sessions: two a school day."""
        result: NDArray[np.int64] = 2 * self.days
        return result

    @property
    def n(self) -> int:
        return len(self.pupil)


def segments(
    pupils: Cohort, roll: Roll, departures: Departures, new_school: NDArray[np.int64], year_rejoin: NDArray[np.int64]
) -> Segments:
    """Each pupil x half-term before a departure and after a return (at `new_school` from academic year
    `year_rejoin` of the period, moving up to the secondary school as the rest of the year group does)."""
    ht, starts, base_end = roll.ht, roll.starts, roll.base_end
    end_a = np.minimum(base_end, departures.leave[:, None])
    start_b = np.maximum(starts, departures.rejoin[:, None])
    days = np.stack(
        [
            np.busday_count(starts, np.maximum(starts, end_a), busdaycal=ht.calendar),
            np.busday_count(start_b, np.maximum(start_b, base_end), busdaycal=ht.calendar),
        ],
        axis=2,
    )
    group = pupils.group
    moved_up_after = (group + year_rejoin < 7)[:, None] & (group[:, None] + ht.offset[None, :] >= 7)
    school_b = np.where(
        (ht.offset[None, :] > year_rejoin[:, None]) & moved_up_after, roll.transfer[:, None], new_school[:, None]
    )
    keep = days > 0
    row_of = np.where(keep, np.cumsum(keep.ravel()).reshape(keep.shape) - 1, -1)
    row_pupil, row_h, row_seg = np.nonzero(keep)
    return Segments(
        row_of=row_of,
        pupil=row_pupil,
        half_term=row_h,
        segment=row_seg,
        days=days[keep],
        start=np.where(row_seg == 0, starts[row_pupil, row_h], start_b[row_pupil, row_h]),
        school=np.where(row_seg == 0, roll.school_base[row_pupil, row_h], school_b[row_pupil, row_h]),
    )


def stochastic_round(rng: np.random.Generator, expected: float) -> int:
    """Stochastic rounding: unbiased, so shards add up to the rate without coordination."""
    return int(np.floor(expected + rng.random()))


def choose(rng: np.random.Generator, weight: NDArray[np.float64], count: int) -> NDArray[np.int64]:
    """`count` distinct rows with chance rising with weight (rows of zero weight never)."""
    count = min(count, int((weight > 0).sum()))
    if count == 0:
        return np.zeros(0, np.int64)
    chosen: NDArray[np.int64] = rng.choice(len(weight), size=count, replace=False, p=weight / weight.sum())
    return np.sort(chosen)


def pick_day(
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


def binomial(rng: np.random.Generator, n: NDArray[np.int64], p: NDArray[np.float64] | float) -> NDArray[np.int64]:
    """Binomial draws that tolerate counts below zero and chances outside [0, 1] (as none and certain)."""
    result: NDArray[np.int64] = rng.binomial(np.maximum(n, 0), np.clip(p, 0.0, 1.0)).astype(np.int64)
    return result


def pad(candidates: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """Repeat the last column so phases with fewer schools than `width` line up."""
    if candidates.shape[1] >= width:
        return candidates[:, :width]
    extra = np.repeat(candidates[:, -1:], width - candidates.shape[1], axis=1)
    return np.concatenate([candidates, extra], axis=1)
