"""Realism, measured: every figure with an England reference, computed from a run and set beside it.

Each figure's reference, unit, tolerance and source live in reference/data/figures.csv; this module only
computes the generated values. A figure passes when it lies within its tolerance (absolute, in its unit) of
the reference; tolerances are set for runs of demo size (about 20,000 people) and up.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.linkage import view as linkage_view
from synthgen.run_folder import Run, open_run


@dataclass(frozen=True)
class Figure:
    name: str
    generated: float
    reference: float
    source: str
    tolerance: float
    unit: str

    @property
    def passed(self) -> bool:
        return abs(self.generated - self.reference) <= self.tolerance

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "generated": round(self.generated, 4),
            "reference": self.reference,
            "source": self.source,
            "tolerance": self.tolerance,
            "pass": self.passed,
        }


Measured = dict[str, "float | tuple[float, float]"]
"""A figure's generated value, or (value, basis): the number of trials (for a share) or of expected events (for
a rate) it rests on, so that its tolerance can widen where the run is too small to measure it closely."""


@cache
def _references() -> dict[str, dict[str, str]]:
    text = resources.files("synthgen.reference").joinpath("data", "figures.csv").read_text(encoding="utf-8")
    return {row["name"]: row for row in csv.DictReader(text.splitlines())}


def _mean(values: np.ndarray) -> float:
    """The mean, or NaN where there is nothing to average: a figure a small run cannot measure is left out."""
    return float(np.mean(values)) if len(values) else math.nan


def _share(mask: np.ndarray) -> float:
    return _mean(mask) * 100


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or NaN where the run has none of what the figure is counted over."""
    return float(numerator / denominator) if denominator else math.nan


@dataclass(frozen=True)
class _People:
    """truth/people, read once per describe: the columns the figures use, and the two counts several rest on."""

    table: pa.Table
    residents: int  # residents at the start of the period (babies born during it are not counted)
    children: int  # children among them, as the pathway counts them


def _read_people(run: Run) -> _People:
    people = run.read("truth/people", ["age_at_start", "sex", "ethnic_group", "twin", "resident", "died_on"])
    ages, resident = people["age_at_start"], people["resident"]
    at_start = pc.and_(resident, pc.greater_equal(ages, 0))
    children = pc.and_(resident, pc.and_(pc.less(ages, 18), pc.greater_equal(ages, 0)))
    return _People(
        people,
        int(pc.sum(at_start.cast(pa.int64())).as_py()),
        int(pc.sum(children.cast(pa.int64())).as_py()),
    )


def _people_figures(run: Run, truth: _People) -> Measured:
    people = truth.table
    residents = people.filter(pc.field("resident") & (pc.field("age_at_start") >= 0))  # at the start
    age = residents["age_at_start"].to_numpy()
    group = residents["ethnic_group"].to_numpy(zero_copy_only=False)
    bands = {"0_4": (0, 4), "5_9": (5, 9), "10_14": (10, 14), "15_19": (15, 19), "20_39": (20, 39)}
    bands |= {"40_64": (40, 64), "65_plus": (65, 200), "0_17": (0, 17)}
    n = len(age)  # shares rest on this many people: a small run widens their tolerances
    figures: Measured = {
        f"people.aged_{name}": (_share((age >= lo) & (age <= hi)), n) for name, (lo, hi) in bands.items()
    }
    figures["people.female"] = (_share(residents["sex"].to_numpy(zero_copy_only=False) == "F"), n)
    for name in ("White", "Mixed", "Asian", "Black", "Other"):
        # households share an ethnicity, so a share rests on about as many households as people / 2.4
        figures[f"people.ethnic_group_{name.lower()}"] = (_share(group == name), n / 2.4)
    children = residents["twin"].to_numpy(zero_copy_only=False)[age < 18]
    figures["people.children_born_twins"] = (_share(children), len(children) / 2)
    households = run.read("truth/households", ["household_type", "size", "in_area"]).filter(pc.field("in_area"))
    kind = households["household_type"].to_numpy(zero_copy_only=False)
    figures["households.one_person"] = (_share(np.char.startswith(kind.astype(str), "one_person")), len(kind))
    figures["households.lone_parent_dependent_children"] = (_share(kind == "lone_parent_dependent_children"), len(kind))
    figures["households.mean_size"] = _mean(households["size"].to_numpy())
    born = int((people["age_at_start"].to_numpy() < 0).sum())
    _, _, years = _days(run)
    figures["people.births_per_1000"] = (_ratio(born, residents.num_rows) * 1000 / years, born)
    died = len(people) - people["died_on"].null_count
    figures["people.deaths_per_1000"] = (_ratio(died, residents.num_rows) * 1000 / years, died)
    return figures


