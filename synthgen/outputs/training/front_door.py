"""A front-door exercise: the contacts of one day, as the hub received them, and for the facilitator what a good
partner check would have found for each, where it sits in the pack, and the decision the truth supports.

The day is the busiest working day on which a planted storyline's child was contacted about (the busiest
working day of all when no storyline child was), so the exercise holds ordinary contacts around a real case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.run_folder import Run

Positions = Mapping[tuple[str, str], tuple[str, Mapping[str, int]]]


@dataclass(frozen=True)
class Exercise:
    day: dt.date
    contacts: pa.Table  # the day's contacts, as the local authority holds them
    subjects: pa.Table  # the people they name, as they name them
    key: pa.Table  # per contact and record: what a good check would find, where it is, and the truth's decision


def _day(run: Run, contacts: pa.Table, truth: pa.Table) -> dt.date:
    received = contacts["received_at"].to_numpy().astype("datetime64[D]")
    weekday = np.is_busday(received)
    period = run.manifest["period"]
    inside = (received >= np.datetime64(period["start"])) & (received <= np.datetime64(period["end"]))
    storyline = pc.is_valid(truth["storyline_id"]).to_numpy(zero_copy_only=False)
    for wanted in (weekday & inside & storyline, weekday & inside):
        if wanted.any():
            days, counts = np.unique(received[weekday & inside], return_counts=True)
            busiest = {d: c for d, c in zip(days.tolist(), counts.tolist(), strict=True)}
            candidates = np.unique(received[wanted]).tolist()
            best: dt.date = max(candidates, key=lambda d: (busiest.get(d, 0), -d.toordinal()))
            return best
    first: dt.date = received.min().astype(object)
    return first


def exercise(run: Run, positions: Positions) -> Exercise | None:
    """The exercise for a run with a front door (None for a run without one)."""
    if not run.has("agencies/social_care/contacts"):
        return None
    contacts = run.read("agencies/social_care/contacts")
    truth = run.read("truth/contacts")
    truth = truth.take(pc.index_in(contacts["contact_id"], value_set=truth["contact_id"]))
    day = _day(run, contacts, truth)
    received = pc.cast(pc.cast(contacts["received_at"], pa.timestamp("s")), pa.date32())
    today = pc.equal(received, pa.scalar(day, pa.date32()))
    todays = contacts.filter(today).sort_by([("received_at", "ascending"), ("contact_id", "ascending")])
    ids = todays["contact_id"]
    subjects = run.read("agencies/social_care/contact_subjects")
    subjects = subjects.filter(pc.is_in(subjects["contact_id"], value_set=ids)).sort_by("contact_id")
    return Exercise(day, todays, subjects, _key(run, todays, truth.filter(today), positions))


def _key(run: Run, todays: pa.Table, truth: pa.Table, positions: Positions) -> pa.Table:
    records = run.read("truth/contact_records")
    records = records.filter(pc.is_in(records["contact_id"], value_set=todays["contact_id"]))
    agency = records["agency"].to_pylist()
    table = records["table"].to_pylist()
    record_id = records["record_id"].to_pylist()
    files, rows = [], []
    for a, t, r in zip(agency, table, record_id, strict=True):  # the records of a day's few contacts
        file, row_of = positions.get((a, t), ("", {}))
        files.append(file or None)
        rows.append(row_of.get(r))
    decided = todays.select(["contact_id", "decision"]).rename_columns(["contact_id", "hub_decision"])
    supported = truth.select(["contact_id", "band", "supported_decision", "storyline_id"])
    found = records.select(["contact_id", "agency", "table", "record_id", "relation", "known_on"])
    found = found.append_column("file", pa.array(files, pa.string())).append_column("row", pa.array(rows, pa.int64()))
    key = decided.join(supported, "contact_id").join(found, "contact_id", join_type="left outer")
    return key.sort_by([("contact_id", "ascending"), ("agency", "ascending"), ("table", "ascending")])
