"""The population's and the agencies' figures: each computed from a run's files, beside England's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.calibration.measure import Measured, People, dates, days, mean, ratio, share
from synthgen.run_folder import Run


def people_figures(run: Run, truth: People) -> Measured:
    people = truth.table
    residents = people.filter(pc.field("resident") & (pc.field("age_at_start") >= 0))  # at the start
    age = residents["age_at_start"].to_numpy()
    group = residents["ethnic_group"].to_numpy(zero_copy_only=False)
    bands = {"0_4": (0, 4), "5_9": (5, 9), "10_14": (10, 14), "15_19": (15, 19), "20_39": (20, 39)}
    bands |= {"40_64": (40, 64), "65_plus": (65, 200), "0_17": (0, 17)}
    n = len(age)  # shares rest on this many people: a small run widens their tolerances
    figures: Measured = {
        f"people.aged_{name}": (share((age >= lo) & (age <= hi)), n) for name, (lo, hi) in bands.items()
    }
    figures["people.female"] = (share(residents["sex"].to_numpy(zero_copy_only=False) == "F"), n)
    for name in ("White", "Mixed", "Asian", "Black", "Other"):
        # households share an ethnicity, so a share rests on about as many households as people / 2.4
        figures[f"people.ethnic_group_{name.lower()}"] = (share(group == name), n / 2.4)
    children = residents["twin"].to_numpy(zero_copy_only=False)[age < 18]
    figures["people.children_born_twins"] = (share(children), len(children) / 2)
    households = run.read("truth/households", ["household_type", "size", "in_area"]).filter(pc.field("in_area"))
    kind = households["household_type"].to_numpy(zero_copy_only=False)
    figures["households.one_person"] = (share(np.char.startswith(kind.astype(str), "one_person")), len(kind))
    figures["households.lone_parent_dependent_children"] = (share(kind == "lone_parent_dependent_children"), len(kind))
    figures["households.mean_size"] = mean(households["size"].to_numpy())
    born = int((people["age_at_start"].to_numpy() < 0).sum())
    _, _, years = days(run)
    figures["people.births_per_1000"] = (ratio(born, residents.num_rows) * 1000 / years, born)
    died = len(people) - people["died_on"].null_count
    figures["people.deaths_per_1000"] = (ratio(died, residents.num_rows) * 1000 / years, died)
    return figures


MIN_PRACTICES = 20
"""Practices a run needs before the spread of their list sizes is measured."""


def _places_basis(places: int) -> float:
    """The basis of a mean size of places whose number was rounded from people / mean size: the rounding moves the
    mean by up to 1 / (2 * places) of it, which describe's widening (three / sqrt(basis)) then allows."""
    return float((6 * places) ** 2)


def _per_place(records: pa.ChunkedArray, places: pa.ChunkedArray) -> np.ndarray:
    """How many records name each place (places nobody registered at count as none)."""
    at = pc.index_in(records, value_set=places.combine_chunks()).drop_null().to_numpy(zero_copy_only=False)
    return np.bincount(at.astype(np.int64), minlength=len(places))


def health_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/health/gp_registrations"):
        return {}
    registrations = run.read("agencies/health/gp_registrations", ["practice_ods_code"])
    residents = int(pc.sum(truth.table["resident"].cast(pa.int64())).as_py())  # babies born in the period too
    practices = run.read("agencies/health/practices", ["practice_ods_code"])["practice_ods_code"]
    lists = _per_place(registrations["practice_ods_code"], practices)
    figures: Measured = {
        "health.gp_list_inflation": (ratio(registrations.num_rows, residents) - 1) * 100,
        "health.gp_list_size_mean": (mean(lists), _places_basis(len(lists))),
    }
    if len(lists) >= MIN_PRACTICES:
        figures["health.gp_list_size_cv"] = float(lists.std() / lists.mean())
    return figures


def school_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/school/pupils"):
        return {}
    pupils = run.read("agencies/school/pupils", ["fsm_eligible", "sen_provision", "school_urn"])
    schools = run.read("agencies/school/schools", ["school_urn", "phase"])
    rolls = _per_place(pupils["school_urn"], schools["school_urn"])
    phase = schools["phase"].to_numpy(zero_copy_only=False)
    sen = pupils["sen_provision"].to_numpy(zero_copy_only=False)
    figures: Measured = {
        "school.fsm_eligible": share(pupils["fsm_eligible"].to_numpy(zero_copy_only=False)),
        "school.ehc_plan": share(sen == "E"),
        "school.sen_support": share(sen == "K"),
    }
    for name in ("primary", "secondary"):
        of_phase = rolls[phase == name]
        figures[f"school.{name}_pupils_per_school"] = (mean(of_phase), _places_basis(len(of_phase)))
    return figures


