"""Both returns pass the DfE's rules with zero errors across a grid of small runs: four kinds of authority (a
metropolitan district, a London borough, a county, a unitary) under every data-quality profile, each cell in one
of the collection years the validators know (every year covered more than once), and the CIN census carries few
queries, as a careful authority's does (under 2% of its children pooled over the grid).

All the returns are validated in one process of the validators' Python (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import synthgen
from synthgen import calibration, reference
from synthgen.calibration.local_figures import DUPLICATES_MOVE
from synthgen.outputs.returns import ssda903
from synthgen.outputs.returns.exports import build_cin_census, export_ssda903
from synthgen.run_folder import open_run

RUNNER = Path(__file__).with_name("run_validators.py")
AUTHORITIES = {
    "metropolitan": (372, "Rotherham", "S60, S61, S65, S66"),
    "london": (211, "Tower Hamlets", "E1, E2, E3, E14"),
    "county": (878, "Devon", "EX1, EX2, EX4, EX8, TQ12"),
    "unitary": (908, "Cornwall", "TR1, TR7, TR14, TR15, PL25"),
}
PROFILES = ("clean", "realistic", "messy")
YEARS = (2023, 2024, 2025, 2026, 2027)
PEOPLE = 8_000
CRASHING = {"231", "233"}
"""Rules that raise on every CSV upload in csc-validator-be-903 0.1.17 (see test_collection_years.py)."""
QUERY_SHARE = 0.02
"""A careful authority's census: fewer than 2% of its children carry a query."""


@dataclass(frozen=True)
class Cell:
    authority: str
    profile: str
    year: int

    @property
    def name(self) -> str:
        return f"{self.authority}-{self.profile}-{self.year}"


CELLS = tuple(
    Cell(authority, profile, YEARS[(3 * i + j) % len(YEARS)])
    for i, authority in enumerate(AUTHORITIES)
    for j, profile in enumerate(PROFILES)
)


@dataclass(frozen=True)
class Validated:
    children: int
    cin: list[dict[str, Any]]
    lac: dict[str, Any]
    moved: dict[str, calibration.Figure]
    """The describe figures the profile's duplicate registrations move."""


def _scenario(folder: Path, cell: Cell) -> Path:
    number, name, codes = AUTHORITIES[cell.authority]
    path = folder / f"{cell.name}.yaml"
    path.write_text(
        f"scenario_version: 1\nname: grid\nseed: {number + cell.year}\npopulation: {{people: {PEOPLE}}}\n"
        f"area: {{la_number: {number}, la_name: {name}, outward_codes: [{codes}]}}\n"
        f"period: {{start: {cell.year - 1}-04-01, end: {cell.year}-03-31}}\n"
        f"data_quality: {{profile: {cell.profile}}}\n"
    )
    return path


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory, validator_python: Path) -> dict[Cell, Validated]:
    folder = tmp_path_factory.mktemp("grid")
    jobs: list[dict[str, list[str]]] = []
    children: dict[Cell, int] = {}
    moved: dict[Cell, dict[str, calibration.Figure]] = {}
    for cell in CELLS:
        run_folder = folder / cell.name
        synthgen.generate(synthgen.load_scenario(_scenario(folder, cell)), run_folder, workers=1)
        run = open_run(run_folder)
        cin = build_cin_census(run)
        (folder / f"{cell.name}.xml").write_bytes(cin.xml)
        lac = export_ssda903(run.path, folder / f"{cell.name}-903")
        children[cell] = cin.children
        moved[cell] = {f.name: f for f in calibration.describe(run) if f.name in DUPLICATES_MOVE}
        gss = reference.local_authorities()[AUTHORITIES[cell.authority][0]].gss_code
        jobs.append({"cin": [str(folder / f"{cell.name}.xml"), cin.year.ruleset]})
        jobs.append({"903": [str(lac), ssda903.ruleset(dt.date(cell.year, 3, 31)), str(cell.year), gss]})
    (folder / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run(
        [str(validator_python), str(RUNNER), str(folder / "jobs.json")], capture_output=True, text=True, check=True
    )
    results = json.loads(done.stdout)
    return {
        cell: Validated(children[cell], results[2 * i], results[2 * i + 1], moved[cell]) for i, cell in enumerate(CELLS)
    }


def test_the_grid_covers_every_kind_of_authority_profile_and_year() -> None:
    assert {c.authority for c in CELLS} == set(AUTHORITIES)
    assert {c.profile for c in CELLS} == set(PROFILES)
    assert {c.year for c in CELLS} == set(YEARS)


def test_every_cell_passes_both_returns_and_few_children_carry_a_query(grid: dict[Cell, Validated]) -> None:
    """One test over the whole grid (its returns are made and validated once): zero errors in both returns of every
    cell (the validator's two crashing rules aside), and under 2% of the children queried, pooled over the grid
    and under each profile (a cell of a few dozen children in need is too small to hold to 2% alone): closure
    reasons that follow the assessment, assessments that end, ages that make sense."""
    failures = []
    for cell, got in grid.items():
        errors = [f"{f['rule']} {f['child']} {f['table']}.{f['column']}" for f in got.cin if f["type"] != "QUERY"]
        if got.children < 30 or errors:
            failures.append(f"{cell.name} CIN: {got.children} children, errors {errors[:5]}")
        if not set(got.lac["crashed"]) <= CRASHING or got.lac["errors"]:
            failures.append(f"{cell.name} SSDA903: errors {got.lac['errors']}, crashed {got.lac['crashed']}")
    assert failures == []
    for profile in (None, *PROFILES):
        cells = [c for c in CELLS if profile is None or c.profile == profile]
        queried = sum(len({f["child"] for f in grid[c].cin if f["type"] == "QUERY"}) for c in cells)
        children = sum(grid[c].children for c in cells)
        assert queried / children < QUERY_SHARE, (profile, queried, children)


def test_describe_holds_what_the_profile_moves_to_what_the_profile_implies(grid: dict[Cell, Validated]) -> None:
    """A messy run passes for the right reasons: list inflation, list sizes and rates per pupil record are held to
    what the profile's duplicate registrations imply, and come back out within tolerance under every profile."""
    failures = []
    for cell, got in grid.items():
        assert set(got.moved) == set(DUPLICATES_MOVE), cell.name
        for name, figure in got.moved.items():
            # the published figures already hold the realistic profile's duplicates
            assert (f"profile {cell.profile}" in figure.source) == (cell.profile != "realistic"), (cell.name, name)
            if not figure.passed:
                failures.append(
                    f"{cell.name} {name}: {figure.generated:.2f} vs {figure.reference} ± {figure.tolerance}"
                )
    assert failures == []
    inflation = {c.profile: got.moved["health.gp_list_inflation"].reference for c, got in grid.items()}
    assert inflation["clean"] < inflation["realistic"] < inflation["messy"]
