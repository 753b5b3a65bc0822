"""The pytest plugin: its fixture is a seeded small run chosen by the options, made once per session (once for all
of pytest-xdist's workers), and a bad option is one line of usage error."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from synthgen.testing import SmallRun

PYTESTER_FLAGS = ("-p", "no:cacheprovider", "-p", "no:randomly")


def test_the_session_run_has_its_tables_and_the_truth_scores_one(synthgen_run: SmallRun) -> None:
    assert (synthgen_run.path / "manifest.json").exists()
    assert synthgen_run.linkage.num_rows == synthgen_run.truth.num_rows > 0
    assert synthgen_run.agency_files and all(path.exists() for path in synthgen_run.agency_files.values())
    scores = synthgen_run.evaluate_linkage(synthgen_run.truth_clusters())
    assert scores.pairwise.f1 == scores.bcubed.f1 == 1.0


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("synthgen")
    assert plugin is not None and plugin.__name__ == "synthgen.testing.plugin"


def _vendor_tests(pytester: pytest.Pytester, record: Path) -> None:
    pytester.makepyfile(
        test_vendor=textwrap.dedent(
            f"""
            import json, os

            def _note(run, name):
                line = json.dumps({{"test": name, "path": str(run.path), "people": run.people, "seed": run.seed}})
                with open({str(record)!r}, "a") as f:
                    f.write(line + "\\n")

            def test_one(synthgen_run):
                _note(synthgen_run, "one")

            def test_two(synthgen_run):
                _note(synthgen_run, "two")

            def test_another(synthgen_make_run):
                _note(synthgen_make_run(people=300, seed=9), "another")
            """
        )
    )


def _notes(record: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_options_choose_the_run_and_xdist_workers_share_it(pytester: pytest.Pytester, tmp_path: Path) -> None:
    record = tmp_path / "seen.jsonl"
    _vendor_tests(pytester, record)
    result = pytester.runpytest_subprocess(
        *PYTESTER_FLAGS,
        "-n",
        "2",
        "--synthgen-people",
        "350",
        "--synthgen-seed",
        "5",
        "--basetemp",
        str(tmp_path / "b"),
    )
    result.assert_outcomes(passed=3)
    notes = {str(note["test"]): note for note in _notes(record)}
    assert notes["one"]["path"] == notes["two"]["path"]
    assert (notes["one"]["people"], notes["one"]["seed"]) == (350, 5)
    assert (notes["another"]["people"], notes["another"]["seed"]) == (300, 9)
    made = [p for p in (tmp_path / "b" / "synthgen-runs").iterdir() if not p.name.startswith(".")]
    assert len(made) == 2  # the session's run and the other, each made once for both workers


def test_ini_settings_choose_the_run(pytester: pytest.Pytester, tmp_path: Path) -> None:
    record = tmp_path / "seen.jsonl"
    _vendor_tests(pytester, record)
    pytester.makeini("[pytest]\nsynthgen_people = 320\nsynthgen_seed = 8\n")
    cache = tmp_path / "kept"
    cache.mkdir()
    result = pytester.runpytest_subprocess(*PYTESTER_FLAGS, "-k", "one", f"--synthgen-cache={cache}")
    result.assert_outcomes(passed=1)
    (note,) = _notes(record)
    assert (note["people"], note["seed"]) == (320, 8)
    assert Path(str(note["path"])).parent == cache


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (["--synthgen-people", "many"], "ERROR: --synthgen-people must be a whole number, not 'many'"),
        (["--synthgen-people", "0"], "ERROR: --synthgen-people: population.people: *greater than 0"),
        (["--synthgen-scenario", "nowhere.yaml"], "ERROR: --synthgen-scenario: *nowhere.yaml*"),
    ],
)
def test_a_bad_option_is_a_usage_error(pytester: pytest.Pytester, options: list[str], line: str) -> None:
    pytester.makepyfile(test_vendor="def test_one(synthgen_run):\n    pass\n")
    result = pytester.runpytest_subprocess(*PYTESTER_FLAGS, *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR or result.ret != 0
    result.stderr.fnmatch_lines([line])
    assert "Traceback" not in result.stderr.str()
