"""Annex A list 8, children in care, and the periods of care it and list 10 (adoption) are read from.

- List 8: every child looked after on the day of inspection, and every child who ceased to be looked after in the
  window; one row per child, their latest period of care as it stood on the day (the current placement and legal
  status, the placements, missing and absent spells of the last twelve months). A run records no visits, IRO
  contacts, health or dental checks or return interviews: those columns are blank. The permanence plan is written
  where the run records one (adoption: a decision that the child should be placed for adoption), blank otherwise.
  Placement location and the placing area come from the placement's postcode (ONS Postcode Directory).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.outputs.returns.annex_a_people import Register, identity
from synthgen.outputs.returns.annex_a_spec import (
    Window,
    between,
    coded,
    counts_of,
    dates,
    day,
    days,
    shaped,
    yes_no,
)

OPEN = 2**30
"""The end of a period or episode still open on the day of inspection (days since 1970)."""
ADOPTED = ("E11", "E12")
PLACED_FOR_ADOPTION = ("A3", "A4", "A5", "A6")
FOSTERING_FOR_ADOPTION = ("U2", "U5")


@dataclass(frozen=True)
class Episodes:
    """Episodes of care begun by the inspection, sorted by child and start, each with its period of care (a new
    one at each start, S), its placement (a new one at S, P or B) and its run of one legal status; ends after the
    inspection are open."""

    table: pa.Table
    child: NDArray[np.object_]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    period: NDArray[np.int64]  # the period's number
    first: NDArray[np.int64]  # each period's first episode
    last: NDArray[np.int64]  # each period's last episode
    placement: NDArray[np.int64]  # the placement's number
    placement_start: NDArray[np.int64]
    placement_end: NDArray[np.int64]  # of each episode's placement
    status_start: NDArray[np.int64]

    @classmethod
    def of(cls, episodes: pa.Table, inspection: dt.date) -> Episodes:
        on = day(inspection)
        episodes = episodes.filter(pa.array(days(episodes["start_date"]) <= on))
        order = [("la_child_id", "ascending"), ("start_date", "ascending"), ("episode_id", "ascending")]
        episodes = episodes.sort_by(order)
        child = episodes["la_child_id"].to_numpy(zero_copy_only=False)
        start, end = days(episodes["start_date"]), days(episodes["end_date"])
        end = np.where(end > on, OPEN, end)
        rne = episodes["reason_for_new_episode"].to_numpy(zero_copy_only=False)
        status = episodes["legal_status"].to_numpy(zero_copy_only=False)
        changed = np.ones(len(child), bool)
        changed[1:] = child[1:] != child[:-1]
        new_period = changed | (rne == "S")
        period = np.cumsum(new_period) - 1
        first = np.flatnonzero(new_period)
        last = np.r_[first[1:] - 1, len(child) - 1] if len(first) else first
        placement = np.cumsum(new_period | np.isin(rne, ["P", "B"])) - 1
        new_status = new_period.copy()
        new_status[1:] |= status[1:] != status[:-1]
        run = np.cumsum(new_status) - 1
        return cls(
            episodes,
            child,
            start,
            end,
            period,
            first,
            last,
            placement,
            _first_of(start, placement),
            _last_of(end, placement),
            _first_of(start, run),
        )

    def column(self, name: str, at: NDArray[np.int64]) -> pa.Array:
        return pc.take(self.table[name], pa.array(at, pa.int64()))

    def first_start_where(self, flag: NDArray[np.bool_]) -> NDArray[np.int64]:
        """For each period, the start of its first episode where `flag` holds (OPEN if none)."""
        if not len(self.first):
            return np.zeros(0, np.int64)
        result: NDArray[np.int64] = np.minimum.reduceat(np.where(flag, self.start, OPEN), self.first)
        return result


def _first_of(values: NDArray[np.int64], group: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each row, the value at the first row of its group (groups numbered 0, 1, ... in row order)."""
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    result: NDArray[np.int64] = values[starts][group]
    return result


