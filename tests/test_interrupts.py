"""Interrupted and concurrent runs: nothing ever looks finished unless it is, an old output is never lost to a
kill, what a killed writer left is cleaned by the next, and two writers of one output never both think they won.

Ctrl-C exits 130 and `kill` 143, each with one line, from the first moment (while numpy is still importing).
The kill test stops `generate` and every other writer at random moments with SIGKILL, SIGTERM or SIGINT; set
SYNTHGEN_KILLS for more kills than the few of an ordinary run (its figures are in the issue-13 note).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

KILLS = int(os.environ.get("SYNTHGEN_KILLS", "10"))
HIDDEN = (".partial-", ".old-", ".lock")


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "synthgen", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def snapshot(path: Path) -> dict[str, str] | None:
    """Every file of an output (a folder or one file) by its SHA-256, or None where there is none."""
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    if not path.is_dir():
        return None
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if any(mark in p.name for mark in HIDDEN))


@dataclass
class Writer:
    """A command that writes `out`, in one or more variants (extra arguments) that write different outputs, so
    that an old output and a new one can be told apart."""

    name: str
    args: Callable[[Path], list[str]]
    out: str
    variants: tuple[tuple[str, ...], ...] = ((),)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small scenario, its run, a flags file and a MASH's responses: what the writers read."""
    root = tmp_path_factory.mktemp("kills")
    scenario = root / "s.yaml"
    scenario.write_text(
        "scenario_version: 1\nname: kills\nseed: 3\npopulation:\n  people: 400\narea:\n  la_number: 372\n"
        "  la_name: Rotherham\n  outward_codes: [S60, S61]\nperiod:\n  start: 2024-04-01\n  end: 2025-03-31\n",
        encoding="utf-8",
    )
    run = root / "run"
    assert _finish(_start("generate", str(scenario), "-o", str(run), "--quiet"))[0] == 0
    flags = root / "flags.csv"
    assert _finish(_start("screen", str(run), "--method", "exact", "-o", str(flags)))[0] == 0
    responses = root / "responses.csv"
    assert _finish(_start("mash", str(run), "--method", "exact", "-o", str(responses)))[0] == 0
    return {"scenario": scenario, "run": run, "flags": flags, "responses": responses}


def _writers(inputs: dict[str, Path]) -> list[Writer]:
    run, scenario = str(inputs["run"]), str(inputs["scenario"])
    return [
        Writer(
            "generate",
            lambda out: ["generate", scenario, "-o", str(out), "--quiet"],
            "run",
            (("--seed", "3"), ("--seed", "4")),
        ),
        Writer("export training", lambda out: ["export", "training", run, "-o", str(out)], "pack"),
        Writer("export ssda903", lambda out: ["export", "ssda903", run, "-o", str(out)], "903"),
        Writer("export cin-census", lambda out: ["export", "cin-census", run, "-o", str(out)], "cin.xml"),
        Writer("link", lambda out: ["link", run, "--method", "exact", "-o", str(out)], "clusters.parquet"),
        Writer("screen", lambda out: ["screen", run, "--method", "exact", "-o", str(out)], "flags.csv"),
        Writer(
            "evaluate",
            lambda out: ["evaluate", "sharing", run, str(inputs["flags"]), "--json", str(out)],
            "scores.json",
        ),
        Writer("export annex-a", lambda out: ["export", "annex-a", run, "-o", str(out)], "annex-a.xlsx"),
        Writer("mash", lambda out: ["mash", run, "--method", "exact", "-o", str(out)], "responses.parquet"),
        Writer(
            "evaluate mash",
            lambda out: ["evaluate", "mash", run, str(inputs["responses"]), "--report", str(out)],
            "mash.html",
        ),
    ]


