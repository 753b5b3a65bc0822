"""Attendance by half-term: each pupil's sessions as the school census counts them, by attendance code.

Absence follows a pupil's own propensity (a Beta draw, raised by FSM, SEN, risk and need), secondary school, the
half-term and spells of illness, scaled so the overall rate is England's (DfE, Pupil absence in schools in England
2022/23: 7.4% of sessions). The unauthorised share is higher for poorer, secondary and at-risk pupils, its
intercept set to a third overall; sessions are then split across the codes in England's shares. Sessions coded E
(exclusions) and the ten days before removal from roll as missing education are set by those models. The numbers
are parameters (parameters/school.csv: school_*absence*, school_unauthorised_*, and the codes' shares).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.school_roll import Cohort, Roll, Segments, binomial
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan

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


def _split(
    rng: np.random.Generator, total: NDArray[np.int64], shares: tuple[tuple[str, float], ...]
) -> dict[str, NDArray[np.int64]]:
    """Split counts across codes by shares (a multinomial, as successive binomials)."""
    parts = {}
    left = total.copy()
    remaining = sum(share for _, share in shares)
    for name, share in shares[:-1]:
        parts[name] = binomial(rng, left, share / remaining)
        left = left - parts[name]
        remaining -= share
    parts[shares[-1][0]] = left
    return parts


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result


def _propensity(rng: np.random.Generator, params: Parameters, pupils: Cohort) -> NDArray[np.float64]:
    """Each pupil's own absence propensity: a Beta draw about England's rate, raised by FSM, SEN, risk and need."""
    overall, shape = params["school_overall_absence"], params["school_absence_shape"]
    w = params.series("school_absence_weight")
    need = pupils.need
    result: NDArray[np.float64] = rng.beta(shape, shape * (1 - overall) / overall, pupils.n) * np.exp(
        w["fsm"] * pupils.fsm
        + w["ehc"] * pupils.ehc
        + w["support"] * pupils.support
        + w["risk"] * pupils.risk
        + w["factors"] * pupils.factors
        + w["neglect"] * need["neglect"]
        + w["going_missing"] * need["going_missing"]
        + w["child_criminal_exploitation"] * pupils.cce
        + w["child_sexual_exploitation"] * need["child_sexual_exploitation"]
        + w["self_harm"] * need["self_harm"]
        + w["abuse"] * (need["emotional_abuse"] + need["physical_abuse"] + need["sexual_abuse"])
    )
    return result


def _absent_sessions(
    rng: np.random.Generator,
    params: Parameters,
    pupils: Cohort,
    roll: Roll,
    rows: Segments,
    excluded_e: NDArray[np.int64],
    forced: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Sessions absent on each row: propensity x phase x half-term x a spell, scaled (under a 95% cap) so that
    absence with the sessions coded E and those before removal from roll (`forced`) is England's overall rate;
    mostly whole days."""
    propensity = _propensity(rng, params, pupils)
    shape = params["school_absence_spell_shape"]
    spell = rng.gamma(shape, 1.0 / shape, rows.n)  # illnesses and bad patches come in spells
    half_term = np.r_[0.0, params.values_of("school_half_term_absence")]  # half-terms are numbered 1..6
    raw = (
        propensity[rows.pupil]
        * np.where(roll.secondary[rows.school], params["school_secondary_absence_factor"], 1.0)
        * half_term[roll.ht.number[rows.half_term]]
        * spell
    )
    available = rows.possible - excluded_e - forced
    target = params["school_overall_absence"] * rows.possible.sum() - excluded_e.sum() - forced.sum()
    rate = np.zeros(rows.n)
    scale = max(target, 0.0) / max(float((raw * available).sum()), 1e-9)
    for _ in range(3):  # the cap at 95% loses a little; rescale to put it back
        rate = np.minimum(scale * raw, 0.95)
        scale *= max(target, 0.0) / max(float((rate * available).sum()), 1e-9)
    school_days_left = available // 2
    whole_days = binomial(rng, school_days_left, 0.9 * rate)
    half_days = binomial(rng, available - 2 * whole_days, 0.1 * rate / (1 - 0.9 * rate))
    result: NDArray[np.int64] = 2 * whole_days + half_days
    return result


