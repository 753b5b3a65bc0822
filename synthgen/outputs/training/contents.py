"""What a training pack holds: each agency's case bundle and the facilitator's answer key, from a run's tables.

A trainee in one role sees what that agency holds and nothing else, so the bundles are built from the agency
files alone; truth decides only *which* cases go into a bundle (every planted storyline's, hidden among the
ordinary cases that also carry a safeguarding signal, in the order of the agency's own identifiers, so nothing
marks the planted ones). The answer key is the other side: each storyline's timeline across agencies, where each
record sits (file and spreadsheet row), the date the case became visible across agencies, and what good sharing
would have looked like under the scenario's policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen import tables

SUBJECT = {"police": "record_id", "health": "nhs_number", "school": "upn", "social_care": "la_child_id"}
"""How each agency knows a person: its own key, as a trainee in that role would look a child up."""

SUBJECT_TABLE = {"police": "persons", "health": "gp_registrations", "school": "pupils", "social_care": "children"}
"""Each agency's person-level table: the case sheet's heading (name, date of birth, address) comes from it."""

BUNDLE_BACKGROUND_CASES = 40
"""Ordinary cases (a background signal, no storyline) put in each agency's bundle beside the planted ones: enough
for the planted cases to hide among, few enough to print."""


def _agency_table(name: str) -> tables.Table | None:
    """The registry's agency table of this name (agency tables' names are unique across agencies)."""
    return next((t for t in tables.all_tables() if t.agency and t.name == name), None)


def id_column(table: str) -> str:
    """A table's identifying column (police incident roles go by the incident's id)."""
    entry = _agency_table(table)
    return (entry.id_column if entry else None) or "record_id"


def date_column(table: str) -> str | None:
    """The date each kind of record is filed under in a case sheet (attendance is by half-term: none)."""
    entry = _agency_table(table)
    return entry.event_date if entry else None


@dataclass(frozen=True)
class KeyEntry:
    """One row of a storyline's timeline in the answer key."""

    storyline_id: str
    date: dt.date
    agency: str
    file: str  # the pack's file holding the record, e.g. police/incidents.csv
    row: int  # its spreadsheet row (the header is row 1)
    record_id: str
    kind: str
    planted: bool  # an event of the storyline, or another signal about the same people


@dataclass(frozen=True)
class Storyline:
    storyline_id: str
    template: str
    concern: str
    at_risk: bool
    onset: dt.date
    people: list[dict[str, Any]]  # person_id, role, given_name, family_name, date_of_birth
    timeline: list[KeyEntry]
    visible: dt.date | None  # first date on which two or more agencies held a signal
    sharing: list[str]  # what good sharing would have looked like, sentence by sentence


def row_numbers(table: pa.Table, column: str) -> dict[str, int]:
    """Each id's spreadsheet row in the table's file (header row 1; the first of repeated ids)."""
    values = table.column(column).to_pylist()
    rows: dict[str, int] = {}
    for index, value in enumerate(values):
        rows.setdefault(value, index + 2)
    return rows


def _first_dates(entries: Sequence[KeyEntry]) -> dict[str, dt.date]:
    first: dict[str, dt.date] = {}
    for entry in sorted(entries, key=lambda e: e.date):
        first.setdefault(entry.agency, entry.date)
    return first


def visible_on(entries: Sequence[KeyEntry]) -> dt.date | None:
    """The date a case became visible across agencies: the day a second agency first held a signal."""
    first = sorted(_first_dates(entries).values())
    return first[1] if len(first) >= 2 else None


def good_sharing(
    storyline_id: str, at_risk: bool, entries: Sequence[KeyEntry], rules: Sequence[Mapping[str, Any]]
) -> list[str]:
    """What good sharing would have looked like: each agency, from its first signal, telling the agencies the policy
    names what the policy allows for safeguarding; for a case that is not one, restraint."""
    first = _first_dates(entries)
    if not at_risk:
        held = ", ".join(sorted(first)) or "no agency"
        return [
            f"{storyline_id} is not a safeguarding case: what {held} recorded has an ordinary explanation. "
            "A check with the agencies that hold records is proportionate; sharing the family's records beyond that "
            "check, or keeping them on a MASH list after it, would spend their privacy for nothing."
        ]
    sentences = []
    for agency, date in sorted(first.items(), key=lambda item: (item[1], item[0])):
        allowed = [r for r in rules if r["agency"] == agency and r["purpose"] == "safeguarding"]
        if not allowed:
            sentences.append(
                f"From {date:%d %b %Y} {agency} held a signal; the policy names no safeguarding flow for it."
            )
            continue
        for rule in allowed:
            recipients = ", ".join(rule["recipients"])
            fields = ", ".join(rule["fields"])
            sentences.append(
                f"From {date:%d %b %Y} {agency} held a signal and should have shared {fields} with {recipients} "
                "for safeguarding."
            )
    visible = visible_on(entries)
    if visible is not None:
        sentences.append(
            f"By {visible:%d %b %Y} signals sat with two agencies: a MASH screening the case then should have brought "
            "them together and reached a decision within one working day (Working Together to Safeguard Children "
            "2023)."
        )
    return sentences


