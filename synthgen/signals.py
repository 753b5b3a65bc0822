"""Safeguarding signals: the agency records that say something may be wrong for a child.

A multi-agency safeguarding hub (MASH) sees a child's case when concerns from more than one agency come
together, so a sharing evaluation needs to know, for every child, which records were concerning and when each
agency knew. The rules here turn agency records into signals. They read only the columns an agency file holds
(plus the child's date of birth), so the same rules serve two masters: the truth (`truth/signals`, with each
record's real person and birth date) and the reference screening method (`synthgen screen`, which has only the
agency files and the birth dates written in them).

The rules, per agency table (a record is a signal about a child under 18 on the day it was known, or unborn):
- police `incident_persons`: any role in a domestic-abuse incident (`domestic_abuse_incident`), a missing-person
  report (`missing_episode`), a victim of another crime (`crime_victim`), a suspect (`crime_suspect`);
- health `ae_attendances`: a safeguarding concern noted (`ae_safeguarding_concern`), self-harm, overdose or
  poisoning, or a mental-health crisis (`ae_self_harm`), any injury under one year old (`infant_injury`);
  `camhs_referrals`: every referral (`camhs_referral`); `health_visits`: a visit not attended
  (`missed_health_visit`, known on the due date);
- school `exclusions`: a suspension or permanent exclusion (`exclusion`); `missing_education`: a child missing
  education (`missing_education`); `attendance`: a half-term with 10% or more of sessions missed
  (`persistent_absence`, the DfE's threshold, known on the half-term's last day or the period's end);
- social care `referrals`: every referral (`referral`: the referral is social care knowing); `contacts`: every contact
  (`contact`: the front door knowing, on the day it came in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.agencies.school_events import school_year_half_terms
from synthgen.kernel import strings
from synthgen.kernel.dates import age_on

if TYPE_CHECKING:
    from synthgen.agencies import AgencyTable

CHILD_AGE = 18
PERSISTENT_ABSENCE = 0.10
"""A pupil missing 10% or more of possible sessions is persistently absent (DfE, 'Pupil absence in schools in
England'); applied here to each half-term's record."""

SIGNAL_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("agency", pa.string()),
        ("table", pa.string()),
        ("record_id", pa.string()),
        ("kind", pa.string()),
        ("date_known", pa.date32()),
        ("storyline_id", pa.string()),
    ]
)
STORYLINE_KEYS = ("agency", "table", "record_id", "person_id")

Day = NDArray[np.datetime64]


@dataclass(frozen=True)
class Concerns:
    """The concerning rows of one agency table: row numbers, the kind of concern, and the day the agency knew."""

    rows: NDArray[np.int64]
    kind: NDArray[np.object_]
    day: Day


@dataclass(frozen=True)
class Source:
    """One agency table with whose record each row is about (truth) and the identifying id of each row."""

    agency: str
    table: str
    records: pa.Table  # the agency's columns (police roles carry their incident's incident_type and occurred_at)
    record_id: pa.Array
    person_id: NDArray[np.int64]


def source_of(table: AgencyTable) -> Source:
    """An event table as the rules read it: its columns (and any held elsewhere, such as a police role's incident
    type and time), by its records' ids."""
    records = table.table
    if table.context is not None:
        for name in table.context.column_names:
            records = records.append_column(name, table.context.column(name))
    id_column = tables.table(table.path).id_column or "record_id"
    return Source(table.source, table.name, records, table.table.column(id_column), table.person_id)


def days(column: pa.Array | pa.ChunkedArray) -> Day:
    """A date or timestamp column as days (NaT for nulls)."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("s")), pa.date32())
    result: Day = column.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return result


def _among(table: pa.Table, name: str, *values: str) -> NDArray[np.bool_]:
    """Rows whose text column holds one of the values (a null holds none), compared in Arrow."""
    found = pc.is_in(table.column(name), value_set=pa.array(values, pa.string())).fill_null(False)
    result: NDArray[np.bool_] = found.to_numpy(zero_copy_only=False)
    return result


def _flag(table: pa.Table, name: str) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = table.column(name).fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    return result


def _pick(choices: Sequence[tuple[NDArray[np.bool_], str]], when: Day) -> Concerns:
    """Rows matching any choice, each labelled with the first choice it matches (the list is in priority order)."""
    n = len(when)
    kind = np.full(n, None, dtype=object)
    for mask, label in reversed(choices):
        kind[mask] = label
    rows = np.flatnonzero(kind != None)  # noqa: E711 (elementwise comparison)
    return Concerns(rows, kind[rows], when[rows])


def _police_roles(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    return _pick(
        [
            (_among(table, "incident_type", "domestic_abuse"), "domestic_abuse_incident"),
            (_among(table, "role", "missing_person"), "missing_episode"),
            (_among(table, "role", "victim"), "crime_victim"),
            (_among(table, "role", "suspect"), "crime_suspect"),
        ],
        days(table.column("occurred_at")),
    )


def _ae_attendances(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("arrived_at"))
    infant = np.zeros(len(when), bool)
    known = ~np.isnat(dob)
    infant[known] = age_on(dob[known], when[known]) < 1
    return _pick(
        [
            (_flag(table, "safeguarding_concern"), "ae_safeguarding_concern"),
            (_among(table, "chief_complaint_group", "overdose/poisoning", "mental health"), "ae_self_harm"),
            (_among(table, "chief_complaint_group", "injury") & infant, "infant_injury"),
        ],
        when,
    )


def _camhs_referrals(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("referral_date"))
    return _pick([(np.ones(len(when), bool), "camhs_referral")], when)


def _health_visits(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    missed = table.column("visit_date").is_null().to_numpy(zero_copy_only=False)
    return _pick([(missed, "missed_health_visit")], days(table.column("due_date")))


def _exclusions(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("start_date"))
    return _pick([(np.ones(len(when), bool), "exclusion")], when)


def _missing_education(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("reported_date"))
    return _pick([(np.ones(len(when), bool), "missing_education")], when)


def half_term_last_days(years: NDArray[np.object_] | pa.Array | pa.ChunkedArray, numbers: NDArray[np.int64]) -> Day:
    """The last school day (a weekday) of each (academic year label such as '2024/25', half-term 1-6), NaT for
    labels that are not read as a year (and for nulls). An Arrow column of labels is read as codes into its few
    distinct labels, without making a Python string of every row."""
    result = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[D]")
    if isinstance(years, pa.ChunkedArray | pa.Array):
        column = years.combine_chunks() if isinstance(years, pa.ChunkedArray) else years
        distinct = pc.unique(column.drop_null())
        code = pc.index_in(column, value_set=distinct).fill_null(-1).to_numpy(zero_copy_only=False)
        labels: list[tuple[object, NDArray[np.bool_] | None]] = [
            (label, code == i) for i, label in enumerate(distinct.to_pylist())
        ]
    else:
        labels = [(label, None) for label in sorted(set(years.tolist()))]  # a handful of academic years
    for label, rows in labels:
        try:
            first = int(str(label)[:4])
        except ValueError:
            continue
        after = np.array([end for _, end in school_year_half_terms(first)], dtype="datetime64[D]")
        ends = np.busday_offset(after - 1, 0, roll="backward")  # the last weekday of the half-term
        chosen = (years == label if rows is None else rows) & (numbers >= 1) & (numbers <= 6)
        result[chosen] = ends[numbers[chosen] - 1]
    return result


def _attendance(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    def counts(name: str) -> NDArray[np.float64]:
        values: NDArray[np.float64] = table.column(name).fill_null(0).to_numpy(zero_copy_only=False).astype(float)
        return values

    possible = counts("possible_sessions")
    missed = counts("authorised_absence") + counts("unauthorised_absence")
    absent = (possible > 0) & (missed >= PERSISTENT_ABSENCE * np.maximum(possible, 1))
    years = table.column("academic_year").fill_null("")
    numbers = table.column("half_term").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    when = np.minimum(half_term_last_days(years, numbers), np.datetime64(period[1], "D"))
    return _pick([(absent, "persistent_absence")], when)


def _contacts(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("received_at"))
    return _pick([(np.ones(len(when), bool), "contact")], when)


def _referrals(table: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    when = days(table.column("referral_date"))
    return _pick([(np.ones(len(when), bool), "referral")], when)


Rule = Callable[[pa.Table, Day, tuple[dt.date, dt.date]], Concerns]
RULES: dict[str, Rule] = {
    "police/incident_persons": _police_roles,
    "health/ae_attendances": _ae_attendances,
    "health/camhs_referrals": _camhs_referrals,
    "health/health_visits": _health_visits,
    "school/exclusions": _exclusions,
    "school/missing_education": _missing_education,
    "school/attendance": _attendance,
    "social_care/referrals": _referrals,
    "social_care/contacts": _contacts,
}
"""The tables that hold signals, and the rule for each."""

KINDS = {
    "police": ("domestic_abuse_incident", "missing_episode", "crime_victim", "crime_suspect"),
    "health": ("ae_safeguarding_concern", "ae_self_harm", "infant_injury", "camhs_referral", "missed_health_visit"),
    "school": ("exclusion", "missing_education", "persistent_absence"),
    "social_care": ("referral", "contact"),
}


def concerns(agency: str, table: str, records: pa.Table, dob: Day, period: tuple[dt.date, dt.date]) -> Concerns:
    """The concerning rows of one agency table (none for a table that holds no signals), about anyone: the caller
    keeps those about children (`is_child`), with whatever birth dates it has."""
    rule = RULES.get(f"{agency}/{table}")
    if rule is None or records.num_rows == 0:
        return Concerns(np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, "datetime64[D]"))
    return rule(records, dob, period)


def is_child(dob: Day, day: Day) -> NDArray[np.bool_]:
    """Under 18 on the day, or not yet born (an unborn baby is a child for safeguarding); unknown birth dates are
    not children."""
    result = np.zeros(len(dob), bool)
    known = ~np.isnat(dob) & ~np.isnat(day)
    result[known] = age_on(dob[known], day[known]) < CHILD_AGE
    return result


def in_period(day: Day, period: tuple[dt.date, dt.date]) -> NDArray[np.bool_]:
    start, end = np.datetime64(period[0], "D"), np.datetime64(period[1], "D")
    result: NDArray[np.bool_] = ~np.isnat(day) & (day >= start) & (day <= end)
    return result


@dataclass(frozen=True)
class BirthLookup:
    """truth/people's birth dates by person id, sorted once for the many look-ups of one shard's signals (one per
    source table; a hash set of every person built for each was most of the signals' time)."""

    ids: NDArray[np.int64]  # ascending; of equal ids, the first in truth/people comes first
    dob: Day  # in the same order

    @staticmethod
    def of(people: pa.Table) -> BirthLookup:
        ids = people.column("person_id").combine_chunks()
        if ids.null_count:
            ids = ids.filter(ids.is_valid())  # a null id is nobody's
            people = people.filter(people.column("person_id").is_valid())
        values = ids.to_numpy(zero_copy_only=False).astype(np.int64)
        order = np.argsort(values, kind="stable")
        return BirthLookup(values[order], days(people.column("date_of_birth").combine_chunks())[order])

    def __call__(self, person_id: NDArray[np.int64]) -> Day:
        """Each person's date of birth (NaT for an id truth/people does not hold)."""
        at = np.minimum(np.searchsorted(self.ids, person_id), max(len(self.ids) - 1, 0))
        result = np.full(len(person_id), np.datetime64("NaT"), dtype="datetime64[D]")
        if len(self.ids):
            known = self.ids[at] == person_id
            result[known] = self.dob[at[known]]
        return result


def _empty() -> pa.Table:
    return SIGNAL_SCHEMA.empty_table()


def signals(
    people: pa.Table,
    sources: Sequence[Source],
    period: tuple[dt.date, dt.date],
    storyline_events: pa.Table | None = None,
) -> pa.Table:
    """truth/signals: one row per (record, child) for every concerning record about a child, dated in the period.

    `storyline_events` (truth/storyline_events, when the run plants storylines) names the storyline behind a
    record: its signals carry the storyline's id, and a storyline event the rules do not recognise is added with
    the storyline's own kind, so that every planted concern about a child is a signal. Rows are sorted, so the
    bytes do not depend on the order the sources come in.
    """
    parts = []
    births = BirthLookup.of(people)
    for source in sources:
        dob = births(source.person_id)
        found = concerns(source.agency, source.table, source.records, dob, period)
        person = source.person_id[found.rows]
        keep = is_child(dob[found.rows], found.day) & in_period(found.day, period) & (person >= 0)
        rows = found.rows[keep]
        n = len(rows)
        parts.append(
            pa.table(
                {
                    "person_id": pa.array(person[keep], pa.int64()),
                    "agency": strings.repeated(source.agency, n),
                    "table": strings.repeated(source.table, n),
                    "record_id": source.record_id.take(pa.array(rows, pa.int64())).cast(pa.string()),
                    "kind": pa.array(found.kind[keep], pa.string()),
                    "date_known": pa.array(found.day[keep], pa.date32()),
                    "storyline_id": pa.nulls(n, pa.string()),
                }
            )
        )
    table = pa.concat_tables(parts) if parts else _empty()
    table = _distinct(table)
    if storyline_events is not None and storyline_events.num_rows:
        table = _with_storylines(table, births, storyline_events, period)
    order = pc.sort_indices(
        table,
        sort_keys=[(name, "ascending") for name in ("date_known", "agency", "table", "record_id", "person_id")],
    )
    return table.take(order)


def _distinct(table: pa.Table) -> pa.Table:
    """One row per (agency, table, record, person): the first found."""
    if table.num_rows == 0:
        return table
    key = pc.binary_join_element_wise(
        table["agency"], table["table"], table["record_id"], pc.cast(table["person_id"], pa.string()), "|"
    )
    codes = pc.dictionary_encode(key.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    return table.take(pa.array(np.sort(first)))


def _with_storylines(
    table: pa.Table, births: BirthLookup, events: pa.Table, period: tuple[dt.date, dt.date]
) -> pa.Table:
    events = events.select([*STORYLINE_KEYS, "storyline_id", "kind", "date"])
    events = events.take(pc.sort_indices(events, sort_keys=[("storyline_id", "ascending")]))
    events = _distinct(events.append_column("date_known", events["date"]).drop_columns(["date"]))
    ids = events.select([*STORYLINE_KEYS, "storyline_id"]).rename_columns([*STORYLINE_KEYS, "found_storyline"])
    joined = table.join(ids, list(STORYLINE_KEYS), join_type="left outer")
    joined = joined.set_column(
        joined.schema.get_field_index("storyline_id"), "storyline_id", joined["found_storyline"].cast(pa.string())
    ).drop_columns(["found_storyline"])
    # storyline events that no rule recognised, about people who are children on the day
    known = table.select(list(STORYLINE_KEYS)).append_column("matched", pa.array(np.ones(table.num_rows, bool)))
    rest = events.join(known, list(STORYLINE_KEYS), join_type="left outer")
    rest = rest.filter(pc.is_null(rest["matched"])).drop_columns(["matched"])
    person = rest["person_id"].to_numpy(zero_copy_only=False).astype(np.int64)
    day = days(rest["date_known"].combine_chunks()) if rest.num_rows else np.zeros(0, "datetime64[D]")
    keep = is_child(births(person), day) & in_period(day, period)
    rest = rest.filter(pa.array(keep))
    added = pa.table({field.name: rest[field.name].cast(field.type) for field in SIGNAL_SCHEMA})
    return pa.concat_tables([joined.select(SIGNAL_SCHEMA.names).cast(SIGNAL_SCHEMA), added])


def visibility(signals_table: pa.Table) -> pa.Table:
    """When each child's case becomes visible across agencies: the first day on which signals from two or more
    agencies are known (the second-earliest of the agencies' first signals). Children whose signals all come
    from one agency never become visible and are left out."""
    if signals_table.num_rows == 0:
        return pa.table({"person_id": pa.array([], pa.int64()), "visible_on": pa.array([], pa.date32())})
    firsts = signals_table.group_by(["person_id", "agency"]).aggregate([("date_known", "min")])
    firsts = firsts.take(
        pc.sort_indices(firsts, sort_keys=[("person_id", "ascending"), ("date_known_min", "ascending")])
    )
    person = firsts["person_id"].to_numpy()
    day = days(firsts["date_known_min"].combine_chunks())
    start = np.r_[True, person[1:] != person[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(person)), 0))
    second = np.flatnonzero(np.arange(len(person)) - group_start == 1)
    return pa.table({"person_id": pa.array(person[second]), "visible_on": pa.array(day[second], pa.date32())})
