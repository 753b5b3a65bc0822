"""The demo's DfE API feed: every payload validates against the shipped schema, a day's deltas are the children
whose social-care records the parquet feed's batch changes, the deltas replay to the last snapshot, the last
snapshot holds every year-end social-care record once, a snapshot made day by day is one made from scratch, and
the same run gives the same bytes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

import synthgen
from synthgen.feeds.dfe_api import SOURCES, dfe_api_payload_schema
from synthgen.feeds.dfe_api_feed import FOLDER

MID_YEAR = dt.date(2024, 10, 13)
"""A weekly batch day (the seventh day of the period's 28th week)."""


@pytest.fixture(scope="module")
def deltas(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dfe") / "deltas"
    synthgen.feed(demo_run, out, format="dfe-api")
    return out


@pytest.fixture(scope="module")
def weekly(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dfe") / "weekly"
    synthgen.feed(demo_run, out, format="dfe-api", dfe_api_mode="snapshot", cadence="weekly")
    return out


def _days(feed: Path) -> list[tuple[dt.date, list[dict[str, Any]]]]:
    files = sorted((feed / FOLDER).glob("*.json"))
    return [(dt.date.fromisoformat(f.stem), json.loads(f.read_text(encoding="utf-8"))) for f in files]


def _ids(value: Any, key: str) -> list[str]:
    """Every value of `key` anywhere in a payload."""
    if isinstance(value, dict):
        found = [value[key]] if key in value else []
        return found + [i for v in value.values() for i in _ids(v, key)]
    if isinstance(value, list):
        return [i for v in value for i in _ids(v, key)]
    return []


def test_every_payload_of_the_deltas_and_the_snapshots_validates(deltas: Path, weekly: Path) -> None:
    check = Draft202012Validator(dfe_api_payload_schema())
    seen = set()
    for feed in (deltas, weekly):
        for f in sorted((feed / FOLDER).glob("*.json")):
            for line in f.read_text(encoding="utf-8").splitlines()[1:-1]:
                seen.add(line.rstrip(","))
    assert len(seen) > 1000
    for text in seen:
        errors = list(check.iter_errors(json.loads(text)))
        assert not errors, (text[:200], errors[0].message)


def test_feed_json_counts_are_the_files(deltas: Path, weekly: Path) -> None:
    for feed, mode in ((deltas, "deltas"), (weekly, "snapshot")):
        manifest = json.loads((feed / "feed.json").read_text())
        assert manifest["format"] == "dfe-api" and manifest["dfe_api_mode"] == mode and manifest["la_code"] == 372
        days = _days(feed)
        assert [f["day"] for f in manifest["files"]] == [d.isoformat() for d, _ in days]
        assert [f["children"] for f in manifest["files"]] == [len(p) for _, p in days]
        assert manifest["payloads"] == sum(len(p) for _, p in days)
    assert len(_days(weekly)) == len(json.loads((weekly / "feed.json").read_text())["batches"]) == 53


def test_a_days_deltas_are_the_children_whose_records_the_parquet_feeds_batch_changes(
    demo_run: Path, demo_weekly_feed: Path, tmp_path: Path
) -> None:
    """Those with a child record by then: a pathway record the LA made before the child's record (2 of the demo's
    2,102) waits for it."""
    synthgen.feed(demo_run, tmp_path / "dfe", format="dfe-api", cadence="weekly")
    found = {day: {p["la_child_id"] for p in payloads} for day, payloads in _days(tmp_path / "dfe")}
    folder = demo_weekly_feed / "agencies" / "social_care"
    changed: dict[dt.date, set[str]] = {}
    for name in SOURCES:
        for f in folder.glob(f"*/{name}.parquet"):
            kids = pq.read_table(f, columns=["la_child_id"])["la_child_id"].drop_null().to_pylist()
            changed.setdefault(dt.date.fromisoformat(f.parent.name), set()).update(kids)
    known: set[str] = set()
    expected, waiting = {}, 0
    for day in sorted(changed):
        children = folder / day.isoformat() / "children.parquet"
        if children.exists():
            known.update(pq.read_table(children, columns=["la_child_id"])["la_child_id"].to_pylist())
        if changed[day] & known:
            expected[day] = changed[day] & known
        waiting += len(changed[day] - known)
    assert found == expected and len(found) > 40
    assert waiting > 0  # the waiting records are there to wait


def test_the_deltas_replay_to_the_last_snapshot(deltas: Path, weekly: Path) -> None:
    state: dict[str, dict[str, Any]] = {}
    for _, payloads in _days(deltas):
        for payload in payloads:
            if payload["purge"]:
                state.pop(payload["la_child_id"])
            else:
                state[payload["la_child_id"]] = payload
    last_day, last = _days(weekly)[-1]
    assert last_day == dt.date(2025, 3, 31)
    assert state == {p["la_child_id"]: p for p in last}


def test_the_last_snapshot_holds_every_year_end_social_care_record_once(demo_run: Path, weekly: Path) -> None:
    _, last = _days(weekly)[-1]
    folder = demo_run / "agencies" / "social_care"
    children = pq.read_table(folder / "children.parquet")
    assert [p["la_child_id"] for p in last] == sorted(set(children["la_child_id"].to_pylist()))
    assert set(_ids(last, "mis_child_id")) <= set(children["record_id"].to_pylist())
    for table, column, key in (
        ("assessments", "assessment_id", "child_and_family_assessment_id"),
        ("cin_plans", "cin_plan_id", "child_in_need_plan_id"),
        ("section47", "section47_id", "section_47_assessment_id"),
        ("cp_plans", "cp_plan_id", "child_protection_plan_id"),
        ("cla_episodes", "episode_id", "child_looked_after_placement_id"),
    ):
        ids = _ids(last, key)
        assert sorted(ids) == sorted(pq.read_table(folder / f"{table}.parquet")[column].to_pylist()), table
    episodes = _ids(last, "social_care_episode_id")
    stand_ins = set(episodes) & set(children["la_child_id"].to_pylist())  # named by the child's la_child_id
    referrals = pq.read_table(folder / "referrals.parquet")["referral_id"].to_pylist()
    assert sorted(set(episodes) - stand_ins) == sorted(referrals) and len(episodes) == len(set(episodes))
    assert len(stand_ins) >= 16  # the children looked after with no referral in the extract
    scores = pq.read_table(folder / "cla_outcomes.parquet")["sdq_score"]
    assert len(_ids(last, "score")) == len(scores) - scores.null_count


def test_a_snapshot_made_day_by_day_is_one_made_from_scratch(demo_run: Path, weekly: Path, tmp_path: Path) -> None:
    synthgen.feed(demo_run, tmp_path / "on", format="dfe-api", snapshot_on=MID_YEAR)
    made = (tmp_path / "on" / FOLDER / f"{MID_YEAR}.json").read_bytes()
    assert made == (weekly / FOLDER / f"{MID_YEAR}.json").read_bytes()
    assert [f.name for f in (tmp_path / "on" / FOLDER).iterdir()] == [f"{MID_YEAR}.json"]
    assert json.loads((tmp_path / "on" / "feed.json").read_text())["snapshot_on"] == MID_YEAR.isoformat()


def test_the_same_run_gives_the_same_payload_bytes(demo_run: Path, deltas: Path, tmp_path: Path) -> None:
    synthgen.feed(demo_run, tmp_path / "again", format="dfe-api")
    mine = sorted(p.relative_to(deltas) for p in (deltas / FOLDER).iterdir())
    again = sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again" / FOLDER).iterdir())
    assert mine == again and len(mine) > 300
    for relative in mine:
        assert (deltas / relative).read_bytes() == (tmp_path / "again" / relative).read_bytes(), relative


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(dfe_api_payload_schema())


def test_a_snapshots_children_are_those_whose_record_the_parquet_snapshot_holds(
    demo_run: Path, weekly: Path, tmp_path: Path
) -> None:
    synthgen.feed(demo_run, tmp_path / "on", snapshot_on=MID_YEAR)
    held = pq.read_table(tmp_path / "on" / "agencies" / "social_care" / "children.parquet")
    payloads = json.loads((weekly / FOLDER / f"{MID_YEAR}.json").read_text())
    assert [p["la_child_id"] for p in payloads] == sorted(set(held["la_child_id"].to_pylist()))
    assert 0 < len(payloads) < len(_days(weekly)[-1][1])
