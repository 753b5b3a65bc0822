"""Police incidents and nominals: England's rates (uk-facts.md D), records that hang together, truth kept aligned.

One 100,000-resident population (two shards) is built in-process and shared by the module. Rate tolerances
are wider than sampling noise at that size (domestic-abuse crimes are Poisson about the target, about 2%;
missing children are exact by rank up to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from synthgen import load_scenario, make_plan
from synthgen.agencies.police import DASH_LEVELS, PERSON_ROLES, PoliceTables, police_tables
from synthgen.kernel import identifiers
from synthgen.scenario.plan import Plan
from synthgen.world.population import ROLE, Population, build_population
from synthgen.world.simulate import Simulation, simulate


@dataclass
class World:
    plan: Plan
    pops: list[Population]
    sims: list[Simulation]
    tables: list[PoliceTables]

    def shards(self) -> list[tuple[Population, Simulation, PoliceTables]]:
        return list(zip(self.pops, self.sims, self.tables, strict=True))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(
        "scenario_version: 1\nname: police\nseed: 5\npopulation: {people: 100000}\n"
        "area: {la_number: 372, la_name: Rotherham, outward_codes: [S60, S61, S65, S66]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
    )
    plan = make_plan(load_scenario(path))
    pops = [build_population(plan, shard) for shard in range(plan.shards)]
    sims = [simulate(plan, pop) for pop in pops]
    return World(plan, pops, sims, [police_tables(plan, pop, sim) for pop, sim in zip(pops, sims, strict=True)])


def column(table: pa.Table, name: str) -> np.ndarray:
    values: np.ndarray = table[name].to_numpy(zero_copy_only=False)
    return values


def involvement(tables: PoliceTables) -> pa.Table:
    """incident_persons with each row's incident type and population row."""
    ip = tables.incident_persons.append_column("row", pa.array(tables.incident_person_id))
    return ip.join(tables.incidents.select(["incident_id", "incident_type", "occurred_at"]), "incident_id")


def da_victim_households(pop: Population, tables: PoliceTables) -> pa.Table:
    """incident_id and the victim's household of each domestic-abuse incident."""
    ip = involvement(tables)
    victims = ip.filter((pc.field("incident_type") == "domestic_abuse") & (pc.field("role") == "victim"))
    households = pop.people.household[column(victims, "row")]
    return pa.table({"incident_id": victims["incident_id"], "household": households})


def test_domestic_abuse_crimes_per_1000_residents(world: World) -> None:
    crimes = residents = 0.0
    for pop, _, tables in world.shards():
        inc = tables.incidents
        crimes += int(np.sum((column(inc, "incident_type") == "domestic_abuse") & column(inc, "crime")))
        residents += int(pop.people.resident.sum())
    # uk-facts D: 851,062 crimes, YE Mar 2024
    assert crimes / world.plan.years / residents * 1000 == pytest.approx(13.8, rel=0.10)


def test_domestic_incidents_42_percent_non_crime(world: World) -> None:
    for _, _, tables in world.shards():
        inc = tables.incidents
        da = column(inc, "incident_type") == "domestic_abuse"
        assert 1 - column(inc, "crime")[da].mean() == pytest.approx(0.42, abs=0.01)  # uk-facts D


def test_dash_risk_split_rises_with_repeats_and_only_for_domestic_abuse(world: World) -> None:
    levels, repeats = [], []
    for pop, _, tables in world.shards():
        inc = tables.incidents
        da = column(inc, "incident_type") == "domestic_abuse"
        dash = column(inc, "dash_risk")
        assert all(value is None for value in dash[~da])
        assert set(dash[da]) <= set(DASH_LEVELS)
        joined = da_victim_households(pop, tables).join(
            inc.select(["incident_id", "occurred_at", "dash_risk"]), "incident_id"
        )
        household = column(joined, "household")
        when = column(joined, "occurred_at")
        order = np.lexsort((when, household))
        first = np.r_[True, household[order][1:] != household[order][:-1]]
        starts = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order)) - starts
        levels.append(pc.index_in(joined["dash_risk"], pa.array(DASH_LEVELS)).to_numpy())  # 0 standard .. 2 high
        repeats.append(rank)
    level, repeat = np.concatenate(levels), np.concatenate(repeats)
    assert np.bincount(level, minlength=3) / len(level) == pytest.approx([0.60, 0.30, 0.10], abs=0.01)  # design
    assert level[repeat >= 2].mean() > level[repeat == 0].mean() + 0.1  # repeats are graver


