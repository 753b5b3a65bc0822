"""School events: absence, exclusions, moves and children missing education at England's rates, agreeing with
each other and with the pupil register, and following the simulated risk.

One population of 100,000 residents (two shards, about 13,600 pupils) is built in-process. Tolerances are stated
per figure: counts of events are set from the rates by design (stochastic rounding per shard), so they sit close;
absence comes from draws, and its tolerances (0.5 points overall, 2.5 points persistent) are the calibration's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from numpy.typing import NDArray

from synthgen import load_scenario, make_plan
from synthgen.agencies import AgencyTable, school
from synthgen.agencies.school_calendar import half_terms
from synthgen.agencies.school_events import ATTENDANCE_COUNTS, SchoolEvents, school_events
from synthgen.scenario.plan import Plan
from synthgen.world.population import ID_STRIDE, Population, build_population
from synthgen.world.simulate import Simulation, simulate


@dataclass
class Shard:
    pop: Population
    sim: Simulation
    pupils: AgencyTable
    events: SchoolEvents


@dataclass
class World:
    plan: Plan
    shards: list[Shard]

    def table(self, name: str) -> pa.Table:
        return pa.concat_tables([getattr(s.events, name) for s in self.shards])

    def person_ids(self, name: str) -> NDArray[np.int64]:
        return np.concatenate([s.events.person_ids[name] for s in self.shards])

    @property
    def pupils(self) -> int:
        return sum(s.pupils.table.num_rows for s in self.shards)

    def pupil_column(self, column: str) -> NDArray[np.object_]:
        return np.concatenate([s.pupils.table[column].to_numpy(zero_copy_only=False) for s in self.shards])

    def pupil_need(self, need: str) -> NDArray[np.bool_]:
        return np.concatenate([s.sim.needs[need][s.pupils.person_id - s.pop.shard * ID_STRIDE] for s in self.shards])

    def pupil_ids(self) -> NDArray[np.int64]:
        return np.concatenate([s.pupils.person_id for s in self.shards])

    def per_pupil(self, name: str) -> NDArray[np.int64]:
        """Records of a table per pupil, in pupil order."""
        ids = self.pupil_ids()
        order = np.argsort(ids)
        found = self.person_ids(name)
        found = found[np.isin(found, ids)]
        counts = np.zeros(len(ids), np.int64)
        np.add.at(counts, order[np.searchsorted(ids[order], found)], 1)
        return counts


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(
        "scenario_version: 1\nname: events\nseed: 23\npopulation: {people: 100000}\n"
        "area: {la_number: 372, la_name: Rotherham, outward_codes: [S60, S61, S62, S63, S65, S66]}\n"
        "period: {start: 2024-04-01, end: 2025-03-31}\n"
    )
    plan = make_plan(load_scenario(path))
    shards = []
    for shard in range(plan.shards):
        pop = build_population(plan, shard)
        sim = simulate(plan, pop)
        pupils, _ = school.pupils(plan, pop)
        shards.append(Shard(pop, sim, pupils, school_events(plan, pop, sim, pupils)))
    return World(plan, shards)


def _column(table: pa.Table, name: str) -> NDArray[np.int64]:
    result: NDArray[np.int64] = np.asarray(table[name].to_numpy(), dtype=np.int64)
    return result


def _absence_by_pupil(world: World) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    att = world.table("attendance")
    absent = _column(att, "authorised_absence") + _column(att, "unauthorised_absence")
    ids = world.person_ids("attendance")
    _, pupil = np.unique(ids, return_inverse=True)
    absent_by_pupil = np.bincount(pupil, weights=absent).astype(np.float64)
    possible_by_pupil = np.bincount(pupil, weights=_column(att, "possible_sessions")).astype(np.float64)
    return absent_by_pupil, possible_by_pupil


# --- attendance ---


def test_overall_absence_is_englands(world: World) -> None:
    att = world.table("attendance")
    absent = _column(att, "authorised_absence").sum() + _column(att, "unauthorised_absence").sum()
    rate = absent / _column(att, "possible_sessions").sum() * 100
    assert rate == pytest.approx(7.4, abs=0.5)  # DfE 2022/23: 7.4% of sessions


def test_persistent_absence_is_englands(world: World) -> None:
    absent, possible = _absence_by_pupil(world)
    persistent = np.mean(absent / possible >= 0.10) * 100
    assert persistent == pytest.approx(22.0, abs=2.5)  # DfE 2021/22 22.5%, autumn 2023/24 20.1%


def test_unauthorised_is_about_a_third_and_more_for_children_at_risk(world: World) -> None:
    att = world.table("attendance")
    authorised = _column(att, "authorised_absence")
    unauthorised = _column(att, "unauthorised_absence")
    assert unauthorised.sum() / (authorised + unauthorised).sum() == pytest.approx(0.33, abs=0.03)  # DfE 2022/23
    at_risk_ids = world.pupil_ids()[
        world.pupil_need("neglect")
        | world.pupil_need("going_missing")
        | world.pupil_need("child_criminal_exploitation")
    ]
    at_risk = np.isin(world.person_ids("attendance"), at_risk_ids)
    share_at_risk = unauthorised[at_risk].sum() / (authorised + unauthorised)[at_risk].sum()
    share_others = unauthorised[~at_risk].sum() / (authorised + unauthorised)[~at_risk].sum()
    assert share_at_risk > share_others + 0.1


def test_absence_is_higher_for_fsm_pupils(world: World) -> None:
    absent, possible = _absence_by_pupil(world)
    ids = np.unique(world.person_ids("attendance"))
    fsm_ids = world.pupil_ids()[world.pupil_column("fsm_eligible").astype(bool)]
    fsm = np.isin(ids, fsm_ids)
    persistent = absent / possible >= 0.10
    # Children's Commissioner on DfE 2021/22: 37% of FSM pupils persistently absent, against 23% of all
    assert persistent[fsm].mean() == pytest.approx(0.37, abs=0.06)
    assert persistent[fsm].mean() > 2 * persistent[~fsm].mean()


def test_sessions_add_up_on_every_row(world: World) -> None:
    att = world.table("attendance")
    c = {name: _column(att, name) for name in ("possible_sessions", *ATTENDANCE_COUNTS)}
    assert all((values >= 0).all() for values in c.values())
    total = c["present"] + c["authorised_absence"] + c["unauthorised_absence"] + c["approved_activity"]
    assert (total == c["possible_sessions"]).all()
    authorised = c["illness_I"] + c["medical_M"] + c["religious_R"] + c["excluded_E"] + c["authorised_other"]
    assert (authorised == c["authorised_absence"]).all()
    unauthorised = c["unauthorised_other_O"] + c["unauthorised_holiday_G"] + c["no_reason_N"] + c["late_after_close_U"]
    assert (unauthorised == c["unauthorised_absence"]).all()
    assert (c["late_L"] <= c["present"]).all()
    assert (c["possible_sessions"] > 0).all()


def test_one_row_per_pupil_per_half_term_unless_they_left_and_joined(world: World) -> None:
    att = world.table("attendance")
    keys = att.group_by(["upn", "academic_year", "half_term"]).aggregate([("record_id", "count")])
    assert pc.max(keys["record_id_count"]).as_py() <= 2
    # two enrolments in one half-term: an in-year move, or removal from roll and re-admission after missing education
    twice = set(keys.filter(pc.equal(keys["record_id_count"], 2))["upn"].to_pylist())
    upn_of = dict(zip(world.pupil_ids().tolist(), world.pupil_column("upn").tolist(), strict=True))
    missing = {upn_of.get(pid) for pid in world.person_ids("missing_education").tolist()}
    left = set(world.table("moves")["upn"].to_pylist()) | missing
    assert twice and twice <= left
    # the period's half-terms: summer 1 and 2 of 2023/24, then autumn and spring of 2024/25
    terms = sorted(
        {(r["academic_year"], r["half_term"]) for r in att.select(["academic_year", "half_term"]).to_pylist()}
    )
    assert terms == [("2023/24", 5), ("2023/24", 6), ("2024/25", 1), ("2024/25", 2), ("2024/25", 3), ("2024/25", 4)]
    # every pupil on the register is in the summer 1 return unless missing education from the first day
    summer = att.filter(pc.and_(pc.equal(att["academic_year"], "2023/24"), pc.equal(att["half_term"], 5)))
    assert len(set(summer["upn"].to_pylist())) >= world.pupils * 0.995


def test_year_11_leave_in_june_and_year_6_move_up(world: World) -> None:
    att = world.table("attendance")
    upn = world.pupil_column("upn")
    group = world.pupil_column("year_group")
    autumn = att.filter(pc.and_(pc.equal(att["academic_year"], "2024/25"), pc.equal(att["half_term"], 1)))
    assert not set(upn[group == "11"]) & set(autumn["upn"].to_pylist())
    kind = {s: k for s, k in zip(world.plan.schools.code, world.plan.schools.kind, strict=True)}
    year_6 = autumn.filter(pc.is_in(autumn["upn"], pa.array(upn[group == "6"])))
    assert year_6.num_rows > 0
    assert {kind[u] for u in year_6["school_urn"].to_pylist()} == {"secondary"}


# --- exclusions ---


def _exclusions(world: World, category: str) -> pa.Table:
    ex = world.table("exclusions")
    return ex.filter(pc.equal(ex["category"], category))


def test_suspension_rate_is_englands(world: World) -> None:
    rate = _exclusions(world, "suspension").num_rows / world.pupils * 100
    assert rate == pytest.approx(11.31, rel=0.10)  # DfE 2023/24: 11.31 per 100 pupils


def test_permanent_exclusion_rate_is_englands(world: World) -> None:
    rate = _exclusions(world, "permanent").num_rows / world.pupils * 100
    assert rate == pytest.approx(0.13, rel=0.25)  # DfE 2023/24: 0.13 per 100 pupils


def test_suspension_reasons(world: World) -> None:
    counts = _exclusions(world, "suspension")["reason"].value_counts().to_pylist()
    ranked = sorted(((c["counts"], c["values"]) for c in counts), reverse=True)
    total = sum(n for n, _ in ranked)
    assert ranked[0][1] == "persistent disruptive behaviour"
    assert ranked[0][0] / total == pytest.approx(0.51, abs=0.03)  # DfE 2023/24
    assert ranked[1][1] == "verbal abuse or threatening behaviour against an adult"
    assert _exclusions(world, "permanent")["sessions"].null_count == _exclusions(world, "permanent").num_rows
    assert _exclusions(world, "suspension")["sessions"].null_count == 0


def test_exclusions_concentrate_where_englands_do(world: World) -> None:
    suspensions = world.per_pupil("exclusions")
    fsm = world.pupil_column("fsm_eligible").astype(bool)
    sen = world.pupil_column("sen_provision")
    group = world.pupil_column("year_group")
    older = np.isin(group, ["7", "8", "9", "10"])  # secondary all period (Year 11 leave in June)
    younger = np.isin(group, ["R", "1", "2", "3", "4"])  # primary all period
    boy = np.concatenate([~s.pop.people.female[s.pupils.person_id - s.pop.shard * ID_STRIDE] for s in world.shards])
    # DfE 2023/24: FSM pupils 60% of suspensions at 24.6% of pupils (4.6 times the rate of others); SEN support
    # 35% at 13.6% (3.8 times); secondary 8.19 against primary 0.83 per 100 (autumn)
    assert 3.0 < suspensions[fsm].mean() / suspensions[~fsm].mean() < 7.0
    assert 2.5 < suspensions[sen == "K"].mean() / suspensions[sen == "N"].mean() < 6.0
    assert suspensions[older].mean() > 5 * suspensions[younger].mean()
    assert suspensions[boy].mean() > 1.5 * suspensions[~boy].mean()


def test_children_criminally_exploited_are_excluded_far_more_often(world: World) -> None:
    exclusions = world.per_pupil("exclusions")
    cce = world.pupil_need("child_criminal_exploitation")
    assert cce.sum() >= 40
    # stated factors: at least 2.5 times as likely to be excluded at all and at least 5 times as many exclusions
    # (about 5 and 15 times over seeds; a CCE pupil's repeats weigh heavily in so few children)
    assert (exclusions[cce] > 0).mean() > 2.5 * (exclusions[~cce] > 0).mean()
    assert exclusions[cce].mean() > 5 * exclusions[~cce].mean()


def _half_term_of(world: World, dates: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The academic year and half-term of each date."""
    ht = half_terms(world.plan)
    day = dates.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    h = np.searchsorted(ht.end, day, side="right")
    assert (day >= ht.start[h]).all()
    return pa.array(ht.year_label[h], pa.string()), pa.array(ht.number[h], pa.int8())


