"""The payload's social care episodes: each child's referrals, with every pathway record nested in one of them.

An assessment, a child in need plan or a section 47 enquiry names its referral. A child protection plan, a
looked-after placement (an SSDA903 episode), an adoption and a care leaver's contact name none, so each goes to
the child's latest referral on or before its own date (the plan's or placement's start, the adoption decision, the
contact), and one dated before all of the child's referrals to a stand-in episode named by the child's
la_child_id, with no referral date: what the LA held before the referrals in its extract (a period of care begun
years before). A deleted record (purge) is sent in its place with purge: true, and nothing is nested under a
deleted referral.

All of it over columns: each record gets its episode from one search over the referrals sorted by child and date,
and each list is an Arrow list array with offsets from a search over the episodes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

PURGE = "purge"
MADE = "made"
"""Columns every source's rows carry besides their own: `purge` (the record was deleted: sent once with
purge: true) and `made` (the day the LA made the record; a care leaver's contact date)."""
DAY_SPAN = np.int64(1 << 33)
DAY_OFFSET = np.int64(1 << 31)
LATEST = np.int64((1 << 31) - 1)
"""The day of a record without one: after every referral, so it goes to the child's latest."""


def child_index(table: pa.Table, kids: pa.Array) -> NDArray[np.int64]:
    """Each row's child, as its position among `kids`; -1 for a child not sent."""
    at = pc.index_in(table["la_child_id"], value_set=kids)
    result: NDArray[np.int64] = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return result


def text_dates(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A date column as YYYY-MM-DD text, the payload's dates (null stays null)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.strftime(array.cast(pa.date32()).cast(pa.timestamp("s")), format="%Y-%m-%d")


def ranks(values: pa.Array | pa.ChunkedArray) -> NDArray[np.int64]:
    """Each value's rank in sort order (a sort key numpy can use for text)."""
    order = pc.sort_indices(values).to_numpy()
    result = np.empty(len(values), np.int64)
    result[order] = np.arange(len(values))
    return result


def day_numbers(values: pa.Array | pa.ChunkedArray, missing: np.int64 = LATEST) -> NDArray[np.int64]:
    """A date column as day numbers, `missing` for nulls."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    days = pc.fill_null(array.cast(pa.date32()).cast(pa.int32()), int(missing))
    result: NDArray[np.int64] = days.to_numpy(zero_copy_only=False).astype(np.int64)
    return result


class Referrals:
    """The referrals of the children sent, sorted by child then date, and how to find a record's episode."""

    def __init__(self, referrals: pa.Table, kids: pa.Array) -> None:
        child = child_index(referrals, kids)
        keep = np.flatnonzero(child >= 0)
        self.table = referrals.take(pa.array(keep))
        self.child = child[keep]
        self.day = day_numbers(self.table["referral_date"])
        self.purge = self.table[PURGE].combine_chunks().to_numpy(zero_copy_only=False).astype(bool)
        held = np.flatnonzero(~self.purge)
        order = held[
            np.lexsort((ranks(self.table["referral_id"].take(pa.array(held))), self.day[held], self.child[held]))
        ]
        self._sorted = order
        self._key = self.child[order] * DAY_SPAN + self.day[order] + DAY_OFFSET

    def by_date(self, child: NDArray[np.int64], day: NDArray[np.int64]) -> NDArray[np.int64]:
        """Each record's referral (a row of `table`): the child's latest held referral on or before `day`; -1 where
        none is."""
        if not len(self._key):
            return np.full(len(child), -1, np.int64)
        at = np.searchsorted(self._key, child * DAY_SPAN + day + DAY_OFFSET, side="right") - 1
        row = self._sorted[np.maximum(at, 0)]
        found: NDArray[np.int64] = np.where((at >= 0) & (self.child[row] == child), row, -1)
        return found

    def by_id(
        self, ids: pa.Array | pa.ChunkedArray, child: NDArray[np.int64], day: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """Each record's own referral where it is held, else by date."""
        held_rows = np.flatnonzero(~self.purge)
        held_ids = self.table["referral_id"].combine_chunks().take(pa.array(held_rows, pa.int64()))
        at = pc.fill_null(pc.index_in(ids, value_set=held_ids), -1).to_numpy(zero_copy_only=False).astype(np.int64)
        named = held_rows[np.maximum(at, 0)] if len(held_rows) else np.zeros(len(at), np.int64)
        found: NDArray[np.int64] = np.where(at >= 0, named, self.by_date(child, day))
        return found


def _records(rows: Mapping[str, pa.Table], name: str, kids: pa.Array) -> tuple[pa.Table, NDArray[np.int64]]:
    """A source's rows for the children sent, and each row's child."""
    table = rows[name]
    child = child_index(table, kids)
    keep = np.flatnonzero(child >= 0)
    return table.take(pa.array(keep)), child[keep]


def episodes(rows: Mapping[str, pa.Table], kids: pa.Array) -> tuple[pa.StructArray, NDArray[np.int64]]:
    """Every child's episodes (one struct each, with their lists), in child order, and the offsets of each child's."""
    refs = Referrals(rows["referrals"], kids)
    parts = _attached(rows, kids, refs)
    # the episodes: every referral, and a stand-in for each child with a record before all its referrals
    stand_in = np.unique(np.concatenate([child[episode < 0] for _, child, episode, _ in parts.values()]))
    n_ref, n_stand = len(refs.child), len(stand_in)
    child = np.r_[refs.child, stand_in]
    kind = np.r_[np.ones(n_ref, np.int64), np.zeros(n_stand, np.int64)]
    day = np.r_[refs.day, np.zeros(n_stand, np.int64)]
    ids = pa.concat_arrays([refs.table["referral_id"].combine_chunks(), kids.take(pa.array(stand_in, pa.int64()))])
    order = np.lexsort((ranks(ids), day, kind, child))
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    stand_position = np.full(len(kids), -1, np.int64)
    stand_position[stand_in] = position[n_ref:]
    columns = _referral_columns(refs.table, n_stand)
    columns = {name: values.take(pa.array(order)) for name, values in columns.items()}
    lists: dict[str, pa.Array] = {}
    for name, (items, item_child, episode, sort_day) in parts.items():
        at = np.where(episode >= 0, position[np.maximum(episode, 0)], stand_position[item_child])
        lists[name] = _nest(items, at, sort_day, len(order))
    struct = pa.StructArray.from_arrays(
        [
            ids.take(pa.array(order)),
            columns["referral_date"],
            columns["referral_source"],
            columns["referral_no_further_action_flag"],
            columns["closure_date"],
            columns["closure_reason"],
            lists["child_and_family_assessments"],
            lists["child_in_need_plans"],
            lists["section_47_assessments"],
            lists["child_protection_plans"],
            lists["child_looked_after_placements"],
            _single(lists["adoption"]),
            _single(lists["care_leavers"]),
            columns[PURGE],
        ],
        [
            "social_care_episode_id",
            "referral_date",
            "referral_source",
            "referral_no_further_action_flag",
            "closure_date",
            "closure_reason",
            "child_and_family_assessments",
            "child_in_need_plans",
            "section_47_assessments",
            "child_protection_plans",
            "child_looked_after_placements",
            "adoption",
            "care_leavers",
            PURGE,
        ],
    )
    offsets = np.searchsorted(child[order], np.arange(len(kids) + 1))
    return struct, offsets


Part = tuple[pa.StructArray, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
"""A list's items, each item's child, its referral (a row of Referrals.table; -1: the stand-in) and sort day."""


def _referral_columns(refs: pa.Table, n_stand: int) -> dict[str, pa.Array]:
    """The referral's own fields of every episode (referrals first, then stand-ins with none of them)."""

    def padded(values: pa.Array) -> pa.Array:
        return pa.concat_arrays([values, pa.nulls(n_stand, values.type)])

    purge = refs[PURGE].combine_chunks()
    return {
        "referral_date": padded(text_dates(refs["referral_date"])),
        "referral_source": padded(refs["referral_source"].combine_chunks()),
        "referral_no_further_action_flag": padded(refs["nfa"].combine_chunks()),
        "closure_date": padded(text_dates(refs["closure_date"])),
        "closure_reason": padded(refs["closure_reason"].combine_chunks()),
        PURGE: pa.concat_arrays([purge, pa.array(np.zeros(n_stand, bool))]),
    }


def _nest(items: pa.StructArray, episode: NDArray[np.int64], day: NDArray[np.int64], n: int) -> pa.ListArray:
    """Items as one list per episode, each list by date then id (the struct's first field)."""
    order = np.lexsort((ranks(items.field(0)), day, episode))
    offsets = np.searchsorted(episode[order], np.arange(n + 1))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items.take(pa.array(order)))


def _single(lists: pa.ListArray) -> pa.StructArray:
    """A list of at most one item per episode as that item, or null (adoption, care leavers: one per child)."""
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    starts = lists.offsets.to_numpy()[:-1]
    values = lists.values
    if not len(values):
        empty: pa.StructArray = pa.nulls(len(lists), values.type)
        return empty
    picked = values.take(pa.array(np.where(lengths > 0, starts, 0)))
    fields = [picked.field(i) for i in range(values.type.num_fields)]
    names = [values.type.field(i).name for i in range(values.type.num_fields)]
    return pa.StructArray.from_arrays(fields, names, mask=pa.array(lengths == 0))


def _attached(rows: Mapping[str, pa.Table], kids: pa.Array, refs: Referrals) -> dict[str, Part]:
    """Every list an episode holds: its items and where each goes."""
    parts: dict[str, Part] = {}
    for name, source, fields in (
        (
            "child_and_family_assessments",
            "assessments",
            {
                "child_and_family_assessment_id": "assessment_id",
                "start_date": "start_date",
                "authorisation_date": "authorised_date",
                "factors": "factors",
            },
        ),
        (
            "child_in_need_plans",
            "cin_plans",
            {"child_in_need_plan_id": "cin_plan_id", "start_date": "start_date", "end_date": "end_date"},
        ),
    ):
        table, child = _records(rows, source, kids)
        day = day_numbers(table["start_date"])
        episode = refs.by_id(table["referral_id"], child, day)
        parts[name] = (_items(table, fields), child, episode, day)
    parts["section_47_assessments"] = _section47(rows, kids, refs)
    for name, source, fields in (
        (
            "child_protection_plans",
            "cp_plans",
            {"child_protection_plan_id": "cp_plan_id", "start_date": "start_date", "end_date": "end_date"},
        ),
        (
            "child_looked_after_placements",
            "cla_episodes",
            {
                "child_looked_after_placement_id": "episode_id",
                "start_date": "start_date",
                "start_reason": "reason_for_new_episode",
                "placement_type": "placement_type",
                "postcode": "placement_postcode",
                "end_date": "end_date",
                "end_reason": "reason_episode_ceased",
                "change_reason": "reason_place_change",
            },
        ),
    ):
        table, child = _records(rows, source, kids)
        day = day_numbers(table["start_date"])
        parts[name] = (_items(table, fields), child, refs.by_date(child, day), day)
    parts["adoption"] = _adoption(rows, kids, refs)
    parts["care_leavers"] = _care_leavers(rows, kids, refs)
    return parts


def _items(table: pa.Table, fields: Mapping[str, str]) -> pa.StructArray:
    """A list's items: the payload's fields from the table's columns (dates as text), and purge."""
    arrays = []
    for column in fields.values():
        values = table[column].combine_chunks()
        arrays.append(text_dates(values) if pa.types.is_date(values.type) else values)
    arrays.append(table[PURGE].combine_chunks())
    return pa.StructArray.from_arrays(arrays, [*fields, PURGE])


def _section47(rows: Mapping[str, pa.Table], kids: pa.Array, refs: Referrals) -> Part:
    """Section 47 enquiries, each with the date of its latest initial conference held."""
    table, child = _records(rows, "section47", kids)
    icpcs = rows["icpcs"].filter(pc.invert(rows["icpcs"][PURGE]))
    latest = icpcs.group_by("section47_id", use_threads=False).aggregate([("conference_date", "max")])
    at = pc.index_in(table["section47_id"], value_set=latest["section47_id"])
    conference = latest["conference_date_max"].combine_chunks().take(at)
    day = day_numbers(table["start_date"])
    items = pa.StructArray.from_arrays(
        [
            table["section47_id"].combine_chunks(),
            text_dates(table["start_date"]),
            table["icpc_required"].combine_chunks(),
            text_dates(conference),
            table[PURGE].combine_chunks(),
        ],
        ["section_47_assessment_id", "start_date", "icpc_required_flag", "icpc_date", PURGE],
    )
    return items, child, refs.by_id(table["referral_id"], child, day), day


def _adoption(rows: Mapping[str, pa.Table], kids: pa.Array, refs: Referrals) -> Part:
    """One adoption per child: the latest decision that it should be placed (cla_adoption_decisions, or the
    placement's own record of it) and the latest match; purged only when every record of it is."""
    decisions, d_child = _records(rows, "cla_adoption_decisions", kids)
    placed, p_child = _records(rows, "cla_adoptions", kids)
    child = np.r_[d_child, p_child]
    decided = np.r_[
        day_numbers(decisions["decision_date"], np.int64(-1)),
        day_numbers(placed["date_should_be_placed"], np.int64(-1)),
    ]
    matched = np.r_[np.full(len(d_child), -1, np.int64), day_numbers(placed["date_matched"], np.int64(-1))]
    purge = np.r_[
        decisions[PURGE].combine_chunks().to_numpy(zero_copy_only=False),
        placed[PURGE].combine_chunks().to_numpy(zero_copy_only=False),
    ].astype(bool)
    n = len(kids)
    best_decided, best_matched = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    np.maximum.at(best_decided, child, decided)
    np.maximum.at(best_matched, child, matched)
    count, purged = np.zeros(n, np.int64), np.zeros(n, np.int64)
    np.add.at(count, child, 1)
    np.add.at(purged, child, purge)
    has = np.flatnonzero(count > 0)
    day = np.where(best_decided[has] >= 0, best_decided[has], best_matched[has])
    items = pa.StructArray.from_arrays(
        [
            _dates_or_null(best_decided[has]),
            _dates_or_null(best_matched[has]),
            pa.array(purged[has] == count[has]),
        ],
        ["initial_decision_date", "matched_date", PURGE],
    )
    return items, has, refs.by_date(has, np.where(day >= 0, day, LATEST)), day


def _dates_or_null(days: NDArray[np.int64]) -> pa.Array:
    """Day numbers as YYYY-MM-DD text, -1 as null."""
    return text_dates(pa.array(days.astype(np.int32), mask=days < 0).cast(pa.date32()))


def _care_leavers(rows: Mapping[str, pa.Table], kids: pa.Array, refs: Referrals) -> Part:
    """One care leaver's record per child: its latest held (else its latest deleted), the contact dated by the day
    the LA made the record (the OC3 return carries no date of its own)."""
    table, child = _records(rows, "care_leavers", kids)
    made = day_numbers(table[MADE])
    purge = table[PURGE].combine_chunks().to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.lexsort((ranks(table["leaver_id"]), -made, purge, child))
    first = order[np.r_[True, child[order][1:] != child[order][:-1]]] if len(order) else order
    table = table.take(pa.array(first))
    items = pa.StructArray.from_arrays(
        [
            text_dates(table[MADE]),
            table["activity"].combine_chunks(),
            table["accommodation"].combine_chunks(),
            table[PURGE].combine_chunks(),
        ],
        ["contact_date", "activity", "accommodation", PURGE],
    )
    return items, child[first], refs.by_date(child[first], made[first]), made[first]
