"""The reference MASH's partner checks: for each contact, the records the partner agencies held on the child and
the household by the contact's day, found from the agency files alone.

A hub checking a contact looks up the people it names and the people living with the child. Here:
1. the linkage view (`linkage/records`, every person-level record, the contacts' subjects among them) is linked
   with a reference linker (`synthgen link`'s methods): one cluster per person, as far as the linker can tell;
2. the child is the subject the contact names as the child (for an unborn child, also the mother: the baby's
   records before birth are hers), with the local authority's record of the child where the contact carries its
   id (`la_child_id`) and the authority held that record before the contact came in;
3. the family is the child's clusters, the clusters of the parents the contact names at the child's address (a
   parent living elsewhere is not the household), and everyone a partner's register shows at the child's address
   (the one the contact gives, and those of the child's own register records held by then): the household as a
   hub pieces it together from the GP, school, police and social care registers;
4. the records found are each family member's register records (a police nominal, a GP registration, a pupil
   record, the authority's child record) and every event record pointing at one of them through its agency's
   own keys (police person id; local patient id, else NHS number; UPN; LA child id);
5. only what the agency held by the contact's day is found: a record is held from its registry date
   (`known_from`, else the date it is filed under), a police role from its incident's time, a police nominal from
   the person's first incident, the authority's child record from the child's first referral, a half-term's
   attendance from the half-term's last school day; undated records are held from before. A police nominal no
   incident names (a duplicate registration) cannot be dated, and is not found.
The front door's own records (earlier contacts and their subjects, partner checks, early help) and the statutory
flows made beside them (Operation Encompass, MARAC, CP-IS) are not partners' records: a check returns none of them.
What it knows of the files (each agency's register, each table's id column and dates) comes from the table
registry (`synthgen.tables`), never from the modules that generate them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import signals, tables
from synthgen.errors import SynthgenError
from synthgen.kernel.arrays import ranges
from synthgen.linkage import link
from synthgen.run_folder import Run
from synthgen.tables import front_door_tables

Day = NDArray[np.datetime64]
AGENCIES = tables.AGENCIES
KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "police": (("police_person_id", "record_id"),),
    "health": (("local_patient_id", "local_patient_id"), ("nhs_number", "nhs_number")),
    "school": (("upn", "upn"),),
    "social_care": (("la_child_id", "la_child_id"),),
}
"""Each agency's keys from an event record to its register: (event column, register column), in the order tried."""
FRONT_DOOR = frozenset(
    t.path for t in (*front_door_tables.POLICE, *front_door_tables.HEALTH, *front_door_tables.SOCIAL_CARE)
)
"""The front door's tables and the statutory flows beside it: not partners' records."""
NEVER = np.datetime64("9999-12-31", "D")
"""The day a record a check cannot date is taken as held from: never, so it is not found."""
SUBJECTS = "agencies/social_care/contact_subjects"
CONTACTS = "agencies/social_care/contacts"
ROLES = "agencies/police/incident_persons"


def checked_tables() -> tuple[tables.Table, ...]:
    """The partners' tables a check searches, registers first: each agency's register and every event table that
    points at it through the agency's keys."""
    found = [
        t
        for t in tables.all_tables()
        if t.agency is not None
        and t.path not in FRONT_DOOR
        and (t.register or any(column in t.column_names for column, _ in KEYS[t.agency]))
    ]
    return tuple(sorted(found, key=lambda t: not t.register))


@dataclass(frozen=True)
class Holdings:
    """Every record a check can find, one row per record (a police role per row: the roles of one incident share
    its id), the registers' records first."""

    agency: NDArray[np.int64]  # index into AGENCIES
    table: NDArray[np.object_]
    record_id: pa.Array  # in the registry's id column of its table
    register: NDArray[np.int64]  # the row (here) of the register record it is about; -1: its keys point nowhere
    held: Day  # the day its agency first held it; NaT: from before
    ends: Day  # the day it ended (a plan, an episode, an early help episode); NaT: open, or no end
    concern: NDArray[np.object_]  # the signal kind (synthgen.signals) of a concerning record; None otherwise
    cluster: NDArray[np.int64]  # per register row: its linkage cluster
    address: pa.Array  # per register row: its normalised address (`normalised_address`); null: partial
    starts: dict[str, int]  # each agency's first register row

    @property
    def registers(self) -> int:
        return len(self.cluster)


@dataclass(frozen=True)
class Contacts:
    """The contacts in contact_id order, as the front door received them (never the hub's own handling)."""

    table: pa.Table  # contact_id, received_at, source, concern, la_child_id
    day: Day


