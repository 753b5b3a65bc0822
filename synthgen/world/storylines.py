"""Planted storylines: safeguarding cases from templates, placed in a shard's households and told through the
agencies' own records.

The scenario names templates and counts (``storylines: [{template: cse, count: 2}]``). Which shard holds each, the
household and people it takes, and how it marks the simulation so the background pathway (social care's
referrals, the police's missing episodes, school absence) sees the child as at risk too, is
``storyline_placement``'s part; this module tells the placed storylines.

Its events are then added to the agencies' tables by the agencies' own means: police incidents join the force's
book (police.ScriptedIncident), so the people in them get nominal records that go through the data-quality model;
A&E attendances and missed health visits are rows of the health tables, in their columns; a fall in attendance
raises the absence of the child's half-terms, and a suspension is a row of exclusions with its sessions coded E.
The truth records each storyline with its people (truth/storylines) and every event with the record it made and
the day the agency knew it (truth/storyline_events).

Nothing here draws from another module's stream, and nothing runs when a shard has no storyline, so a scenario
without storylines gives the same bytes as before they existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import tables
from synthgen.agencies import LOCAL_ID_OFFSET, TABLE_CODES, AgencyTable, concatenated, local_ids
from synthgen.agencies.health_records import person_columns as health_person_columns
from synthgen.agencies.police import DASH_LEVELS, ScriptedIncident
from synthgen.agencies.police_incidents import hour_weights
from synthgen.agencies.school import Pupils
from synthgen.agencies.school_events import half_terms
from synthgen.kernel.record_ids import format_record_ids, record_ids, record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.scenario.templates import (
    AUTHORISED_CODES,
    AEEvent,
    AttendanceEvent,
    ExclusionEvent,
    MissedVisitEvent,
    PoliceEvent,
)
from synthgen.world.births import Births
from synthgen.world.population import Population
from synthgen.world.simulate import Simulation
from synthgen.world.storyline_placement import Placed, instances, place_storylines

AT_RISK_ROLES = ("subject", "sibling", "unborn")
"""The roles of the children a real storyline puts at risk."""
STORYLINE_COLUMNS = {f.name: f.type for f in tables.table("truth/storylines").schema}
EVENT_COLUMNS = {f.name: f.type for f in tables.table("truth/storyline_events").schema}
"""The columns of the storylines' truth tables, as the registry declares them."""


_Found = tuple[Placed, AEEvent | MissedVisitEvent, int, np.datetime64]


@dataclass
class _Truth:
    """Storyline events as they are made: one row per record and person it is about."""

    rows: dict[str, list[object]] = field(default_factory=lambda: {name: [] for name in EVENT_COLUMNS})

    def add(
        self, storyline_id: str, person_id: int, agency: str, table: str, record_id: str, kind: str, day: object
    ) -> None:
        for name, value in zip(
            EVENT_COLUMNS, (storyline_id, person_id, agency, table, record_id, kind, day), strict=True
        ):
            self.rows[name].append(value)

    def table(self) -> pa.Table:
        return pa.table({name: pa.array(self.rows[name], kind) for name, kind in EVENT_COLUMNS.items()})