def test_domestic_abuse_concentrated_in_abusive_households(world: World) -> None:
    inside = total = 0
    for pop, sim, tables in world.shards():
        households = column(da_victim_households(pop, tables), "household")
        inside += int(sim.domestic_abuse[households].sum())
        total += len(households)
    assert total > 0
    assert inside / total > 0.90


def test_every_domestic_incident_has_one_victim_and_women_are_most_victims(world: World) -> None:
    female = []
    for pop, _, tables in world.shards():
        ip = involvement(tables)
        da = ip.filter((pc.field("incident_type") == "domestic_abuse") & (pc.field("role") == "victim"))
        n_da = int(np.sum(column(tables.incidents, "incident_type") == "domestic_abuse"))
        assert da.num_rows == n_da
        assert len(np.unique(column(da, "incident_id"))) == n_da
        female.append(pop.people.female[column(da, "row")])
    # 75% in man-and-woman couples (design); a lone adult is the victim whatever their sex, so about 70% overall
    assert np.concatenate(female).mean() == pytest.approx(0.70, abs=0.06)


def test_children_present_are_children_of_the_household(world: World) -> None:
    seen = 0
    for pop, _, tables in world.shards():
        ip = involvement(tables)
        present = ip.filter(pc.field("role") == "child_present").join(
            da_victim_households(pop, tables), "incident_id", join_type="left outer"
        )
        rows = column(present, "row")
        assert set(column(present, "incident_type")) <= {"domestic_abuse"}
        assert (pop.people.household[rows] == column(present, "household")).all()
        assert (pop.people.role[rows] == ROLE["child"]).all()
        assert (pop.people.age[rows] < 18).all()
        seen += len(rows)
    assert seen > 100


def test_missing_children_at_england_rates(world: World) -> None:
    children, missing, episodes = 0.0, 0, 0
    for pop, sim, tables in world.shards():
        p = pop.people
        ip = involvement(tables).filter(pc.field("role") == "missing_person")
        rows = column(ip, "row")
        assert set(column(ip, "incident_type")) == {"missing_person"}
        assert (p.age[rows] < 18).all() and p.resident[rows].all()
        children += int((p.resident & (p.age < 18)).sum()) * world.plan.years
        missing += len(np.unique(rows))
        episodes += len(rows)
        # the children who go missing are the ones reported (their number is below England's rate here)
        assert np.isin(np.flatnonzero(sim.needs["going_missing"]), rows).all()
    assert missing / children * 10_000 == pytest.approx(59, rel=0.15)  # uk-facts D: ~72,000 children a year
    assert episodes / missing == pytest.approx(2.9, rel=0.15)  # uk-facts D: ~210,000 incidents


def test_exploited_children_arrested_for_drugs(world: World) -> None:
    arrested = exploited = 0
    for pop, sim, tables in world.shards():
        cce = np.flatnonzero(sim.needs["child_criminal_exploitation"])
        persons = tables.persons
        with_pnc = persons.person_id[~np.asarray(persons.table["pnc_id"].is_null())]
        arrested += int(np.isin(pop.people.person_id[cce], with_pnc).sum())
        exploited += len(cce)
    assert 0.3 < arrested / exploited < 0.8  # Poisson(1) incidents, 70% arrested (design)


def test_every_row_points_to_an_incident_and_a_person(world: World) -> None:
    for _, _, tables in world.shards():
        ip = tables.incident_persons
        assert pc.all(pc.is_in(ip["incident_id"], tables.incidents["incident_id"])).as_py()
        assert pc.all(pc.is_in(ip["police_person_id"], tables.persons.table["record_id"])).as_py()
        assert set(column(ip, "role")) == set(PERSON_ROLES)
        assert len(tables.incident_person_id) == ip.num_rows


