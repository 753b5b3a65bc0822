"""Children missing education: pupils who leave the roll as missing education, and school-age children never on
the area's register, as the local authority records them.

About 143,000 children were missing education at some point in 2024/25 against about 9.0m pupils (DfE, Children
missing education). A pupil removed from roll after continuous absence first shows ten school days of
unexplained absence (schools notify the LA after ten school days: DfE attendance guidance, 2024), has no
attendance while off roll, and, if found, joins a school again. Why a child is missing and for how long are
design figures (parameters/school.csv: school_cme_*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies.school import Pupils, year_groups
from synthgen.agencies.school_calendar import HalfTerms
from synthgen.agencies.school_roll import Cohort, Departures, Roll, Segments, choose, pick_day, stochastic_round
from synthgen.kernel import strings
from synthgen.kernel.arrays import categorical
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population
from synthgen.world.simulate import Simulation

REASONS_FROM_ROLL = (
    # reason, preceded by ten days of unexplained absence
    ("awaiting a school place after moving home", False),
    ("removed from roll after continuous absence", True),
    ("whereabouts unknown", True),
    ("believed to have left the country", True),
)
"""Why a pupil leaves the roll as missing education, in the terms of the DfE's statutory guidance; each reason's
share and chance of being placed again are parameters (school_cme_reason_share.<label>, school_cme_placed_share)."""
REASONS_NOT_ON_ROLL = ("awaiting a school place", "unsuitable elective home education", "whereabouts unknown")
"""Why a child never on the area's register is missing education (school_cme_not_on_roll_reason_share.<label>)."""
ABSENT_BEFORE_CME = 20
"""Sessions of unexplained absence before removal from roll: ten school days (DfE attendance guidance, 2024)."""


def _label(reason: str) -> str:
    """The label of a reason's numbers among the parameters: its words joined by _."""
    return reason.replace(" ", "_")


@dataclass(frozen=True)
class LeftRoll:
    """The pupils removed from roll as missing education, and how many more children the LA finds missing who
    were never on the area's register."""

    missing: NDArray[np.int64]  # pupils
    half_term: NDArray[np.int64]
    date: NDArray[np.datetime64]
    reason: NDArray[np.int64]  # index into REASONS_FROM_ROLL
    not_on_roll: int


def leave_roll(rng: np.random.Generator, plan: Plan, pupils: Cohort, roll: Roll, departures: Departures) -> LeftRoll:
    """Pupils still on roll who go missing from education: by England's rate, more for children who go missing,
    are exploited or neglected; removed on the reported date, some placed again later (recorded in
    `departures`)."""
    params = plan.params
    w = params.series("school_cme_weight")
    need = pupils.need
    cme_weight = np.exp(
        w["boy"] * pupils.boy
        + w["fsm"] * pupils.fsm
        + w["risk"] * pupils.risk
        + w["going_missing"] * need["going_missing"]
        + w["child_criminal_exploitation"] * pupils.cce
        + w["child_sexual_exploitation"] * need["child_sexual_exploitation"]
        + w["neglect"] * need["neglect"]
        + w["factors"] * pupils.factors
        + w["secondary"] * (pupils.group >= 7)
    ) * roll.base_days.sum(axis=1)
    cme_total = stochastic_round(rng, params["school_cme_per_pupil"] * pupils.n * pupils.years)
    n_cme_pupils = round(cme_total * (1 - params["school_cme_not_on_roll_share"]))
    missing = choose(rng, np.where(departures.departed, 0.0, cme_weight), n_cme_pupils)
    ht, never = roll.ht, roll.never
    h_cme, cme_date = pick_day(
        rng, roll.starts[missing], roll.base_days[missing], np.ones((len(missing), roll.n_ht)), ht.calendar
    )
    labels = [_label(reason) for reason, _ in REASONS_FROM_ROLL]
    reason_shares = np.array([[params[f"school_cme_reason_share.{label}"] for label in labels]])
    cme_reason = categorical(rng, np.repeat(reason_shares, len(missing), axis=0))
    placed_share = np.array([params[f"school_cme_placed_share.{label}"] for label in labels])
    placed = rng.random(len(missing)) < placed_share[cme_reason]
    gap = np.ceil(rng.exponential(params["school_cme_mean_days"], len(missing))).astype(np.int64)
    gap_days = gap.astype("timedelta64[D]")
    departures.leave[missing] = cme_date
    departures.rejoin[missing] = np.where(placed, np.minimum(cme_date + gap_days, never), never)
    departures.departed[missing] = True
    departures.same_school[missing] = rng.random(len(missing)) < params["school_cme_same_school_share"]
    return LeftRoll(missing, h_cme, cme_date, cme_reason, cme_total - len(missing))