def test_each_exclusion_is_on_roll_at_its_school_and_coded_e(world: World) -> None:
    ex = world.table("exclusions")
    year, term = _half_term_of(world, ex["start_date"].combine_chunks())
    dated = ex.append_column("academic_year", year).append_column("half_term", term)
    att = world.table("attendance")
    joined = dated.join(
        att.select(["upn", "school_urn", "academic_year", "half_term", "excluded_E"]),
        ["upn", "school_urn", "academic_year", "half_term"],
    )
    # (a pupil re-admitted to the same school after missing education has two rows there in that half-term)
    assert len(set(joined["record_id"].to_pylist())) == ex.num_rows
    best = joined.group_by("record_id").aggregate([("excluded_E", "max")])
    assert pc.min(best["excluded_E_max"]).as_py() > 0
    suspended = _column(_exclusions(world, "suspension"), "sessions").sum()
    coded = _column(att, "excluded_E").sum()
    assert suspended <= coded <= suspended + 10 * _exclusions(world, "permanent").num_rows


def test_permanently_excluded_pupils_leave_the_roll(world: World) -> None:
    ht = half_terms(world.plan)
    order = {(y, int(t)): i for i, (y, t) in enumerate(zip(ht.year_label, ht.number, strict=True))}
    permanent = _exclusions(world, "permanent")
    year, term = _half_term_of(world, permanent["start_date"].combine_chunks())
    excluded_in = dict(
        zip(
            permanent["upn"].to_pylist(),
            [order[k] for k in zip(year.to_pylist(), term.to_pylist(), strict=True)],
            strict=True,
        )
    )
    att = world.table("attendance").filter(pc.is_in(world.table("attendance")["upn"], pa.array(list(excluded_in))))
    for upn, y, t in zip(
        att["upn"].to_pylist(), att["academic_year"].to_pylist(), att["half_term"].to_pylist(), strict=True
    ):
        assert order[(y, t)] <= excluded_in[upn]


