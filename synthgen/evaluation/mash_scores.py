"""What `evaluate mash` reports, as typed results; `as_dict()` is the JSON it writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from synthgen.evaluation.groups import GroupScore
from synthgen.evaluation.provenance import Provenance


@dataclass(frozen=True)
class AgencyChecks:
    """One partner's records: what a perfect check would find, and what the system found of them."""

    agency: str
    expected: int  # records about the child or household the agency held by the contact's day
    found: int  # records the system found (each contact's once)
    correct: int  # found and expected
    from_the_future: int  # about the family, but held only after the contact: a year-end extract's giveaway
    wrong: int  # about people outside the family
    recall: float
    precision: float  # correct / (correct + wrong): the future is counted apart, not as right


@dataclass(frozen=True)
class PartnerChecks:
    agencies: list[AgencyChecks]
    recall: float
    precision: float
    from_the_future: int
    child_recall: float  # of the records about the contact's child
    household_recall: float  # of the records about the adults and siblings at home


@dataclass(frozen=True)
class Agreement:
    """A system's ratings or decisions beside what the truth supports."""

    labels: list[str]
    confusion: list[list[int]]  # rows: the truth's; columns: the system's
    rated: int
    agreement: float  # share the same
    weighted_kappa: float  # linear weights over the ordered labels
    under: int  # the system did less than the truth supports
    over: int


@dataclass(frozen=True)
class MissedChild:
    contact_id: str
    received_at: str
    source: str
    concern: str
    band: str
    supported: str
    decided: str
    storyline_id: str | None


@dataclass(frozen=True)
class Timeliness:
    decided: int
    within_one_working_day: float
    by_source: dict[str, float]
    by_weekday: dict[str, float]


@dataclass(frozen=True)
class Sharing:
    shares: int
    fields_outside_policy: int
    recipients_without_purpose: int
    about_people_outside_the_family: int
    outside: list[dict[str, Any]] = field(default_factory=list)  # the first few, for the report


@dataclass(frozen=True)
class Group:
    """The headline scores over one group of contacts (a concern, a source, a storyline)."""

    name: str
    contacts: int
    answered: int
    check_recall: float
    check_precision: float
    decision_agreement: float
    at_risk_missed: int
    within_one_working_day: float


@dataclass(frozen=True)
class Example:
    """A worked example: a contact, what was known that day, what the system found and missed."""

    contact_id: str
    received_at: str
    source: str
    concern: str
    band: str
    supported: str
    decided: str | None
    records: list[dict[str, Any]]  # agency, table, record_id, relation, outcome (found / missed / future / wrong)


@dataclass(frozen=True)
class MashScores:
    run: str
    responses: str | None
    contacts: int
    answered: int
    partner_checks: PartnerChecks
    decisions: Agreement
    rag: Agreement
    at_risk_missed: list[MissedChild]
    timeliness: Timeliness
    sharing: Sharing
    by_concern: list[Group]
    by_source: list[Group]
    by_storyline: list[Group]
    examples: list[Example]
    by_group: list[GroupScore]  # checks, decisions and timeliness by the child's groups (evaluation/mash_groups.py)
    provenance: Provenance  # what was scored: versions, the run's scenario hash and seed, the file's sha256

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
