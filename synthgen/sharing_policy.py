"""Information-sharing policy: which agency may share which fields with which other agency, for which purpose.

The policy is part of the scenario (`sharing.rules`), with a default modelled on England's guidance kept as a
data file with its sources (`reference/data/sharing_policy.yaml`). A sharing evaluation checks each disclosure
a system made against it: a field no rule lets that agency share with that recipient for that purpose is
over-sharing, and so is a recipient no rule names for the purpose at all.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from synthgen.scenario.schema import SharingRule

AGENCIES = ("police", "health", "school", "social_care")
PURPOSES = ("safeguarding", "early_help")
IDENTITY = ("given_name", "middle_names", "family_name", "date_of_birth", "sex", "address_line", "postcode")
FIELD_GROUPS = {"identity": IDENTITY}
"""Names a rule may use for several fields at once."""

AGENCY_FIELDS: dict[str, frozenset[str]] = {
    "police": frozenset(
        {
            *IDENTITY,
            "age",
            "pnc_id",
            "police_person_id",
            "incident_id",
            "incident_type",
            "occurred_at",
            "role",
            "crime",
            "dash_risk",
            "location_postcode",
        }
    ),
    "health": frozenset(
        {
            *IDENTITY,
            "nhs_number",
            "local_patient_id",
            "town",
            "practice_ods_code",
            "registration_date",
            "arrived_at",
            "arrival_mode",
            "chief_complaint_group",
            "injury",
            "safeguarding_concern",
            "discharge_destination",
            "referral_date",
            "referral_source",
            "reason",
            "visit_type",
            "due_date",
            "visit_date",
            "within_14_days",
            "booking_date",
            "expected_delivery_date",
        }
    ),
    "school": frozenset(
        {
            *IDENTITY,
            "upn",
            "preferred_given_name",
            "preferred_family_name",
            "ethnicity",
            "school_urn",
            "year_group",
            "entry_date",
            "fsm_eligible",
            "sen_provision",
            "academic_year",
            "half_term",
            "possible_sessions",
            "present",
            "late_L",
            "approved_activity",
            "authorised_absence",
            "illness_I",
            "medical_M",
            "religious_R",
            "excluded_E",
            "authorised_other",
            "unauthorised_absence",
            "unauthorised_other_O",
            "unauthorised_holiday_G",
            "no_reason_N",
            "late_after_close_U",
            "category",
            "start_date",
            "sessions",
            "reason",
            "reported_date",
            "from_urn",
            "to_urn",
            "move_date",
        }
    ),
    "social_care": frozenset(
        {
            *IDENTITY,
            "la_child_id",
            "ethnicity",
            "nhs_number",
            "upn",
            "date_of_death",
            "referral_id",
            "referral_date",
            "referral_source",
            "nfa",
            "primary_need_code",
            "closure_date",
            "closure_reason",
            "assessment_id",
            "start_date",
            "authorised_date",
            "outcome",
            "factors",
            "cin_plan_id",
            "end_date",
            "section47_id",
            "icpc_required",
            "icpc_id",
            "conference_date",
            "cp_plan",
            "cp_plan_id",
            "initial_category",
            "latest_category",
            "episode_id",
            "legal_status",
            "reason_for_new_episode",
            "placement_type",
            "reason_episode_ceased",
            "home_postcode",
            "placement_postcode",
            # what the CIN census needs beyond the pathway
            "disabilities",
            "previous_plans",
            "review_dates",
            # the looked-after history (SSDA903: reviews, missing spells, UASC, adoption, outcomes, care leavers)
            "accommodation",
            "activity",
            "adopters",
            "adopters_legal_status",
            "adopters_sex",
            "adoption_id",
            "category_of_need",
            "convicted",
            "date_matched",
            "date_should_be_placed",
            "decision_date",
            "decision_id",
            "foster_carer",
            "health_assessment",
            "health_check",
            "immunisations",
            "in_touch",
            "intervention_offered",
            "intervention_received",
            "kind",
            "leaver_id",
            "missing_id",
            "outcome_id",
            "participation",
            "permanence_date",
            "permanence_id",
            "permanence_la",
            "placement_provider",
            "previous_permanence",
            "reason_place_change",
            "review_date",
            "review_id",
            "sdq_score",
            "substance_misuse",
            "teeth_check",
            "uasc_ceased",
            "uasc_id",
            "urn",
            "year_end",
        }
    ),
}
"""Every column an agency's files hold about people (record ids aside): what a policy rule may name."""

LINKAGE_FIELDS = frozenset({*IDENTITY, "nhs_number", "upn", "local_patient_id", "pnc_id", "la_child_id"})
"""The linkage view's columns a disclosure of a linkage record can name (each is its agency's own field)."""


def expand(fields: list[str]) -> list[str]:
    """A rule's fields with group names (identity) spelled out, in order, each once."""
    out: list[str] = []
    for name in fields:
        for field in FIELD_GROUPS.get(name, (name,)):
            if field not in out:
                out.append(field)
    return out


@cache
def _default_text() -> str:
    return resources.files("synthgen.reference").joinpath("data", "sharing_policy.yaml").read_text(encoding="utf-8")


def default_rules() -> list[SharingRule]:
    """The shipped default policy, validated like a scenario's own rules."""
    from synthgen.scenario.schema import SharingRule

    data: dict[str, Any] = yaml.safe_load(_default_text())
    return [SharingRule.model_validate(rule) for rule in data["rules"]]


Allowed = dict[tuple[str, str, str], frozenset[str]]


def allowed(rules: list[dict[str, Any]]) -> Allowed:
    """(agency, recipient, purpose) -> the fields the policy lets that agency share with that recipient for that
    purpose (a pair with no rule is absent: that recipient has no purpose for the agency's data)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    for rule in rules:
        for recipient in rule["recipients"]:
            out.setdefault((rule["agency"], recipient, rule["purpose"]), set()).update(expand(list(rule["fields"])))
    return {key: frozenset(value) for key, value in out.items()}
