"""CP-IS: what the local authority shares with the NHS about children on plans and in care, and what health sees.

The authority uploads each child protection plan (CPP), unborn child protection plan (UCPP: the mother's NHS
number and date of birth) and period of care (CLA) that is open, or ended in the twelve months before the
period's end, keyed by the NHS number its own record holds. A record without a valid NHS number cannot be
matched on the Spine and is not shared (NHS Digital: an authority goes live only with 95% matched); so a child
whose record lacks the number, or holds a mistyped one, is invisible to the A&E department that sees them.
Health sees every uploaded plan as a flag against the NHS number, with the responsible authority.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context
from synthgen.kernel import identifiers, strings
from synthgen.kernel.arrays import first_of_runs

NOT_UPLOADED = "no valid NHS number"


def _periods_of_care(episodes: pa.Table) -> pa.Table:
    """One row per period of care: from an episode that started it (S) to the end of the last episode before the
    child's next period (null while open)."""
    child = episodes.column("la_child_id").to_numpy(zero_copy_only=False).astype(object)
    start = signals.days(episodes.column("start_date").combine_chunks())
    end = signals.days(episodes.column("end_date").combine_chunks())
    new = episodes.column("reason_for_new_episode").fill_null("").to_numpy(zero_copy_only=False).astype(object) == "S"
    order = np.lexsort((start, child))
    child, start, end, new = child[order], start[order], end[order], new[order]
    new |= first_of_runs(child)
    period = np.cumsum(new) - 1
    last = np.r_[period[1:] != period[:-1], True] if len(period) else np.zeros(0, bool)
    period_end = np.full(int(new.sum()), np.datetime64("NaT"), dtype="datetime64[D]")
    period_end[period[last]] = end[last]
    return pa.table(
        {
            "la_child_id": pa.array(child[new], pa.string()),
            "start_date": pa.array(start[new], pa.date32()),
            "end_date": pa.array(period_end, pa.date32(), mask=np.isnat(period_end)),
        }
    )


def uploads(ctx: Context, people: Everyone) -> tuple[pa.Table, NDArray[np.int64]]:
    """cpis_uploads (without ids) and each row's person id (the child, or the unborn child's mother)."""
    end = np.datetime64(ctx.plan.period_end, "D")
    children = ctx.held["agencies/social_care/children"]
    plans = ctx.made["agencies/social_care/cp_plans"].table.select(["la_child_id", "start_date", "end_date"])
    care = _periods_of_care(ctx.made["agencies/social_care/cla_episodes"].table)
    both = pa.concat_tables([plans, care.cast(plans.schema)])
    kind = np.r_[np.full(plans.num_rows, "CPP", dtype=object), np.full(care.num_rows, "CLA", dtype=object)]
    began = signals.days(both.column("start_date").combine_chunks())
    ended = signals.days(both.column("end_date").combine_chunks())
    in_scope = (began <= end) & (np.isnat(ended) | (ended >= end - np.timedelta64(365, "D")))
    both, kind, began = both.filter(pa.array(in_scope)), kind[in_scope], began[in_scope]
    # the child's record as the authority holds it (its first row; a duplicate is not what it uploads from)
    ids = children.table.column("la_child_id").combine_chunks()
    row = pc.index_in(both.column("la_child_id"), value_set=ids).to_numpy(zero_copy_only=False)
    row = np.nan_to_num(row.astype(float), nan=-1).astype(np.int64)
    person = np.where(row >= 0, children.person_id[np.maximum(row, 0)], -1)
    nhs = children.table.column("nhs_number").combine_chunks().take(pa.array(np.maximum(row, 0)))
    dob = children.table.column("date_of_birth").combine_chunks().take(pa.array(np.maximum(row, 0)))
    # a plan made before birth is the unborn child's: shared under the mother's number and date of birth
    person_row = people.rows(person)
    valid_person = person >= 0
    born = np.full(len(person), np.datetime64("NaT"), dtype="datetime64[D]")
    born[valid_person] = people.date_of_birth[person_row[valid_person]]
    unborn = valid_person & (kind == "CPP") & (began < born)
    mother = np.where(unborn, people.mother[np.maximum(person_row, 0)], -1)
    n_pop = len(ctx.pop.people.person_id)
    has_mother = (mother >= 0) & (mother < n_pop)
    mother_nhs = np.full(len(person), None, dtype=object)
    mother_nhs[has_mother] = ctx.pop.people.nhs_number[mother[has_mother]]
    mother_dob = np.full(len(person), np.datetime64("NaT"), dtype="datetime64[D]")
    mother_dob[has_mother] = ctx.pop.people.date_of_birth[mother[has_mother]]
    nhs = pc.if_else(pa.array(unborn), pa.array(mother_nhs, pa.string()), nhs)
    dob = pc.if_else(pa.array(unborn), pa.array(mother_dob, pa.date32(), mask=np.isnat(mother_dob)), dob)
    kind = np.where(unborn, "UCPP", kind)
    valid = identifiers.is_valid_nhs_number(nhs)
    table = pa.table(
        {
            "la_child_id": both.column("la_child_id").combine_chunks(),
            "nhs_number": nhs,
            "date_of_birth": dob,
            "plan_type": pa.array(kind, pa.string()),
            "start_date": both.column("start_date").combine_chunks(),
            "end_date": both.column("end_date").combine_chunks(),
            "uploaded": pa.array(valid),
            "reason_not_uploaded": pa.array(np.full(len(kind), NOT_UPLOADED, dtype=object), pa.string(), mask=valid),
        }
    )
    return table, np.where(unborn, people.base + mother, person)


def flags(ctx: Context, uploaded: pa.Table) -> pa.Table:
    """What health sees: each uploaded plan against its NHS number, with the responsible authority."""
    shared = uploaded.filter(uploaded.column("uploaded"))
    return pa.table(
        {
            "nhs_number": shared.column("nhs_number"),
            "plan_type": shared.column("plan_type"),
            "start_date": shared.column("start_date"),
            "end_date": shared.column("end_date"),
            "responsible_la": strings.repeated(ctx.plan.la.name, shared.num_rows),
        }
    )