def _health_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/health/gp_registrations"):
        return {}
    registrations = run.read("agencies/health/gp_registrations", ["record_id"]).num_rows
    residents = int(pc.sum(truth.table["resident"].cast(pa.int64())).as_py())  # babies born in the period too
    return {"health.gp_list_inflation": (_ratio(registrations, residents) - 1) * 100}


def _school_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/school/pupils"):
        return {}
    pupils = run.read("agencies/school/pupils", ["fsm_eligible", "sen_provision"])
    sen = pupils["sen_provision"].to_numpy(zero_copy_only=False)
    return {
        "school.fsm_eligible": _share(pupils["fsm_eligible"].to_numpy(zero_copy_only=False)),
        "school.ehc_plan": _share(sen == "E"),
        "school.sen_support": _share(sen == "K"),
    }


def _days(run: Run) -> tuple[np.datetime64, np.datetime64, float]:
    period = run.manifest["period"]
    start, end = np.datetime64(period["start"], "D"), np.datetime64(period["end"], "D")
    return start, end, (int((end - start) / np.timedelta64(1, "D")) + 1) / 365.25


def _dates(column: pa.ChunkedArray | pa.Array) -> NDArray[np.datetime64]:
    """Dates as datetime64[D], NaT where null (open episodes)."""
    filled = pc.fill_null(column.cast(pa.int32()), np.iinfo(np.int32).min)
    days = filled.to_numpy(zero_copy_only=False).astype(np.int64)
    result: NDArray[np.datetime64] = days.astype("datetime64[D]")
    result[days == np.iinfo(np.int32).min] = np.datetime64("NaT")
    return result


def _social_care_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/social_care/referrals"):
        return {}
    start, end, years = _days(run)
    per10k = truth.children / 10_000
    referrals = run.read("agencies/social_care/referrals")
    day = _dates(referrals["referral_date"])
    child = referrals["la_child_id"].to_numpy(zero_copy_only=False).astype(str)
    this_year = day >= start
    order = np.lexsort((day, child))
    repeat = np.zeros(len(day), bool)
    same = child[order][1:] == child[order][:-1]
    gap = (day[order][1:] - day[order][:-1]).astype(np.int64)
    repeat[order[1:]] = same & (gap <= 365)
    n = int(this_year.sum())
    source = referrals["referral_source"].to_numpy(zero_copy_only=False)[this_year]
    figures: Measured = {
        "social_care.referrals_per_10k_children": (_ratio(n, per10k) / years, n),
        "social_care.re_referral_share": (_share(repeat[this_year]), n),
        "social_care.referral_source_police": (_share(source == "6"), n),
        "social_care.referral_source_schools": (_share(source == "2A"), n),
        "social_care.referral_nfa": (_share(referrals["nfa"].to_numpy(zero_copy_only=False)[this_year]), n),
    }
    plans = run.read("agencies/social_care/cp_plans", ["start_date", "end_date", "initial_category"])
    for starts, name in (
        (run.read("agencies/social_care/section47", ["start_date"])["start_date"], "section47"),
        (run.read("agencies/social_care/icpcs", ["conference_date"])["conference_date"], "icpc"),
        (plans["start_date"], "cp_starts"),
    ):
        count = int((_dates(starts) >= start).sum())
        figures[f"social_care.{name}_per_10k_children"] = (_ratio(count, per10k) / years, count)
    plan_end = _dates(plans["end_date"])
    open_plans = np.isnat(plan_end) | (plan_end > end)
    figures["social_care.cp_at_31_march_per_10k_children"] = (_ratio(open_plans.sum(), per10k), int(open_plans.sum()))
    category = plans["initial_category"].to_numpy(zero_copy_only=False)[open_plans]
    for code, name in (
        ("NEG", "neglect"),
        ("EMO", "emotional"),
        ("PHY", "physical"),
        ("SAB", "sexual"),
        ("MUL", "multiple"),
    ):
        figures[f"social_care.cp_category_{name}"] = (_share(category == code), len(category))
    closed = _dates(referrals["closure_date"])
    open_children = np.unique(child[np.isnat(closed) | (closed > end)])
    figures["social_care.cin_at_31_march_per_10k_children"] = (_ratio(len(open_children), per10k), len(open_children))
    episodes = run.read("agencies/social_care/cla_episodes", ["end_date"])
    episode_end = _dates(episodes["end_date"])
    in_care = int((np.isnat(episode_end) | (episode_end > end)).sum())
    figures["social_care.cla_at_31_march_per_10k_children"] = (_ratio(in_care, per10k), in_care)
    return figures


