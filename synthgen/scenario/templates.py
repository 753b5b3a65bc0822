"""Storyline templates: planted safeguarding cases, kept as data (synthgen/reference/data/storylines/*.yaml).

A template says who a case is about (a child of an age, a household of a shape, an older associate), when it
starts (an onset window in days after the period's start) and what each agency comes to record, in days after the
onset: police incidents with the roles each person plays, A&E attendances, missed health visits, a fall in school
attendance, a suspension. The scenario names templates and counts; synthgen.storylines places them and turns the
events into the agencies' own records.

The vocabularies below repeat the agencies' (police.INCIDENT_TYPES, health_events.COMPLAINTS, ...): this module
is read by the scenario schema, which the agencies import, so it cannot import them; a test holds them equal.
The shipped templates are copied in scenarios/storylines/ for reading beside the scenarios (a test holds the
copies equal).
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IncidentType = Literal["domestic_abuse", "missing_person", "assault", "sexual_offence", "drugs", "antisocial_behaviour"]
PoliceRole = Literal["victim", "suspect", "witness", "child_present", "missing_person"]
DashLevel = Literal["standard", "medium", "high"]
Complaint = Literal["injury", "breathing", "fever", "abdominal pain", "mental health", "overdose/poisoning", "other"]
ArrivalMode = Literal["ambulance", "walk-in", "police", "other"]
Discharge = Literal["home", "admitted", "left before treatment", "referred"]
Concern = Literal[
    "child_sexual_exploitation", "neglect", "domestic_abuse", "child_criminal_exploitation", "physical_abuse", "none"
]
Need = Literal[
    "neglect",
    "emotional_abuse",
    "physical_abuse",
    "sexual_abuse",
    "child_sexual_exploitation",
    "child_criminal_exploitation",
    "going_missing",
    "self_harm",
]
HouseholdFactor = Literal["domestic_abuse", "parental_mental_health", "substance_misuse"]
Role = Literal["subject", "sibling", "unborn", "parent", "perpetrator", "associate"]
"""A person's part in a storyline: the child at risk, the child's brothers and sisters at home, a baby born during
the period, the child's parents at home (in a couple household, the mother), the mother's partner who abuses her,
and an adult from another household."""
AbsenceCode = Literal["unauthorised_other_O", "no_reason_N", "illness_I", "medical_M"]
AUTHORISED_CODES = ("illness_I", "medical_M")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Person(Strict):
    """Who can play a part: an age range (whole years at the start of the period) and a sex."""

    min_age: int = Field(ge=0, le=120)
    max_age: int = Field(ge=0, le=120)
    sex: Literal["female", "male", "any"] = "any"

    @model_validator(mode="after")
    def _ordered(self) -> Person:
        if self.max_age < self.min_age:
            raise ValueError(f"max_age {self.max_age} is below min_age {self.min_age}")
        return self


class Household(Strict):
    """What the subject's household must have."""

    couple: bool = Field(default=False, description="the child's mother at home with a man as her partner")
    birth_in_period: bool = Field(default=False, description="a baby born to the household after the onset")
    no_risk: bool = Field(default=False, description="no household risk factor and no child with a need")


class Onset(Strict):
    """The onset falls on a day drawn uniformly in this window, counted from the period's start."""

    earliest_day: int = Field(ge=0)
    latest_day: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Onset:
        if self.latest_day < self.earliest_day:
            raise ValueError(f"latest_day {self.latest_day} is before earliest_day {self.earliest_day}")
        return self


class Dated(Strict):
    """An event on one or more days after the onset, each moved by up to `jitter` days either way."""

    kind: str = Field(min_length=1, description="what the event is, e.g. missing_episode; named in the truth")
    days: list[Annotated[int, Field(ge=0)]] = Field(min_length=1)
    jitter: int = Field(default=0, ge=0)