def answer_key(
    storylines: pa.Table,
    events: pa.Table,
    signals: pa.Table | None,
    people: pa.Table,
    positions: Mapping[tuple[str, str], tuple[str, Mapping[str, int]]],
    rules: Sequence[Mapping[str, Any]],
) -> list[Storyline]:
    """Every storyline with its people, its timeline across agencies and what good sharing would have been.

    `positions` maps (agency, table) to the pack's file and each record id's row in it; `signals` (truth/signals,
    when the run has it) adds the other signals about the storyline's people to their timeline."""
    timeline_rows = events.to_pylist()
    planted_ids = {(r["agency"], r["table"], r["record_id"]) for r in timeline_rows}
    rows = [dict(r, planted=True) for r in timeline_rows]
    if signals is not None and signals.num_rows:
        members = pc.is_in(signals["person_id"], value_set=storylines["person_id"])
        for r in signals.filter(members).to_pylist():
            if (r["agency"], r["table"], r["record_id"]) in planted_ids:
                continue
            story = storylines.filter(pc.equal(storylines["person_id"], r["person_id"]))
            for storyline_id in sorted(set(story["storyline_id"].to_pylist())):
                rows.append(
                    {
                        "storyline_id": storyline_id,
                        "agency": r["agency"],
                        "table": r["table"],
                        "record_id": r["record_id"],
                        "kind": r["kind"],
                        "date": r["date_known"],
                        "planted": False,
                    }
                )
    by_story: dict[str, list[KeyEntry]] = {}
    for r in rows:
        file, numbers = positions.get((r["agency"], r["table"]), (f"{r['agency']}/{r['table']}.csv", {}))
        entry = KeyEntry(
            storyline_id=r["storyline_id"],
            date=r["date"],
            agency=r["agency"],
            file=file,
            row=numbers.get(r["record_id"], 0),
            record_id=r["record_id"],
            kind=r["kind"],
            planted=r["planted"],
        )
        by_story.setdefault(entry.storyline_id, []).append(entry)
    names = people.select(["person_id", "given_name", "family_name", "date_of_birth"])
    name_of = {
        r["person_id"]: r for r in names.filter(pc.is_in(names["person_id"], storylines["person_id"])).to_pylist()
    }
    result = []
    for storyline_id in sorted(set(storylines["storyline_id"].to_pylist()), key=_natural):
        members = storylines.filter(pc.equal(storylines["storyline_id"], storyline_id)).to_pylist()
        first = members[0]
        entries = sorted(by_story.get(storyline_id, []), key=lambda e: (e.date, e.agency, e.file, e.row))
        at_risk = any(m["at_risk"] for m in members)
        result.append(
            Storyline(
                storyline_id=storyline_id,
                template=first["template"],
                concern=first["concern"],
                at_risk=at_risk,
                onset=first["onset"],
                people=[
                    {"person_id": m["person_id"], "role": m["role"], **_name(name_of.get(m["person_id"]))}
                    for m in members
                ],
                timeline=entries,
                visible=visible_on(entries),
                sharing=good_sharing(storyline_id, at_risk, entries, rules),
            )
        )
    return result


