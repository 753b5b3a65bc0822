"""What the authority's records show when a child it knows dies: the date noted, nothing begun after it, and
whatever was open then ended on that day.

Every child death is notified to the local child death review partners, the authority among them. Deaths are
drawn apart from the pathway (world/deaths.py), so this only cuts records short.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies import AgencyTable
from synthgen.agencies.social_care_records import SocialCareTables

DIED = {"closure": "RC2", "episode": "E2", "in_touch": "DIED"}
"""The codes for a child's death: a CIN episode closed (RC2), a period of care ceased (E2), a care leaver no
longer in touch (OC3 DIED)."""


class _Deaths:
    """The dates of death of the children the authority knows, to cut each table's rows by (by la_child_id)."""

    def __init__(self, ids: pa.Array, dead: pa.Array) -> None:
        self.ids = ids
        self.dead = dead

    def of(self, t: pa.Table) -> pa.Array:
        """The date of death of each row's child (null for the living)."""
        return pc.take(self.dead, pc.index_in(t["la_child_id"], value_set=self.ids))

    def before(self, t: pa.Table, column: str) -> pa.Table:
        """The rows whose `column` date is not after the child's death."""
        return t.filter(pc.invert(pc.fill_null(pc.greater(t[column], self.of(t)), False)))

    def ended(self, t: pa.Table, column: str, codes: dict[str, str] | None = None) -> pa.Table:
        """`column` (an end date) set to the death where it was open or later; `codes` set where it was."""
        death_of = self.of(t)
        cut = pc.fill_null(pc.or_kleene(pc.is_null(t[column]), pc.greater(t[column], death_of)), False)
        cut = pc.and_(cut, pc.is_valid(death_of))
        t = t.set_column(t.schema.get_field_index(column), column, pc.if_else(cut, death_of, t[column]))
        for name, value in (codes or {}).items():
            kind = t.schema.field(name).type
            t = t.set_column(t.schema.get_field_index(name), name, pc.if_else(cut, pa.scalar(value, kind), t[name]))
        return t

    def capped(self, t: pa.Table, column: str) -> pa.Table:
        """`column` (a date that may be null) no later than the child's death."""
        death_of = self.of(t)
        later = pc.fill_null(pc.greater(t[column], death_of), False)
        return t.set_column(t.schema.get_field_index(column), column, pc.if_else(later, death_of, t[column]))


def with_deaths(tables: SocialCareTables, death: NDArray[np.datetime64]) -> SocialCareTables:
    """The records as the authority holds them when a child it knows dies (`death`: each children row's date of
    death, NaT for the living): the child's record notes the date (every child death is notified to the local
    child death review partners, the authority among them), nothing begins after it, and whatever was open then
    ends on that day (the CIN episode closed as RC2, a plan ended, a period of care ceased as E2; a care leaver
    is no longer in touch, DIED). Deaths are drawn apart from the pathway, so this only cuts records short."""
    children = tables.children
    dead = pa.array(death, pa.date32(), mask=np.isnat(death))
    table = children.table.append_column("date_of_death", dead)
    recorded = AgencyTable(children.source, children.name, table, children.key, children.person_id)
    tables = replace(tables, children=recorded)
    if not np.any(~np.isnat(death)):
        return tables
    deaths = _Deaths(table["la_child_id"].combine_chunks(), dead)
    return _care_cut_short(_pathway_cut_short(tables, deaths), deaths)


def _pathway_cut_short(tables: SocialCareTables, deaths: _Deaths) -> SocialCareTables:
    """Referrals, assessments, plans, enquiries and conferences up to each child's death, what was open closed
    then (a referral's episode as RC2, an assessment in progress)."""
    closed = {"closure_reason": DIED["closure"]}
    referrals = deaths.ended(deaths.before(tables.referrals, "referral_date"), "closure_date", closed)
    kept = referrals["referral_id"].combine_chunks()

    def of_kept(t: pa.Table) -> pa.Table:
        return t.filter(pc.is_in(t["referral_id"], value_set=kept))

    # an assessment still in progress closes with the episode (the DfE rejects a closed episode whose assessment
    # is not completed: 8867)
    assessments = deaths.ended(of_kept(deaths.before(tables.assessments, "start_date")), "authorised_date")
    cin_plans = deaths.ended(of_kept(deaths.before(tables.cin_plans, "start_date")), "end_date")
    section47 = of_kept(deaths.before(tables.section47, "start_date"))
    icpcs = deaths.before(tables.icpcs, "conference_date")
    icpcs = icpcs.filter(pc.is_in(icpcs["section47_id"], value_set=section47["section47_id"].combine_chunks()))
    cp_plans = deaths.ended(deaths.before(tables.cp_plans, "start_date"), "end_date")
    if "review_dates" in cp_plans.schema.names:
        cp_plans = _reviews_until(cp_plans, deaths.of(cp_plans))
    return replace(
        tables,
        referrals=referrals,
        assessments=assessments,
        cin_plans=cin_plans,
        section47=section47,
        icpcs=icpcs,
        cp_plans=cp_plans,
    )


def _care_cut_short(tables: SocialCareTables, deaths: _Deaths) -> SocialCareTables:
    """The looked-after record up to each child's death: the period of care ceased then (E2, no placement
    change), no outcomes for a child who died before the year's end, and a care leaver no longer in touch."""
    episodes = deaths.ended(
        deaths.before(tables.cla_episodes, "start_date"),
        "end_date",
        {"reason_episode_ceased": DIED["episode"]},
    )
    # a period of care ended by death is no placement change
    e2 = pc.equal(episodes["reason_episode_ceased"], DIED["episode"])
    change = episodes.schema.get_field_index("reason_place_change")
    episodes = episodes.set_column(
        change, "reason_place_change", pc.if_else(e2, pa.scalar(None, pa.string()), episodes["reason_place_change"])
    )
    missing = deaths.capped(deaths.before(tables.cla_missing, "start_date"), "end_date")
    # outcomes are for children still looked after on the year's last day
    outcomes = tables.cla_outcomes.filter(
        pc.invert(pc.fill_null(pc.less_equal(deaths.of(tables.cla_outcomes), tables.cla_outcomes["year_end"]), False))
    )
    leavers = tables.care_leavers
    gone = pc.is_valid(deaths.of(leavers))
    none = pa.scalar(None, pa.string())
    for name, value in (("in_touch", pa.scalar(DIED["in_touch"])), ("activity", none), ("accommodation", none)):
        leavers = leavers.set_column(leavers.schema.get_field_index(name), name, pc.if_else(gone, value, leavers[name]))
    return replace(
        tables,
        cla_episodes=episodes,
        cla_reviews=deaths.before(tables.cla_reviews, "review_date"),
        cla_missing=missing,
        cla_adoption_decisions=deaths.before(tables.cla_adoption_decisions, "decision_date"),
        cla_adoptions=deaths.before(tables.cla_adoptions, "date_matched"),
        cla_outcomes=outcomes,
        care_leavers=leavers,
    )


def _reviews_until(cp: pa.Table, death_of: pa.Array) -> pa.Table:
    """Each plan's review dates up to the child's death."""
    lists = cp["review_dates"].combine_chunks()
    parent = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    keep = pc.invert(pc.fill_null(pc.greater(flat, pc.take(death_of, parent)), False)).to_numpy(zero_copy_only=False)
    counts = np.bincount(parent.to_numpy(zero_copy_only=False)[keep], minlength=cp.num_rows)
    offsets = np.zeros(cp.num_rows + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    reviews = pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)))
    return cp.set_column(cp.schema.get_field_index("review_dates"), "review_dates", reviews)
