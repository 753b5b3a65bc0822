"""What a sharing evaluation scores against, read once from a run: whose every record id is, who was at risk and
from when, whose case became visible across agencies and when, who is family of whom, and the sharing policy.

Everything is held as columns (sorted person ids beside their values), so that scoring a file is a handful of
joins and searches over arrays, and many files can be scored against one run without reading it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy
from synthgen import signals as signal_rules
from synthgen.errors import SynthgenError
from synthgen.run_folder import Run
from synthgen.world.simulate import NEEDS

Days = NDArray[np.datetime64]
Ids = NDArray[np.int64]
EARLIEST = dt.date(1, 1, 1)
"""The day a record held from before the period (known_on null) counts as known from: before any flag."""
TRUTH_TABLES = ("truth/records", "truth/events", "truth/people", "truth/risk", "truth/signals")


@dataclass(frozen=True)
class Truth:
    """What the scores rest on, read once from a run, as columns (sorted person ids beside their values)."""

    ids: pa.Table  # record_id, person_id, agency, known_on: every record id of the run (agency files, linkage view)
    person_id: Ids  # every person, sorted
    dob: Days  # their dates of birth (for 'is a child on the day')
    at_risk_ids: Ids  # children at risk, sorted
    at_risk_onset: Days  # the onset of their need (NaT when unknown)
    concerns: pa.Table  # person_id, concern: each child at risk's needs (truth/risk's, then its storylines')
    visible_ids: Ids  # children whose case became visible across agencies, sorted
    visible_on: Days  # the day it did
    signals: pa.Table  # truth/signals
    storylines: pa.Table  # truth/storylines (empty before storylines exist)
    relative_a: Ids  # each relationship both ways round: relative_a[i] is related to relative_b[i]
    relative_b: Ids
    period: tuple[dt.date, dt.date]
    policy: sharing_policy.Allowed

    @property
    def at_risk(self) -> dict[int, dt.date | None]:
        """Child at risk -> onset of the need (None when unknown), for callers who want a mapping."""
        return dict(zip(self.at_risk_ids.tolist(), self.at_risk_onset.tolist(), strict=True))

    @property
    def visible(self) -> dict[int, dt.date]:
        """Child -> the day its case became visible across agencies, for callers who want a mapping."""
        return dict(zip(self.visible_ids.tolist(), self.visible_on.tolist(), strict=True))


def day_of(keys: Ids, values: Days, query: Ids) -> Days:
    """values[i] for keys[i] == each query (keys sorted and unique), NaT where a query is not a key."""
    at = np.searchsorted(keys, query)
    inside = at < len(keys)
    found = np.zeros(len(query), bool)
    found[inside] = keys[at[inside]] == query[inside]
    out = np.full(len(query), np.datetime64("NaT"), "datetime64[D]")
    out[found] = values[at[found]]
    return out


def min_by(group: Ids, day: Days, groups: int) -> Days:
    """The earliest known day of each group 0..groups-1 (NaT when it has none)."""
    known = ~np.isnat(day)
    least = np.full(groups, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(least, group[known], day[known].astype(np.int64))
    out = least.astype("datetime64[D]")
    out[least == np.iinfo(np.int64).max] = np.datetime64("NaT")
    return out


def is_child(truth: Truth, person: Ids | Sequence[int], day: Days | Sequence[dt.date]) -> NDArray[np.bool_]:
    """Whether each person is a child (under 18, or unborn) on the day."""
    people = np.asarray(person, np.int64)
    return signal_rules.is_child(day_of(truth.person_id, truth.dob, people), np.asarray(day, "datetime64[D]"))


def _record_ids(run: Run) -> pa.Table:
    """(record_id, person_id, agency, known_on) for every id a system may name: linkage view ids, agency record
    ids and event ids (an incident maps to everyone in it); known_on is the day its agency first held it (the
    period's first day before it for a record held from before the period), so that a flag citing a record
    before that day can be told apart as from the future."""
    columns = ["record_id", "person_id", "source", "known_on"]
    records = run.read("truth/records", ["record_id", "source", "source_record_id", "person_id", "known_on"])
    events = run.read("truth/events", ["source", "record_id", "person_id", "known_on"])
    ids = pa.concat_tables(
        [
            records.select(columns),
            records.select(["source_record_id", "person_id", "source", "known_on"]).rename_columns(columns),
            events.select(columns).cast(records.select(columns).schema),
        ]
    ).rename_columns(["record_id", "person_id", "agency", "known_on"])
    ids = ids.set_column(3, "known_on", pc.fill_null(ids["known_on"], pa.scalar(EARLIEST, pa.date32())))
    return (
        ids.group_by(["record_id", "person_id"])
        .aggregate([("agency", "min"), ("known_on", "min")])
        .rename_columns(["record_id", "person_id", "agency", "known_on"])
    )


def _at_risk(run: Run, storylines: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The children at risk with the onset of their first need (person_id, onset_min, sorted), and each one's
    concerns: truth/risk's needs, then a storyline's concern unless it is already among them (first time only)."""
    risk = run.read("truth/risk")
    needs = risk.filter(pc.is_in(risk["kind"], value_set=pa.array(sorted(NEEDS))))
    subjects = storylines.filter(pc.field("at_risk"))
    onsets = pa.concat_tables(
        [
            needs.select(["person_id", "onset"]).cast(subjects.select(["person_id", "onset"]).schema),
            subjects.select(["person_id", "onset"]),
        ]
    )
    at_risk = onsets.group_by("person_id", use_threads=False).aggregate([("onset", "min")]).sort_by("person_id")
    stated = pa.table(
        {
            "person_id": subjects["person_id"],
            "concern": subjects["concern"],
            "position": pa.array(np.arange(subjects.num_rows)),
        }
    )
    stated = stated.group_by(["person_id", "concern"], use_threads=False).aggregate([("position", "min")])
    known = needs.select(["person_id", "kind"]).rename_columns(["person_id", "concern"])
    stated = stated.join(
        known.group_by(["person_id", "concern"]).aggregate([]), ["person_id", "concern"], join_type="left anti"
    )
    stated = stated.sort_by("position_min").select(["person_id", "concern"])
    return at_risk, pa.concat_tables([known.cast(stated.schema), stated])


def read_truth(run: Run) -> Truth:
    """Everything a sharing evaluation of this run scores against."""
    for name in TRUTH_TABLES:
        if not run.has(name):
            raise SynthgenError(f"{run.path}: this run has no {name} (generated before sharing truth existed?)")
    people = run.read("truth/people", ["person_id", "date_of_birth"])
    person_id = people["person_id"].to_numpy()
    by_person = np.argsort(person_id, kind="stable")
    storylines = run.read_or_empty("truth/storylines")
    at_risk, concerns = _at_risk(run, storylines)
    found = run.read("truth/signals")
    visible = signal_rules.visibility(found).sort_by("person_id")
    relations = run.read("truth/relationships", ["person_id", "relative_id"])
    a, b = relations["person_id"].to_numpy(), relations["relative_id"].to_numpy()
    period = run.manifest.get("period", {})
    return Truth(
        ids=_record_ids(run),
        person_id=person_id[by_person],
        dob=signal_rules.days(people["date_of_birth"].combine_chunks())[by_person],
        at_risk_ids=at_risk["person_id"].to_numpy(),
        at_risk_onset=signal_rules.days(at_risk["onset_min"].combine_chunks()),
        concerns=concerns,
        visible_ids=visible["person_id"].to_numpy(),
        visible_on=signal_rules.days(visible["visible_on"].combine_chunks()),
        signals=found,
        storylines=storylines,
        relative_a=np.r_[a, b].astype(np.int64),
        relative_b=np.r_[b, a].astype(np.int64),
        period=(dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])),
        policy=sharing_policy.of_scenario(run.manifest.get("scenario", {})),
    )
