"""The sharing policy: the shipped default is valid and names only real fields; a scenario's own rules are
checked like every other key, each problem on its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthgen import ScenarioError, load_scenario, sharing_policy
from tests.conftest import SCENARIO


def test_the_default_policy_loads_and_covers_every_agency() -> None:
    rules = sharing_policy.default_rules()
    assert {rule.agency for rule in rules} == set(sharing_policy.AGENCIES)
    allowed = sharing_policy.allowed([rule.model_dump() for rule in rules])
    assert {purpose for _, _, purpose in allowed} == set(sharing_policy.PURPOSES)
    assert "dash_risk" in allowed[("police", "social_care", "safeguarding")]
    assert "dash_risk" not in allowed[("police", "school", "safeguarding")]  # proportionate: not to schools
    assert "chief_complaint_group" not in allowed[("health", "police", "safeguarding")]  # no clinical detail
    assert ("health", "police", "early_help") not in allowed  # early help goes to the local authority only
    assert set(sharing_policy.IDENTITY) <= allowed[("school", "social_care", "early_help")]


def test_a_scenario_without_rules_gets_the_default(write_scenario: Callable[..., Path]) -> None:
    assert load_scenario(write_scenario()).sharing.rules == sharing_policy.default_rules()


def test_the_field_vocabulary_is_what_the_agency_files_hold(demo_run: Path) -> None:
    for agency, fields in sharing_policy.AGENCY_FIELDS.items():
        held: set[str] = set()
        for path in (demo_run / "agencies" / agency).glob("*.parquet"):
            held |= set(pq.read_schema(path).names)
        about_places = {"practice_name", "laestab", "school_name", "phase"}  # practices and schools, not people
        assert fields == held - about_places - {"record_id"}, agency


def test_bad_rules_are_reported_with_their_lines(write_scenario: Callable[..., Path]) -> None:
    text = SCENARIO.format(name="t", seed=1, people=100) + (
        "sharing:\n"
        "  rules:\n"
        "    - agency: police\n"
        "      recipients: [police, school]\n"
        "      purpose: safeguarding\n"
        "      fields: [identity]\n"
        "    - agency: health\n"
        "      recipients: [social_care]\n"
        "      purpose: gossip\n"
        "      fields: [nhs_numbr]\n"
    )
    path = write_scenario(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = [line.replace(str(path), "s.yaml") for line in caught.value.lines]
    assert lines == [
        "s.yaml:16: sharing.rules[0].recipients: police cannot share with itself",
        "s.yaml:21: sharing.rules[1].purpose: must be one of 'safeguarding' or 'early_help', not 'gossip'",
        "s.yaml:22: sharing.rules[1].fields: health holds no field 'nhs_numbr'; did you mean 'nhs_number'? "
        "(fields are columns of its files)",
    ]
