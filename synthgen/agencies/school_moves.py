"""In-year moves between the area's schools, and the school a child joins on coming back to a roll.

Ordinary moves fall more on poorer and at-risk pupils (FFT Education Datalab, Who's Left, 2021); a child found
after missing education joins a school again, which is an in-year move too. The move table lists the first
school joined after leaving another, where the school differs. The numbers are design parameters
(parameters/school.csv: school_move*).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.school_calendar import academic_offset
from synthgen.agencies.school_roll import Cohort, Departures, Roll, Segments, choose, pad, pick_day, stochastic_round
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan


def in_year_moves(rng: np.random.Generator, plan: Plan, pupils: Cohort, roll: Roll, departures: Departures) -> None:
    """Ordinary in-year moves among the pupils still on roll: more for poorer and at-risk pupils; a mover leaves
    and joins another school on the same day (recorded in `departures`)."""
    params = plan.params
    w = params.series("school_move_weight")
    move_weight = np.exp(
        w["fsm"] * pupils.fsm
        + w["risk"] * pupils.risk
        + w["any_need"] * pupils.any_need
        + w["factors"] * pupils.factors
    ) * roll.base_days.sum(axis=1)
    count = stochastic_round(rng, params["school_moves_per_pupil"] * pupils.n * pupils.years)
    movers = choose(rng, np.where(departures.departed, 0.0, move_weight), count)
    _, move_date = pick_day(
        rng, roll.starts[movers], roll.base_days[movers], np.ones((len(movers), roll.n_ht)), roll.ht.calendar
    )
    departures.leave[movers] = move_date
    departures.rejoin[movers] = move_date
    departures.departed[movers] = True


def _other_school(
    rng: np.random.Generator, params: Parameters, candidates: NDArray[np.int64], current: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A nearby school other than the current one (the nearest most often: school_move_choice_weight); the current
    one when none other."""
    valid = candidates != current[:, None]
    ordered = np.take_along_axis(candidates, np.argsort(~valid, axis=1, kind="stable"), axis=1)
    weights = params.values_of("school_move_choice_weight")[: candidates.shape[1]]
    pick = rng.choice(len(weights), size=len(current), p=weights / weights.sum())
    pick = np.minimum(pick, np.maximum(valid.sum(axis=1) - 1, 0))
    result: NDArray[np.int64] = np.where(valid.any(axis=1), ordered[np.arange(len(current)), pick], current)
    return result


def schools_on_return(
    rng: np.random.Generator, plan: Plan, pupils: Cohort, roll: Roll, departures: Departures
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The school each returning child joins, of the phase the child is in by then (the one left, for some who
    were missing education), and the academic year of the period in which they rejoin (0 for the rest)."""
    returning = np.flatnonzero(departures.rejoin < roll.never)
    last_year = roll.school_by_year.shape[1] - 1
    year_back = np.minimum(academic_offset(departures.rejoin[returning], roll.first_year), last_year)
    was_at = roll.school_by_year[returning, year_back]
    back_secondary = pupils.group[returning] + year_back >= 7
    candidates = np.where(
        back_secondary[:, None], pad(roll.near[True], 4)[returning], pad(roll.near[False], 4)[returning]
    )
    new_school = roll.school0.copy()
    new_school[returning] = np.where(
        departures.same_school[returning], was_at, _other_school(rng, plan.params, candidates, was_at)
    )
    year_rejoin = np.zeros(pupils.n, np.int64)
    year_rejoin[returning] = year_back
    return new_school, year_rejoin


def moves_table(
    rows: Segments,
    roll: Roll,
    departures: Departures,
    upn: pa.ChunkedArray,
    urn: pa.Array,
    ids: Callable[[str, int], pa.Array],
) -> tuple[pa.Table, NDArray[np.int64]]:
    """The moves table: for each pupil who came back to a roll, the first school joined after leaving another,
    where the school differs; and each row's pupil."""
    after = np.flatnonzero(rows.segment == 1)
    joined_pupil, first = np.unique(rows.pupil[after], return_index=True)
    first_row = after[first]
    h_left = np.minimum(np.searchsorted(roll.ht.end, departures.leave[joined_pupil], side="right"), roll.n_ht - 1)
    from_school = roll.school_base[joined_pupil, h_left]
    real = rows.school[first_row] != from_school
    mover = joined_pupil[real]
    table = pa.table(
        {
            "record_id": ids("moves", len(mover)),
            "upn": upn.take(pa.array(mover)),
            "from_urn": urn.take(pa.array(from_school[real])),
            "to_urn": urn.take(pa.array(rows.school[first_row[real]])),
            "move_date": pa.array(rows.start[first_row[real]], pa.date32()),
        }
    )
    return table, mover