def _unauthorised(
    rng: np.random.Generator,
    params: Parameters,
    pupils: Cohort,
    rows: Segments,
    absent: NDArray[np.int64],
    excluded_e: NDArray[np.int64],
    forced: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Unauthorised sessions among the absent ones: likelier for poorer, secondary and at-risk pupils, the
    intercept solved (by bisection) so the unauthorised share of all absence is England's."""
    w = params.series("school_unauthorised_weight")
    need = pupils.need
    lean = (
        w["fsm"] * pupils.fsm
        + w["risk"] * pupils.risk
        + w["secondary"] * (pupils.group >= 7)
        + w["needs"]
        * np.minimum(need["neglect"] + need["going_missing"] + pupils.cce + need["child_sexual_exploitation"], 1)
    )
    absent_by_pupil = np.bincount(rows.pupil, weights=absent, minlength=pupils.n)
    share = params["school_unauthorised_absence_share"]
    wanted = share * (absent.sum() + excluded_e.sum() + forced.sum()) - forced.sum()
    low, high = -8.0, 4.0
    for _ in range(40):
        mid = (low + high) / 2
        if (absent_by_pupil * _sigmoid(mid + lean)).sum() < wanted:
            low = mid
        else:
            high = mid
    return binomial(rng, absent, _sigmoid(low + lean)[rows.pupil])


def attendance_codes(
    rng: np.random.Generator,
    plan: Plan,
    pupils: Cohort,
    roll: Roll,
    rows: Segments,
    excluded_e: NDArray[np.int64],
    forced: NDArray[np.int64],
) -> dict[str, NDArray[np.int64]]:
    """Each attendance row's sessions by code (ATTENDANCE_COUNTS), given the sessions coded E and the unexplained
    absence before removal from roll (`forced`, counted as unauthorised other, O)."""
    params = plan.params
    possible = rows.possible
    available = possible - excluded_e - forced
    absent = _absent_sessions(rng, params, pupils, roll, rows, excluded_e, forced)
    unauthorised = _unauthorised(rng, params, pupils, rows, absent, excluded_e, forced)
    authorised = absent - unauthorised
    codes = {
        **_split(rng, authorised, tuple(params.series("school_authorised_code_share").items())),
        **_split(rng, unauthorised, tuple(params.series("school_unauthorised_code_share").items())),
    }
    codes["excluded_E"] = excluded_e
    codes["unauthorised_other_O"] = codes["unauthorised_other_O"] + forced
    attended = available - absent
    codes["approved_activity"] = binomial(rng, attended, params["school_approved_activity_share"])
    codes["present"] = attended - codes["approved_activity"]
    codes["late_L"] = binomial(rng, codes["present"], params["school_late_before_close_share"])
    codes["authorised_absence"] = authorised + excluded_e
    codes["unauthorised_absence"] = unauthorised + forced
    return codes


def attendance_table(
    rows: Segments,
    roll: Roll,
    codes: dict[str, NDArray[np.int64]],
    upn: pa.ChunkedArray,
    urn: pa.Array,
    ids: Callable[[str, int], pa.Array],
) -> pa.Table:
    """The attendance return: a row per pupil, school and half-term, with its possible sessions and the codes."""
    return pa.table(
        {
            "record_id": ids("attendance", rows.n),
            "upn": upn.take(pa.array(rows.pupil)),
            "school_urn": urn.take(pa.array(rows.school)),
            "academic_year": pa.array(roll.ht.year_label[rows.half_term], pa.string()),
            "half_term": pa.array(roll.ht.number[rows.half_term], pa.int8()),
            "possible_sessions": pa.array(rows.possible, pa.int16()),
            **{name: pa.array(codes[name], pa.int16()) for name in ATTENDANCE_COUNTS},
        }
    )