def _police_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/police/incidents"):
        return {}
    _, _, years = _days(run)
    incidents = run.read("agencies/police/incidents", ["incident_id", "incident_type", "crime"])
    kind = incidents["incident_type"].to_numpy(zero_copy_only=False)
    crime = incidents["crime"].to_numpy(zero_copy_only=False)
    da_crimes = int(((kind == "domestic_abuse") & crime).sum())
    figures: Measured = {
        "police.domestic_abuse_crimes_per_1000": (_ratio(da_crimes, truth.residents) * 1000 / years, da_crimes)
    }
    roles = run.read("agencies/police/incident_persons", ["police_person_id", "role"])
    missing = roles.filter(pc.equal(roles["role"], "missing_person"))
    episodes = missing.num_rows
    children_missing = len(pc.unique(missing["police_person_id"]))
    figures["police.missing_children_per_10k_children"] = (
        _ratio(children_missing, truth.children / 10_000) / years,
        children_missing,
    )
    figures["police.missing_episodes_per_missing_child"] = (_ratio(episodes, children_missing), episodes)
    return figures


def _health_event_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/health/ae_attendances"):
        return {}
    start, _, years = _days(run)
    people = truth.table.filter(pc.field("resident"))
    age = people["age_at_start"].to_numpy()
    under_5 = int(((age >= 0) & (age < 5)).sum())  # under five at the start
    attendances = run.read("agencies/health/ae_attendances", ["date_of_birth"])
    born = _dates(attendances["date_of_birth"])
    # under five at the start of the period, as the population's under-fives are counted
    young = born > start - np.timedelta64(1826, "D")
    count = int(young.sum())
    visits = run.read("agencies/health/health_visits", ["visit_type", "within_14_days"])
    new_birth = visits.filter(pc.equal(visits["visit_type"], "new_birth"))["within_14_days"].to_numpy(
        zero_copy_only=False
    )
    new_birth = new_birth[new_birth != None]  # noqa: E711  (object array of booleans and None)
    camhs = len(pc.unique(run.read("agencies/health/camhs_referrals", ["nhs_number"])["nhs_number"].drop_null()))
    bookings = run.read("agencies/health/maternity_bookings", ["booking_date"]).num_rows
    residents, children = truth.residents, truth.children
    return {
        "health.ae_attendances_under_5_per_1000": (_ratio(count, under_5) * 1000 / years, count),
        "health.new_birth_visits_within_14_days": (_share(new_birth.astype(bool)), len(new_birth)),
        "health.camhs_referrals_share_of_children": (_ratio(100 * camhs, children) / years, camhs),
        "health.maternity_bookings_per_1000": (_ratio(bookings, residents) * 1000 / years, bookings),
    }


