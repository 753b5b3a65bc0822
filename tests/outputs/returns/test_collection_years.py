"""Both standard returns pass the DfE's rules of every collection year the validators implement (2022-23 to
2026-27): one run of the demo per year, its period moved to that year, exported and validated with the year's
rule set (all ten validations in one process of the validators' Python, to keep the module fast)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import synthgen
from synthgen import reference
from synthgen.agencies import social_care
from synthgen.outputs.returns import cin_census, cin_census_xml, ssda903
from synthgen.outputs.returns.exports import CinCensus, build_cin_census, export_ssda903
from synthgen.run_folder import Run, open_run
from synthgen.world import births
from synthgen.world.population import build_population
from synthgen.world.simulate import simulate

RUNNER = Path(__file__).with_name("run_validators.py")
DEMO = Path(__file__).parents[3] / "scenarios" / "demo.yaml"
YEARS = (2023, 2024, 2025, 2026, 2027)
"""Collection years by the year of their reference date (31 March): 2022-23 to 2026-27."""
PEOPLE = 30_000
"""Large enough for every file to have rows in every year (adoptions, care leavers, asylum-seeking children)."""
CRASHING = {"231", "233"}
"""Rules that raise on every CSV upload in csc-validator-be-903 0.1.17, so cannot judge the data: 231 reads a
UASC_STATUS column the CSV reader never makes, 233 (from 2025-26) a DATE_EPISODE_CEASED column it never makes
(test_rule_233_holds_all_the_same checks what 233 asks)."""


@dataclass(frozen=True)
class Year:
    run: Run
    cin: CinCensus
    lac: Path  # the SSDA903 folder
    cin_failures: list[dict[str, Any]]
    lac_result: dict[str, Any]


@dataclass(frozen=True)
class Deaths:
    """One shard's social-care records with a tenth of its children dead on a day of the period (few children
    die in a run of any size, so the test chooses them), and the census built from them."""

    children: pa.Table
    cin: bytes
    cin_failures: list[dict[str, Any]]
    lac_result: dict[str, Any]


def with_deaths(folder: Path) -> tuple[pa.Table, bytes, Path]:
    """The records of shard 0 of the 2024-25 run, with deaths: the children, the census XML, the 903 folder."""
    plan = synthgen.make_plan(synthgen.load_scenario(DEMO, {"population.people": PEOPLE}))
    pop = build_population(plan, 0)
    sim = simulate(plan, pop)
    born = births.births(plan, pop)[0]
    living = social_care.social_care(plan, pop, sim, None, born)
    rng = np.random.default_rng(8)
    rows = np.unique(living.children.person_id)
    rows = rows[rows < len(pop.people.person_id)]  # residents (the babies of the period are alive)
    dead = rng.choice(rows, len(rows) // 10, replace=False)
    died = np.full(len(pop.people.person_id), np.datetime64("NaT"), dtype="datetime64[D]")
    died[dead] = np.datetime64(plan.period_start, "D") + rng.integers(0, plan.days, len(dead))
    tables = social_care.social_care(plan, pop, sim, None, born, died=died)
    year = cin_census.collection_year(plan.period_start, plan.period_end)
    records = cin_census.SocialCareRecords(
        *[tables.children.table if name == "children" else getattr(tables, name) for name in cin_census.RECORD_TABLES]
    )
    xml = cin_census_xml.to_xml(cin_census.census(records, year), year, 372, "test")
    inputs = {name: tables.children.table if name == "children" else getattr(tables, name) for name in ssda903.INPUTS}
    lac = folder / "903-deaths"
    returns = ssda903.build(inputs, year.start, year.reference_date)
    for where, built in zip((lac, lac / "previous"), returns, strict=True):
        where.mkdir(parents=True)
        for name in ssda903.FILES:
            (where / ssda903.FILE_NAMES[name]).write_bytes(built.csv(name))
    return tables.children.table, xml, lac


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, validator_python: Path) -> tuple[dict[int, Year], Deaths]:
    folder = tmp_path_factory.mktemp("years")
    made: dict[int, tuple[Run, CinCensus, Path]] = {}
    jobs: list[dict[str, list[str]]] = []
    gss = reference.local_authorities()[372].gss_code
    for year in YEARS:
        overrides = {"period.start": f"{year - 1}-04-01", "period.end": f"{year}-03-31", "population.people": PEOPLE}
        synthgen.generate(synthgen.load_scenario(DEMO, overrides), folder / str(year), workers=1)
        run = open_run(folder / str(year))
        exported = build_cin_census(run)
        xml = folder / f"cin-{year}.xml"
        xml.write_bytes(exported.xml)
        lac = export_ssda903(run.path, folder / f"903-{year}")
        made[year] = (run, exported, lac)
        jobs.append({"cin": [str(xml), exported.year.ruleset]})
        jobs.append({"903": [str(lac), ssda903.ruleset(dt.date(year, 3, 31)), str(year), gss]})
    dead_children, dead_xml, dead_lac = with_deaths(folder)
    (folder / "cin-deaths.xml").write_bytes(dead_xml)
    jobs.append({"cin": [str(folder / "cin-deaths.xml"), "cin2024_25"]})
    jobs.append({"903": [str(dead_lac), "lac2024_25", "2025", gss]})
    (folder / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run(
        [str(validator_python), str(RUNNER), str(folder / "jobs.json")], capture_output=True, text=True, check=True
    )
    results = json.loads(done.stdout)
    by_year = {year: Year(*made[year], results[2 * i], results[2 * i + 1]) for i, year in enumerate(YEARS)}
    return by_year, Deaths(dead_children, dead_xml, results[-2], results[-1])


@pytest.fixture(scope="module")
def years(validated: tuple[dict[int, Year], Deaths]) -> dict[int, Year]:
    return validated[0]


@pytest.fixture(scope="module")
def deaths(validated: tuple[dict[int, Year], Deaths]) -> Deaths:
    return validated[1]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("year", YEARS)
def test_the_cin_census_passes_the_rules_of_its_year(years: dict[int, Year], year: int) -> None:
    got = years[year]
    assert got.cin.year.ruleset == f"cin{year - 1}_{year % 100:02d}"
    root = ET.fromstring(got.cin.xml)
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
    assert got.cin.children > 300
    assert sum(1 for _ in root.iter("ChildProtectionPlans")) > 10
    errors = [
        f"{f['rule']} {f['child']} {f['table']}.{f['column']} row {f['row']}: {f['message'][:80]}"
        for f in got.cin_failures
        if f["type"] != "QUERY"
    ]
    assert not errors, f"{len(errors)} rule failures:\n" + "\n".join(errors[:50])


@pytest.mark.parametrize("year", YEARS)
def test_the_ssda903_return_passes_the_rules_of_its_year(years: dict[int, Year], year: int) -> None:
    got = years[year]
    for name in ("episodes", "oc2", "reviews", "prevperm"):
        assert rows(got.lac / f"{name}.csv"), f"{name}.csv has no rows"
    assert len(rows(got.lac / "header.csv")) > 50
    assert set(got.lac_result["crashed"]) <= CRASHING, f"rules that raised: {got.lac_result['crashed']}"
    errors = got.lac_result["errors"]
    assert errors == {}, "\n".join(f"{rule}: {failed[:5]}" for rule, failed in errors.items())


def test_every_file_has_rows_in_some_year(years: dict[int, Year]) -> None:
    """Adoptions, care leavers and asylum-seeking children are few at this size: each is in some year's return
    (so the rules on them run), not necessarily in every year's."""
    for name in ssda903.FILE_NAMES.values():
        assert any(rows(got.lac / name) for got in years.values()), f"{name} has no rows in any year"


