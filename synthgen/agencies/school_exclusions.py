"""Suspensions and permanent exclusions: who, how often, when, for how long and why.

England's counts per pupil (DfE, Suspensions and permanent exclusions in England 2023/24: 11.31 suspensions and
0.13 permanent exclusions per 100 pupils) are shared out by proneness (boys, FSM, SEN, risk, criminal
exploitation) and time on roll, secondary pupils ten times as often as primary. A suspension's sessions appear in
the attendance return as code E in the half-term it began; a permanently excluded pupil stays on roll five more
school days (coded E), then goes to alternative provision, outside the area's school register. The numbers are
parameters (parameters/school.csv: school_suspension*, school_permanent_exclusion*, school_exclusion*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.school_roll import Cohort, Departures, Roll, Segments, choose, pick_day, stochastic_round
from synthgen.kernel.arrays import categorical
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan

PERMANENT_SESSIONS_ON_ROLL = 5
"""School days a permanently excluded pupil stays on roll coded E before alternative provision (DfE guidance: the
local authority provides full-time education from the sixth school day)."""


def _labelled(*reasons: str) -> tuple[tuple[str, str], ...]:
    """The DfE's reasons, each with the label of its share among the parameters (its words joined by _)."""
    return tuple((reason, reason.replace(" ", "_")) for reason in reasons)


SUSPENSION_REASONS = _labelled(
    "persistent disruptive behaviour",
    "verbal abuse or threatening behaviour against an adult",
    "physical assault against a pupil",
    "verbal abuse or threatening behaviour against a pupil",
    "physical assault against an adult",
    "drug and alcohol related",
    "damage",
    "use or threat of use of an offensive weapon or prohibited item",
    "bullying",
    "racist abuse",
    "sexual misconduct",
    "inappropriate use of social media or online technology",
    "theft",
    "abuse against sexual orientation and gender identity",
)
"""The DfE's reasons for suspension and their labels (school_suspension_reason_share.<label>), in draw order."""
PERMANENT_REASONS = _labelled(
    "persistent disruptive behaviour",
    "physical assault against a pupil",
    "physical assault against an adult",
    "verbal abuse or threatening behaviour against an adult",
    "drug and alcohol related",
    "use or threat of use of an offensive weapon or prohibited item",
    "verbal abuse or threatening behaviour against a pupil",
    "damage",
    "sexual misconduct",
    "inappropriate use of social media or online technology",
    "bullying",
    "racist abuse",
    "theft",
    "abuse against sexual orientation and gender identity",
)
"""The reasons for permanent exclusion (school_permanent_exclusion_reason_share.<label>), in draw order."""


@dataclass(frozen=True)
class Proneness:
    """Who is suspended and how often over the period."""

    exposure: NDArray[np.float64]  # proneness times school days on roll (secondary weighted)
    suspensions: NDArray[np.int64]  # suspensions per pupil
    phase_factor: NDArray[np.float64]  # (pupils, half-terms): the secondary factor where the school is secondary


def suspension_counts(rng: np.random.Generator, plan: Plan, pupils: Cohort, roll: Roll) -> Proneness:
    """Suspensions per pupil: England's count shared out by proneness and time on roll (secondary ten times
    primary); a first suspension each for the chosen pupils, then the repeats among them, to the most prone most
    often."""
    params = plan.params
    w = params.series("school_exclusion_weight")
    need = pupils.need
    exclusion_weight = np.exp(
        w["boy"] * pupils.boy
        + w["fsm"] * pupils.fsm
        + w["support"] * pupils.support
        + w["ehc"] * pupils.ehc
        + w["risk"] * pupils.risk
        + w["child_criminal_exploitation"] * pupils.cce
        + w["child_sexual_exploitation"] * need["child_sexual_exploitation"]
        + w["going_missing"] * need["going_missing"]
        + w["factors"] * pupils.factors
    )
    phase_factor = np.where(roll.secondary[roll.school_base], params["school_secondary_suspension_factor"], 1.0)
    n = pupils.n
    exposure = exclusion_weight * (roll.base_days * phase_factor).sum(axis=1)
    n_susp = stochastic_round(rng, params["school_suspensions_per_pupil"] * n * pupils.years)
    suspended = choose(rng, exposure, round(n_susp / params["school_suspensions_per_suspended_pupil"]))
    suspensions = np.zeros(n, np.int64)
    suspensions[suspended] = 1
    if len(suspended):
        repeats = rng.choice(suspended, size=n_susp - len(suspended), p=exposure[suspended] / exposure[suspended].sum())
        suspensions += np.bincount(repeats, minlength=n)
    return Proneness(exposure, suspensions, phase_factor)


