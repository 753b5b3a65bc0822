"""Malformed prediction, flag, disclosure and MASH response files: `evaluate` scores them or refuses them with one
line, a SynthgenError, and writes nothing when it refuses.

Each case mutates a valid file (columns dropped, renamed, repeated or retyped; values at every type's extremes;
other encodings, broken headers, truncated or flipped bytes) and scores it against a small run, in-process; a
sample goes through the command line too, which must exit 2 with `Error:` lines and no traceback.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import synthgen
from synthgen.cli import cli
from tests.fuzz.conftest import examples
from tests.fuzz.mutations import mutated_tables, written_files

THRESHOLDS = st.none() | st.sampled_from([0.0, 0.5, 1.0, -0.1, 1e308, math.nan, math.inf, -math.inf]) | st.floats()


def _folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / f"case-{uuid.uuid4().hex[:10]}"
    folder.mkdir()
    return folder


def _only_synthgen_errors(call: Callable[[], Any], folder: Path, outputs: list[Path]) -> Any:
    """Run `call`: it returns (and then has written every output, as valid JSON and HTML) or raises SynthgenError
    (one line each, and then has written nothing at all)."""
    before = set(folder.iterdir())
    try:
        result = call()
    except synthgen.SynthgenError as error:
        event("refused with a SynthgenError")
        assert all("\n" not in line and line for line in error.lines), error.lines
        assert set(folder.iterdir()) == before, "a refused input left files behind"
        return None
    event("scored")
    for path in outputs:
        assert path.exists()
    json.loads(outputs[0].read_text(encoding="utf-8"), parse_constant=lambda name: pytest.fail(f"JSON holds {name}"))
    return result


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), kind=st.sampled_from(["clusters", "pairs"]), threshold=THRESHOLDS)
def test_malformed_predictions_are_scored_or_refused_in_one_line(
    small_run: Path,
    valid_files: dict[str, pa.Table],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    kind: str,
    threshold: float | None,
) -> None:
    folder = _folder(tmp_path_factory)
    table = data.draw(mutated_tables(valid_files[kind]))
    path = data.draw(written_files(table, folder, "predictions"))
    outputs = [folder / "scores.json", folder / "scores.html"]
    _only_synthgen_errors(
        lambda: synthgen.evaluate_linkage(small_run, path, threshold, json_path=outputs[0], report_path=outputs[1]),
        folder,
        outputs,
    )


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), mutate=st.sampled_from(["flags", "disclosures", "both"]), with_disclosures=st.booleans())
def test_malformed_flags_and_disclosures_are_scored_or_refused_in_one_line(
    small_run: Path,
    valid_files: dict[str, pa.Table],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    mutate: str,
    with_disclosures: bool,
) -> None:
    folder = _folder(tmp_path_factory)
    flags, disclosures = valid_files["flags"], valid_files["disclosures"]
    if mutate in ("flags", "both"):
        flags = data.draw(mutated_tables(flags))
    if mutate in ("disclosures", "both"):
        disclosures = data.draw(mutated_tables(disclosures))
    flags_path = data.draw(written_files(flags, folder, "flags"))
    shared = data.draw(written_files(disclosures, folder, "disclosures")) if with_disclosures else None
    outputs = [folder / "sharing.json", folder / "sharing.html"]
    _only_synthgen_errors(
        lambda: synthgen.evaluate_sharing(small_run, flags_path, shared, json_path=outputs[0], report_path=outputs[1]),
        folder,
        outputs,
    )


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_malformed_mash_responses_are_scored_or_refused_in_one_line(
    small_run: Path,
    valid_files: dict[str, pa.Table],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    folder = _folder(tmp_path_factory)
    path = data.draw(written_files(data.draw(mutated_tables(valid_files["responses"])), folder, "responses"))
    outputs = [folder / "mash.json", folder / "mash.html"]
    _only_synthgen_errors(
        lambda: synthgen.evaluate_mash(small_run, path, json_path=outputs[0], report_path=outputs[1]),
        folder,
        outputs,
    )


@settings(max_examples=examples(8, 0.02), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), kind=st.sampled_from(["clusters", "pairs", "flags", "responses"]), threshold=THRESHOLDS)
def test_the_command_line_refuses_malformed_files_with_exit_2_and_no_traceback(
    small_run: Path,
    valid_files: dict[str, pa.Table],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    kind: str,
    threshold: float | None,
) -> None:
    folder = _folder(tmp_path_factory)
    path = data.draw(written_files(data.draw(mutated_tables(valid_files[kind])), folder, kind))
    if kind == "flags":
        args = ["evaluate", "sharing", str(small_run), str(path), "--json", str(folder / "s.json")]
    elif kind == "responses":
        args = ["evaluate", "mash", str(small_run), str(path), "--json", str(folder / "s.json")]
    else:
        args = ["evaluate", "linkage", str(small_run), str(path), "--json", str(folder / "s.json")]
        if threshold is not None:
            args += ["--threshold", repr(threshold)]
    result = CliRunner().invoke(cli, args)
    event(f"exit {result.exit_code}")
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr and all(line.startswith("Error: ") for line in result.stderr.splitlines())
        assert not (folder / "s.json").exists()
