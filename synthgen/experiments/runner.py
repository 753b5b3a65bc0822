"""Working through an experiment's grid: each run generated once (in a folder of its own under the experiment's
.work/), each system run on it and scored, each cell's result written whole as soon as it is known; then the tidy
table, the summary across seeds and its page, from the cells' results.

Resumable: a cell whose result file is there, for the same definition (the run's scenario fingerprint, the system
as configured and the synthgen version), is not worked out again, so an interrupted experiment picks up where it
stopped and adding seeds works out only the new ones. A result is written under a temporary name and renamed, so
a kill leaves a whole result or none. Deterministic: a run is generated with one worker whatever the pool, every
cell's result depends on its cell alone, and the table is assembled in the grid's order from the result files, so
`workers` changes nothing but the time taken.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from synthgen import __version__
from synthgen.arguments import PLACE, ArgumentError
from synthgen.engines import Engine, InProcess, LocalPool
from synthgen.errors import Issue, ScenarioError, SynthgenError, one_line
from synthgen.experiments import report, summary, tidy
from synthgen.experiments.config import Experiment, System, line_of, load_experiment, quality_overrides
from synthgen.experiments.grid import Cell, RunKey, by_run, expand
from synthgen.outputs import locks
from synthgen.outputs.files import write_table, write_text
from synthgen.outputs.folders import MARKER as FOLDER_MARKER
from synthgen.outputs.folders import read_marker, remove_tree
from synthgen.scenario.loader import load_scenario
from synthgen.scenario.plan import scenario_sha256
from synthgen.scenario.schema import Scenario

MARKER = "experiment.json"
"""What the experiment folder is (written first): the experiment's name, the synthgen that ran it, its config."""
OURS = ("cells", "runs", ".work", "results.parquet", "results.csv", "summary.csv", "summary.html", MARKER)
"""Everything an experiment writes in its folder; --overwrite removes these and nothing else."""
MAX_FAILURES_SHOWN = 10

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExperimentResult:
    """What `experiment` wrote: the tidy results, the summary across seeds, and how many cells were worked out
    now (the rest were there already)."""

    out: Path
    results: pa.Table
    summary: pa.Table
    computed: int
    reused: int


@dataclass(frozen=True)
class _RunTask:
    """One run and the systems still to score on it: everything a worker needs (picklable)."""

    key: RunKey
    scenario: Scenario
    systems: tuple[System, ...]
    fingerprints: tuple[str, ...]
    folder: Path  # the experiment folder
    keep_run: bool
    base: Path  # the experiment file's folder: commands run there


# ------------------------------------------------------------------------------------------------ the grid, resolved


def resolve(experiment: Experiment, base: Path, file: str) -> dict[str, dict[str, Scenario]]:
    """Each scenario (by its label) under each quality setting, read and checked; every problem at once, each
    pointed at the experiment file's line: the scenario's (its file, its overrides), or the setting's."""
    issues: list[Issue] = []
    resolved: dict[str, dict[str, Scenario]] = {}

    def load(path: Path, overrides: dict[str, object], at: tuple[str | int, ...], where: str) -> Scenario | None:
        try:
            return load_scenario(path, overrides)
        except ScenarioError as error:
            line = line_of(at, file) if Path(file).is_file() else None
            issues.extend(Issue(file, line, where, str(problem)) for problem in error.issues)
            return None

    for index, entry in enumerate(experiment.scenarios):
        path = Path(entry.path) if Path(entry.path).is_absolute() else base / entry.path
        own = load(path, entry.overrides, ("scenarios", index), f"scenarios[{index}]")
        if own is None:
            continue
        loaded: dict[str, Scenario] = {}
        for q, setting in enumerate(experiment.quality):
            changes = quality_overrides(setting)
            with_setting = (
                load(path, {**entry.overrides, **changes}, ("quality", q), f"quality[{q}]") if changes else own
            )
            if with_setting is not None:
                loaded[setting.name] = with_setting
        label = entry.name or own.name
        if label in resolved:
            line = line_of(("scenarios", index), file) if Path(file).is_file() else None
            issues.append(Issue(file, line, f"scenarios[{index}]", f"names scenario {label!r} twice (give it a name:)"))
        resolved[label] = loaded
    if issues:
        raise ScenarioError(list(dict.fromkeys(issues)))
    return resolved