def social_care_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/social_care/referrals"):
        return {}
    start, end, years = days(run)
    per10k = truth.children / 10_000
    referrals = run.read("agencies/social_care/referrals")
    day = dates(referrals["referral_date"])
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
        "social_care.referrals_per_10k_children": (ratio(n, per10k) / years, n),
        "social_care.re_referral_share": (share(repeat[this_year]), n),
        "social_care.referral_source_police": (share(source == "6"), n),
        "social_care.referral_source_schools": (share(source == "2A"), n),
        "social_care.referral_nfa": (share(referrals["nfa"].to_numpy(zero_copy_only=False)[this_year]), n),
    }
    plans = run.read("agencies/social_care/cp_plans", ["start_date", "end_date", "initial_category"])
    for starts, name in (
        (run.read("agencies/social_care/section47", ["start_date"])["start_date"], "section47"),
        (run.read("agencies/social_care/icpcs", ["conference_date"])["conference_date"], "icpc"),
        (plans["start_date"], "cp_starts"),
    ):
        count = int((dates(starts) >= start).sum())
        figures[f"social_care.{name}_per_10k_children"] = (ratio(count, per10k) / years, count)
    plan_end = dates(plans["end_date"])
    open_plans = np.isnat(plan_end) | (plan_end > end)
    figures["social_care.cp_at_31_march_per_10k_children"] = (ratio(open_plans.sum(), per10k), int(open_plans.sum()))
    category = plans["initial_category"].to_numpy(zero_copy_only=False)[open_plans]
    for code, name in (
        ("NEG", "neglect"),
        ("EMO", "emotional"),
        ("PHY", "physical"),
        ("SAB", "sexual"),
        ("MUL", "multiple"),
    ):
        figures[f"social_care.cp_category_{name}"] = (share(category == code), len(category))
    closed = dates(referrals["closure_date"])
    open_children = np.unique(child[np.isnat(closed) | (closed > end)])
    figures["social_care.cin_at_31_march_per_10k_children"] = (ratio(len(open_children), per10k), len(open_children))
    episodes = run.read("agencies/social_care/cla_episodes", ["end_date"])
    episode_end = dates(episodes["end_date"])
    in_care = int((np.isnat(episode_end) | (episode_end > end)).sum())
    figures["social_care.cla_at_31_march_per_10k_children"] = (ratio(in_care, per10k), in_care)
    return figures


def police_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/police/incidents"):
        return {}
    _, _, years = days(run)
    incidents = run.read("agencies/police/incidents", ["incident_id", "incident_type", "crime"])
    kind = incidents["incident_type"].to_numpy(zero_copy_only=False)
    crime = incidents["crime"].to_numpy(zero_copy_only=False)
    da_crimes = int(((kind == "domestic_abuse") & crime).sum())
    figures: Measured = {
        "police.domestic_abuse_crimes_per_1000": (ratio(da_crimes, truth.residents) * 1000 / years, da_crimes)
    }
    roles = run.read("agencies/police/incident_persons", ["police_person_id", "role"])
    missing = roles.filter(pc.equal(roles["role"], "missing_person"))
    episodes = missing.num_rows
    children_missing = len(pc.unique(missing["police_person_id"]))
    figures["police.missing_children_per_10k_children"] = (
        ratio(children_missing, truth.children / 10_000) / years,
        children_missing,
    )
    figures["police.missing_episodes_per_missing_child"] = (ratio(episodes, children_missing), episodes)
    return figures


def health_event_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/health/ae_attendances"):
        return {}
    start, _, years = days(run)
    people = truth.table.filter(pc.field("resident"))
    age = people["age_at_start"].to_numpy()
    under_5 = int(((age >= 0) & (age < 5)).sum())  # under five at the start
    attendances = run.read("agencies/health/ae_attendances", ["date_of_birth"])
    born = dates(attendances["date_of_birth"])
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
        "health.ae_attendances_under_5_per_1000": (ratio(count, under_5) * 1000 / years, count),
        "health.new_birth_visits_within_14_days": (share(new_birth.astype(bool)), len(new_birth)),
        "health.camhs_referrals_share_of_children": (ratio(100 * camhs, children) / years, camhs),
        "health.maternity_bookings_per_1000": (ratio(bookings, residents) * 1000 / years, bookings),
    }


def school_event_figures(run: Run, truth: People) -> Measured:
    if not run.has("agencies/school/attendance"):
        return {}
    _, _, years = days(run)
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
        "school.overall_absence": (100 * ratio(absent.sum(), possible.sum()), pupils),
        "school.persistent_absence": (share(persistent), pupils),
        "school.suspensions_per_100_pupils": (ratio(100 * suspensions, registered) / years, suspensions),
        "school.permanent_exclusions_per_100_pupils": (ratio(100 * permanent, registered) / years, permanent),
    }
