"""Running a grid: resumable cell by cell, the same bytes for any number of workers, a failing system one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import synthgen
from synthgen.errors import SynthgenError
from synthgen.experiments.grid import Cell
from tests.conftest import SCENARIO

OUTPUTS = ("results.parquet", "results.csv", "summary.csv", "summary.html")


def write_experiment(folder: Path, systems: str, seeds: str = "[3, 4]", quality: str = "") -> Path:
    (folder / "s.yaml").write_text(SCENARIO.format(name="small", seed=1, people=2000), encoding="utf-8")
    path = folder / "e.yaml"
    path.write_text(
        f"experiment_version: 1\nname: small-grid\nseeds: {seeds}\nscenarios:\n  - path: s.yaml\n"
        f"{quality}systems:\n{systems}",
        encoding="utf-8",
    )
    return path


EXACT = "  - {name: exact, reference: exact}\n"


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_a_rerun_works_out_only_the_missing_cell(tmp_path: Path) -> None:
    config = write_experiment(tmp_path, EXACT)
    out = tmp_path / "out"
    first = synthgen.experiment(config, out)
    assert (first.computed, first.reused) == (2, 0)
    before = outputs(out)
    kept, removed = (
        out / Cell("small", "as-scenario", 3, "exact").result,
        out / Cell("small", "as-scenario", 4, "exact").result,
    )
    kept_stat = kept.stat()
    removed.unlink()
    second = synthgen.experiment(config, out)
    assert (second.computed, second.reused) == (1, 1)
    assert kept.stat().st_mtime_ns == kept_stat.st_mtime_ns and kept.stat().st_ino == kept_stat.st_ino
    assert removed.is_file()
    assert outputs(out) == before
    assert not (out / ".work").exists()
    third = synthgen.experiment(config, out)
    assert (third.computed, third.reused) == (0, 2)


def test_the_same_bytes_for_any_number_of_workers(tmp_path: Path) -> None:
    quality = "quality:\n  - name: realistic\n  - name: flat\n    data_quality: {mechanisms: {enabled: false}}\n"
    config = write_experiment(tmp_path, EXACT, seeds="[3]", quality=quality)
    one = synthgen.experiment(config, tmp_path / "one", workers=1)
    two = synthgen.experiment(config, tmp_path / "two", workers=2)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    table = pq.read_table(tmp_path / "two" / "results.parquet")
    assert table.equals(one.results) and table.equals(two.results)
    rows = table.to_pylist()
    assert {(r["quality"], r["seed"]) for r in rows} == {("realistic", 3), ("flat", 3)}
    # each setting is a scenario of its own, and the table says which
    assert len({(r["quality"], r["scenario_sha256"]) for r in rows}) == 2
    assert len({r["scenario_sha256"] for r in rows}) == 2
    assert {r["synthgen_version"] for r in rows} == {synthgen.__version__}
    page = (tmp_path / "two" / "summary.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4  # per setting: the headline scores, and recall by ethnic group
    assert "linkage: recall by ethnic group (exact)" in page


def test_a_command_is_scored_as_the_reference_it_runs(tmp_path: Path) -> None:
    command = f"{sys.executable} -m synthgen link {{run}} --method exact -o {{out}}"
    systems = EXACT + f"  - {{name: mine, command: '{command}', evaluate: linkage, output: p.csv}}\n"
    result = synthgen.experiment(write_experiment(tmp_path, systems, seeds="[3]"), tmp_path / "out")
    rows = result.results.to_pylist()
    exact = [(r["metric"], r["group_kind"], r["group"], r["value"]) for r in rows if r["system"] == "exact"]
    mine = [(r["metric"], r["group_kind"], r["group"], r["value"]) for r in rows if r["system"] == "mine"]
    assert exact == mine and len(exact) > 20


def test_a_failing_command_fails_its_cell_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "fail.py").write_text("import sys\nsys.exit('no model here')\n", encoding="utf-8")
    command = f"{sys.executable} fail.py {{run}} {{out}}"  # run in the experiment file's folder
    systems = EXACT + f"  - {{name: broken, command: '{command}', evaluate: linkage}}\n"
    config = write_experiment(tmp_path, systems, seeds="[3]")
    with pytest.raises(SynthgenError) as raised:
        synthgen.experiment(config, tmp_path / "out")
    assert raised.value.lines == [
        "1 of 2 cells failed (the others are kept; run again to retry): "
        "cells/small/as-scenario/seed-3/broken.json: broken: command exited with code 1: no model here"
    ]
    assert (tmp_path / "out" / Cell("small", "as-scenario", 3, "exact").result).is_file()
    assert not (tmp_path / "out" / "results.parquet").exists()


def test_an_experiment_folder_is_resumed_and_nothing_else_is_touched(tmp_path: Path) -> None:
    config = write_experiment(tmp_path, EXACT, seeds="[3]")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SynthgenError, match="is a folder that is not a synthgen experiment; refusing to write into it"):
        synthgen.experiment(config, tmp_path / "theirs", overwrite=True)
    assert [p.name for p in (tmp_path / "theirs").iterdir()] == ["notes.txt"]
    out = tmp_path / "out"
    synthgen.experiment(config, out)
    marker = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    marker["name"] = "another"
    (out / "experiment.json").write_text(json.dumps(marker), encoding="utf-8")
    with pytest.raises(SynthgenError, match=r"holds experiment 'another', not 'small-grid'; pass overwrite=True"):
        synthgen.experiment(config, out)
    with pytest.raises(SynthgenError, match=r"out/inner is inside .*/out, which is a synthgen experiment; write it"):
        synthgen.experiment(config, out / "inner")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    again = synthgen.experiment(config, out, overwrite=True)
    assert (again.computed, again.reused) == (1, 0)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_killed_experiment_leaves_whole_results_and_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    config = write_experiment(tmp_path, EXACT, seeds="[3, 4, 5]")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "synthgen", "experiment", str(config), "-o", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cells = out / "cells" / "small" / "as-scenario"
    while process.poll() is None and not list(cells.glob("seed-*/exact.json")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = list(cells.glob("seed-*/*.json"))
    assert 1 <= len(written) < 3, "the kill came too late to test anything"
    for path in written:
        json.loads(path.read_text(encoding="utf-8"))  # each whole
    assert not (out / "results.parquet").exists()
    resumed = synthgen.experiment(config, out)
    assert resumed.computed == 3 - len(written)
    clean = synthgen.experiment(config, tmp_path / "clean")
    assert outputs(out) == outputs(tmp_path / "clean") and clean.computed == 3
    assert not [p for p in out.rglob("*") if ".partial-" in p.name or p.name == ".work"]
