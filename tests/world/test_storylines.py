"""Planted storylines: every event is a record of the agency file it names, dated and about the person the truth
says; the simulation sees real storylines and not noise; and the bytes do not depend on the number of workers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.scenario import plan as plan_module
from synthgen.scenario.loader import shipped_templates
from synthgen.world import storylines
from tests.conftest import SCENARIO as BASE

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = BASE.format(name="story", seed=11, people=8000)
STORYLINES = """\
storylines:
  - {template: cse, count: 2}
  - {template: neglect, count: 2}
  - {template: domestic_abuse, count: 1}
  - {template: cce, count: 2}
  - {template: noise, count: 2}
"""


def checksums(run: Path) -> dict[str, str]:
    manifest = json.loads((run / "manifest.json").read_text())
    return {table["path"]: table["sha256"] for table in manifest["tables"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One scenario with storylines over two shards, generated with one worker and with two."""
    folder = tmp_path_factory.mktemp("storylines")
    path = folder / "s.yaml"
    path.write_text(SCENARIO + STORYLINES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_module, "SHARD_PEOPLE", 4000)
        scenario = synthgen.load_scenario(path)
        synthgen.generate(scenario, folder / "one", workers=1)
        synthgen.generate(scenario, folder / "two", workers=2)
    yield folder / "one", folder / "two"


@pytest.fixture(scope="module")
def run(runs: tuple[Path, Path]) -> Path:
    return runs[0]


