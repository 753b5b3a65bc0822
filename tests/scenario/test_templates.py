"""Storyline templates are data, validated strictly; scenarios name them and counts, with exact errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthgen.agencies import health_events, police, school_events
from synthgen.cli import cli
from synthgen.errors import ScenarioError
from synthgen.scenario import templates
from synthgen.scenario.loader import load_template, shipped_templates
from synthgen.world.simulate import NEEDS
from tests.conftest import SCENARIO

ROOT = Path(__file__).resolve().parents[2]
HEAD = SCENARIO.format(name="test", seed=7, people="{people}") + "storylines:\n"


def test_shipped_templates_are_the_ones_beside_the_scenarios() -> None:
    shipped = templates.template_files()
    beside = sorted((ROOT / "scenarios" / "storylines").glob("*.yaml"))
    assert [p.stem for p in beside] == sorted(shipped)
    for path in beside:
        assert path.read_text(encoding="utf-8") == shipped[path.stem].read_text(encoding="utf-8")


def test_every_shipped_template_loads_and_the_issue_asks_for_these() -> None:
    loaded = shipped_templates()
    assert set(loaded) >= {"cse", "neglect", "domestic_abuse", "cce", "noise"}
    assert loaded["noise"].concern == "none"
    assert loaded["noise"].needs == []
    for name, template in loaded.items():
        assert template.template == name
        for event in template.events:
            if isinstance(event, templates.ExclusionEvent):
                assert event.reason in [reason for reason, _ in school_events.SUSPENSION_REASONS]


def test_vocabularies_are_the_agencies() -> None:
    assert templates.IncidentType.__args__ == police.INCIDENT_TYPES
    assert templates.PoliceRole.__args__ == police.PERSON_ROLES
    assert templates.DashLevel.__args__ == police.DASH_LEVELS
    assert templates.Complaint.__args__ == health_events.COMPLAINTS
    assert templates.ArrivalMode.__args__ == health_events.ARRIVAL_MODES
    assert templates.Discharge.__args__ == health_events.DISCHARGES
    assert set(templates.Need.__args__) == set(NEEDS)
    assert set(templates.AbsenceCode.__args__) <= set(school_events.ATTENDANCE_COUNTS)


def test_a_bad_template_is_reported_with_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        """\
template: other
concern: worry
subject: {min_age: 12, max_age: 10}
onset: {earliest_day: 5, latest_day: 1}
events:
  - kind: missing
    agency: police
    table: incident_persons
    incident_type: missing_person
    people: {associate: suspect}
    days: [1]
  - kind: ae
    agency: health
    table: ae_attendances
    complaint: injury
    dayz: [3]
""",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_template(path)
    lines = [line.replace(str(path), "mine.yaml") for line in caught.value.lines]
    assert lines == [
        "mine.yaml:2: concern: must be one of 'child_sexual_exploitation', 'neglect', 'domestic_abuse', "
        "'child_criminal_exploitation', 'physical_abuse' or 'none', not 'worry'",
        "mine.yaml:3: subject: max_age 10 is below min_age 12",
        "mine.yaml:4: onset: latest_day 1 is before earliest_day 5",
        "mine.yaml:6: events[0]: people must name the subject (the record is about the child)",
        "mine.yaml:12: events[1].days: is required",
        "mine.yaml:16: events[1].dayz: unknown key; did you mean 'days'? (allowed: agency, arrival_mode, complaint, "
        "days, discharge, jitter, kind, safeguarding_concern, table, who)",
    ]


def test_a_template_is_named_by_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(templates.template_files()["noise"].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_template(path)
    assert caught.value.lines == [f"{path}:2: template: must be the file's name 'mine', not 'noise'"]


def generate(write_scenario: Callable[..., Path], tmp_path: Path, body: str, people: int = 2000) -> tuple[int, str]:
    path = write_scenario(HEAD.format(people=people) + body)
    result = CliRunner().invoke(cli, ["generate", str(path), "-o", str(tmp_path / "run"), "--quiet"])
    return result.exit_code, result.stderr.replace(str(path), "s.yaml")


def test_unknown_template_bad_count_and_repeats_are_exact_errors(
    write_scenario: Callable[..., Path], tmp_path: Path
) -> None:
    code, stderr = generate(
        write_scenario,
        tmp_path,
        """\
  - {template: cs, count: 2}
  - {template: noise, count: -1}
  - {template: cce, count: 1, when: soon}
""",
    )
    assert code == 2
    assert stderr == (
        "Error: s.yaml:14: storylines[0].template: unknown template 'cs'; did you mean 'cse'? "
        "(known: cce, cse, domestic_abuse, neglect, noise)\n"
        "Error: s.yaml:15: storylines[1].count: must be greater than or equal to 0\n"
        "Error: s.yaml:16: storylines[2].when: unknown key (allowed: count, template)\n"
    )
    code, stderr = generate(write_scenario, tmp_path, "  - {template: cse, count: 1}\n  - {template: cse, count: 2}\n")
    assert (code, stderr) == (
        2,
        "Error: s.yaml:13: storylines: names template 'cse' more than once (give one count each)\n",
    )
    assert not (tmp_path / "run").exists()


def test_more_storylines_than_suitable_households_is_a_clear_error(
    write_scenario: Callable[..., Path], tmp_path: Path
) -> None:
    code, stderr = generate(write_scenario, tmp_path, "  - {template: domestic_abuse, count: 40}\n", people=300)
    assert code == 2
    assert stderr.startswith("Error: storylines: no household in shard 0 (300 people) suits template 'domestic_abuse'")
    assert stderr.endswith("lower its count or raise population.people\n")
    assert not (tmp_path / "run").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]  # nothing half-written


def test_a_count_of_zero_plants_nothing(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    code, stderr = generate(write_scenario, tmp_path, "  - {template: cse, count: 0}\n", people=300)
    assert (code, stderr) == (0, "")