@pytest.mark.parametrize("year", YEARS)
def test_sex_is_coded_as_the_year_asks(years: dict[int, Year], year: int) -> None:
    """GenderCurrent (1, 2) in the CIN census before 2024-25, Sex (M, F) from it; in SSDA903 1/2 before 2024-25,
    M/F from it."""
    got = years[year]
    root = ET.fromstring(got.cin.xml)
    gender = [e.text for e in root.iter("GenderCurrent")]
    sex = [e.text for e in root.iter("Sex")]
    if year < 2025:
        assert not sex and set(gender) == {"1", "2"} and len(gender) == got.cin.children
    else:
        assert not gender and set(sex) == {"M", "F"} and len(sex) == got.cin.children
    for folder in (got.lac, got.lac / "previous"):
        codes = {r["SEX"] for r in rows(folder / "header.csv")}
        assert codes == ({"1", "2"} if year < 2025 else {"M", "F"})


@pytest.mark.parametrize("year", YEARS)
def test_rule_233_holds_all_the_same(years: dict[int, Year], year: int) -> None:
    """233: an episode not ceased has no reason for a placement change (the validator's own check raises)."""
    for folder in (years[year].lac, years[year].lac / "previous"):
        episodes = rows(folder / "episodes.csv")
        assert any(not e["DEC"] for e in episodes) and any(e["REASON_PLACE_CHANGE"] for e in episodes)
        assert all(e["DEC"] or not e["REASON_PLACE_CHANGE"] for e in episodes)


def test_dead_children_pass_the_rules_and_have_their_death_date_in_the_census(deaths: Deaths) -> None:
    errors = [
        f"{f['rule']} {f['child']} {f['table']}.{f['column']}" for f in deaths.cin_failures if f["type"] != "QUERY"
    ]
    assert not errors, f"{len(errors)} rule failures:\n" + "\n".join(errors[:50])
    # nothing the DfE would query either: no referral after a death, no plan ending after it, RC2 with a date
    queried = {f["rule"] for f in deaths.cin_failures} & {"8555Q", "4009Q", "8585Q", "8535Q", "8545Q"}
    assert not queried
    assert deaths.lac_result["errors"] == {}
    children = deaths.children.filter(pc.is_valid(deaths.children["date_of_death"]))
    died = dict(zip(children["la_child_id"].to_pylist(), children["date_of_death"].to_pylist(), strict=True))
    root = ET.fromstring(deaths.cin)
    in_census = {c.findtext("ChildIdentifiers/LAchildID"): c for c in root.iter("Child")}
    written = {
        child: c.findtext("ChildIdentifiers/PersonDeathDate")
        for child, c in in_census.items()
        if c.find("ChildIdentifiers/PersonDeathDate") is not None
    }
    dead_in_need = {child: day.isoformat() for child, day in died.items() if child in in_census}
    assert len(dead_in_need) > 10
    assert written == dead_in_need
    # a child whose episode was open when they died: closed that day, as RC2
    closed = [
        c
        for child in dead_in_need
        for c in in_census[child].iter("CINdetails")
        if c.findtext("ReasonForClosure") == "RC2"
    ]
    assert closed and all(c.findtext("CINclosureDate") is not None for c in closed)


def test_the_living_have_no_date_of_death(years: dict[int, Year]) -> None:
    for got in years.values():
        children = got.run.read("agencies/social_care/children")
        assert "date_of_death" in children.schema.names
        dead = children.filter(pc.is_valid(children["date_of_death"]))["la_child_id"].to_pylist()
        assert sum(1 for _ in ET.fromstring(got.cin.xml).iter("PersonDeathDate")) <= len(dead)