def test_no_kill_ever_leaves_a_partial_output_or_loses_an_old_one(inputs: dict[str, Path], tmp_path: Path) -> None:
    rng = random.Random(13)
    writers = _writers(inputs)
    reference: dict[tuple[str, tuple[str, ...]], tuple[dict[str, str] | None, float]] = {}
    for writer in writers:
        folder = tmp_path / writer.name.replace(" ", "-")
        folder.mkdir()
        for variant in writer.variants:
            started = time.monotonic()
            code, stderr = _finish(_start(*writer.args(folder / writer.out), *variant, "--overwrite"))
            assert (code, stderr) == (0, ""), (writer.name, stderr)
            reference[(writer.name, variant)] = (snapshot(folder / writer.out), time.monotonic() - started)
    for kill in range(KILLS):
        writer = writers[kill % len(writers)]
        variant = writer.variants[(kill // len(writers)) % len(writer.variants)]
        expected, duration = reference[(writer.name, variant)]
        folder = tmp_path / writer.name.replace(" ", "-")
        out = folder / writer.out
        old = snapshot(out)  # the complete output there now (of this variant or another)
        chosen = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
        process = _start(*writer.args(out), *variant, "--overwrite")
        time.sleep(rng.uniform(0.0, duration * 1.1))
        process.send_signal(chosen)
        code, stderr = _finish(process)
        assert "Traceback" not in stderr, (writer.name, stderr)
        assert stderr in ("", "Error: interrupted\n", "Error: terminated\n"), (writer.name, stderr)
        assert code in (0, -signal.SIGKILL, -chosen, 128 + chosen), (writer.name, chosen, code)
        # the output is the old one or the new one, whole: never missing, never half, never a mixture
        assert snapshot(out) in (old, expected), (writer.name, chosen, code)
        # the next writer cleans up what the killed one left, and writes the same bytes
        code, stderr = _finish(_start(*writer.args(out), *variant, "--overwrite"))
        assert (code, stderr) == (0, ""), (writer.name, stderr)
        assert snapshot(out) == expected
        assert _leftovers(folder) == [], (writer.name, _leftovers(folder))


def test_two_runs_into_one_folder_never_both_win(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    for _ in range(2):
        processes = [
            _start("generate", str(inputs["scenario"]), "-o", str(out), "--overwrite", "--quiet", "--seed", str(seed))
            for seed in (1, 2)
        ]
        results = [_finish(p) for p in processes]
        codes = sorted(code for code, _ in results)
        assert codes in ([0, 0], [0, 2]), results
        for code, stderr in results:
            if code == 2:
                assert stderr == (
                    f"Error: {out} is being written by another synthgen command; wait for it to finish or write "
                    "elsewhere\n"
                )
        assert (out / "manifest.json").exists() and _leftovers(tmp_path) == []


def _wait_for_work(folder: Path, name: str, process: subprocess.Popen[str]) -> None:
    """Until the command has begun writing (its temporary folder is there) or has ended."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.name.startswith(f".{name}.partial-") for p in folder.iterdir()):
            return
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [(signal.SIGINT, 130, "Error: interrupted\n"), (signal.SIGTERM, 143, "Error: terminated\n")],
)
def test_a_stopped_run_says_so_in_one_line_and_leaves_nothing(
    inputs: dict[str, Path], tmp_path: Path, sent: int, code: int, line: str
) -> None:
    scenario = tmp_path / "big.yaml"
    scenario.write_text(inputs["scenario"].read_text().replace("people: 400", "people: 20000"), encoding="utf-8")
    process = _start("generate", str(scenario), "-o", str(tmp_path / "run"))
    _wait_for_work(tmp_path, "run", process)
    process.send_signal(sent)
    assert _finish(process) == (code, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"]


def _handles_signals(process: subprocess.Popen[str]) -> None:
    """Until synthgen's own handlers are in place (SIGTERM caught: Python leaves it alone, synthgen.console takes
    it first), i.e. Python itself is up and synthgen is importing what the command needs."""
    status = Path(f"/proc/{process.pid}/status")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt:"))
        except (OSError, StopIteration):
            return
        if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.002)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads a process's signal handlers from /proc")
def test_ctrl_c_while_starting_up_is_one_line_too(inputs: dict[str, Path], tmp_path: Path) -> None:
    for delay in (0.0, 0.05, 0.2):
        process = _start("generate", str(inputs["scenario"]), "-o", str(tmp_path / f"run-{delay}"))
        _handles_signals(process)
        time.sleep(delay)  # numpy, pyarrow and pydantic are being imported
        process.send_signal(signal.SIGINT)
        code, stderr = _finish(process)
        assert (code, stderr) in ((130, "Error: interrupted\n"), (0, "")), (delay, code, stderr)