def _school_event_figures(run: Run, truth: _People) -> Measured:
    if not run.has("agencies/school/attendance"):
        return {}
    _, _, years = _days(run)
    columns = ["upn", "possible_sessions", "authorised_absence", "unauthorised_absence"]
    attendance = run.read("agencies/school/attendance", columns)
    possible = attendance["possible_sessions"].to_numpy().astype(np.float64)
    absent = (attendance["authorised_absence"].to_numpy() + attendance["unauthorised_absence"].to_numpy()).astype(float)
    pupil = pc.dictionary_encode(attendance["upn"].combine_chunks()).indices.to_numpy(zero_copy_only=False)
    valid = pupil >= 0
    per_possible = np.bincount(pupil[valid], weights=possible[valid])
    per_absent = np.bincount(pupil[valid], weights=absent[valid])
    pupils = int((per_possible > 0).sum())
    persistent = (per_absent / np.maximum(per_possible, 1))[per_possible > 0] >= 0.10
    exclusions = run.read("agencies/school/exclusions", ["category"])["category"].to_numpy(zero_copy_only=False)
    suspensions = int((exclusions == "suspension").sum())
    permanent = int((exclusions == "permanent").sum())
    registered = run.read("agencies/school/pupils", ["record_id"]).num_rows
    return {
        "school.overall_absence": (100 * _ratio(absent.sum(), possible.sum()), pupils),
        "school.persistent_absence": (_share(persistent), pupils),
        "school.suspensions_per_100_pupils": (_ratio(100 * suspensions, registered) / years, suspensions),
        "school.permanent_exclusions_per_100_pupils": (_ratio(100 * permanent, registered) / years, permanent),
    }


FIGURES: tuple[Callable[[Run, _People], Measured], ...] = (
    _people_figures,
    _health_figures,
    _school_figures,
    _social_care_figures,
    _police_figures,
    _health_event_figures,
    _school_event_figures,
)


def _tolerance(reference: float, written: str, basis: float | None) -> float:
    """The stated tolerance ('10%' relative, or absolute in the figure's unit), widened to three standard errors
    where the run holds too few events or trials to measure the figure that closely."""
    if written.endswith("%"):
        tolerance = reference * float(written[:-1]) / 100
        if basis:
            tolerance = max(tolerance, 3 * reference / math.sqrt(basis))
        return tolerance
    tolerance = float(written)
    if basis:
        share = min(max(reference / 100, 0.0), 1.0)
        tolerance = max(tolerance, 300 * math.sqrt(share * (1 - share) / basis))
    return tolerance


TARGETS = {
    "social_care.referrals_per_10k_children": ("referrals_per_10k_children", 1.0),
    "social_care.referral_nfa": ("referral_nfa_share", 100.0),
    "social_care.section47_per_10k_children": ("section47_per_10k_children", 1.0),
    "social_care.icpc_per_10k_children": ("icpc_per_10k_children", 1.0),
    "social_care.cp_starts_per_10k_children": ("cp_starts_per_10k_children", 1.0),
    "social_care.cp_at_31_march_per_10k_children": ("cp_at_31_march_per_10k_children", 1.0),
    "social_care.cin_at_31_march_per_10k_children": ("cin_at_31_march_per_10k_children", 1.0),
    "social_care.cla_at_31_march_per_10k_children": ("cla_at_31_march_per_10k_children", 1.0),
    "school.fsm_eligible": ("fsm_share", 100.0),
    "school.ehc_plan": ("ehc_plan_share", 100.0),
    "school.sen_support": ("sen_support_share", 100.0),
    "people.births_per_1000": ("birth_rate", 1000.0),
}
"""Figures whose generated value a scenario's `rates` set directly: describe compares them with that target."""