def _name(row: Mapping[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"given_name": None, "family_name": None, "date_of_birth": None}
    return {k: row[k] for k in ("given_name", "family_name", "date_of_birth")}


def _natural(storyline_id: str) -> tuple[str, int]:
    """cse-2 before cse-10."""
    stem, _, number = storyline_id.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (storyline_id, 0)


def key_table(storylines: Sequence[Storyline]) -> pa.Table:
    """The answer key's timeline as one table (for the facilitator's CSV and workbook)."""
    entries = [e for s in storylines for e in s.timeline]
    return pa.table(
        {
            "storyline_id": pa.array([e.storyline_id for e in entries], pa.string()),
            "date": pa.array([e.date for e in entries], pa.date32()),
            "agency": pa.array([e.agency for e in entries], pa.string()),
            "file": pa.array([e.file for e in entries], pa.string()),
            "row": pa.array([e.row for e in entries], pa.int64()),
            "record_id": pa.array([e.record_id for e in entries], pa.string()),
            "kind": pa.array([e.kind for e in entries], pa.string()),
            "planted": pa.array([e.planted for e in entries], pa.bool_()),
        }
    )


def bundle_subjects(
    agency: str,
    tables: Mapping[str, pa.Table],
    planted: pa.Table,
    signals: pa.Table | None,
    person_of_record: Mapping[str, int],
) -> list[str]:
    """The cases (the agency's own person keys) in its bundle: every one a storyline touches, and up to
    BUNDLE_BACKGROUND_CASES others that carry a signal, sorted by key so the planted ones do not stand out.

    `person_of_record` maps the agency's person-level record ids (police persons) to people, for police roles."""
    key = SUBJECT[agency]
    wanted: set[str] = set()
    background: set[str] = set()
    for source, is_planted in ((planted, True), (signals, False)):
        if source is None or not source.num_rows:
            continue
        mine = source.filter(pc.equal(source["agency"], agency))
        for table_name in sorted(set(mine["table"].to_pylist())):
            rows = mine.filter(pc.equal(mine["table"], table_name))
            found = _subject_keys(agency, table_name, rows, tables, person_of_record)
            (wanted if is_planted else background).update(found)
    extra = sorted(background - wanted)
    if len(extra) > BUNDLE_BACKGROUND_CASES:
        # the keys are random identifiers (or NHS numbers / UPNs), so taking every k-th is an unbiased sample
        step = len(extra) / BUNDLE_BACKGROUND_CASES
        extra = [extra[int(i * step)] for i in range(BUNDLE_BACKGROUND_CASES)]
    del key
    return sorted(wanted | set(extra))


def _subject_keys(
    agency: str,
    table_name: str,
    rows: pa.Table,
    tables: Mapping[str, pa.Table],
    person_of_record: Mapping[str, int],
) -> set[str]:
    """The agency's person keys of the given signal rows (person_id, table, record_id)."""
    if table_name not in tables:
        return set()
    table = tables[table_name]
    ids = rows["record_id"]
    if agency == "police":
        # a role in an incident: the nominal of this person among the incident's people
        roles = table.filter(pc.is_in(table["incident_id"], value_set=ids))
        people = rows["person_id"].to_pylist()
        wanted_pairs = set(zip(ids.to_pylist(), people, strict=True))
        return {
            r["police_person_id"]
            for r in roles.to_pylist()
            if (r["incident_id"], person_of_record.get(r["police_person_id"], -1)) in wanted_pairs
        }
    key = SUBJECT[agency]
    if key not in table.column_names:
        return set()
    matched = table.filter(pc.is_in(table[id_column(table_name)], value_set=ids))
    return {k for k in matched[key].to_pylist() if k is not None}


def case_records(agency: str, subject: str, tables: Mapping[str, pa.Table]) -> list[tuple[str, pa.Table]]:
    """Everything the agency holds under one person key, table by table, each in date order."""
    key = SUBJECT[agency]
    result = []
    for name, table in tables.items():
        if agency == "police" and name == "incidents":
            roles = tables.get("incident_persons")
            if roles is None:
                continue
            theirs = roles.filter(pc.equal(roles["police_person_id"], subject))
            rows = table.filter(pc.is_in(table["incident_id"], value_set=theirs["incident_id"]))
            role_of = dict(zip(theirs["incident_id"].to_pylist(), theirs["role"].to_pylist(), strict=True))
            rows = rows.append_column(
                "role", pa.array([role_of.get(i) for i in rows["incident_id"].to_pylist()], pa.string())
            )
        elif key in table.column_names and name != SUBJECT_TABLE[agency] and name != "incident_persons":
            rows = table.filter(pc.equal(table[key], subject))
        else:
            continue
        if not rows.num_rows:
            continue
        date = date_column(name)
        if date is not None and date in rows.column_names:
            rows = rows.sort_by(date)
        elif name == "attendance":
            rows = rows.sort_by([("academic_year", "ascending"), ("half_term", "ascending")])
        result.append((name, rows))
    return result


def subject_heading(agency: str, subject: str, tables: Mapping[str, pa.Table]) -> list[dict[str, Any]]:
    """The agency's person-level record(s) under the key (a duplicate registration shows as a second row)."""
    table = tables.get(SUBJECT_TABLE[agency])
    key = SUBJECT[agency]
    if table is None or key not in table.column_names:
        return []
    rows: list[dict[str, Any]] = table.filter(pc.equal(table[key], subject)).to_pylist()
    return rows
