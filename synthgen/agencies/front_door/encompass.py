"""Operation Encompass: the police tell a child's school of a domestic-abuse incident before the next school day.

Statutory since the Victims and Prisoners Act 2024 (Home Office guidance, 2025): for each domestic-abuse incident
with a child of school age present (reception, from 4, to 17), the force notifies the child's school before the
start of the next school day (`encompass_due_hour`). Some notifications are never sent: the child was not
identified (`encompass_not_identified_share`), or the child is on no school roll the force can find (independent
school, home education, a school elsewhere). Some are sent late (`encompass_late_share`). Rates are assumptions:
nothing national is published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context

STATUSES = ("on_time", "late", "not_sent")
REASONS = ("child_not_identified", "school_unknown")


@dataclass(frozen=True)
class Notifications:
    role: NDArray[np.int64]  # row of agencies/police/incident_persons
    school: NDArray[np.int64]  # row of plan.schools, -1 when unknown
    due: NDArray[np.datetime64]  # seconds
    sent: NDArray[np.datetime64]  # NaT when not sent
    status: NDArray[np.int64]
    reason: NDArray[np.int64]  # -1 when sent

    def __len__(self) -> int:
        return len(self.role)


def notifications(rng: np.random.Generator, ctx: Context, people: Everyone) -> Notifications:
    params = ctx.plan.params
    roles = ctx.made["agencies/police/incident_persons"]
    if roles.context is None:
        raise ValueError("a role in an incident carries its incident's type and time")
    role = roles.table.column("role").to_numpy(zero_copy_only=False).astype(object)
    kind = roles.context.column("incident_type").to_numpy(zero_copy_only=False).astype(object)
    occurred = roles.context.column("occurred_at").to_numpy(zero_copy_only=False).astype("datetime64[s]")
    row = people.rows(roles.person_id)
    age = (occurred.astype("datetime64[D]") - people.date_of_birth[row]).astype(np.int64) / 365.25
    chosen = np.flatnonzero((role == "child_present") & (kind == "domestic_abuse") & (age >= 4) & (age < 18))
    school = np.full(len(chosen), -1, np.int64)
    if ctx.pupils is not None:
        ids, first = np.unique(ctx.pupils.person_id, return_index=True)
        at = np.searchsorted(ids, roles.person_id[chosen])
        on_roll = (at < len(ids)) & (ids[np.minimum(at, max(len(ids) - 1, 0))] == roles.person_id[chosen])
        school[on_roll] = ctx.pupils.school[first[at[on_roll]]]
    when = occurred[chosen]
    next_school_day = np.busday_offset(when.astype("datetime64[D]"), 1, roll="forward")
    due = next_school_day.astype("datetime64[s]") + np.timedelta64(int(params["encompass_due_hour"] * 3600), "s")
    missed = rng.random(len(chosen)) < params["encompass_not_identified_share"]
    reason = np.where(missed, 0, np.where(school < 0, 1, -1)).astype(np.int64)
    late = (rng.random(len(chosen)) < params["encompass_late_share"]) & (reason < 0)
    window = np.maximum((due - when).astype(np.int64) - 3600, 60)
    on_time = when + np.timedelta64(1800, "s") + (rng.random(len(chosen)) * window).astype("timedelta64[s]")
    after = due + rng.integers(3600, 3 * 86_400, len(chosen)).astype("timedelta64[s]")
    sent = np.where(late, after, on_time)
    sent[reason >= 0] = np.datetime64("NaT")
    status = np.where(reason >= 0, 2, np.where(late, 1, 0)).astype(np.int64)
    return Notifications(chosen, school, due, sent, status, reason)


def table(ctx: Context, found: Notifications) -> pa.Table:
    roles = ctx.made["agencies/police/incident_persons"].table
    take = pa.array(found.role, pa.int64())
    urn = np.asarray(ctx.plan.schools.code, dtype=object)[np.maximum(found.school, 0)]
    return pa.table(
        {
            "incident_id": roles.column("incident_id").combine_chunks().take(take),
            "police_person_id": roles.column("police_person_id").combine_chunks().take(take),
            "school_urn": pa.array(urn, pa.string(), mask=found.school < 0),
            "due_by": pa.array(found.due, pa.timestamp("s")),
            "sent_at": pa.array(found.sent, pa.timestamp("s"), mask=np.isnat(found.sent)),
            "status": pa.array(np.asarray(STATUSES, dtype=object)[found.status], pa.string()),
            "reason_not_sent": pa.array(
                np.asarray(REASONS, dtype=object)[np.maximum(found.reason, 0)], pa.string(), mask=found.reason < 0
            ),
        }
    )
