"""The typed result of a sharing evaluation. `SharingScores.as_dict()` is the JSON `synthgen evaluate sharing
--json` writes, key for key and in the same order, so the fields here are declared in that order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from synthgen.evaluation.groups import GroupScore
from synthgen.evaluation.provenance import Provenance


@dataclass(frozen=True)
class Detection:
    """Child-level precision and recall of the flagged against the children at risk."""

    children_at_risk: int
    children_at_risk_visible: int
    children_visible: int
    flagged_people: int
    flagged_children: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    recall_visible: float  # among the children at risk whose case became visible across agencies
    flagged_not_visible: int


@dataclass(frozen=True)
class TimeToFlag:
    """Days from a case becoming visible to its first flag, over the children at risk whose case did."""

    children: int
    flagged: int
    median_days: float | None
    within_7_days: float
    within_30_days: float
    never: float
    flagged_before_visible: int
    histogram: dict[str, int]  # days -> children


@dataclass(frozen=True)
class ConcernRecall:
    """Detection for the children at risk of one need."""

    concern: str
    children: int
    visible: int
    flagged: int
    recall: float
    median_days_to_flag: float | None


@dataclass(frozen=True)
class Signal:
    """A safeguarding signal about a person, as a timeline shows it."""

    person_id: int
    agency: str
    kind: str
    date: str


@dataclass(frozen=True)
class StorylineScore:
    """Whether a planted storyline's children at risk were flagged, and how fast, with its signals."""

    storyline_id: str
    template: str
    concern: str
    children_at_risk: int
    onset: str | None
    visible_on: str | None
    detected: bool
    flagged_at: str | None
    days_from_onset: int | None
    days_from_visibility: int | None
    signals: list[Signal]


@dataclass(frozen=True)
class ExampleChild:
    """A child at risk whose case became visible and who was missed or flagged slowest, for the report."""

    person_id: int
    concerns: list[str]
    onset: str | None
    visible_on: str | None
    flagged_at: str | None
    signals: list[Signal]


@dataclass(frozen=True)
class FieldOutsidePolicy:
    agency: str
    recipient: str
    field: str
    disclosures: int


@dataclass(frozen=True)
class RecipientWithoutPurpose:
    agency: str
    recipient: str
    purpose: str | None
    disclosures: int


@dataclass(frozen=True)
class Oversharing:
    """What the disclosures gave away that they should not have, counted per disclosure."""

    disclosures: int
    about_people_in_no_flagged_case: int
    about_people_not_at_risk: int
    for_no_flagged_case: int
    fields_outside_policy: int
    recipients_without_purpose: int
    share_about_people_in_no_flagged_case: float
    share_about_people_not_at_risk: float
    share_fields_outside_policy: float
    share_recipients_without_purpose: float
    people_not_at_risk_disclosed: int
    fields_outside_policy_by_pair: list[FieldOutsidePolicy]
    recipients_without_purpose_by_pair: list[RecipientWithoutPurpose]


@dataclass(frozen=True)
class Period:
    start: str
    end: str


@dataclass(frozen=True)
class SharingScores:
    """Every score of one screening and sharing system's output against a run's truth."""

    run: str
    flags: str | None  # the flags file read (None for a table given in memory)
    disclosures: str | None  # the disclosures file read (None when none were given, or for a table)
    period: Period
    flag_rows: int
    flags_from_the_future: int  # flag rows citing a record before its agency held it: counted apart, never credited
    detection: Detection
    time_to_flag: TimeToFlag
    by_concern: list[ConcernRecall]
    flags_by_stated_concern: dict[str, int]
    storylines: list[StorylineScore]
    examples: list[ExampleChild]
    oversharing: Oversharing | None  # None when no disclosures were given
    by_group: list[GroupScore]  # recall, precision and time to flag by group (evaluation/sharing_groups.py)
    provenance: Provenance  # what was scored: versions, the run's scenario hash and seed, the files' sha256

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, with stable keys (what `--json` writes and the HTML report reads)."""
        return dataclasses.asdict(self)
