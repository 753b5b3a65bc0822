"""A child's DfE API payload from its social-care rows: where each record goes, purges, one child per la_child_id,
and a schema that rejects a payload with a fault planted in it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from synthgen import tables
from synthgen.feeds.dfe_api import SOCIAL_CARE, SOURCES, dfe_api_payload_schema, payloads
from synthgen.feeds.dfe_api_episodes import MADE, PURGE

VALIDATOR = Draft202012Validator(dfe_api_payload_schema())
DAY = dt.date(2024, 4, 1)


def _child(la_child_id: str, record_id: str, **more: Any) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "la_child_id": la_child_id,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": dt.date(2015, 12, 10),
        "sex": "F",
        "ethnicity": "WBRI",
        "upn": "A372123456789",
        "postcode": "S60 1AA",
        "disabilities": [],
        **more,
    }


def _rows(**given: list[dict[str, Any]]) -> dict[str, pa.Table]:
    """Every source's rows (purge false and made on DAY unless given)."""
    found = {}
    for name in SOURCES:
        schema = tables.table(SOCIAL_CARE + name).schema
        schema = schema.append(pa.field(PURGE, pa.bool_())).append(pa.field(MADE, pa.date32()))
        records = [{PURGE: False, MADE: DAY, **record} for record in given.get(name, [])]
        found[name] = pa.Table.from_pylist(records, schema=schema)
    return found


def _sent(rows: dict[str, pa.Table]) -> dict[str, dict[str, Any]]:
    ids, texts = payloads(rows)
    sent = {kid: json.loads(text) for kid, text in zip(ids, texts, strict=True)}
    for payload in sent.values():
        assert not list(VALIDATOR.iter_errors(payload)), payload
    return sent


def _episode_of(payload: dict[str, Any], key: str, value: str) -> str:
    for episode in payload["social_care_episodes"]:
        for name in ("child_and_family_assessments", "child_protection_plans", "child_looked_after_placements"):
            if any(item.get(key) == value for item in episode[name]):
                return str(episode["social_care_episode_id"])
    raise AssertionError(value)


def test_a_record_goes_to_its_own_referral_else_the_latest_on_or_before_its_date() -> None:
    sent = _sent(
        _rows(
            children=[_child("C1", "K1")],
            referrals=[
                {"referral_id": "R1", "la_child_id": "C1", "referral_date": dt.date(2024, 5, 1), "nfa": False},
                {"referral_id": "R2", "la_child_id": "C1", "referral_date": dt.date(2024, 8, 1), "nfa": False},
            ],
            cp_plans=[
                {"cp_plan_id": "P0", "la_child_id": "C1", "start_date": dt.date(2024, 4, 1)},
                {"cp_plan_id": "P1", "la_child_id": "C1", "start_date": dt.date(2024, 6, 1)},
                {"cp_plan_id": "P2", "la_child_id": "C1", "start_date": dt.date(2024, 8, 1)},
            ],
            assessments=[
                {"assessment_id": "A1", "la_child_id": "C1", "referral_id": "R1", "start_date": dt.date(2024, 9, 1)}
            ],
        )
    )
    child = sent["C1"]
    assert [e["social_care_episode_id"] for e in child["social_care_episodes"]] == ["C1", "R1", "R2"]
    assert "referral_date" not in child["social_care_episodes"][0]  # the stand-in: no referral of its own
    where = {plan: _episode_of(child, "child_protection_plan_id", plan) for plan in ("P0", "P1", "P2")}
    assert where == {"P0": "C1", "P1": "R1", "P2": "R2"}
    assert _episode_of(child, "child_and_family_assessment_id", "A1") == "R1"


def test_a_child_whose_every_record_is_deleted_is_its_ids_and_purge_true() -> None:
    sent = _sent(
        _rows(
            children=[_child("C1", "K1"), _child("C9", "K9", purge=True)],
            referrals=[{"referral_id": "R9", "la_child_id": "C9", "referral_date": DAY, "nfa": True}],
        )
    )
    assert sent["C9"] == {"la_child_id": "C9", "mis_child_id": "K9", "purge": True}
    assert sent["C1"]["purge"] is False and sent["C1"]["social_care_episodes"] == []