# --- moves and children missing education ---


def test_moves(world: World) -> None:
    moves = world.table("moves")
    assert pc.all(pc.not_equal(moves["from_urn"], moves["to_urn"])).as_py()
    dates = moves["move_date"].to_numpy(zero_copy_only=False)
    assert (dates >= dt.date(2024, 4, 1)).all() and (dates <= dt.date(2025, 3, 31)).all()
    rate = moves.num_rows / world.pupils * 100
    assert 2.5 < rate < 4.5  # design: 3 per 100 a year, and returns from missing education
    # the pupil is in the new school's return for the half-term of the move
    year, term = _half_term_of(world, moves["move_date"].combine_chunks())
    dated = moves.append_column("academic_year", year).append_column("half_term", term)
    joined = dated.join(
        world.table("attendance").select(["upn", "school_urn", "academic_year", "half_term"]),
        ["upn", "academic_year", "half_term"],
        ["upn", "academic_year", "half_term"],
    )
    arrived = joined.filter(pc.equal(joined["to_urn"], joined["school_urn"]))
    assert len(set(arrived["record_id"].to_pylist())) == moves.num_rows
    fsm = world.pupil_column("fsm_eligible").astype(bool)
    moved = world.per_pupil("moves")
    assert moved[fsm].mean() > 1.5 * moved[~fsm].mean()