@dataclass(frozen=True)
class Permanent:
    """The permanently excluded pupils, the half-term and day of the exclusion and the day they leave the roll."""

    excluded: NDArray[np.int64]
    half_term: NDArray[np.int64]
    date: NDArray[np.datetime64]
    leave: NDArray[np.datetime64]


def permanent_exclusions(
    rng: np.random.Generator, plan: Plan, pupils: Cohort, roll: Roll, prone: Proneness, departures: Departures
) -> Permanent:
    """Permanent exclusions, mostly of the suspended: on roll PERMANENT_SESSIONS_ON_ROLL more school days (coded E),
    then off the roll (recorded in `departures`)."""
    params = plan.params
    w = params.series("school_permanent_exclusion_weight")
    ht = roll.ht
    permanent_weight = (
        prone.exposure
        * np.exp(
            w["boy"] * pupils.boy
            + w["fsm"] * pupils.fsm
            + w["support"] * pupils.support
            + w["child_criminal_exploitation"] * pupils.cce
        )
        * (prone.suspensions + params["school_permanent_exclusion_unsuspended_weight"])
    )
    count = stochastic_round(rng, params["school_permanent_exclusions_per_pupil"] * pupils.n * pupils.years)
    excluded = choose(rng, permanent_weight, count)
    h_pex, pex_date = pick_day(
        rng, roll.starts[excluded], roll.base_days[excluded], prone.phase_factor[excluded], ht.calendar
    )
    pex_leave = np.minimum(
        np.busday_offset(pex_date, PERMANENT_SESSIONS_ON_ROLL, roll="forward", busdaycal=ht.calendar), ht.end[h_pex]
    )
    departures.leave[excluded] = pex_leave
    departures.departed[excluded] = True
    return Permanent(excluded, h_pex, pex_date, pex_leave)


def _reasons(
    rng: np.random.Generator,
    params: Parameters,
    family: str,
    reasons: tuple[tuple[str, str], ...],
    exploited: NDArray[np.float64],
) -> NDArray[np.object_]:
    """A DfE reason per exclusion in the shares of `family`; drugs, weapons and assault likelier for criminally
    exploited children (school_exclusion_reason_exploitation_factor)."""
    names = np.array([name for name, _ in reasons], dtype=object)
    base = np.array([params[f"{family}.{label}"] for _, label in reasons])
    factor = params.series("school_exclusion_reason_exploitation_factor")
    tilt = base * np.array([factor.get(label, 1.0) for _, label in reasons])
    weights = np.where(exploited[:, None] > 0, tilt[None, :], base[None, :])
    result: NDArray[np.object_] = names[categorical(rng, weights)]
    return result


@dataclass(frozen=True)
class Exclusions:
    """The period's exclusions as the school records them, and the sessions coded E on each attendance row."""

    suspension_row: NDArray[np.int64]  # the attendance row (pupil x half-term) each suspension began in
    suspension_date: NDArray[np.datetime64]
    suspension_sessions: NDArray[np.int64]
    suspension_reason: NDArray[np.object_]
    permanent: Permanent
    permanent_reason: NDArray[np.object_]
    excluded_e: NDArray[np.int64]  # per attendance row