def test_a_deleted_record_is_sent_with_purge_true_and_takes_nothing_under_it() -> None:
    sent = _sent(
        _rows(
            children=[_child("C1", "K1")],
            referrals=[
                {"referral_id": "R1", "la_child_id": "C1", "referral_date": dt.date(2024, 5, 1), "nfa": False},
                {"referral_id": "R2", "la_child_id": "C1", "referral_date": dt.date(2024, 6, 1), PURGE: True},
            ],
            cp_plans=[
                {"cp_plan_id": "P1", "la_child_id": "C1", "start_date": dt.date(2024, 7, 1)},
                {"cp_plan_id": "P2", "la_child_id": "C1", "start_date": dt.date(2024, 7, 2), PURGE: True},
            ],
        )
    )
    episodes = {e["social_care_episode_id"]: e for e in sent["C1"]["social_care_episodes"]}
    assert episodes["R2"]["purge"] is True and episodes["R2"]["child_protection_plans"] == []
    assert [(p["child_protection_plan_id"], p["purge"]) for p in episodes["R1"]["child_protection_plans"]] == [
        ("P1", False),
        ("P2", True),
    ]


def test_two_records_under_one_la_child_id_send_one_child_from_the_record_made_first() -> None:
    sent = _sent(
        _rows(
            children=[
                _child("C1", "K2", given_name="Later", **{MADE: dt.date(2024, 6, 1)}),
                _child("C1", "K1", given_name="First", **{MADE: dt.date(2024, 5, 1)}),
            ]
        )
    )
    assert list(sent) == ["C1"]
    assert sent["C1"]["mis_child_id"] == "K1" and sent["C1"]["child_details"]["first_name"] == "First"


def test_child_details_unborn_uasc_disabilities_and_sdq() -> None:
    sent = _sent(
        _rows(
            children=[
                _child("C1", "K1", date_of_birth=dt.date(2024, 9, 1), sex=None, disabilities=["AUT", "LD"]),
                _child("C2", "K2"),
            ],
            cla_uasc=[
                {"uasc_id": "U1", "la_child_id": "C1", "uasc_ceased": dt.date(2024, 5, 1)},
                {"uasc_id": "U2", "la_child_id": "C1", "uasc_ceased": dt.date(2024, 7, 1)},
                {"uasc_id": "U3", "la_child_id": "C2", "uasc_ceased": None},
            ],
            cla_outcomes=[
                {"outcome_id": "O1", "la_child_id": "C2", "year_end": dt.date(2024, 3, 31), "sdq_score": 12},
                {"outcome_id": "O2", "la_child_id": "C2", "year_end": dt.date(2025, 3, 31), "sdq_score": 20},
                {"outcome_id": "O3", "la_child_id": "C1", "year_end": dt.date(2025, 3, 31), "sdq_score": None},
            ],
        )
    )
    one, two = sent["C1"]["child_details"], sent["C2"]["child_details"]
    assert one["expected_date_of_birth"] == "2024-09-01" and "date_of_birth" not in one  # made before the birth
    assert one["sex"] == "U" and one["disabilities"] == ["AUT", "LD"] and two["disabilities"] == ["NONE"]
    assert (one["uasc_flag"], one["uasc_end_date"]) == (True, "2024-07-01")
    assert two["uasc_flag"] is True and "uasc_end_date" not in two  # one still holds
    assert "health_and_wellbeing" not in sent["C1"]
    assert sent["C2"]["health_and_wellbeing"]["sdq_assessments"] == [
        {"date": "2025-03-31", "score": 20},
        {"date": "2024-03-31", "score": 12},
    ]


