"""What a scenario file may say: a strict, versioned schema.

Unknown keys are errors (a typo must not silently fall back to a default), numbers carry units in their names
or descriptions, and every check that needs reference data (is this an LA number? is this outward code in that
LA?) runs here so that the loader can report every problem at once with its line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from synthgen import person_groups, reference, sharing_policy
from synthgen.scenario import rates as rate_checks
from synthgen.scenario.templates import template_names

SCENARIO_VERSION = 1
OUTWARD_CODE = re.compile(r"^(?:[A-PR-UWYZ][0-9][0-9A-Z]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9A-Z]?)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Population(Strict):
    people: int = Field(gt=0, le=50_000_000, description="residents of the area at the start of the period")


def _outward_code(value: str) -> str:
    if not OUTWARD_CODE.match(value):
        raise ValueError(f"{value!r} is not an outward postcode (the part before the space, e.g. 'S60' or 'SW1A')")
    return value


class Area(Strict):
    la_number: int = Field(description="the DfE's 3-digit local-authority number, e.g. 372 for Rotherham")
    la_name: str
    outward_codes: list[Annotated[str, AfterValidator(_outward_code)]] = Field(min_length=1)

    @field_validator("la_number")
    @classmethod
    def _known_la(cls, value: int) -> int:
        if value not in reference.local_authorities():
            raise ValueError(f"{value} is not a DfE local-authority number (3 digits, e.g. 372 for Rotherham)")
        return value

    @field_validator("la_name")
    @classmethod
    def _name_matches_number(cls, value: str, info: ValidationInfo) -> str:
        la = reference.local_authorities().get(info.data.get("la_number", -1))
        if la is not None and value.casefold() != la.name.casefold():
            raise ValueError(f"{value!r} does not match LA {la.number}, which is {la.name!r}")
        return value

    @field_validator("outward_codes")
    @classmethod
    def _codes_in_la(cls, value: list[str], info: ValidationInfo) -> list[str]:
        la = reference.local_authorities().get(info.data.get("la_number", -1))
        if la is None:
            return value
        if len(set(value)) != len(value):
            raise ValueError("lists an outward code more than once")
        in_la = set(reference.postcodes_in(value, la).outward)
        outside = [code for code in value if code not in in_la]
        if outside:
            raise ValueError(f"{', '.join(outside)} has no postcodes in {la.name} ({la.number})")
        return value


EARLIEST = dt.date(1950, 1, 1)
LATEST = dt.date(2099, 12, 31)
"""The dates a period may cover: the population's birth dates reach a century before its start, and the name
tables by birth decade begin in the 1920s; a period after this century is beyond any reference figure."""
SHORTEST_DAYS = 28
LONGEST_DAYS = 3653
"""A period's length: four weeks at least (shorter, the year's rates make no events to speak of) and ten years at
most (a run holds the whole period in memory shard by shard)."""


def _in_range(value: dt.date) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value} is outside the dates a period may cover ({EARLIEST} to {LATEST})")
    return value


class Period(Strict):
    start: Annotated[dt.date, AfterValidator(_in_range)] = Field(strict=False)
    end: Annotated[dt.date, AfterValidator(_in_range)] = Field(
        strict=False, description="last day of the period, inclusive"
    )

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError(f"{value} is not after start {start}")
        days = (value - start).days + 1 if start is not None else SHORTEST_DAYS
        if days < SHORTEST_DAYS:
            raise ValueError(f"the period from {start} to {value} is {days} days; it must be {SHORTEST_DAYS} at least")
        if days > LONGEST_DAYS:
            raise ValueError(f"the period from {start} to {value} is {days:,} days; it may be {LONGEST_DAYS:,} at most")
        return value


ErrorRates = dict[str, dict[str, dict[str, Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]]]]


Multiplier = Annotated[float, Field(ge=0.0, le=1000.0, strict=False, allow_inf_nan=False)]


class Mechanisms(Strict):
    """Group-dependent errors (synthgen/reference/data/quality_groups.csv): a mechanism multiplies some error rates
    for the people of some groups (transliterated names, recent arrivals without an NHS number, ...)."""

    enabled: bool = Field(default=True, description="false: every error rate is the same for everyone")
    off: list[str] = Field(default_factory=list, description="mechanisms switched off, e.g. [name_order]")
    multipliers: dict[str, dict[str, Multiplier]] = Field(
        default_factory=dict,
        description="overrides by mechanism and group, e.g. {recent_arrival: {Black: 4.0}}; 1.0 switches a group off",
    )

    @field_validator("off")
    @classmethod
    def _known_off(cls, value: list[str]) -> list[str]:
        known = sorted({rule.mechanism for rule in reference.quality_groups()})
        for name in value:
            if name not in known:
                raise ValueError(f"unknown mechanism {name!r} (allowed: {', '.join(known)})")
        return value

    @field_validator("multipliers")
    @classmethod
    def _known_groups(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        dimension = {rule.mechanism: rule.dimension for rule in reference.quality_groups()}
        for name, groups in value.items():
            if name not in dimension:
                raise ValueError(f"unknown mechanism {name!r} (allowed: {', '.join(sorted(dimension))})")
            labels = person_groups.LABELS[dimension[name]]
            for group in groups:
                if group not in labels:
                    raise ValueError(f"{name}: unknown {dimension[name]} {group!r} (allowed: {', '.join(labels)})")
        return value


class DataQuality(Strict):
    profile: Literal["clean", "realistic", "messy"] = "realistic"
    rates: ErrorRates = Field(
        default_factory=dict,
        description="overrides by agency, field and error kind, e.g. {health: {nhs_number: {missing: 0.05}}}",
    )
    mechanisms: Mechanisms = Mechanisms()

    @model_serializer(mode="wrap")
    def _leave_out_default_mechanisms(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        """Mechanisms as shipped dump (and so hash) as before they could be changed."""
        data = handler(self)
        if isinstance(data, dict) and self.mechanisms == Mechanisms():
            data.pop("mechanisms", None)
        return data

    @field_validator("rates")
    @classmethod
    def _known_rates(cls, value: ErrorRates) -> ErrorRates:
        known = {(r.agency, r.field, r.kind) for r in reference.quality_rates()}
        agencies = sorted({a for a, _, _ in known})
        for agency, fields in value.items():
            if agency not in agencies:
                raise ValueError(f"unknown agency {agency!r} (allowed: {', '.join(agencies)})")
            for field_name, kinds in fields.items():
                allowed_fields = sorted({f for a, f, _ in known if a == agency})
                if field_name not in allowed_fields:
                    raise ValueError(f"{agency}: unknown field {field_name!r} (allowed: {', '.join(allowed_fields)})")
                for kind in kinds:
                    allowed = sorted({k for a, f, k in known if a == agency and f == field_name})
                    if kind not in allowed:
                        raise ValueError(
                            f"{agency}.{field_name}: unknown error kind {kind!r} (allowed: {', '.join(allowed)})"
                        )
        return value


class Agency(Strict):
    enabled: bool = True


class Agencies(Strict):
    police: Agency = Agency()
    health: Agency = Agency()
    school: Agency = Agency()
    social_care: Agency = Agency()


class FrontDoor(Strict):
    """The MASH front door and the flows around it; each part needs the agencies it joins (contacts: children's
    social care; Operation Encompass and MARAC: the police; CP-IS: children's social care), and is left out
    where they are switched off."""

    enabled: bool = Field(default=True, description="contacts, partner checks, decisions and early help")
    operation_encompass: bool = Field(default=True, description="police notifications of domestic abuse to schools")
    marac: bool = Field(default=True, description="multi-agency risk assessment conferences")
    cp_is: bool = Field(default=True, description="child protection information sharing with the NHS")


class Identifiers(Strict):
    nhs_numbers: Literal["test", "unallocated"] = Field(
        default="test",
        description=(
            "test: 999 000 0000-999 999 9999, reserved for testing, about 900,000 numbers; "
            "unallocated: 900 000 0000-998 999 9999, in none of the ranges issued in the UK, for larger runs"
        ),
    )


class Outputs(Strict):
    formats: list[Literal["parquet"]] = ["parquet"]


class StorylineRequest(Strict):
    template: str = Field(description="a storyline template's name (synthgen/reference/data/storylines/*.yaml)")
    count: int = Field(ge=0, description="how many to plant")

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        known = template_names()
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown template {value!r}{hint} (known: {', '.join(known)})")
        return value


def _distinct_templates(value: list[StorylineRequest]) -> list[StorylineRequest]:
    names = [request.template for request in value]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"names template {', '.join(map(repr, repeated))} more than once (give one count each)")
    return value


# ---- information sharing (synthgen/sharing_policy.py): the policy a sharing evaluation checks disclosures against ----
AgencyName = Literal["police", "health", "school", "social_care"]


class SharingRule(Strict):
    agency: AgencyName = Field(description="the agency whose records are shared")
    recipients: list[AgencyName] = Field(min_length=1, description="the agencies it may share them with")
    purpose: Literal["safeguarding", "early_help"]
    fields: list[str] = Field(min_length=1, description="columns of the agency's files, or 'identity'")

    @field_validator("recipients")
    @classmethod
    def _others(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("agency") in value:
            raise ValueError(f"{info.data['agency']} cannot share with itself")
        if len(set(value)) != len(value):
            raise ValueError("lists a recipient more than once")
        return value

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str], info: ValidationInfo) -> list[str]:
        agency = info.data.get("agency")
        if agency is None:
            return value
        known = sharing_policy.AGENCY_FIELDS[agency] | set(sharing_policy.FIELD_GROUPS)
        unknown = [name for name in value if name not in known]
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{agency} holds no field {unknown[0]!r}{hint} (fields are columns of its files)")
        return value


class Sharing(Strict):
    rules: list[SharingRule] = Field(
        default_factory=lambda: sharing_policy.default_rules(),
        description="who may share what with whom, and why; the default follows England's guidance "
        "(synthgen/reference/data/sharing_policy.yaml)",
    )


RUN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _known_rates(value: dict[str, float]) -> dict[str, float]:
    """Every rate known by name and within what generation can do (`synthgen.scenario.rates`); the problems are
    raised together, one a line, for the loader to report each at its key."""
    known = reference.default_parameters()
    for name in value:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown rate {name!r}{hint} (the names are in synthgen/reference/data/parameters/)")
    found = rate_checks.problems(value)
    if found:
        raise ValueError("\n".join(found))
    return value


class Scenario(Strict):
    scenario_version: Literal[1]
    name: str = Field(description="names the run folder (output/<name>) by default")
    description: str = ""
    seed: int = Field(ge=0, lt=2**63)
    population: Population
    area: Area
    period: Period
    data_quality: DataQuality = DataQuality()
    agencies: Agencies = Agencies()
    front_door: FrontDoor = FrontDoor()
    identifiers: Identifiers = Identifiers()
    outputs: Outputs = Outputs()
    sharing: Sharing = Field(default_factory=Sharing)
    rates: Annotated[dict[str, Annotated[float, Field(strict=False)]], AfterValidator(_known_rates)] = Field(
        default_factory=dict,
        description="overrides of model rates by name, e.g. {referrals_per_10k_children: 700}, for an area unlike "
        "the England average; describe then compares against these targets",
    )
    storylines: Annotated[list[StorylineRequest], AfterValidator(_distinct_templates)] = Field(
        default_factory=list, description="planted cases: [{template: cse, count: 2}, ...]"
    )

    @model_serializer(mode="wrap")
    def _leave_out_no_storylines(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        """A scenario without storylines dumps (and so hashes, and writes its manifest) as before they existed."""
        data = handler(self)
        if isinstance(data, dict) and not self.storylines:
            data.pop("storylines", None)
        return data

    @field_validator("name")
    @classmethod
    def _run_name(cls, value: str) -> str:
        if not RUN_NAME.match(value):
            raise ValueError(
                f"{value!r} must be lowercase letters, digits, '-' or '_' (at most 64; it names the run folder)"
            )
        return value
