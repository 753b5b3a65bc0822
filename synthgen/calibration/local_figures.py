"""The references a run is held to: its authority's own figures where it has them, England's elsewhere, and
what its data-quality profile implies for the figures that profile moves.

A run of Birmingham should be about half White and one of Devon older than England: the population was drawn to
the authority's Census 2021 ethnicity and sex, its mid-2020 ages and its DfE social-care rates (the plan's
demography and parameters, synthgen.scenario.local_area), so describe compares each such figure with the
authority's value and shows England's beside it. A figure the authority's make-up moves without a published local
value (deaths, at England's rates by age over the authority's ages; early help, which follows the contacts) is
compared with what the authority's figures imply, and says so. The scenario's own `rates` override both.

England's references describe records as a typical authority holds them (the realistic profile): a messier
profile adds duplicate registrations, which lengthen GP lists and school rolls, so those figures are compared
with what the run's duplicate rate implies rather than passing or failing for the wrong reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from synthgen.quality import rates_for
from synthgen.reference import Parameters, local, local_authorities
from synthgen.scenario.local_area import households_for_ages, local_parameters, local_rates
from synthgen.world.deaths import BANDS as DEATH_BANDS
from synthgen.world.households import T, expected_members

AGE_BANDS = {
    "0_4": (0, 4),
    "5_9": (5, 9),
    "10_14": (10, 14),
    "15_19": (15, 19),
    "20_39": (20, 39),
    "40_64": (40, 64),
    "65_plus": (65, 99),
    "0_17": (0, 17),
}
"""The age figures' bands (people.aged_<band>), in whole years at the start of the period."""
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
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
    "front_door.contacts_per_10k_children": ("contacts_per_10k_children", 1.0),
    "front_door.decided_within_one_working_day": ("decision_within_one_working_day_share", 100.0),
    "marac.cases_per_10k_adult_women": ("marac_cases_per_10k_adult_women", 1.0),
    "marac.repeat_share": ("marac_repeat_share", 100.0),
}
"""Figures whose generated value one model parameter sets directly: (parameter, scale to the figure's unit)."""
FOLLOWS = {"front_door.early_help_assessments_per_10k_children": "contacts_per_10k_children"}
"""Figures with no parameter of their own that move in proportion to one that the authority's figures set."""


DUPLICATES_MOVE = {
    "health.gp_list_inflation": ("health", "adds"),
    "health.gp_list_size_mean": ("health", "lengthens"),
    "school.suspensions_per_100_pupils": ("school", "dilutes"),
    "school.permanent_exclusions_per_100_pupils": ("school", "dilutes"),
}
"""Figures an agency's duplicate registrations move: list inflation gains a point per point of duplicates; lists
lengthen with them; a rate per pupil record is diluted by the duplicate records."""


@dataclass(frozen=True)
class Reference:
    """What a figure is held to in one run, and England's figure where that is something else."""

    value: float
    source: str
    england: float | None


def _local_population(la_number: int, name: str) -> dict[str, tuple[float, str]]:
    """The authority's ethnic groups, sex and age bands, as percentages of its people."""
    ethnicity = local.ethnicity(la_number).group_shares()
    result = {
        f"people.ethnic_group_{group.lower()}": (100 * ethnicity[group], f"ONS Census 2021 TS021, {name}")
        for group in ETHNIC_GROUPS
    }
    result["people.female"] = (100 * local.female_share(la_number), f"ONS Census 2021 TS009, {name}")
    shares = local.age_pyramid(la_number).shares
    for band, (lo, hi) in AGE_BANDS.items():
        result[f"people.aged_{band}"] = (100 * float(shares[lo : hi + 1].sum()), f"ONS mid-2020 estimates, {name}")
    return result


def _households(la_number: int, params: Parameters) -> dict[str, float]:
    """How the authority's households differ from England's, as ratios: England's composition reweighted to the
    authority's ages (synthgen.scenario.local_area.households_for_ages), against England's own."""
    size = expected_members(params)[0]
    england = local.household_composition(None).shares
    own = households_for_ages(local.household_composition(la_number).shares, local.age_pyramid(la_number), params)
    one_person = [T["one_person_under_66"], T["one_person_66_plus"]]
    lone = T["lone_parent_dependent_children"]
    return {
        "households.one_person": float(own[one_person].sum() / england[one_person].sum()),
        "households.lone_parent_dependent_children": float(own[lone] / england[lone]),
        "households.mean_size": float(np.dot(own, size) / np.dot(england, size)),
    }


