"""Realism is measured: every figure with an England reference comes back out of a run within its tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthgen import calibration
from synthgen.cli import cli
from synthgen.run_folder import open_run


def test_every_figure_of_the_demo_is_within_tolerance(demo_run: Path) -> None:
    figures = calibration.describe(open_run(demo_run))
    assert len(figures) >= 20
    failing = [f"{f.name}: {f.generated:.2f} vs {f.reference} ± {f.tolerance}" for f in figures if not f.passed]
    assert failing == []


def test_a_clean_run_passes_for_the_right_reasons(demo_run: Path, clean_run: Path) -> None:
    """Describe under another profile: every figure of the clean demo within tolerance, those duplicate
    registrations move (list inflation, list sizes, rates per pupil record) held to what no duplicates imply."""
    clean = {f.name: f for f in calibration.describe(open_run(clean_run))}
    realistic = {f.name: f for f in calibration.describe(open_run(demo_run))}
    assert [name for name, f in clean.items() if not f.passed] == []
    assert "profile clean" in clean["health.gp_list_inflation"].source
    assert clean["health.gp_list_inflation"].reference < realistic["health.gp_list_inflation"].reference
    assert (
        clean["school.suspensions_per_100_pupils"].reference > realistic["school.suspensions_per_100_pupils"].reference
    )


def test_every_figure_of_a_large_run_is_within_tolerance(large_run: Path) -> None:
    """200,000 residents: the life-event figures are measured closely (10% for rates resting on a thousand
    events or more, wider only where fewer events make it so)."""
    figures = calibration.describe(open_run(large_run))
    failing = [f"{f.name}: {f.generated:.2f} vs {f.reference} ± {f.tolerance}" for f in figures if not f.passed]
    assert failing == []
    rates = {f.name: f for f in figures}
    assert rates["social_care.referrals_per_10k_children"].tolerance <= 0.12 * 519
    assert rates["police.domestic_abuse_crimes_per_1000"].tolerance <= 0.1 * 13.8 + 1e-9


def test_a_figure_outside_its_tolerance_fails() -> None:
    figure = calibration.Figure("x", generated=10.0, reference=8.0, source="s", tolerance=1.5, unit="%")
    assert not figure.passed
    assert calibration.Figure("x", 9.5, 8.0, "s", 1.5, "%").passed


def test_json_has_exactly_the_documented_keys(demo_run: Path) -> None:
    result = CliRunner().invoke(cli, ["describe", str(demo_run), "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    keys = {"name", "generated", "reference", "source", "tolerance", "pass", "england"}
    assert all(set(row) == keys for row in rows)
    assert {row["name"] for row in rows} >= {"people.female", "health.gp_list_inflation", "school.fsm_eligible"}


def test_table_output_ends_with_a_summary(demo_run: Path) -> None:
    result = CliRunner().invoke(cli, ["describe", str(demo_run)])
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["figure", "generated", "reference", "england", "tolerance", "pass", "source"]
    summary = next(i for i, line in enumerate(lines) if line.endswith("figures within tolerance"))
    assert lines[summary].startswith(f"{summary - 1} of {summary - 1} figures")
    pairs = [line.split()[0] for line in lines[summary + 4 :]]
    assert "health-school" in pairs and "police-social_care" in pairs
    assert pairs == sorted(pairs) and all(a <= b for a, b in (p.split("-") for p in pairs))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "{p}/missing: no such run folder"),
        (lambda p: p, "{p}: not a synthgen run (no manifest.json; was the run interrupted?)"),
    ],
)
def test_describe_refuses_what_is_not_a_run(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["describe", str(make(tmp_path))])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message.format(p=tmp_path)}\n"


def test_a_manifest_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("[1, 2]")
    result = CliRunner().invoke(cli, ["describe", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'manifest.json'}: not a synthgen manifest\n"


def test_a_scenario_rate_replaces_englands_figure(tmp_path: Path) -> None:
    """An area unlike the England average: the run follows the scenario's rate, and describe compares with it."""
    import synthgen

    path = tmp_path / "s.yaml"
    path.write_text(
        "scenario_version: 1\nname: busy\nseed: 3\npopulation: {people: 100000}\n"
        "area: {la_number: 330, la_name: Birmingham, outward_codes: [B1, B5, B10, B11, B12, B13, B14]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
        "rates: {referrals_per_10k_children: 700, fsm_share: 0.40}\n"
    )
    synthgen.generate(synthgen.load_scenario(path), tmp_path / "run")
    figures = {f.name: f for f in calibration.describe(open_run(tmp_path / "run"))}
    referrals = figures["social_care.referrals_per_10k_children"]
    assert (referrals.reference, referrals.source) == (700.0, "scenario rates: referrals_per_10k_children")
    assert referrals.england == 519.0  # England's beside it
    assert referrals.passed and abs(referrals.generated - 700) < 0.05 * 700
    fsm = figures["school.fsm_eligible"]
    assert fsm.reference == 40.0 and fsm.passed
    assert figures["police.domestic_abuse_crimes_per_1000"].reference == 13.8  # not overridden: England's
    assert figures["police.domestic_abuse_crimes_per_1000"].england is None  # no other figure to set beside it
