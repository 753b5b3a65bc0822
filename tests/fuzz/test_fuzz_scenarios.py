"""Malformed scenarios: loading one returns a scenario that plans, or raises a ScenarioError whose every line
is `file:line: path: message`; never a traceback, never a hang (alias bombs, deep nesting, huge files).

Each case mutates a valid scenario's text: a value replaced by an odd one (impossible dates, huge or non-finite
numbers, tags, aliases), lines deleted, repeated or re-indented, keys added, rates and storylines and sharing
rules of every kind, bytes that are not text, other encodings, a truncated or oversized file.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import synthgen
from synthgen import reference
from synthgen.cli import cli
from synthgen.scenario.plan import make_plan
from tests.conftest import SCENARIO
from tests.fuzz.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
BASES = [
    SCENARIO.format(name="fuzz", seed=7, people=2000),
    (ROOT / "scenarios" / "training.yaml").read_text(encoding="utf-8"),
    (ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8"),
]
ODD_VALUES = [
    "0", "-1", "1", "2", "-0", "0.0", "1e400", "-1e400", ".nan", ".inf", "-.inf", "NaN", "99999999999999999999999999",
    "9" * 5000, "0x1F", "0o17", "1_000", "1:20:30", "yes", "no", "on", "~", "null", "''", '""', "[]", "{}", "[1, 2]",
    "{a: 1}", "2024-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "1949-12-31", "2100-01-01", "2024-04-01",
    "2024-04-01T25:00:00", "2024-04-01 12:00:00.123456", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]",
    "!!python/object/apply:os.system ['true']", "!!timestamp 2024-02-30", "*nowhere", "&anchor 5", "'a\\nb'",
    '"tab\\there"', '"\\x1b[31mred"', '"\\u202ereversed"', "é", "名前", "- a\n  - b", "|\n  block\n  text",
]  # fmt: skip
KEYS = [
    "scenario_version", "name", "seed", "description", "population", "people", "area", "la_number", "la_name",
    "outward_codes", "period", "start", "end", "data_quality", "profile", "rates", "agencies", "police", "enabled",
    "identifiers", "nhs_numbers", "outputs", "formats", "sharing", "rules", "storylines", "template", "count",
    "front_door", "unknown_key", "<<", "? complex", "peple", "",
]  # fmt: skip
RATE_NAMES = sorted(reference.default_parameters())


def _laughs() -> str:
    """A billion laughs: nine levels of nine aliases each, 10^9 values once expanded, a few hundred bytes."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


BOMBS = [
    _laughs(),
    "self: &s [1, *s]\n",
    "deep: " + "[" * 300 + "]" * 300 + "\n",
    "deep: " + "{a: " * 60 + "1" + "}" * 60 + "\n",
    "merge: &m {a: 1}\nagain: {<<: *m, b: 2}\n",
]
LINE = re.compile(r"^[^\n]+:(\d+: |\s)?.+$")


def _odd_value() -> st.SearchStrategy[str]:
    return st.sampled_from(ODD_VALUES) | st.text(max_size=30).map(json.dumps) | st.integers().map(str)


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> bytes:
    """A valid scenario's text after one to four mutations, as the bytes of a file."""
    lines = draw(st.sampled_from(BASES)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(
            st.sampled_from(["value", "value", "delete", "repeat", "indent", "key", "rates", "storylines", "period",
                             "sharing", "bomb", "people", "seed"])
        )  # fmt: skip
        if action == "value" and lines and ":" in lines[at]:
            lines[at] = lines[at].split(":", 1)[0] + ": " + draw(_odd_value())
        elif action == "delete" and lines:
            del lines[at]
        elif action == "repeat" and lines:
            lines.insert(at, lines[at])
        elif action == "indent" and lines:
            lines[at] = " " * draw(st.integers(0, 6)) + lines[at].lstrip()
        elif action == "key":
            lines.insert(
                at, " " * draw(st.sampled_from([0, 2, 4])) + draw(st.sampled_from(KEYS)) + ": " + draw(_odd_value())
            )
        elif action == "rates":
            names = draw(st.lists(st.sampled_from(RATE_NAMES) | st.text(max_size=10), min_size=1, max_size=4))
            lines += ["rates:", *(f"  {json.dumps(n)}: {draw(_odd_value() | st.floats().map(repr))}" for n in names)]
        elif action == "storylines":
            template = draw(st.sampled_from(["cse", "cce", "neglect", "domestic_abuse", "noise", "nope", ""]))
            lines += ["storylines:", f"  - {{template: {template}, count: {draw(_odd_value())}}}"]
        elif action == "period":
            start, end = draw(st.dates()), draw(st.dates())
            lines += ["period:", f"  start: {start.isoformat()}", f"  end: {end.isoformat()}"]
        elif action == "sharing":
            agency = draw(st.sampled_from(["police", "health", "x"]))
            field = draw(st.sampled_from(["identity", "given_name", "nope"]))
            rule = f"{{agency: {agency}, recipients: [{draw(_odd_value())}], purpose: safeguarding, fields: [{field}]}}"
            lines += ["sharing:", "  rules:", f"    - {rule}"]
        elif action == "bomb":
            lines.insert(at, draw(st.sampled_from(BOMBS)))
        elif action == "people":
            lines += ["population:", f"  people: {draw(st.integers(-10, 60_000_000))}"]
        elif action == "seed":
            lines += [f"seed: {draw(st.integers(-(2**70), 2**70))}"]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    return _encoded(draw, data)


def _encoded(draw: st.DrawFn, data: bytes) -> bytes:
    choice = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "latin-1", "bom", "bytes", "truncate", "huge", "empty"]))
    if choice == "utf-16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if choice == "latin-1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace") + "é".encode("latin-1")
    if choice == "bom":
        return b"\xef\xbb\xbf" + data
    if choice == "bytes":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if choice == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if choice == "huge":
        return data + b"\n#" + b"x" * 1_100_000
    if choice == "empty":
        return b""
    return data


def _path(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> Path:
    path = tmp_path_factory.getbasetemp() / f"scenario-{uuid.uuid4().hex[:10]}.yaml"
    path.write_bytes(data)
    return path


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=mutated_scenarios())
def test_a_malformed_scenario_is_refused_with_its_lines_or_plans(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = _path(tmp_path_factory, data)
    try:
        scenario = synthgen.load_scenario(path)
    except synthgen.ScenarioError as error:
        event("refused with a ScenarioError")
        assert error.lines and all(line.startswith(str(path)) and "\n" not in line for line in error.lines)
        return
    event("valid")
    json.dumps(scenario.model_dump(mode="json"), allow_nan=False)  # as the manifest holds it
    with contextlib.suppress(synthgen.SynthgenError):
        make_plan(scenario)


@settings(max_examples=examples(12, 0.02), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=mutated_scenarios())
def test_the_command_line_refuses_a_malformed_scenario_with_exit_2_and_no_traceback(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = _path(tmp_path_factory, data)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    event(f"exit {result.exit_code}")
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.stdout == "" and result.stderr
        assert all(line.startswith(f"Error: {path}") for line in result.stderr.splitlines()), result.stderr
