"""Experiment files are checked as scenarios are: every problem at once, one exact line each, exit code 2, and
nothing written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import synthgen
from synthgen.experiments.config import quality_overrides
from tests.cli_runs import run
from tests.conftest import ROOT, SCENARIO


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SCENARIO.format(name="small", seed=1, people=2000), encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str) -> str:
    (folder / "e.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return "e.yaml"


def test_schema_problems_all_at_once(folder: Path) -> None:
    config = write(
        folder,
        """\
        experiment_version: 1
        name: Bad Name
        seeds: {start: 1, count: 0}
        scenarios:
          - path: s.yaml
            overrides: {seed: 4}
        quality:
          - name: q
            data_quality: {profile: dirty}
        systems:
          - {name: exact, reference: exactly}
          - {name: mine, command: "my-linker {run}", evaluate: linkage}
          - {name: theirs, command: "their-linker {run} {out}"}
          - {name: exact, reference: exact, colour: red}
        keep_runs: yes please
        """,
    )
    assert run("experiment", config, "-o", "out") == (
        2,
        "",
        "Error: e.yaml:2: name: 'Bad Name' must be lowercase letters, digits, '-' or '_' (at most 64; it names a "
        "folder)\n"
        "Error: e.yaml:3: seeds: start must be 0 or more and count 1 to 10,000, seeds below 2**63\n"
        "Error: e.yaml:6: scenarios[0].overrides: the seed is set by the experiment's seeds, not by an override\n"
        "Error: e.yaml:9: quality[0].data_quality.profile: must be one of 'clean', 'realistic' or 'messy', not "
        "'dirty'\n"
        "Error: e.yaml:11: systems[0].reference: must be one of 'exact', 'fellegi-sunter', 'screen' or 'mash', not "
        "'exactly'\n"
        "Error: e.yaml:12: systems[1].command: must hold {out} (the run folder it reads, the file it writes)\n"
        "Error: e.yaml:13: systems[2]: system 'theirs': a command needs evaluate (linkage, sharing, mash)\n"
        "Error: e.yaml:14: systems[3].colour: unknown key (allowed: command, evaluate, method, name, output, "
        "reference, window)\n"
        "Error: e.yaml:15: keep_runs: must be a valid boolean\n",
    )
    assert not (folder / "out").exists()


def test_a_setting_the_system_would_ignore_is_refused(folder: Path) -> None:
    config = write(
        folder,
        """\
        experiment_version: 1
        name: ignored
        seeds: {start: 1, count: 1}
        scenarios: [{path: s.yaml}]
        systems:
          - {name: fs, reference: fellegi-sunter, window: 30}
          - {name: hub, reference: mash, method: exact, window: 7}
          - {name: mine, command: "my-linker {run} {out}", evaluate: linkage, method: exact}
          - {name: screen, reference: screen, method: exact, window: 30}
        """,
    )
    assert run("experiment", config, "-o", "out") == (
        2,
        "",
        "Error: e.yaml:6: systems[0]: system 'fs': window is for the screen, not for fellegi-sunter\n"
        "Error: e.yaml:7: systems[1]: system 'hub': window is for the screen, not for mash\n"
        "Error: e.yaml:8: systems[2]: system 'mine': method is for the screen and mash, not for a command\n",
    )
    assert not (folder / "out").exists()


def test_problems_in_the_scenarios_point_at_the_experiment_file(folder: Path) -> None:
    config = write(
        folder,
        """\
        experiment_version: 1
        name: bad
        seeds: [1, 2]
        scenarios:
          - path: s.yaml
            overrides: {population.peple: 5}
          - path: nothere.yaml
          - path: s.yaml
        quality:
          - name: ok
          - name: many
            data_quality: {mechanisms: {multipliers: {name_order: {Asian: 3000}}}}
        systems:
          - {name: exact, reference: exact}
          - {name: exact, reference: fellegi-sunter}
        """,
    )
    assert run("experiment", config, "-o", "out") == (
        2,
        "",
        "Error: e.yaml:12: quality[1].data_quality.mechanisms.multipliers.name_order.Asian: must be less than or equal "
        "to 1000\n"
        "Error: e.yaml:13: systems: names a system 'exact' more than once (each needs a name of its own)\n",
    )
    (folder / "e.yaml").write_text(
        (folder / "e.yaml")
        .read_text()
        .replace("3000", "3")
        .replace("name: exact, reference: f", "name: fs, reference: f")
    )
    assert run("experiment", config, "-o", "out") == (
        2,
        "",
        "Error: e.yaml:5: scenarios[0]: s.yaml:4: population.peple: unknown key; did you mean 'people'? (allowed: "
        "people)\n"
        "Error: e.yaml:7: scenarios[1]: nothere.yaml: scenario file not found\n",
    )
    (folder / "e.yaml").write_text((folder / "e.yaml").read_text().replace("peple", "people").replace("nothere", "s"))
    assert run("experiment", config, "-o", "out") == (
        2,
        "",
        "Error: e.yaml:7: scenarios[1]: names scenario 'small' twice (give it a name:)\n"
        "Error: e.yaml:8: scenarios[2]: names scenario 'small' twice (give it a name:)\n",
    )
    assert not (folder / "out").exists()


def test_a_missing_file_and_a_bad_option(folder: Path) -> None:
    assert run("experiment", "nope.yaml") == (2, "", "Error: nope.yaml: experiment file not found\n")
    config = write(folder, "experiment_version: 1\n")
    assert run("experiment", config, "--workers", "0") == (
        2,
        "",
        "Error: Invalid value for '--workers': 0 is not in the range 1<=x<=256.\n",
    )


def test_the_shipped_experiment_is_valid() -> None:
    loaded = synthgen.load_experiment(ROOT / "experiments" / "demo-seeds.yaml")
    assert len(loaded.seeds) == 20
    assert [(s.name, s.evaluation) for s in loaded.systems] == [("exact", "linkage"), ("fellegi-sunter", "linkage")]


def test_a_quality_setting_changes_only_the_keys_it_gives() -> None:
    loaded = synthgen.Experiment.model_validate(
        {
            "experiment_version": 1,
            "name": "q",
            "seeds": [1],
            "scenarios": [{"path": "s.yaml"}],
            "quality": [
                {"name": "own"},
                {"name": "flat", "data_quality": {"mechanisms": {"enabled": False}}},
                {"name": "nhs", "data_quality": {"rates": {"health": {"nhs_number": {"missing": 0.05}}}}},
            ],
            "systems": [{"name": "exact", "reference": "exact"}],
        }
    )
    assert [quality_overrides(q) for q in loaded.quality] == [
        {},
        {"data_quality.mechanisms.enabled": False},
        {"data_quality.rates.health.nhs_number.missing": 0.05},
    ]


def test_the_command_prints_its_headline_scores(folder: Path) -> None:
    config = write(
        folder,
        """\
        experiment_version: 1
        name: tiny
        seeds: [3, 4]
        scenarios:
          - path: s.yaml
        systems:
          - {name: exact, reference: exact}
        """,
    )
    code, stdout, stderr = run("experiment", config, "-o", "out")
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert lines[0].startswith("Wrote out: 2 cells (2 worked out now, 0 already there), ")
    summary = {
        row["metric"]: row for row in synthgen.experiment(config, "out").summary.to_pylist() if row["group"] == "all"
    }
    recall = summary["pairwise.recall"]
    assert (
        f"  small as-scenario exact            pairwise.recall          {recall['mean']:.4f} "
        f"[{recall['lower']:.4f}, {recall['upper']:.4f}] over 2 seeds"
    ) in lines