def seeded(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with the cell's seed (checked by the experiment's schema: 0 to 2**63 - 1)."""
    return scenario.model_copy(update={"seed": seed})


def fingerprint(scenario: Scenario, system: System) -> str:
    """What a cell's result depends on: the seeded scenario, the system as configured, the synthgen version."""
    text = json.dumps(
        {"scenario": scenario_sha256(scenario), "system": system.model_dump(mode="json"), "synthgen": __version__},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------ the folder


def _prepare(out: Path, name: str, overwrite: bool) -> Path:
    """The experiment folder, made (its parent must exist) or checked as this experiment's to resume; with
    `overwrite`, what an experiment wrote there is removed first, and nothing else."""
    target = Path(os.path.abspath(out))
    if target.exists() and not target.is_dir():
        raise SynthgenError(f"{out} is a file, not an experiment folder; refusing to replace it")
    if target.is_dir() and any(target.iterdir()):
        try:
            marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            marker = None
        if not isinstance(marker, dict) or marker.get("synthgen") != "experiment":
            raise SynthgenError(f"{out} is a folder that is not a synthgen experiment; refusing to write into it")
        if overwrite:
            for entry in OURS:
                path = target / entry
                if path.is_dir() and not path.is_symlink():
                    remove_tree(path)
                elif path.exists() or path.is_symlink():
                    path.unlink()
        elif marker.get("name") != name:
            raise ArgumentError(
                "overwrite",
                f"{out} holds experiment {marker.get('name')!r}, not {name!r}; pass {PLACE} to replace its results",
                as_written="overwrite=True",
            )
    target.mkdir(exist_ok=True)
    for parent, _, names in os.walk(target / "cells"):
        for name in names:
            if ".partial-" in name:  # a result a killed writer had not finished: never read, so removed
                Path(parent, name).unlink(missing_ok=True)
    return target


def _write_marker(folder: Path, experiment: Experiment) -> None:
    marker = {
        "synthgen": "experiment",
        "name": experiment.name,
        "version": __version__,
        "config": experiment.model_dump(mode="json"),
    }
    write_text(folder / MARKER, json.dumps(marker, indent=1) + "\n")


def _done(path: Path, expected: str) -> bool:
    """A cell's result is there, for the same definition."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stored, dict) and stored.get("fingerprint") == expected


# ------------------------------------------------------------------------------------------------ one run's cells


def _command(system: System, run: Path, out: Path, base: Path) -> None:
    """Run a system's command; a failure is one line naming it."""
    assert system.command is not None
    places = {"{run}": str(run), "{out}": str(out), "{disclosures}": str(out.parent / "disclosures.parquet")}
    words = []
    for word in shlex.split(system.command):
        for placeholder, value in places.items():
            word = word.replace(placeholder, value)
        words.append(word)
    try:
        done = subprocess.run(
            words, cwd=base, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace"
        )
    except OSError as error:
        raise SynthgenError(f"command {words[0]!r} cannot be run ({error.strerror or error})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        raise SynthgenError(f"command exited with code {done.returncode}{': ' + last if last else ''}")
    if not out.is_file():
        raise SynthgenError(f"command wrote no {out.name} (its {{out}})")


def _score(system: System, run: Path, work: Path, base: Path) -> dict[str, Any]:
    """Run one system on a run and score it; the evaluation's JSON."""
    import synthgen

    out = work / system.output_file
    disclosures: Path | None = None
    if system.reference in ("exact", "fellegi-sunter"):
        synthgen.link(run, system.reference, out=out)
    elif system.reference == "screen":
        disclosures = work / "disclosures.parquet"
        synthgen.screen(run, window=system.window, method=system.method, out=out, disclosures=disclosures)
    elif system.reference == "mash":
        synthgen.mash(run, system.method, out=out)
    else:
        _command(system, run, out, base)
        if system.command is not None and "{disclosures}" in system.command:
            disclosures = work / "disclosures.parquet"
            disclosures = disclosures if disclosures.is_file() else None
    if system.evaluation == "linkage":
        return synthgen.evaluate_linkage(run, out).as_dict()
    if system.evaluation == "sharing":
        return synthgen.evaluate_sharing(run, out, disclosures).as_dict()
    return synthgen.evaluate_mash(run, out).as_dict()


def _run_cells(task: _RunTask) -> list[str]:
    """Generate one run (or reuse a kept one), score each system on it, write each cell's result; the failures,
    one line each (the other cells go on)."""
    from synthgen.pipeline import generate

    work = task.folder / ".work" / task.key.folder
    if work.exists():
        remove_tree(work)  # what a killed worker left
    work.mkdir(parents=True)
    failures: list[str] = []
    try:
        run = task.folder / "runs" / task.key.folder if task.keep_run else work / "run"
        if not (task.keep_run and (marker := read_marker(run)) is not None and marker["synthgen"] == "run"):
            run.parent.mkdir(parents=True, exist_ok=True)
            try:
                generate(task.scenario, run, workers=1, overwrite=task.keep_run and run.exists())
            except SynthgenError as error:  # every cell of the run fails with it
                return [one_line(f"{task.key.folder}: generating the run: {error.message}")]
        for system, expected in zip(task.systems, task.fingerprints, strict=True):
            cell = Cell(task.key.scenario, task.key.quality, task.key.seed, system.name)
            (work / system.name).mkdir()
            try:
                evaluation = _score(system, run, work / system.name, task.base)
            except SynthgenError as error:
                failures.append(one_line(f"{cell.result}: {system.name}: {error.message}"))
                continue
            stored = {"cell": dataclasses.asdict(cell), "evaluation_kind": system.evaluation, "fingerprint": expected}
            stored["evaluation"] = evaluation
            path = task.folder / cell.result
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text(path, json.dumps(stored, indent=1, allow_nan=False) + "\n")
    finally:
        remove_tree(work)
    return failures


# ------------------------------------------------------------------------------------------------ the experiment


def experiment(
    config: str | Path | Experiment,
    out: str | Path,
    *,
    workers: int = 1,
    overwrite: bool = False,
    base: str | Path | None = None,
    progress: Progress | None = None,
) -> ExperimentResult:
    """Run an experiment (a file, or an `Experiment` with `base` the folder its scenario paths are relative to)
    into the folder `out`: every cell of its grid not already there, then results.parquet and .csv (one row per
    run × system × metric), summary.csv (mean and t-interval across seeds) and summary.html."""
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 256:
        raise ArgumentError("workers", f"{PLACE} must be a whole number from 1 to 256, not {workers!r}")
    if isinstance(config, Experiment):
        loaded, folder_of, file = config, Path(base or "."), "<experiment>"
    else:
        loaded, folder_of, file = load_experiment(config), Path(config).parent, str(config)
    scenarios = resolve(loaded, folder_of, file)
    systems = {system.name: system for system in loaded.systems}
    cells = expand(list(scenarios), [q.name for q in loaded.quality], loaded.seeds, list(systems))
    if not str(out).strip():
        raise SynthgenError("the experiment folder is not named")
    target = Path(os.path.abspath(out))
    if not target.parent.is_dir():
        reason = "is not a folder" if target.parent.exists() else "does not exist"
        raise SynthgenError(f"{out}: cannot be written, {target.parent} {reason}")
    locks.check_name(target, Path(out))
    for parent in target.parents:
        if (parent / MARKER).is_file() or (parent / FOLDER_MARKER).is_file():
            what = "a synthgen experiment" if (parent / MARKER).is_file() else "a folder synthgen wrote"
            raise SynthgenError(f"{out} is inside {parent}, which is {what}; write it outside that folder")
    lock = locks.acquire(target, Path(out))
    try:
        folder = _prepare(Path(out), loaded.name, overwrite)
        _write_marker(folder, loaded)
        tasks, computed = _pending(
            cells, scenarios, systems, folder, loaded.keep_runs, Path(os.path.abspath(folder_of))
        )
        failures = _work(tasks, workers, len(cells), len(cells) - computed, progress)
        if failures:
            shown = failures[:MAX_FAILURES_SHOWN]
            more = len(failures) - len(shown)
            tail = [f"... and {more} more"] if more else []
            raise SynthgenError(
                f"{len(failures)} of {len(cells)} cells failed (the others are kept; run again to retry): "
                + "; ".join(shown + tail)
            )
        results = tidy.results_table([_read_cell(folder, cell) for cell in cells])
        summarised = summary.summarise(results)
        write_table(folder / "results.parquet", results)
        write_table(folder / "results.csv", results)
        write_table(folder / "summary.csv", summarised)
        write_text(folder / "summary.html", report.summary_page(loaded, summarised))
    finally:
        lock.release()
    return ExperimentResult(Path(out), results, summarised, computed, len(cells) - computed)


def _pending(
    cells: list[Cell],
    scenarios: dict[str, dict[str, Scenario]],
    systems: dict[str, System],
    folder: Path,
    keep_runs: bool,
    base: Path,
) -> tuple[list[_RunTask], int]:
    """The runs with a cell still to work out, each with those cells' systems; and how many cells that is."""
    tasks = []
    computed = 0
    for key, names in by_run(cells).items():
        scenario = seeded(scenarios[key.scenario][key.quality], key.seed)
        todo = []
        for name in names:
            expected = fingerprint(scenario, systems[name])
            if not _done(folder / Cell(key.scenario, key.quality, key.seed, name).result, expected):
                todo.append((systems[name], expected))
        if todo:
            computed += len(todo)
            task_systems = tuple(system for system, _ in todo)
            prints = tuple(expected for _, expected in todo)
            tasks.append(_RunTask(key, scenario, task_systems, prints, folder, keep_runs, base))
    return tasks, computed


def _work(tasks: list[_RunTask], workers: int, total: int, done: int, progress: Progress | None) -> list[str]:
    """Every task, in a pool of `workers` processes (or in this one); the failures in the grid's order."""
    if progress is not None:
        progress("cells", done, total)
    engine: Engine = LocalPool(min(workers, len(tasks))) if workers > 1 and len(tasks) > 1 else InProcess()
    outcomes: dict[int, list[str]] = {}
    try:
        for index, failures in engine.run([(_run_cells, (task,)) for task in tasks]):
            outcomes[index] = failures
            done += len(tasks[index].systems)
            if progress is not None:
                progress("cells", done, total)
    finally:
        engine.close()
        if tasks:
            remove_tree(tasks[0].folder / ".work")
    return [line for index in sorted(outcomes) for line in outcomes[index]]


def _read_cell(folder: Path, cell: Cell) -> tuple[Cell, str, dict[str, Any]]:
    stored = json.loads((folder / cell.result).read_text(encoding="utf-8"))
    return cell, str(stored["evaluation_kind"]), stored["evaluation"]