def _last_of(values: NDArray[np.int64], group: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each row, the value at the last row of its group (groups numbered 0, 1, ... in row order)."""
    ends = np.flatnonzero(np.diff(group, append=group[-1] + 1 if len(group) else 0))
    result: NDArray[np.int64] = values[ends][group]
    return result


def _latest_within(
    children: pa.Array, since: NDArray[np.int64], until: NDArray[np.int64], table: pa.Table, column: str
) -> NDArray[np.int64]:
    """For each of `children`, the latest day of `column` in the rows of `table` about them, from `since` to
    `until` (-1 if none)."""
    child, held = table["la_child_id"], days(table[column])
    row = np.asarray(pc.index_in(child, value_set=children).fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    mine = row >= 0
    row, held = row[mine], held[mine]
    inside = (held >= since[row]) & (held <= until[row])
    latest = np.full(len(children), -1, np.int64)
    np.maximum.at(latest, row[inside], held[inside])
    return latest


def _areas(postcodes: pa.Array, la_number: int) -> tuple[pa.Array, pa.Array]:
    """Each placement postcode's location (in or out of the local authority's area) and the area's name, from the
    ONS Postcode Directory (null for a postcode it does not hold)."""
    codes = pc.fill_null(postcodes, "").to_numpy(zero_copy_only=False).astype(str)
    outward = np.char.partition(codes, " ")[:, 0] if len(codes) else codes
    directory = reference.postcodes_in(np.unique(outward).tolist())
    at = pc.index_in(pa.array(codes, pa.string()), value_set=pa.array(directory.postcode, pa.string()))
    district = pc.take(pa.array(directory.district, pa.string()), at)
    authorities = reference.local_authorities()
    names = {code: la.name for la in authorities.values() for code in la.district_codes}
    found = pc.unique(district.drop_null()).to_pylist()
    named = pc.take(pa.array([names.get(d, d) for d in found], pa.string()), pc.index_in(district, pa.array(found)))
    home = pa.array(sorted(authorities[la_number].district_codes), pa.string())
    inside = pc.is_in(district, value_set=home)
    location = pc.if_else(pc.is_valid(district), pc.if_else(inside, "in", "out"), pa.scalar(None, pa.string()))
    return coded(location, "location"), named


def looked_after_list(tables: dict[str, pa.Table], register: Register, window: Window, la_number: int) -> pa.Table:
    """List 8: children looked after on the day of inspection or who ceased to be in the window."""
    ep = Episodes.of(tables["cla_episodes"], window.inspection)
    on, year = day(window.inspection), day(window.year_start)
    ends = ep.end[ep.last]
    owner = ep.child[ep.first]
    candidates = np.flatnonzero((ends == OPEN) | ((ends >= day(window.start)) & (ends <= on)))
    # each child's latest such period
    keep = candidates[np.r_[owner[candidates][1:] != owner[candidates][:-1], True]] if len(candidates) else candidates
    first, last, ended = ep.first[keep], ep.last[keep], ends[keep] != OPEN
    before = np.maximum(keep - 1, 0)
    second = (keep > 0) & (owner[before] == owner[keep]) & (ends[before] >= year)
    children = pa.array(owner[keep], pa.string())
    until = np.minimum(ends[keep], on)
    reviewed = _latest_within(children, ep.start[first], until, tables["cla_reviews"], "review_date")
    decided = _latest_within(children, ep.start[first], until, tables["cla_adoption_decisions"], "decision_date")
    placements = np.flatnonzero(np.diff(ep.placement, prepend=-1))
    recent = placements[(ep.placement_start[placements] <= on) & (ep.placement_end[placements] >= year)]
    spells = tables["cla_missing"]
    spells = spells.filter(between(spells["start_date"], window.year_start, window.inspection))
    uasc = tables["cla_uasc"]
    year_start = pa.scalar(window.year_start, pa.date32())
    asylum = uasc.filter(pc.fill_null(pc.greater_equal(uasc["uasc_ceased"], year_start), True))
    nothing = pa.scalar(None, pa.string())
    ceased = pc.if_else(pa.array(ended), ep.column("reason_episode_ceased", last), nothing)
    location, area = _areas(ep.column("placement_postcode", last), la_number)
    columns = {
        **identity(register, children, window.inspection),
        "uasc": yes_no(pc.is_in(children, value_set=asylum["la_child_id"])),
        "care_start": dates(ep.start[first]),
        "category_of_need": coded(ep.column("category_of_need", last), "need"),
        "second_period": yes_no(second),
        "legal_status_start": dates(ep.status_start[last]),
        "legal_status": coded(ep.column("legal_status", last), "legal_status"),
        "latest_review": dates(reviewed, reviewed >= 0),
        "permanence_plan": coded(pc.if_else(pa.array(decided >= 0), "adoption", nothing), "permanence"),
        "placements_12_months": counts_of(children, pa.array(ep.child[recent], pa.string())),
        "care_ceased": dates(ends[keep], ended),
        "reason_ceased": coded(ceased, "reason_ceased"),
        "placement_start": dates(ep.placement_start[last]),
        "placement_type": coded(ep.column("placement_type", last), "placement_type"),
        "placement_provider": coded(ep.column("placement_provider", last), "provider"),
        "placement_postcode": ep.column("placement_postcode", last),
        "placement_urn": ep.column("urn", last),
        "placement_location": location,
        "placement_la": area,
        "missing_12_months": counts_of(children, spells.filter(pc.equal(spells["kind"], "M"))["la_child_id"]),
        "absent_12_months": counts_of(children, spells.filter(pc.equal(spells["kind"], "A"))["la_child_id"]),
    }
    table = shaped(8, len(keep), columns)
    return table.sort_by([("care_start", "ascending"), ("child_id", "ascending")])