def exclusion_records(
    rng: np.random.Generator,
    plan: Plan,
    pupils: Cohort,
    roll: Roll,
    rows: Segments,
    prone: Proneness,
    permanent: Permanent,
) -> Exclusions:
    """Each suspension dated in one of its pupil's half-terms on roll (by school days and phase), with its length
    and reason; the permanent exclusions' reasons; and the sessions coded E on each attendance row."""
    params = plan.params
    n, ht = pupils.n, roll.ht
    row_secondary = roll.secondary[rows.school]
    cumulative = np.cumsum(np.where(row_secondary, params["school_secondary_suspension_factor"], 1.0) * rows.days)
    pupil_rows = np.searchsorted(rows.pupil, np.arange(n + 1))
    below = np.r_[0.0, cumulative][pupil_rows]
    susp_pupil = np.repeat(np.arange(n), prone.suspensions)
    susp_pupil = susp_pupil[below[susp_pupil + 1] > below[susp_pupil]]  # a pupil off roll all period has no rows
    span = below[susp_pupil + 1] - below[susp_pupil]
    susp_row = np.searchsorted(cumulative, below[susp_pupil] + rng.random(len(susp_pupil)) * span, side="right")
    susp_row = np.minimum(susp_row, pupil_rows[susp_pupil + 1] - 1)
    n_susp = len(susp_row)
    susp_date = np.busday_offset(
        rows.start[susp_row],
        np.floor(rng.random(n_susp) * rows.days[susp_row]).astype(np.int64),
        roll="forward",
        busdaycal=ht.calendar,
    )
    sessions = params.series("school_suspension_sessions_share")
    lengths = np.array([int(label.removeprefix("sessions_")) for label in sessions])
    susp_sessions = lengths[rng.choice(len(lengths), size=n_susp, p=np.array(list(sessions.values())))]
    cce = pupils.cce
    susp_reason = _reasons(rng, params, "school_suspension_reason_share", SUSPENSION_REASONS, cce[rows.pupil[susp_row]])
    excluded = permanent.excluded
    pex_reason = _reasons(rng, params, "school_permanent_exclusion_reason_share", PERMANENT_REASONS, cce[excluded])
    pex_row = rows.row_of[excluded, permanent.half_term, 0]
    pex_sessions = 2 * np.busday_count(permanent.date, permanent.leave, busdaycal=ht.calendar)
    excluded_e = np.bincount(susp_row, weights=susp_sessions, minlength=rows.n)
    excluded_e += np.bincount(pex_row, weights=pex_sessions, minlength=rows.n)
    excluded_e = np.minimum(excluded_e.astype(np.int64), rows.possible)
    return Exclusions(susp_row, susp_date, susp_sessions, susp_reason, permanent, pex_reason, excluded_e)


def exclusions_table(
    exclusions: Exclusions,
    rows: Segments,
    roll: Roll,
    upn: pa.ChunkedArray,
    urn: pa.Array,
    ids: Callable[[str, int], pa.Array],
) -> tuple[pa.Table, NDArray[np.int64]]:
    """The exclusions table: suspensions, then permanent exclusions; and each row's pupil."""
    susp_row, excluded = exclusions.suspension_row, exclusions.permanent.excluded
    ex_pupil = np.concatenate([rows.pupil[susp_row], excluded])
    n_susp_rows = len(susp_row)
    school = np.concatenate([rows.school[susp_row], roll.school_base[excluded, exclusions.permanent.half_term]])
    table = pa.table(
        {
            "record_id": ids("exclusions", len(ex_pupil)),
            "upn": upn.take(pa.array(ex_pupil)),
            "school_urn": urn.take(pa.array(school)),
            "category": pa.array(
                np.repeat(np.array(["suspension", "permanent"], dtype=object), [n_susp_rows, len(excluded)])
            ),
            "start_date": pa.array(
                np.concatenate([exclusions.suspension_date, exclusions.permanent.date]), pa.date32()
            ),
            "sessions": pa.array(
                np.concatenate([exclusions.suspension_sessions, np.zeros(len(excluded), np.int64)]),
                pa.int16(),
                mask=np.r_[np.zeros(n_susp_rows, bool), np.ones(len(excluded), bool)],
            ),
            "reason": pa.array(
                np.concatenate([exclusions.suspension_reason, exclusions.permanent_reason]), pa.string()
            ),
        }
    )
    return table, ex_pupil