@dataclass
class Script:
    """One shard's storylines: placed, marked in the simulation, then told through each agency's tables."""

    plan: Plan
    pop: Population
    born: Births
    placed: list[Placed]
    rng: np.random.Generator
    truth: _Truth = field(default_factory=_Truth)
    incidents: list[tuple[Placed, PoliceEvent, ScriptedIncident]] = field(default_factory=list)

    # --- police ---
    def scripted_incidents(self) -> list[ScriptedIncident]:
        """The storylines' police incidents, for police.police_tables."""
        postcodes = self.plan.postcodes
        for story in self.placed:
            home = int(self.pop.household_postcode[story.household])
            for event, days in zip(story.template.events, story.days, strict=True):
                if not isinstance(event, PoliceEvent):
                    continue
                for index, day in enumerate(days):
                    person: list[int] = []
                    role: list[str] = []
                    arrested: list[bool] = []
                    for storyline_role, police_role in event.people.items():
                        for row in story.people.get(storyline_role, np.zeros(0, np.int64)):
                            person.append(int(row))
                            role.append(police_role)
                            arrested.append(storyline_role in event.arrested)
                    if event.location == "home":
                        location = home
                    elif event.location == "elsewhere":
                        location = int(self.rng.integers(0, len(postcodes.postcode)))
                    else:  # the plan's postcode farthest from home stands for a town elsewhere
                        far = (postcodes.easting - postcodes.easting[home]) ** 2 + (
                            postcodes.northing - postcodes.northing[home]
                        ) ** 2
                        location = int(np.argmax(far))
                    weights = hour_weights(self.plan.params)
                    hour = int(self.rng.choice(24, p=weights / weights.sum()))
                    second = hour * 3600 + int(self.rng.integers(0, 3600))
                    dash = DASH_LEVELS.index(event.dash[min(index, len(event.dash) - 1)]) if event.dash else -1
                    incident = ScriptedIncident(
                        incident_type=event.incident_type,
                        occurred_at=day.astype("datetime64[s]") + np.timedelta64(second, "s"),
                        crime=event.crime,
                        location=location,
                        dash=dash,
                        person=tuple(person),
                        role=tuple(role),
                        arrested=tuple(arrested),
                    )
                    self.incidents.append((story, event, incident))
        return [incident for _, _, incident in self.incidents]

    def police_records(self, incident_ids: pa.Array) -> None:
        """Record the scripted incidents' ids in the truth: one event per child of the storyline in it."""
        p = self.pop.people
        ids = incident_ids.to_pylist()
        for (story, event, incident), incident_id in zip(self.incidents, ids, strict=True):
            day = incident.occurred_at.astype("datetime64[D]").item()
            for row, _ in zip(incident.person, incident.role, strict=True):
                about = any(row in story.people.get(r, ()) for r in ("subject", "sibling"))
                if about:
                    self.truth.add(
                        story.storyline_id,
                        int(p.person_id[row]),
                        "police",
                        "incident_persons",
                        incident_id,
                        event.kind,
                        day,
                    )

    # --- health ---
    def health_tables(self, tables: list[AgencyTable]) -> list[AgencyTable]:
        """The health tables with the storylines' A&E attendances and missed visits added after their rows."""
        result = []
        for table in tables:
            if table.name == "ae_attendances":
                table = self._ae_attendances(table)
            elif table.name == "health_visits":
                table = self._missed_visits(table)
            result.append(table)
        return result

    def _rows_of(self, kind: type[AEEvent] | type[MissedVisitEvent]) -> list[_Found]:
        """(storyline, event, person row, day) of every event of a kind, in order."""
        found = []
        for story in self.placed:
            for event, days in zip(story.template.events, story.days, strict=True):
                if isinstance(event, kind):
                    who = event.who if isinstance(event, AEEvent) else "subject"
                    row = int(story.people[who][0])
                    found += [(story, event, row, day) for day in days]
        return found

    def _new_rows(self, table: AgencyTable, found: list[_Found], columns: dict[str, pa.Array]) -> AgencyTable:
        n = len(found)
        key = record_ids_from(
            self.plan.record_key, TABLE_CODES[f"health/{table.name}"], self.pop.shard, table.table.num_rows, n
        )
        ids = format_record_ids(key)
        rows = np.array([row for _, _, row, _ in found], np.int64)
        added = pa.table({"record_id": ids, **columns}).select(table.table.column_names).cast(table.table.schema)
        person_id = self.pop.people.person_id[rows]
        for (story, event, _, day), record_id, pid in zip(found, ids.to_pylist(), person_id, strict=True):
            self.truth.add(story.storyline_id, int(pid), "health", table.name, record_id, event.kind, day.item())
        return concatenated(table, AgencyTable("health", table.name, added, key, person_id))

    def _ae_attendances(self, table: AgencyTable) -> AgencyTable:
        found = self._rows_of(AEEvent)
        events = [event for _, event, _, _ in found if isinstance(event, AEEvent)]
        if not found:
            return table
        rows = np.array([row for _, _, row, _ in found], np.int64)
        n = len(rows)
        hospital_number = record_ids(
            self.plan.record_key,
            TABLE_CODES["health/ae_attendances"] + LOCAL_ID_OFFSET,
            self.pop.shard,
            len(self.pop.people.person_id),
        )
        weights = hour_weights(self.plan.params)
        hour = self.rng.choice(24, size=n, p=weights / weights.sum())
        arrived = np.array([day for _, _, _, day in found], "datetime64[s]") + (
            hour * 3600 + self.rng.integers(0, 3600, n)
        ).astype("timedelta64[s]")
        complaint = [e.complaint for e in events]
        columns = {
            **health_person_columns(self.plan, self.pop, rows),
            "local_patient_id": local_ids(hospital_number[rows]),
            "arrived_at": pa.array(arrived, pa.timestamp("s")),
            "arrival_mode": pa.array([e.arrival_mode for e in events], pa.string()),
            "chief_complaint_group": pa.array(complaint, pa.string()),
            "injury": pa.array([c in ("injury", "overdose/poisoning") for c in complaint], pa.bool_()),
            "safeguarding_concern": pa.array([e.safeguarding_concern for e in events], pa.bool_()),
            "discharge_destination": pa.array([e.discharge for e in events], pa.string()),
        }
        return self._new_rows(table, found, columns)

    def _missed_visits(self, table: AgencyTable) -> AgencyTable:
        found = self._rows_of(MissedVisitEvent)
        if not found:
            return table
        rows = np.array([row for _, _, row, _ in found], np.int64)
        n = len(rows)
        columns = {
            **health_person_columns(self.plan, self.pop, rows),
            "visit_type": pa.array(["targeted"] * n, pa.string()),
            "due_date": pa.array(np.array([day for _, _, _, day in found], "datetime64[D]"), pa.date32()),
            "visit_date": pa.nulls(n, pa.date32()),
            "within_14_days": pa.nulls(n, pa.bool_()),
        }
        return self._new_rows(table, found, columns)

    # --- school ---
    def school_tables(self, tables: list[AgencyTable], pupils: Pupils) -> list[AgencyTable]:
        """The school tables with the storylines' absence raised and suspensions added."""
        by_name = {table.name: table for table in tables}
        attendance = by_name["attendance"]
        columns = {
            name: attendance.table.column(name).to_numpy(zero_copy_only=False).astype(np.int64).copy()
            for name in attendance.table.column_names
            if pa.types.is_integer(attendance.table.schema.field(name).type)
        }
        ht = half_terms(self.plan)
        label = attendance.table.column("academic_year").to_numpy(zero_copy_only=False)
        number = columns["half_term"]
        # the half-term (row of ht) of each attendance row
        ht_index = np.full(len(number), -1, np.int64)
        for h in range(len(ht.number)):
            ht_index[(label == ht.year_label[h]) & (number == ht.number[h])] = h
        attendance_ids = attendance.table.column("record_id").to_pylist()
        exclusions: list[tuple[Placed, ExclusionEvent, int, np.datetime64]] = []
        for story in self.placed:
            subject = int(story.people["subject"][0])
            pid = int(self.pop.people.person_id[subject])
            mine = np.flatnonzero(attendance.person_id == pid)
            for event, days in zip(story.template.events, story.days, strict=True):
                if isinstance(event, AttendanceEvent) and len(days):
                    first = days[0]
                    last = story.onset + np.timedelta64(event.until_day, "D") if event.until_day is not None else None
                    for row in mine:
                        h = ht_index[row]
                        if h < 0 or ht.end[h] <= first or (last is not None and ht.start[h] > last):
                            continue
                        self._absent(columns, int(row), event.absence, event.code)
                        day = (ht.end[h] - np.timedelta64(1, "D")).item()
                        self.truth.add(
                            story.storyline_id, pid, "school", "attendance", attendance_ids[row], event.kind, day
                        )
                elif isinstance(event, ExclusionEvent):
                    for day in days:
                        # the next school day on or after the day, in a half-term the child is on roll
                        school_day = np.busday_offset(day, 0, roll="forward", busdaycal=ht.calendar)
                        rows = [r for r in mine if ht_index[r] >= 0 and ht.end[ht_index[r]] > school_day]
                        if not rows:
                            continue
                        row = min(rows, key=lambda r: ht.start[ht_index[r]])
                        school_day = max(
                            school_day,
                            np.busday_offset(ht.start[ht_index[row]], 0, roll="forward", busdaycal=ht.calendar),
                        )
                        moved = min(event.sessions, int(columns["present"][row]))
                        columns["present"][row] -= moved
                        columns["excluded_E"][row] += moved
                        columns["authorised_absence"][row] += moved
                        columns["late_L"][row] = min(columns["late_L"][row], columns["present"][row])
                        exclusions.append((story, event, int(row), school_day))
        table = attendance.table
        for name, values in columns.items():
            index = table.column_names.index(name)
            table = table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))
        by_name["attendance"] = AgencyTable("school", "attendance", table, attendance.key, attendance.person_id)
        if exclusions:
            by_name["exclusions"] = self._suspensions(by_name["exclusions"], attendance, exclusions)
        return [by_name[table.name] for table in tables]

    @staticmethod
    def _absent(columns: dict[str, NDArray[np.int64]], row: int, share: float, code: str) -> None:
        """Raise a half-term's absence to `share` of its possible sessions, from the sessions present."""
        absent = columns["authorised_absence"][row] + columns["unauthorised_absence"][row]
        extra = int(
            min(max(int(np.ceil(share * columns["possible_sessions"][row])) - absent, 0), columns["present"][row])
        )
        columns["present"][row] -= extra
        columns["late_L"][row] = min(columns["late_L"][row], columns["present"][row])
        columns[code][row] += extra
        group = "authorised_absence" if code in AUTHORISED_CODES else "unauthorised_absence"
        columns[group][row] += extra

    def _suspensions(
        self,
        table: AgencyTable,
        attendance: AgencyTable,
        found: list[tuple[Placed, ExclusionEvent, int, np.datetime64]],
    ) -> AgencyTable:
        n = len(found)
        key = record_ids_from(
            self.plan.record_key, TABLE_CODES["school/exclusions"], self.pop.shard, table.table.num_rows, n
        )
        ids = format_record_ids(key)
        rows = pa.array([row for _, _, row, _ in found], pa.int64())
        added = pa.table(
            {
                "record_id": ids,
                "upn": attendance.table.column("upn").take(rows),
                "school_urn": attendance.table.column("school_urn").take(rows),
                "category": pa.array(["suspension"] * n, pa.string()),
                "start_date": pa.array(np.array([day for *_, day in found], "datetime64[D]"), pa.date32()),
                "sessions": pa.array([event.sessions for _, event, _, _ in found], pa.int16()),
                "reason": pa.array([event.reason for _, event, _, _ in found], pa.string()),
            }
        ).cast(table.table.schema)
        person_id = attendance.person_id[rows.to_numpy()]
        for (story, event, _, day), record_id, pid in zip(found, ids.to_pylist(), person_id, strict=True):
            self.truth.add(story.storyline_id, int(pid), "school", "exclusions", record_id, event.kind, day.item())
        return concatenated(table, AgencyTable("school", "exclusions", added, key, person_id))

    # --- truth ---
    def storylines_table(self) -> pa.Table:
        """Each storyline's people, their roles, whether they are at risk, and the onset."""
        rows: dict[str, list[object]] = {name: [] for name in STORYLINE_COLUMNS}
        for story in self.placed:
            real = story.template.concern != "none"
            for role, members in story.people.items():
                ids = self.born.person_id[members] if role == "unborn" else self.pop.people.person_id[members]
                at_risk = real and (
                    role in ("subject", "unborn") or (role == "sibling" and story.template.siblings_at_risk)
                )
                for pid in ids:
                    values = (story.storyline_id, story.template.template, story.template.concern, int(pid), role)
                    for name, value in zip(STORYLINE_COLUMNS, (*values, at_risk, story.onset.item()), strict=True):
                        rows[name].append(value)
        return pa.table({name: pa.array(rows[name], kind) for name, kind in STORYLINE_COLUMNS.items()})

    def events_table(self) -> pa.Table:
        return self.truth.table()


def place(
    plan: Plan,
    pop: Population,
    sim: Simulation,
    born: Births,
    died: NDArray[np.datetime64],
    upn: NDArray[np.object_],
) -> Script | None:
    """Place this shard's storylines and mark them in the simulation; None when the shard has none.

    `upn` is each person's UPN (None when not on a school roll): a template with school events needs a pupil.
    """
    wanted = instances(plan, pop.shard)
    if not wanted:
        return None
    rng = shard_stream(plan.seed, pop.shard, "storylines")
    return Script(plan, pop, born, place_storylines(plan, pop, sim, born, died, upn, wanted, rng), rng)
