"""A scenario from a careless or hostile hand is refused in a moment, one line a problem: YAML that would never end
(alias bombs, an alias inside itself), nest past the stack or fill the memory; text that is not UTF-8; impossible
dates; numbers that are not finite; rates generation cannot run with."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from synthgen import ScenarioError, load_scenario
from tests.conftest import SCENARIO

BILLION_LAUGHS = "l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
)


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [line.replace(f"{path}", "s.yaml") for line in caught.value.lines]


def _with(extra: str) -> str:
    return SCENARIO.format(name="hostile", seed=7, people=2000) + extra


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BILLION_LAUGHS, "s.yaml:6: not valid YAML: expands to more than 100,000 values (aliases repeat too much)"),
        ("a: &s [1, *s]\n", "s.yaml:1: not valid YAML: alias *s refers to the value that holds it"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "s.yaml:1: not valid YAML: nested more than 24 levels deep"),
        (
            "a: &d " + "[" * 20 + "]" * 20 + "\nb: [[[[[[*d]]]]]]\n",
            "s.yaml:2: not valid YAML: nested more than 24 levels deep (through aliases)",
        ),
        ("a: 1\nb: \x00\n", "s.yaml:2: not valid YAML: character '\\x00' is not allowed"),
        ("- a\n- b\n", "s.yaml:1: must be a mapping of keys (scenario_version, name, seed, ...)"),
    ],
)
def test_yaml_that_would_never_end_is_refused_at_once(
    write_scenario: Callable[..., Path], text: str, expected: str
) -> None:
    started = time.monotonic()
    assert problems(write_scenario(text)) == [expected]
    assert time.monotonic() - started < 5


def test_a_file_too_large_or_not_utf8_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# " + b"x" * 1_000_000)
    assert problems(huge) == ["s.yaml: is larger than a scenario can be (1,000,000 bytes at most)"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(_with("description: caf\xe9\n").encode("latin-1"))
    assert problems(latin) == ["s.yaml:13: is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_utf16_with_a_byte_order_mark_and_utf8_with_one_are_read(tmp_path: Path) -> None:
    for encoding in ("utf-16", "utf-8-sig"):
        path = tmp_path / f"{encoding}.yaml"
        path.write_bytes(_with("description: café\n").encode(encoding))
        assert load_scenario(path).description == "café"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("rates:\n  birth_rate: .nan\n", "s.yaml:14: rates.birth_rate: must be at least 0 and at most 1, not nan"),
        ("rates:\n  birth_rate: .inf\n", "s.yaml:14: rates.birth_rate: must be at least 0 and at most 1, not inf"),
        (
            "rates:\n  gp_list_size_mean: 0\n",
            "s.yaml:14: rates.gp_list_size_mean: must be more than 0 and at most 101010, not 0.0",
        ),
        (
            "rates:\n  early_help_days_median: 0\n",
            "s.yaml:14: rates.early_help_days_median: must be more than 0 and at most 1500, not 0.0",
        ),
        (
            "rates:\n  referrals_per_10k_children: 100000\n",
            "s.yaml:14: rates.referrals_per_10k_children: must be at least 0 and at most 5190, not 100000.0",
        ),
        (
            "rates:\n  health_visit_on_time_share.new_birth: 1\n",
            "s.yaml:14: rates.health_visit_on_time_share.new_birth: must be at least 0 and less than 1, not 1.0",
        ),
        (
            "rates:\n  cla_provider_share.PR1: 0.6\n",
            "s.yaml:13: rates: cla_provider_share.* share out one whole and must add up to 1, not 1.1",
        ),
        (
            "rates:\n  need_min_age.neglect: 12\n  need_max_age.neglect: 5\n",
            "s.yaml:13: rates: need_min_age.neglect (12) must not be more than need_max_age.neglect (5)",
        ),
        (
            "data_quality:\n  rates: {health: {nhs_number: {missing: .nan}}}\n",
            "s.yaml:14: data_quality.rates.health.nhs_number.missing: must be a finite number",
        ),
    ],
)
def test_rates_generation_cannot_run_with_are_refused(
    write_scenario: Callable[..., Path], extra: str, expected: str
) -> None:
    assert problems(write_scenario(_with(extra))) == [expected]


def test_an_echoed_value_is_one_line_however_it_was_written(write_scenario: Callable[..., Path]) -> None:
    text = _with('"bad\\nkey\\x1b[31m": 1\n')
    assert problems(write_scenario(text)) == [
        "s.yaml:13: bad\\nkey\\x1b[31m: unknown key (allowed: agencies, area, data_quality, description, front_door, "
        "identifiers, name, outputs, period, population, rates, scenario_version, seed, sharing, storylines)"
    ]