def test_children_missing_education(world: World) -> None:
    cme = world.table("missing_education")
    assert cme.num_rows / world.pupils == pytest.approx(143_000 / 9_000_000, rel=0.15)  # DfE 2024/25
    dates = cme["reported_date"].to_numpy(zero_copy_only=False)
    assert (dates >= dt.date(2024, 4, 1)).all() and (dates <= dt.date(2025, 3, 31)).all()
    assert 0.15 < cme["upn"].null_count / cme.num_rows < 0.45
    missing = world.per_pupil("missing_education")
    gone = world.pupil_need("going_missing")
    assert missing[gone].mean() > 5 * missing[~gone].mean()


def test_every_record_maps_to_a_pupil_with_its_upn(world: World) -> None:
    ids = world.pupil_ids()
    upn_of = dict(zip(ids.tolist(), world.pupil_column("upn").tolist(), strict=True))
    for name in ("attendance", "exclusions", "moves", "missing_education"):
        table = world.table(name)
        people = world.person_ids(name)
        assert len(people) == table.num_rows
        upns = table["upn"].to_pylist()
        on_register = np.isin(people, ids)
        if name != "missing_education":
            assert on_register.all(), name
        assert all(upn is None or upn_of[pid] == upn for pid, upn in zip(people.tolist(), upns, strict=True)), name
        assert all(upn is None for upn, on in zip(upns, on_register, strict=True) if not on), name
    # children missing education never on the register are residents of school age
    cme_people = world.person_ids("missing_education")
    for s in world.shards:
        rows = cme_people[(cme_people // ID_STRIDE) == s.pop.shard] - s.pop.shard * ID_STRIDE
        assert s.pop.people.resident[rows].all()
        age = s.pop.people.age[rows]
        assert ((age >= 4) & (age <= 16)).all()


def test_record_ids_unique_and_aligned(world: World) -> None:
    ids: list[str] = []
    for name in ("attendance", "exclusions", "moves", "missing_education"):
        for s in world.shards:
            table = getattr(s.events, name)
            assert len(s.events.keys[name]) == table.num_rows == len(s.events.person_ids[name])
            ids += table["record_id"].to_pylist()
    assert len(set(ids)) == len(ids)


def test_deterministic(world: World) -> None:
    s = world.shards[0]
    again = school_events(world.plan, s.pop, s.sim, s.pupils)
    for name in ("attendance", "exclusions", "moves", "missing_education"):
        assert getattr(again, name).equals(getattr(s.events, name)), name
        assert (again.keys[name] == s.events.keys[name]).all()
        assert (again.person_ids[name] == s.events.person_ids[name]).all()


def test_agency_tables(world: World) -> None:
    tables = world.shards[0].events.agency_tables()
    assert [t.path for t in tables] == [
        "agencies/school/attendance",
        "agencies/school/exclusions",
        "agencies/school/moves",
        "agencies/school/missing_education",
    ]