def _full_payload() -> dict[str, Any]:
    """A payload with every block synthgen fills."""
    sent = _sent(
        _rows(
            children=[_child("C1", "K1")],
            referrals=[{"referral_id": "R1", "la_child_id": "C1", "referral_date": DAY, "referral_source": "2A"}],
            assessments=[{"assessment_id": "A1", "la_child_id": "C1", "referral_id": "R1", "factors": ["3B"]}],
            cin_plans=[{"cin_plan_id": "N1", "la_child_id": "C1", "referral_id": "R1", "start_date": DAY}],
            section47=[{"section47_id": "S1", "la_child_id": "C1", "referral_id": "R1", "icpc_required": True}],
            icpcs=[{"icpc_id": "I1", "la_child_id": "C1", "section47_id": "S1", "conference_date": DAY}],
            cp_plans=[{"cp_plan_id": "P1", "la_child_id": "C1", "start_date": DAY}],
            cla_episodes=[{"episode_id": "E1", "la_child_id": "C1", "start_date": DAY, "placement_type": "U3"}],
            cla_adoption_decisions=[{"decision_id": "D1", "la_child_id": "C1", "decision_date": DAY}],
            care_leavers=[{"leaver_id": "L1", "la_child_id": "C1", "activity": "F1", "accommodation": "D"}],
            cla_outcomes=[{"outcome_id": "O1", "la_child_id": "C1", "year_end": DAY, "sdq_score": 9}],
        )
    )
    episode = sent["C1"]["social_care_episodes"][0]
    assert episode["section_47_assessments"][0]["icpc_date"] == DAY.isoformat()
    assert episode["adoption"]["initial_decision_date"] == DAY.isoformat()
    assert episode["care_leavers"] == {
        "contact_date": DAY.isoformat(),
        "activity": "F1",
        "accommodation": "D",
        "purge": False,
    }
    return sent["C1"]


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def plant(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return plant


def _drop(path: tuple[Any, ...]) -> Any:
    def plant(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return plant


EPISODE = ("social_care_episodes", 0)


@pytest.mark.parametrize(
    "fault",
    [
        _set(("child_details", "sex"), 1),  # wrong type
        _set(("child_details", "sex"), "X"),  # not a code
        _drop(("la_child_id",)),  # a required field missing
        _drop(("child_details",)),  # required unless purged
        _drop((*EPISODE, "social_care_episode_id")),
        _set((*EPISODE, "referral_date"), "2024-13-01"),  # no such date
        _set((*EPISODE, "referral_source"), "TOO LONG"),
        _set((*EPISODE, "closure_date"), None),  # absent values are left out, never null
        _set((*EPISODE, "child_protection_plans", 0, "purge"), "false"),
        _set((*EPISODE, "adoption", "placed"), "2024-05-01"),  # not a field of the spec
        _set(("purge",), True),  # a purged child carries its ids alone
        _set(("health_and_wellbeing", "sdq_assessments", 0, "score"), 41),
    ],
)
def test_the_schema_rejects_a_payload_with_a_planted_fault(fault: Any) -> None:
    payload = _full_payload()
    assert VALIDATOR.is_valid(payload)
    broken = copy.deepcopy(payload)
    fault(broken)
    assert not VALIDATOR.is_valid(broken)


DAYS = st.integers(0, 400).map(lambda n: DAY + dt.timedelta(days=n))


@settings(max_examples=60, deadline=None)
@given(
    referrals=st.lists(st.tuples(st.integers(0, 2), DAYS, st.booleans()), max_size=6),
    records=st.lists(st.tuples(st.integers(0, 2), DAYS, st.sampled_from(["cp_plans", "cla_episodes"])), max_size=8),
)
def test_every_record_is_sent_once_in_the_episode_its_date_says(
    referrals: list[tuple[int, dt.date, bool]], records: list[tuple[int, dt.date, str]]
) -> None:
    """Whatever the referrals and records: each record once, in its child's latest held referral on or before its
    day (the stand-in where none is), each list in date order, and every payload valid."""
    id_column = {  # the table's id column, the episode's list, the list's id
        "cp_plans": ("cp_plan_id", "child_protection_plans", "child_protection_plan_id"),
        "cla_episodes": ("episode_id", "child_looked_after_placements", "child_looked_after_placement_id"),
    }
    given_rows: dict[str, list[dict[str, Any]]] = {"children": [_child(f"C{k}", f"K{k}") for k in range(3)]}
    given_rows["referrals"] = [
        {"referral_id": f"R{i}", "la_child_id": f"C{k}", "referral_date": day, PURGE: gone}
        for i, (k, day, gone) in enumerate(referrals)
    ]
    for i, (k, day, table) in enumerate(records):
        given_rows.setdefault(table, []).append(
            {id_column[table][0]: f"X{i}", "la_child_id": f"C{k}", "start_date": day}
        )
    sent = _sent(_rows(**given_rows))
    for i, (k, day, table) in enumerate(records):
        held = [(d, f"R{j}") for j, (c, d, gone) in enumerate(referrals) if c == k and not gone and d <= day]
        expected = max(held)[1] if held else f"C{k}"
        where = [
            e["social_care_episode_id"]
            for e in sent[f"C{k}"]["social_care_episodes"]
            for item in e[id_column[table][1]]
            if item[id_column[table][2]] == f"X{i}"
        ]
        assert where == [expected]
    for payload in sent.values():
        for episode in payload["social_care_episodes"]:
            for _, name, _ in id_column.values():
                starts = [item["start_date"] for item in episode[name]]
                assert starts == sorted(starts)
