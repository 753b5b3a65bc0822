"""The front door's figures: contacts, their conversion, early help, timeliness, MARAC and Operation Encompass."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from synthgen.calibration.measure import Measured, People, dates, days, ratio, share
from synthgen.run_folder import Run

WORKING_DAY = np.timedelta64(1, "D")


def _in_period(run: Run, when: np.ndarray) -> np.ndarray:
    start, end, _ = days(run)
    day = when.astype("datetime64[D]")
    result: np.ndarray = (day >= start) & (day <= end)
    return result


def _within_one_working_day(received: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Decided by 17:00 on the first working day after the day of receipt."""
    due = np.busday_offset(received.astype("datetime64[D]"), 1, roll="forward").astype("datetime64[s]")
    result: np.ndarray = decided <= due + np.timedelta64(17 * 3600, "s")
    return result


def front_door_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/social_care/contacts"):
        return {}
    _, _, years = days(run)
    per10k = truth.children / 10_000
    contacts = run.read("agencies/social_care/contacts", ["received_at", "decision", "decided_at"])
    received = contacts["received_at"].to_numpy().astype("datetime64[s]")
    decided = contacts["decided_at"].to_numpy().astype("datetime64[s]")
    now = _in_period(run, received)
    n = int(now.sum())
    decision = contacts["decision"].to_numpy(zero_copy_only=False)[now]
    referred = np.isin(decision, ["referral", "strategy_discussion"])
    figures: Measured = {
        "front_door.contacts_per_10k_children": (ratio(n, per10k) / years, n),
        "front_door.contact_to_referral": (share(referred), n),
        "front_door.contacts_to_early_help": (share(decision == "early_help"), n),
        "front_door.decided_within_one_working_day": (share(_within_one_working_day(received, decided)[now]), n),
    }
    helped = run.read("agencies/social_care/early_help", ["assessment_date"])
    assessed = dates(helped["assessment_date"])
    count = int(_in_period(run, assessed[~np.isnat(assessed)]).sum())
    figures["front_door.early_help_assessments_per_10k_children"] = (ratio(count, per10k) / years, count)
    figures |= _marac(run, truth)
    figures |= _encompass(run)
    return figures


def _marac(run: Run, truth: People) -> Measured:
    if not run.has("agencies/police/marac_cases"):
        return {}
    _, _, years = days(run)
    people = truth.table.filter(pc.field("resident") & (pc.field("age_at_start") >= 16) & (pc.field("sex") == "F"))
    women = people.num_rows
    cases = run.read("agencies/police/marac_cases", ["referral_date", "repeat", "children_in_household"])
    n = cases.num_rows
    repeat = cases["repeat"].to_numpy(zero_copy_only=False).astype(bool)
    children = cases["children_in_household"].to_numpy().astype(float)
    return {
        "marac.cases_per_10k_adult_women": (ratio(n, women / 10_000) / years, n),
        "marac.repeat_share": (share(repeat), n),
        "marac.children_per_case": float(children.mean()) if n else float("nan"),
    }


def _encompass(run: Run) -> Measured:
    if not run.has("agencies/police/encompass_notifications"):
        return {}
    sent = run.read("agencies/police/encompass_notifications", ["status", "reason_not_sent"])
    status = sent["status"].to_numpy(zero_copy_only=False)
    reason = sent["reason_not_sent"].to_numpy(zero_copy_only=False)
    known = reason != "school_unknown"
    was_sent = status != "not_sent"
    n = int(known.sum())
    return {
        "encompass.sent_where_school_known": (share(status[known] != "not_sent"), n),
        "encompass.on_time_of_sent": (share(status[was_sent] == "on_time"), int(was_sent.sum())),
    }