def _deaths(la_number: int | None, params: Parameters) -> float:
    """Deaths a year per 1000 people at the run's rates by age over the area's ages."""
    shares = local.age_pyramid(la_number).shares
    ages = np.arange(len(shares))
    rate = np.zeros(len(shares))
    for lo, hi, band in DEATH_BANDS:
        rate[(ages >= lo) & (ages <= hi)] = params[f"death_rate.{band}"]
    return 1000 * float(np.dot(shares, 1 - np.exp(-rate)))


def _with_profile(
    result: dict[str, Reference],
    profile: str,
    quality: dict[str, dict[str, dict[str, float]]] | None,
    weights: Mapping[str, float] | None = None,
) -> None:
    """Move the figures that duplicate registrations move (DUPLICATES_MOVE) to what the run's rates imply, in
    place: England's references are those of the realistic profile. `weights`, by agency: how much the records'
    groups raise its duplicate rate on average (quality_groups.csv: recent arrivals are registered twice more
    often), so an area with many recent arrivals has its extra duplicates weighted as its people are."""
    run_rates, realistic = rates_for(profile, quality), rates_for("realistic")
    for figure, (agency, effect) in DUPLICATES_MOVE.items():
        if figure not in result:
            continue
        rate, usual = run_rates[agency][("record", "duplicate")], realistic[agency][("record", "duplicate")]
        if rate == usual:
            continue
        weight = (weights or {}).get(agency, 1.0)
        rate, usual = rate * weight, usual * weight
        ref = result[figure]
        if effect == "adds":
            value = ref.value + 100 * (rate - usual) * (1 + ref.value / 100)
        elif effect == "lengthens":
            value = ref.value * (1 + rate) / (1 + usual)
        else:
            value = ref.value * (1 + usual) / (1 + rate)
        source = f"{ref.source}; at {rate:.1%} duplicate {agency} records (profile {profile}), not {usual:.1%}"
        if weight != 1.0:
            source += " (rates weighted by the records' groups)"
        result[figure] = Reference(value, source, ref.value if ref.england is None else ref.england)


def references(
    england: Mapping[str, tuple[float, str]],
    la_number: int,
    period_end: dt.date,
    overrides: Mapping[str, float],
    profile: str = "realistic",
    quality: dict[str, dict[str, dict[str, float]]] | None = None,
    duplicate_weights: Mapping[str, float] | None = None,
) -> dict[str, Reference]:
    """Each figure's reference in a run of `la_number` whose period ends on `period_end`, under the scenario's
    `overrides` and data-quality `profile` and `quality` rates, from England's (`england`: figure -> (reference,
    source), as figures.csv has them); `duplicate_weights`, by agency, the factor the records' groups raise its
    duplicate rate by (truth/quality's expected changes over the rate's)."""
    name = local_authorities()[la_number].name
    result = {figure: Reference(value, source, None) for figure, (value, source) in england.items()}

    def local_value(figure: str, value: float, source: str) -> None:
        if figure in england:
            result[figure] = Reference(value, source, england[figure][0])

    for figure, (value, source) in _local_population(la_number, name).items():
        local_value(figure, value, source)
    rates = local_rates(la_number, period_end)
    params = Parameters({**local_parameters(la_number, period_end), **overrides})
    for figure, (parameter, scale) in TARGETS.items():
        if parameter in overrides:  # an area unlike England: compare with the scenario's own target
            local_value(figure, overrides[parameter] * scale, f"scenario rates: {parameter}")
        elif parameter in rates:
            local_value(figure, rates[parameter].value * scale, rates[parameter].source)
    for figure, parameter in FOLLOWS.items():
        if figure in england and parameter not in overrides and parameter in rates:
            ratio = rates[parameter].value / rates[parameter].england
            source = f"{england[figure][1]}, x {ratio:.2f} as the contacts ({parameter}: {rates[parameter].source})"
            local_value(figure, england[figure][0] * ratio, source)
    for figure, ratio in _households(la_number, params).items():
        if figure in england:
            source = f"{england[figure][1]}, x {ratio:.3f}: England's households reweighted to {name}'s ages"
            local_value(figure, england[figure][0] * ratio, source)
    deaths = "people.deaths_per_1000"
    if deaths in england:
        expected, at_england = _deaths(la_number, params), _deaths(None, params)
        # England's published crude rate, moved by what the authority's ages (and any scenario rates) change
        local_value(
            deaths,
            england[deaths][0] * expected / at_england,
            f"England's rates by age over {name}'s ages (ONS mid-2020); {england[deaths][1]}",
        )
    _with_profile(result, profile, quality, duplicate_weights)
    return result