def describe(run: str | Path | Run) -> list[Figure]:
    """Every figure the run can measure, beside its England reference, then the data-quality rates beside the
    scenario's (as `synthgen describe RUN`). A figure over something the run has none of (children in a run of a
    few people) is left out."""
    run = open_run(run)
    references = _references()
    overrides: dict[str, float] = run.manifest["scenario"].get("rates", {}) or {}
    result = []
    people = _read_people(run)
    for compute in FIGURES:
        for name, measured in compute(run, people).items():
            value, basis = measured if isinstance(measured, tuple) else (measured, None)
            if math.isnan(value):  # nothing to measure it over in this run (a handful of people)
                continue
            ref = references[name]
            reference, source = float(ref["reference"]), ref["source"]
            parameter, scale = TARGETS.get(name, ("", 1.0))
            if parameter in overrides:  # an area unlike England: compare with the scenario's own target
                reference, source = overrides[parameter] * scale, f"scenario rates: {parameter}"
            tolerance = round(_tolerance(reference, ref["tolerance"], basis), 3)
            result.append(Figure(name, float(value), reference, source, tolerance, ref["unit"]))
    return result + quality_figures(run)


def quality_figures(run: Run) -> list[Figure]:
    """Each error kind's share of the records eligible for it, beside the configured rate.

    The tolerance is four binomial standard errors plus 0.2 points. (OCR changes only values holding a
    confusable sequence, so its share can fall a little under the rate.)
    """
    if not run.has("truth/quality"):
        return []
    profile = run.manifest["scenario"]["data_quality"]["profile"]
    summary = (
        run.read("truth/quality")
        .group_by(["source", "field", "kind", "rate"])
        .aggregate([("eligible", "sum"), ("changed", "sum")])
    )
    figures = []
    for row in sorted(summary.to_pylist(), key=lambda r: (r["source"], r["field"], r["kind"])):
        rate, eligible, changed = row["rate"], row["eligible_sum"], row["changed_sum"]
        if rate <= 0 or eligible == 0:
            continue
        tolerance = 100 * (4 * math.sqrt(rate * (1 - rate) / eligible) + 0.002)
        figures.append(
            Figure(
                f"quality.{row['source']}.{row['field']}.{row['kind']}",
                100 * changed / eligible,
                100 * rate,
                f"scenario data_quality (profile {profile}); % of {eligible:,} eligible records",
                round(tolerance, 3),
                "% of eligible records",
            )
        )
    return figures


COMPARED = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number", "upn")


def pair_differences(run: str | Path | Run) -> list[dict[str, object]]:
    """For true pairs (two records of one person), by pair of sources: how often each field differs, and how
    many an exact key on name and date of birth, or on NHS number alone, would find (the second table of
    `synthgen describe RUN`)."""
    run = open_run(run)
    if not run.has("linkage/records"):
        return []
    records = run.read("truth/records", ["record_id", "person_id"])
    rows_l, rows_r = linkage_view.pair_rows(records["person_id"].to_numpy())
    view = run.read("linkage/records", ["record_id", "source", *COMPARED])
    # the view's rows in truth's order, then the two records of each pair
    aligned = view.take(pc.index_in(records["record_id"], value_set=view["record_id"]))
    left, right = aligned.take(pa.array(rows_l)), aligned.take(pa.array(rows_r))
    source_l = left["source"].to_numpy(zero_copy_only=False).astype(str)
    source_r = right["source"].to_numpy(zero_copy_only=False).astype(str)
    pair_name = np.where(
        source_l <= source_r,
        np.char.add(np.char.add(source_l, "-"), source_r),
        np.char.add(np.char.add(source_r, "-"), source_l),
    )
    same = {c: pc.fill_null(pc.equal(left[c], right[c]), False).to_numpy(zero_copy_only=False) for c in COMPARED}
    both = {
        c: left[c].is_valid().to_numpy(zero_copy_only=False) & right[c].is_valid().to_numpy(zero_copy_only=False)
        for c in COMPARED
    }
    exact = same["given_name"] & same["family_name"] & same["date_of_birth"]
    rows = []
    for name in sorted(set(pair_name.tolist())):
        chosen = pair_name == name
        row: dict[str, object] = {"sources": name, "pairs": int(chosen.sum())}
        for column in COMPARED:
            compared = both[column] & chosen
            row[f"{column}_differs"] = float(np.mean(~same[column][compared])) if compared.any() else None
        row["found_by_name_and_dob"] = float(np.mean(exact[chosen]))
        row["found_by_nhs_number"] = float(np.mean(same["nhs_number"][chosen]))
        rows.append(row)
    return rows