@dataclass(frozen=True)
class Found:
    """Every (contact, record) a check found, in contact then holdings order."""

    contact: NDArray[np.int64]  # the contact's row
    holding: NDArray[np.int64]  # the record's row in the holdings
    about_child: NDArray[np.bool_]  # found through the child's own clusters


def _lookup(keys: pa.Array, table: pa.Table, key: str, value: str) -> pa.Array:
    """For each key, `value` of the first row of `table` whose `key` equals it (null where none does)."""
    index = pc.index_in(keys, value_set=table.column(key).combine_chunks())
    return table.column(value).combine_chunks().take(index)


def _codes_in(values: pa.Array, among: pa.Array) -> NDArray[np.int64]:
    """Each value's place among `among` (-1 where absent; a null matches nothing)."""
    result: NDArray[np.int64] = (
        pc.index_in(values, value_set=among, skip_nulls=True)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    return result


def _first_day(keys: pa.Array, on: Day, lookup: pa.Array) -> Day:
    """For each value of `lookup`, the earliest `on` among the rows whose key equals it (NaT where none)."""
    distinct = pc.unique(keys.filter(keys.is_valid()))
    codes = _codes_in(keys, distinct)
    first = np.full(len(distinct) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    order = np.lexsort((on, codes))
    order = order[(codes[order] >= 0) & ~np.isnat(on[order])]
    starts = np.r_[True, codes[order][1:] != codes[order][:-1]] if len(order) else np.zeros(0, bool)
    first[codes[order][starts]] = on[order][starts]
    result: Day = first[_codes_in(lookup, distinct)]
    return result


def pairs(left: NDArray[np.int64], right: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every (i, j) with left[i] == right[j] (negative values match nothing), in order of i then j."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    low = np.searchsorted(ordered, left, side="left")
    high = np.where(left >= 0, np.searchsorted(ordered, left, side="right"), low)
    i = np.repeat(np.arange(len(left), dtype=np.int64), high - low)
    return i, order[ranges(low, high - low)].astype(np.int64)


def normalised_address(line: pa.Array, postcode: pa.Array) -> pa.Array:
    """House and street with the postcode, upper case, letters and digits only ('3 Rose Ave.', 's61 3nq' ->
    '3ROSEAVE|S613NQ'); null where either part is missing."""

    def kept(values: pa.Array) -> pa.Array:
        letters = pc.replace_substring_regex(pc.utf8_upper(values.cast(pa.string())), "[^A-Z0-9]", "")
        return pc.if_else(pc.equal(letters, ""), pa.scalar(None, pa.string()), letters)

    return pc.binary_join_element_wise(kept(line), kept(postcode), "|")


class AgencyFiles:
    """The run's agency files, each read once; the days each record was first held, from what the files show
    (shared with the reference screen, which must not act on a record before its agency held it)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.period = (
            dt.date.fromisoformat(run.manifest["period"]["start"]),
            dt.date.fromisoformat(run.manifest["period"]["end"]),
        )
        self._read: dict[str, pa.Table] = {}
        self._register_held: dict[str, Day] = {}

    def read(self, path: str) -> pa.Table:
        if path not in self._read:
            self._read[path] = self.run.read(path)
        return self._read[path]

    def with_incidents(self, roles: pa.Table) -> pa.Table:
        """Police roles with their incident's type and time (what the signal rules read)."""
        if not self.run.has("agencies/police/incidents"):
            return roles.append_column("incident_type", pa.nulls(roles.num_rows, pa.string())).append_column(
                "occurred_at", pa.nulls(roles.num_rows, pa.timestamp("s"))
            )
        incidents = self.read("agencies/police/incidents")
        ids = roles["incident_id"].combine_chunks()
        return roles.append_column(
            "incident_type", _lookup(ids, incidents, "incident_id", "incident_type")
        ).append_column("occurred_at", _lookup(ids, incidents, "incident_id", "occurred_at"))

    def register_held(self, agency: str) -> Day:
        """The day the agency first held each record of its register, in the register's row order (worked out
        once: every event table of the agency is placed against it)."""
        if agency not in self._register_held:
            entry = tables.registers()[agency]
            self._register_held[agency] = self.held(entry, self.read(entry.path))
        return self._register_held[agency]

    def held(self, entry: tables.Table, records: pa.Table) -> Day:
        """The day the agency first held each record (NaT: from before, or undated)."""
        column = entry.known_from or entry.event_date
        if column is not None:
            return signals.days(records[column].combine_chunks())
        if entry.path == ROLES:
            return signals.days(self.with_incidents(records)["occurred_at"].combine_chunks())
        if entry.path == "agencies/school/attendance":
            years = records["academic_year"].fill_null("").to_numpy(zero_copy_only=False).astype(object)
            numbers = records["half_term"].fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
            return signals.half_term_last_days(years, numbers)
        if entry.path == "agencies/police/persons" and self.run.has(ROLES):
            roles = self.read(ROLES)
            on = self.held(tables.table(ROLES), roles)
            return _first_day(roles["police_person_id"].combine_chunks(), on, records["record_id"].combine_chunks())
        if entry.path == "agencies/social_care/children" and self.run.has("agencies/social_care/referrals"):
            referrals = self.read("agencies/social_care/referrals")
            on = signals.days(referrals["referral_date"].combine_chunks())
            return _first_day(referrals["la_child_id"].combine_chunks(), on, records["la_child_id"].combine_chunks())
        return np.full(records.num_rows, np.datetime64("NaT"), dtype="datetime64[D]")


class Linked:
    """The linkage view's clusters, looked up by an agency record's (source, record id)."""

    def __init__(self, run: Run, method: str) -> None:
        view = run.read("linkage/records")
        clusters = link(view, method)
        self.key = pc.binary_join_element_wise(view["source"], view["source_record_id"], "|").combine_chunks()
        at = _codes_in(view["record_id"].combine_chunks(), clusters["record_id"].combine_chunks())
        self.cluster = clusters["cluster_id"].to_numpy()[at]

    def of(self, agency: str, record_id: pa.Array) -> NDArray[np.int64]:
        """Each record's cluster; a record the view lacks is a cluster of its own (a negative number)."""
        source = pa.array(np.full(len(record_id), agency, dtype=object), pa.string())
        at = _codes_in(pc.binary_join_element_wise(source, record_id, "|"), self.key)
        own = -1 - np.arange(len(record_id), dtype=np.int64)
        return np.where(at >= 0, self.cluster[np.maximum(at, 0)], own)


@dataclass(frozen=True)
class _Part:
    """One checked table's records, as they join the holdings."""

    agency: NDArray[np.int64]
    table: NDArray[np.object_]
    record_id: pa.Array
    register: NDArray[np.int64]
    held: Day
    ends: Day
    concern: NDArray[np.object_]


def holdings(files: AgencyFiles, linked: Linked) -> Holdings:
    """Every record of the checked tables, registers first, each event placed with its register record."""
    parts: list[_Part] = []
    registers: dict[str, tuple[int, pa.Table]] = {}  # agency -> (its first row, its register)
    offset = 0
    for entry in checked_tables():
        if entry.agency is None or not files.run.has(entry.path):
            continue
        records = files.read(entry.path)
        n = records.num_rows
        if entry.register:
            registers[entry.agency] = (offset, records)
            register = offset + np.arange(n, dtype=np.int64)
            dob = signals.days(records["date_of_birth"].combine_chunks())
        else:
            register = _register_rows(entry.agency, records, registers)
            dob = _birth_dates(records, register, registers.get(entry.agency))
        parts.append(
            _Part(
                agency=np.full(n, AGENCIES.index(entry.agency), np.int64),
                table=np.full(n, entry.name, dtype=object),
                record_id=records[entry.id_column or "record_id"].combine_chunks().cast(pa.string()),
                register=register,
                held=files.held(entry, records),
                ends=_ends(records),
                concern=_concerns(files, entry, records, dob),
            )
        )
        offset += n
    if not registers:
        raise SynthgenError(f"{files.run.path}: this run holds no agency's register of people to check")
    cluster = np.concatenate(
        [linked.of(agency, table["record_id"].combine_chunks()) for agency, (_, table) in registers.items()]
    )
    agency = np.concatenate([p.agency for p in parts])
    register = np.concatenate([p.register for p in parts])
    held = np.concatenate([p.held for p in parts])
    return Holdings(
        agency=agency,
        table=np.concatenate([p.table for p in parts]),
        record_id=pa.concat_arrays([p.record_id for p in parts]),
        register=register,
        held=_date_unnamed_nominals(agency, register, held, len(cluster)),
        ends=np.concatenate([p.ends for p in parts]),
        concern=np.concatenate([p.concern for p in parts]),
        cluster=cluster,
        address=pa.concat_arrays(
            [normalised_address(_column(t, "address_line"), _column(t, "postcode")) for _, t in registers.values()]
        ),
        starts={agency: first for agency, (first, _) in registers.items()},
    )


def _date_unnamed_nominals(agency: NDArray[np.int64], register: NDArray[np.int64], held: Day, registers: int) -> Day:
    """A police nominal no incident names (a duplicate registration) cannot be dated from the force's files: the
    check does not find it (taking its date from a linked nominal would find some too early)."""
    police = agency == AGENCIES.index("police")
    named = np.zeros(registers, bool)
    named[register[police & (np.arange(len(agency)) >= registers) & (register >= 0)]] = True
    result = held.copy()
    result[np.flatnonzero(police[:registers] & ~named)] = NEVER
    return result


def _column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return table[name].combine_chunks()


def _register_rows(agency: str, records: pa.Table, registers: dict[str, tuple[int, pa.Table]]) -> NDArray[np.int64]:
    """Each event's register record (its row in the holdings) by the agency's keys, tried in order; -1: none."""
    result = np.full(records.num_rows, -1, np.int64)
    if agency not in registers:
        return result
    first, register = registers[agency]
    for event_column, register_column in KEYS[agency]:
        if event_column not in records.column_names or register_column not in register.column_names:
            continue
        at = _codes_in(records[event_column].combine_chunks(), register[register_column].combine_chunks())
        result = np.where((result < 0) & (at >= 0), first + at, result)
    return result


def _birth_dates(records: pa.Table, register: NDArray[np.int64], held: tuple[int, pa.Table] | None) -> Day:
    """The birth date an event carries, else its register record's (NaT where neither is known)."""
    if "date_of_birth" in records.column_names:
        return signals.days(records["date_of_birth"].combine_chunks())
    result = np.full(records.num_rows, np.datetime64("NaT"), dtype="datetime64[D]")
    if held is None:
        return result
    first, table = held
    dob = signals.days(table["date_of_birth"].combine_chunks())
    placed = register >= 0
    result[placed] = dob[register[placed] - first]
    return result


def _ends(records: pa.Table) -> Day:
    if "end_date" not in records.column_names:
        return np.full(records.num_rows, np.datetime64("NaT"), dtype="datetime64[D]")
    return signals.days(records["end_date"].combine_chunks())


def _concerns(files: AgencyFiles, entry: tables.Table, records: pa.Table, dob: Day) -> NDArray[np.object_]:
    """The signal kind of each concerning record (the rules of synthgen.signals, about anyone), None otherwise."""
    kind = np.full(records.num_rows, None, dtype=object)
    name = f"{entry.agency}/{entry.name}"
    if name not in signals.RULES or entry.agency is None:
        return kind
    read = files.with_incidents(records) if entry.path == ROLES else records
    found = signals.concerns(entry.agency, entry.name, read, dob, files.period)
    kind[found.rows] = found.kind
    return kind


def read_contacts(files: AgencyFiles) -> Contacts:
    if not files.run.has(CONTACTS) or not files.run.has(SUBJECTS):
        raise SynthgenError(f"{files.run.path}: this run has no front door (generate it with front_door.enabled: true)")
    table = files.read(CONTACTS).select(["contact_id", "received_at", "source", "concern", "la_child_id"])
    table = table.sort_by("contact_id")
    return Contacts(table, signals.days(table["received_at"].combine_chunks()))


@dataclass(frozen=True)
class _Subjects:
    """The people the contacts name, each with its contact's row, its cluster and its normalised address."""

    contact: NDArray[np.int64]
    role: NDArray[np.object_]
    cluster: NDArray[np.int64]
    address: pa.Array

    @property
    def child(self) -> NDArray[np.bool_]:
        """The subjects standing for the child: the child, an unborn child, and an unborn child's mother."""
        unborn = np.unique(self.contact[self.role == "unborn"])
        mother = (self.role == "mother") & np.isin(self.contact, unborn)
        result: NDArray[np.bool_] = np.isin(self.role, ("child", "unborn")) | mother
        return result


def _subjects(files: AgencyFiles, contacts: Contacts, linked: Linked) -> _Subjects:
    table = files.read(SUBJECTS)
    contact = _codes_in(table["contact_id"].combine_chunks(), contacts.table["contact_id"].combine_chunks())
    keep = contact >= 0
    table = table.filter(pa.array(keep))
    return _Subjects(
        contact=contact[keep],
        role=table["role"].fill_null("").to_numpy(zero_copy_only=False).astype(object),
        cluster=linked.of("social_care", table["record_id"].combine_chunks()),
        address=normalised_address(_column(table, "address_line"), _column(table, "postcode")),
    )


def find(files: AgencyFiles, contacts: Contacts, held: Holdings, linked: Linked) -> Found:
    """Every record about the family of each contact's child that its agency held by the contact's day."""
    subjects = _subjects(files, contacts, linked)
    child_contact, child_cluster = _child_clusters(files, contacts, held, subjects)
    others_contact, others_cluster = _household(contacts, held, subjects, child_contact, child_cluster)
    contact, cluster, about_child = _distinct(
        np.r_[child_contact, others_contact],
        np.r_[child_cluster, others_cluster],
        np.r_[np.ones(len(child_contact), bool), np.zeros(len(others_contact), bool)],
    )
    # the family's register records, then every record pointing at one of them (each register record too)
    family, register = pairs(cluster, held.cluster)
    of_register, holding = pairs(register, held.register)
    member = family[of_register]
    contact, about_child = contact[member], about_child[member]
    by_then = _held_by(held.held[holding], contacts.day[contact])
    return Found(*_distinct(contact[by_then], holding[by_then], about_child[by_then]))


def _held_by(held: Day, day: Day) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = np.isnat(held) | (held <= day)
    return result


def _child_clusters(
    files: AgencyFiles, contacts: Contacts, held: Holdings, subjects: _Subjects
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(contact, cluster) of each contact's child: the subjects standing for the child, and the authority's record
    of the child where the contact carries its id and the authority held it before the contact's day."""
    child = subjects.child
    contact, cluster = subjects.contact[child], subjects.cluster[child]
    first = held.starts.get("social_care")
    if first is None:
        return contact, cluster
    children = files.read(tables.registers()["social_care"].path)
    at = _codes_in(contacts.table["la_child_id"].combine_chunks(), children["la_child_id"].combine_chunks())
    row = first + np.maximum(at, 0)
    known = (at >= 0) & (np.isnat(held.held[row]) | (held.held[row] < contacts.day))
    return np.r_[contact, np.flatnonzero(known)], np.r_[cluster, held.cluster[row[known]]]


def _household(
    contacts: Contacts,
    held: Holdings,
    subjects: _Subjects,
    child_contact: NDArray[np.int64],
    child_cluster: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(contact, cluster) of the people living with each contact's child: the parents the contact names at the
    child's address, and everyone a register held at that address by the contact's day. The child's addresses are
    the contact's and those of the child's register records held by the day."""
    addresses = pc.unique(pa.concat_arrays([held.address, subjects.address]).drop_null())
    width = len(addresses) + 1
    register_address = _codes_in(held.address, addresses)
    subject_address = _codes_in(subjects.address, addresses)
    found, register = pairs(child_cluster, held.cluster)
    by_then = _held_by(held.held[register], contacts.day[child_contact[found]])
    child = subjects.child
    contact = np.r_[child_contact[found[by_then]], subjects.contact[child]]
    address = np.r_[register_address[register[by_then]], subject_address[child]]
    homes = np.unique(contact[address >= 0] * width + address[address >= 0])  # (contact, address), coded
    parent = np.isin(subjects.role, ("mother", "father")) & (subject_address >= 0)
    at_home = parent & np.isin(subjects.contact * width + subject_address, homes)
    home, resident = pairs(homes % width, register_address)
    home_contact = homes[home] // width
    there = _held_by(held.held[resident], contacts.day[home_contact])
    return (
        np.r_[subjects.contact[at_home], home_contact[there]],
        np.r_[subjects.cluster[at_home], held.cluster[resident[there]]],
    )


def _distinct(
    contact: NDArray[np.int64], item: NDArray[np.int64], flag: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Each (contact, item) once, in that order, flagged where any of its copies was."""
    order = np.lexsort((~flag, item, contact))
    contact, item, flag = contact[order], item[order], flag[order]
    first = np.r_[True, (contact[1:] != contact[:-1]) | (item[1:] != item[:-1])] if len(order) else np.zeros(0, bool)
    return contact[first], item[first], flag[first]


@dataclass(frozen=True)
class Checks:
    """The contacts, everything a check could find, and what each contact's check found."""

    contacts: Contacts
    holdings: Holdings
    found: Found


def partner_checks(run: Run, method: str) -> Checks:
    """Check every contact of a run against the partners' files, linking the linkage view with `method`."""
    files = AgencyFiles(run)
    contacts = read_contacts(files)
    if not run.has("linkage/records"):
        raise SynthgenError(f"{run.path}: this run has no linkage/records to link")
    linked = Linked(run, method)
    held = holdings(files, linked)
    return Checks(contacts, held, find(files, contacts, held, linked))