def absence_before(left: LeftRoll, rows: Segments, excluded_e: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sessions of unexplained absence on each attendance row: the ten school days before removal from roll, for
    the reasons that follow continuous absence (no more than the row's sessions not already coded E)."""
    absent_first = np.array([first for _, first in REASONS_FROM_ROLL])[left.reason]
    last_row = rows.row_of[left.missing, left.half_term, 0]
    flagged = absent_first & (last_row >= 0)
    forced = np.bincount(last_row[flagged], minlength=rows.n).astype(np.int64) * ABSENT_BEFORE_CME
    result: NDArray[np.int64] = np.minimum(forced, rows.possible - excluded_e)
    return result


def _never_on_roll(
    rng: np.random.Generator, plan: Plan, pop: Population, sim: Simulation, pupils: Pupils, count: int
) -> NDArray[np.int64]:
    """`count` children of compulsory school age (Year 1 on), resident and not on the register (at independent
    schools or educated at home), more often the deprived, the risky, those who go missing and the neglected."""
    p = pop.people
    on_register = np.zeros(len(p.person_id), bool)
    on_register[pupils.person_id - pop.shard * ID_STRIDE] = True
    group = year_groups(plan, p.date_of_birth)
    candidates = np.flatnonzero(p.resident & (group >= 1) & (group <= 11) & ~on_register)
    w = plan.params.series("school_cme_not_on_roll_weight")
    weight = np.exp(
        w["deprivation"] * pop.household_deprivation[p.household[candidates]]
        + w["risk"] * sim.risk[candidates]
        + w["going_missing"] * sim.needs["going_missing"][candidates]
        + w["neglect"] * sim.needs["neglect"][candidates]
    )
    result: NDArray[np.int64] = candidates[choose(rng, weight, count)]
    return result


def missing_education_table(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    sim: Simulation,
    ht: HalfTerms,
    pupils: Pupils,
    left: LeftRoll,
    ids: Callable[[str, int], pa.Array],
) -> tuple[pa.Table, NDArray[np.int64]]:
    """The LA's CME records: former pupils (with the UPN, mostly) and school-age children never on the register;
    and each row's person id."""
    p = pop.people
    params = plan.params
    missing = left.missing
    others = _never_on_roll(rng, plan, pop, sim, pupils, left.not_on_roll)
    starts = np.broadcast_to(ht.start, (len(others), len(ht.start)))
    ends = np.broadcast_to(ht.end, (len(others), len(ht.start)))
    days = np.busday_count(starts, ends, busdaycal=ht.calendar)
    _, other_date = pick_day(rng, starts, days, np.ones(days.shape), ht.calendar)
    shares = [params[f"school_cme_not_on_roll_reason_share.{_label(reason)}"] for reason in REASONS_NOT_ON_ROLL]
    other_reason = np.array(REASONS_NOT_ON_ROLL, dtype=object)[
        rng.choice(len(REASONS_NOT_ON_ROLL), size=len(others), p=shares)
    ]
    rows = np.concatenate([pupils.person_id[missing] - pop.shard * ID_STRIDE, others])
    upn_known = rng.random(len(missing)) >= params["school_cme_upn_unknown_share"]
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
    from_roll = np.array([reason for reason, _ in REASONS_FROM_ROLL], dtype=object)[left.reason]
    table = pa.table(
        {
            "record_id": ids("missing_education", len(rows)),
            "upn": upn,
            "given_name": strings.names(forenames, p.given_name[rows]),
            "family_name": pc.coalesce(known_as, family),
            "date_of_birth": pa.array(p.date_of_birth[rows], pa.date32()),
            "reported_date": pa.array(np.concatenate([left.date, other_date]), pa.date32()),
            "reason": pa.array(np.concatenate([from_roll, other_reason]), pa.string()),
        }
    )
    return table, p.person_id[rows]