def test_truth_is_aligned(world: World) -> None:
    for pop, _, tables in world.shards():
        persons = tables.persons
        position = pc.index_in(tables.incident_persons["police_person_id"], persons.table["record_id"]).to_numpy()
        assert (persons.person_id[position] == pop.people.person_id[tables.incident_person_id]).all()
        rows = np.searchsorted(pop.people.person_id, persons.person_id)
        forenames = np.array(pop.forenames, dtype=object)
        assert (column(persons.table, "given_name") == forenames[pop.people.given_name[rows]]).all()
        assert (column(persons.table, "sex") == np.where(pop.people.female[rows], "Female", "Male")).all()


def test_persons_unique_and_one_per_person(world: World) -> None:
    for pop, _, tables in world.shards():
        persons = tables.persons
        ids = column(persons.table, "record_id")
        assert len(set(ids)) == len(ids)
        assert len(np.unique(persons.person_id)) == len(persons.person_id) == persons.table.num_rows
        assert len(np.unique(persons.key)) == len(persons.key)
        rows = np.searchsorted(pop.people.person_id, persons.person_id)
        assert (pop.people.person_id[rows] == persons.person_id).all()
        assert (np.unique(tables.incident_person_id) == np.sort(rows)).all()
        assert persons.source == "police" and persons.name == "persons"
    parts = [column(t.persons.table, "record_id") for t in world.tables]
    parts += [column(t.incidents, "incident_id") for t in world.tables]
    merged = np.concatenate(parts)
    assert len(set(merged)) == len(merged)  # record ids unique across tables and shards


def test_pnc_ids_valid_unique_and_only_for_suspects(world: World) -> None:
    held = []
    for _, _, tables in world.shards():
        persons = tables.persons.table
        pnc = persons["pnc_id"]
        values = column(persons, "pnc_id")[~np.asarray(pnc.is_null())]
        assert identifiers.is_valid_pnc_id(values).all()
        assert 0.02 < len(values) / persons.num_rows < 0.3
        suspects = tables.incident_persons.filter(pc.field("role") == "suspect")["police_person_id"]
        with_pnc = persons.filter(pc.is_valid(pc.field("pnc_id")))["record_id"]
        assert pc.all(pc.is_in(with_pnc, suspects)).as_py()
        years = np.array([int(value[:4]) for value in values])
        assert (years <= 2025).all() and (years >= 1950).all()
        held.append(values)
    merged = np.concatenate(held)
    assert len(set(merged)) == len(merged)


def test_persons_hold_the_age_when_first_met(world: World) -> None:
    """The age column is what the officer wrote down; dropping the date of birth ("age only") is the
    data-quality model's job, so that it is logged."""
    for pop, _, tables in world.shards():
        persons = tables.persons.table
        assert persons["date_of_birth"].null_count == 0
        rows = np.searchsorted(pop.people.person_id, tables.persons.person_id)
        age = column(persons, "age").astype(np.int64)
        truth = pop.people.age[rows]
        assert ((age >= truth) & (age <= truth + 1)).all()  # age when first met, within the year


def test_incidents_inside_the_period(world: World) -> None:
    start = np.datetime64(world.plan.period_start, "s")
    end = np.datetime64(world.plan.period_end, "s") + np.timedelta64(1, "D")
    postcodes = set(world.plan.postcodes.postcode)
    for _, _, tables in world.shards():
        when = column(tables.incidents, "occurred_at").astype("datetime64[s]")
        assert ((when >= start) & (when < end)).all()
        assert set(column(tables.incidents, "location_postcode")) <= postcodes


def test_deterministic(world: World) -> None:
    pop, sim, tables = world.shards()[1]
    again = police_tables(world.plan, pop, sim)
    assert again.incidents.equals(tables.incidents)
    assert again.incident_persons.equals(tables.incident_persons)
    assert again.persons.table.equals(tables.persons.table)
    assert (again.persons.key == tables.persons.key).all()
    assert (again.incident_person_id == tables.incident_person_id).all()