def read(run: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(run / f"{name}.parquet", columns=columns)


def test_same_bytes_for_any_number_of_workers(runs: tuple[Path, Path]) -> None:
    one, two = runs
    assert json.loads((one / "manifest.json").read_text())["shards"] == 2
    assert checksums(one) == checksums(two)


def test_every_storyline_is_placed_with_its_people(run: Path) -> None:
    table = read(run, "truth/storylines")
    assert table.schema.names == list(storylines.STORYLINE_COLUMNS)
    ids = set(table["storyline_id"].to_pylist())
    assert ids == {
        "cse-1",
        "cse-2",
        "neglect-1",
        "neglect-2",
        "domestic_abuse-1",
        "cce-1",
        "cce-2",
        "noise-1",
        "noise-2",
    }
    subjects = table.filter(pc.equal(table["role"], "subject"))
    assert sorted(subjects["storyline_id"].to_pylist()) == sorted(ids)  # one subject each
    assert len(set(subjects["person_id"].to_pylist())) == len(ids)
    rows = table.to_pylist()
    assert {r["storyline_id"] for r in rows if r["role"] == "associate"} == {"cse-1", "cse-2"}
    assert {r["storyline_id"] for r in rows if r["role"] == "unborn"} == {"domestic_abuse-1"}
    assert {r["storyline_id"] for r in rows if r["role"] == "perpetrator"} == {
        "neglect-1",
        "neglect-2",
        "domestic_abuse-1",
    }
    for r in rows:
        assert r["at_risk"] == (
            r["template"] != "noise"
            and r["role"] in ("subject", "unborn", "sibling")
            and (r["role"] != "sibling" or r["template"] in ("neglect", "domestic_abuse"))
        )


def test_every_event_is_in_the_agency_file_it_names_dated_and_about_its_person(run: Path) -> None:
    events = read(run, "truth/storyline_events")
    assert events.num_rows > 40
    known = read(run, "truth/events")
    known_keys = set(
        zip(
            known["source"].to_pylist(),
            known["table"].to_pylist(),
            known["record_id"].to_pylist(),
            known["person_id"].to_pylist(),
            strict=True,
        )
    )
    dates = {
        ("police", "incident_persons"): ("agencies/police/incidents", "incident_id", "occurred_at"),
        ("health", "ae_attendances"): ("agencies/health/ae_attendances", "record_id", "arrived_at"),
        ("health", "health_visits"): ("agencies/health/health_visits", "record_id", "due_date"),
        ("school", "exclusions"): ("agencies/school/exclusions", "record_id", "start_date"),
    }
    seen = set()
    for event in events.to_pylist():
        agency, table = event["agency"], event["table"]
        seen.add((agency, table))
        # the record is in the written file (after data-quality errors), about the person the truth says
        assert (agency, table, event["record_id"], event["person_id"]) in known_keys, event
        if (agency, table) in dates:
            path, column, when = dates[(agency, table)]
            file = read(run, path, [column, when])
            row = file.filter(pc.equal(file[column], event["record_id"]))
            assert row.num_rows == 1, event
            day = row[when][0].as_py()
            assert (day.date() if isinstance(day, dt.datetime) else day) == event["date"], event
    assert seen == {
        ("police", "incident_persons"),
        ("health", "ae_attendances"),
        ("health", "health_visits"),
        ("school", "attendance"),
        ("school", "exclusions"),
    }
    by_kind = {e["kind"] for e in events.to_pylist()}
    assert {
        "missing_episode",
        "older_associate",
        "injury",
        "missed_health_visit",
        "domestic_abuse_child_present",
        "arrest_out_of_area",
        "exclusion",
        "falling_attendance",
    } <= by_kind


def test_each_template_tells_its_story_in_the_records(run: Path) -> None:
    events = read(run, "truth/storyline_events").to_pylist()
    incidents = read(run, "agencies/police/incidents")
    roles = read(run, "agencies/police/incident_persons")
    for event in events:
        if event["agency"] != "police":
            continue
        incident = incidents.filter(pc.equal(incidents["incident_id"], event["record_id"])).to_pylist()[0]
        kind = event["kind"]
        if kind in ("missing_episode",):
            assert incident["incident_type"] == "missing_person"
        if kind == "arrest_out_of_area":
            assert incident["incident_type"] == "drugs" and incident["crime"]
        if kind == "domestic_abuse_child_present":
            assert incident["incident_type"] == "domestic_abuse" and incident["dash_risk"] is not None
            parts = roles.filter(pc.equal(roles["incident_id"], event["record_id"]))["role"].to_pylist()
            assert {"victim", "suspect", "child_present"} <= set(parts)
        if kind == "older_associate":
            parts = roles.filter(pc.equal(roles["incident_id"], event["record_id"]))["role"].to_pylist()
            assert "suspect" in parts
    # the domestic abuse escalates: its DASH levels never fall
    da = [e for e in events if e["storyline_id"] == "domestic_abuse-1" and e["agency"] == "police"]
    levels = {"standard": 0, "medium": 1, "high": 2}
    dash = {}
    for e in da:
        row = incidents.filter(pc.equal(incidents["incident_id"], e["record_id"])).to_pylist()[0]
        dash[e["date"]] = levels[row["dash_risk"]]
    ordered = [dash[day] for day in sorted(dash)]
    assert len(ordered) >= 3 and ordered == sorted(ordered) and ordered[-1] == 2
    # falling attendance: the half-terms named hold the absence the template says
    attendance = read(run, "agencies/school/attendance")
    for e in events:
        if e["kind"] == "falling_attendance":
            row = attendance.filter(pc.equal(attendance["record_id"], e["record_id"])).to_pylist()[0]
            absent = row["authorised_absence"] + row["unauthorised_absence"]
            assert absent >= 0.4 * row["possible_sessions"] or row["present"] == 0


def test_real_storylines_are_at_risk_in_the_truth_and_noise_is_not(run: Path) -> None:
    placed = read(run, "truth/storylines").to_pylist()
    risks = read(run, "truth/risk").to_pylist()
    kinds: dict[int, set[str]] = {}
    for r in risks:
        kinds.setdefault(r["person_id"], set()).add(r["kind"])
    templates = shipped_templates()
    for r in placed:
        if r["role"] != "subject":
            continue
        template = templates[r["template"]]
        if template.concern == "none":
            assert r["person_id"] not in kinds  # no need, and no risk factor at home
        else:
            assert set(template.needs) <= kinds[r["person_id"]]
            for factor in template.household_factors:
                assert factor in kinds[r["person_id"]]


def test_storyline_people_get_records_that_go_through_data_quality(run: Path) -> None:
    placed = read(run, "truth/storylines")
    records = read(run, "truth/records", ["source", "table", "person_id"])
    police = records.filter(pc.equal(records["table"], "persons"))
    nominals = set(police["person_id"].to_pylist())
    for r in placed.to_pylist():
        if r["role"] in ("subject", "associate") and r["template"] != "neglect":
            assert r["person_id"] in nominals, r


def test_no_storylines_gives_empty_tables_with_the_contract_schema(
    write_scenario: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    synthgen.generate(synthgen.load_scenario(write_scenario(people=300)), out)
    for name, columns in (("storylines", storylines.STORYLINE_COLUMNS), ("storyline_events", storylines.EVENT_COLUMNS)):
        table = pq.read_table(out / "truth" / f"{name}.parquet")
        assert table.num_rows == 0
        assert [(f.name, f.type) for f in table.schema] == list(columns.items())
    manifest = json.loads((out / "manifest.json").read_text())
    assert "storylines" not in manifest["scenario"]  # a scenario without storylines hashes as before


def test_training_scenario_plants_every_template(tmp_path: Path) -> None:
    scenario = synthgen.load_scenario(ROOT / "scenarios" / "training.yaml")
    assert 4_000 <= scenario.population.people <= 6_000
    assert {r.template for r in scenario.storylines} == set(shipped_templates())
    assert all(1 <= r.count <= 2 for r in scenario.storylines)
    synthgen.generate(scenario, tmp_path / "training")
    placed = pq.read_table(tmp_path / "training" / "truth" / "storylines.parquet")
    assert len(set(placed["storyline_id"].to_pylist())) == sum(r.count for r in scenario.storylines)


def test_the_demo_plants_storylines() -> None:
    scenario = synthgen.load_scenario(ROOT / "scenarios" / "demo.yaml")
    assert {r.template for r in scenario.storylines} == set(shipped_templates())