class PoliceEvent(Dated):
    """An incident, with the storyline's people in it."""

    agency: Literal["police"]
    table: Literal["incident_persons"]
    incident_type: IncidentType
    crime: bool = False
    people: dict[Role, PoliceRole] = Field(min_length=1, description="storyline role -> role in the incident")
    arrested: list[Role] = Field(default_factory=list, description="storyline roles arrested (suspects only)")
    dash: list[DashLevel] = Field(
        default_factory=list, description="DASH level of each incident in turn (the last repeats); domestic only"
    )
    location: Literal["home", "elsewhere", "out_of_area"] = "home"

    @model_validator(mode="after")
    def _consistent(self) -> PoliceEvent:
        if "subject" not in self.people:
            raise ValueError("people must name the subject (the record is about the child)")
        for role in self.arrested:
            if self.people.get(role) != "suspect":
                raise ValueError(f"arrested {role!r} is not a suspect in people")
        if self.dash and self.incident_type != "domestic_abuse":
            raise ValueError("dash applies to domestic_abuse incidents only")
        return self


class AEEvent(Dated):
    """An attendance at A&E."""

    agency: Literal["health"]
    table: Literal["ae_attendances"]
    who: Literal["subject", "parent"] = "subject"
    complaint: Complaint
    safeguarding_concern: bool = False
    arrival_mode: ArrivalMode = "walk-in"
    discharge: Discharge = "home"


class MissedVisitEvent(Dated):
    """A health visitor's targeted visit to the child, due on the day, at which nobody was seen (no access)."""

    agency: Literal["health"]
    table: Literal["health_visits"]


class AttendanceEvent(Strict):
    """Absence in every half-term from a day after the onset, raised to a share of the possible sessions."""

    kind: str = Field(min_length=1)
    agency: Literal["school"]
    table: Literal["attendance"]
    from_day: int = Field(ge=0)
    until_day: int | None = Field(default=None, ge=0, description="the last half-term is the one running then")
    absence: float = Field(gt=0.0, le=0.95, strict=False, description="share of possible sessions missed")
    code: AbsenceCode = "unauthorised_other_O"

    @model_validator(mode="after")
    def _ordered(self) -> AttendanceEvent:
        if self.until_day is not None and self.until_day < self.from_day:
            raise ValueError(f"until_day {self.until_day} is before from_day {self.from_day}")
        return self


class ExclusionEvent(Dated):
    """A suspension (its sessions are coded E in the half-term's attendance)."""

    agency: Literal["school"]
    table: Literal["exclusions"]
    sessions: int = Field(ge=1, le=20)
    reason: str = Field(description="one of the DfE's reasons (school_events.SUSPENSION_REASONS)")


Event = Annotated[
    PoliceEvent | AEEvent | MissedVisitEvent | AttendanceEvent | ExclusionEvent, Field(discriminator="table")
]


class Template(Strict):
    template: str = Field(description="the template's name: the file's name without .yaml")
    concern: Concern
    description: str = ""
    subject: Person
    siblings_at_risk: bool = Field(default=False, description="the subject's brothers and sisters at home too")
    household: Household = Household()
    associate: Person | None = Field(default=None, description="an adult from another household")
    needs: list[Need] = Field(default_factory=list, description="child needs from the onset (the simulation's)")
    household_factors: list[HouseholdFactor] = Field(default_factory=list)
    onset: Onset
    events: list[Event] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if self.concern == "none" and (self.needs or self.household_factors or self.siblings_at_risk):
            raise ValueError("a noise template (concern: none) must not give needs, household_factors or siblings")
        if self.household.no_risk and self.household_factors:
            raise ValueError("household.no_risk contradicts household_factors")
        for event in self.events:
            roles: list[str] = []
            if isinstance(event, PoliceEvent):
                roles = list(event.people)
            elif isinstance(event, AEEvent):
                roles = [event.who]
            for role in roles:
                if role == "associate" and self.associate is None:
                    raise ValueError(f"event {event.kind!r} involves the associate, but the template has none")
                if role == "perpetrator" and not self.household.couple:
                    raise ValueError(f"event {event.kind!r} involves a perpetrator: needs household.couple: true")
                if role == "unborn":
                    raise ValueError(f"event {event.kind!r}: an unborn baby is in no incident")
        return self

    def needs_school(self) -> bool:
        """Whether the subject must be on a school roll (the template has school events)."""
        return any(event.agency == "school" for event in self.events)


def template_files() -> dict[str, Traversable]:
    """The shipped templates by name (the file's stem), from the package's data."""
    folder = resources.files("synthgen.reference").joinpath("data", "storylines")
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }


def template_names() -> list[str]:
    """The names a scenario's `storylines` may use."""
    return sorted(template_files())
