"""School events: attendance by half-term, suspensions and permanent exclusions, in-year moves, and children
missing education, as schools and the local authority record them over the period.

The four tables are one pupil's year seen four ways, and they must agree. A suspension's sessions
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

In-year moves and the CME reasons and durations are design figures (no national series gives them in this form).
Every number is a parameter of the run's plan (parameters/school.csv, each with its source). The pupils' shared
arrays are in school_roll.py, the calendar in school_calendar.py, and each event in its own module
(school_exclusions, missing_education, school_moves, school_attendance); this one runs them in a fixed order,
so the shard's stream stays put, and assembles the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies import TABLE_CODES, AgencyTable
from synthgen.agencies.missing_education import absence_before, leave_roll, missing_education_table
from synthgen.agencies.producer import Context, Produced
from synthgen.agencies.school import Pupils
from synthgen.agencies.school_attendance import ATTENDANCE_COUNTS, attendance_codes, attendance_table
from synthgen.agencies.school_calendar import half_terms, school_year_half_terms
from synthgen.agencies.school_exclusions import (
    PERMANENT_REASONS,
    SUSPENSION_REASONS,
    exclusion_records,
    exclusions_table,
    permanent_exclusions,
    suspension_counts,
)
from synthgen.agencies.school_moves import in_year_moves, moves_table, schools_on_return
from synthgen.agencies.school_roll import Departures, cohort, roll, segments
from synthgen.kernel.record_ids import format_record_ids, record_ids
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation

__all__ = [
    "ATTENDANCE_COUNTS",
    "PERMANENT_REASONS",
    "SUSPENSION_REASONS",
    "SchoolEvents",
    "half_terms",
    "produce",
    "school_events",
    "school_year_half_terms",
]


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


def school_events(plan: Plan, pop: Population, sim: Simulation, pupils: Pupils) -> SchoolEvents:
    """Attendance, exclusions, moves and children missing education for one shard's pupils over the period.

    The events take pupils off the roll in turn (permanent exclusion, then missing education, then ordinary
    moves, each among the pupils still on roll), then the roll's segments are dated and counted; one stream, drawn
    in this order.
    """
    rng = shard_stream(plan.seed, pop.shard, "school-events")
    who = cohort(plan, pop, sim, pupils)
    on_roll = roll(rng, plan, pop, who)
    departures = Departures.none(who.n, on_roll.never)
    prone = suspension_counts(rng, plan, who, on_roll)
    permanent = permanent_exclusions(rng, plan, who, on_roll, prone, departures)
    left = leave_roll(rng, plan, who, on_roll, departures)
    in_year_moves(rng, plan, who, on_roll, departures)
    new_school, year_rejoin = schools_on_return(rng, plan, who, on_roll, departures)
    rows = segments(who, on_roll, departures, new_school, year_rejoin)
    exclusions = exclusion_records(rng, plan, who, on_roll, rows, prone, permanent)
    forced = absence_before(left, rows, exclusions.excluded_e)
    codes = attendance_codes(rng, plan, who, on_roll, rows, exclusions.excluded_e, forced)

    upn = pupils.table["upn"]
    urn = pa.array(plan.schools.code, pa.string())
    keys: dict[str, NDArray[np.uint64]] = {}

    def ids(name: str, count: int) -> pa.Array:
        keys[name] = record_ids(plan.record_key, TABLE_CODES[f"school/{name}"], pop.shard, count)
        return format_record_ids(keys[name])

    attendance = attendance_table(rows, on_roll, codes, upn, urn, ids)
    excluded, ex_pupil = exclusions_table(exclusions, rows, on_roll, upn, urn, ids)
    moves, mover = moves_table(rows, on_roll, departures, upn, urn, ids)
    missing_education, cme_person = missing_education_table(rng, plan, pop, sim, on_roll.ht, pupils, left, ids)
    person_ids = {
        "attendance": pupils.person_id[rows.pupil],
        "exclusions": pupils.person_id[ex_pupil],
        "moves": pupils.person_id[mover],
        "missing_education": cme_person,
    }
    return SchoolEvents(attendance, excluded, moves, missing_education, person_ids, keys)


def produce(ctx: Context) -> Produced:
    """The school year of the pupils on the register, with the planted storylines' absence and suspensions."""
    if ctx.pupils is None:
        raise ValueError("the school register is made before the school year")
    tables = school_events(ctx.plan, ctx.pop, ctx.sim, ctx.pupils).agency_tables()
    if ctx.script:
        tables = ctx.script.school_tables(tables, ctx.pupils)
    return Produced(events=tuple(tables))
