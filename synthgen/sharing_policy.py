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

from synthgen import tables

if TYPE_CHECKING:
    from synthgen.scenario.schema import SharingRule

AGENCIES = tables.AGENCIES
PURPOSES = ("safeguarding", "early_help")
IDENTITY = ("given_name", "middle_names", "family_name", "date_of_birth", "sex", "address_line", "postcode")
FIELD_GROUPS = {"identity": IDENTITY}
"""Names a rule may use for several fields at once."""

AGENCY_FIELDS: dict[str, frozenset[str]] = tables.agency_fields()
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


def of_scenario(scenario: dict[str, Any]) -> Allowed:
    """The policy a run was generated with, from its manifest's scenario (the default for a run made before the
    policy was part of the scenario)."""
    rules = (scenario.get("sharing") or {}).get("rules")
    if rules is None:
        rules = [rule.model_dump() for rule in default_rules()]
    return allowed(rules)
