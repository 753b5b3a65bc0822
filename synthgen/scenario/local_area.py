"""The scenario's local authority, resolved for the plan: who lives there (ethnicity, ages, sex, households,
deprivation) and its children's social care rates, from `synthgen.reference.local`.

A scenario names a real authority, so its people and its social-care rates are the authority's own published
figures; England's remain where no local figure exists (household composition: no open table by authority was
found), and for every model number that is not a rate of the authority's (durations, shares, weights). The rates
become the plan's default parameters, under the scenario's `rates:` (which still override them), so the pipeline
reads them exactly as it reads England's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from synthgen.reference import AgePyramid, Parameters, default_parameters, local, local_authorities
from synthgen.world.households import WITH_DEPENDENT_CHILDREN, expected_members

STOCKS = {
    "referrals": "referrals_per_10k_children",
    "cin": "cin_at_31_march_per_10k_children",
    "cpp": "cp_at_31_march_per_10k_children",
    "cla": "cla_at_31_march_per_10k_children",
}
"""The DfE's published measures by authority and the model rate each one sets."""
FLOWS = {
    "section47_per_10k_children": "cpp",
    "icpc_per_10k_children": "cpp",
    "cp_starts_per_10k_children": "cpp",
    "cla_starts_per_10k_children": "cla",
    "contacts_per_10k_children": "referrals",
}
"""Flows the tables shipped do not hold by authority: England's, scaled by the authority's ratio to England in
the measure they feed (enquiries, conferences and plan starts the plans at 31 March; entries to care the children
looked after; contacts the referrals), so that with England's durations each stock comes out at the authority's
rate and the front door keeps England's ratio of contacts to referrals."""


@dataclass(frozen=True)
class Demography:
    """The authority's people, as the population model draws them."""

    la_number: int
    ethnicity: NDArray[np.float64]
    """Shares of usual residents by DfE ethnicity code, in `synthgen.reference.ethnicities()` order (Census 2021)."""
    arab_share_of_other: float
    """Of the people coded OOTH, the share who are Arab (Census 2021): drawn to the Arab naming tradition."""
    ages: AgePyramid
    """People by single year 0..99 and the female share at each age (ONS mid-2020; Census 2021 female share)."""
    households: NDArray[np.float64]
    """Shares of households by type, in `synthgen.reference.household_types()` order: England's (Census 2021 TS003;
    no table by authority was found), reweighted to the authority's ages (households_for_ages)."""
    deprivation: NDArray[np.float64]
    """Shares of the authority's small areas in each national IMD 2025 decile, 1 (most deprived) first."""


OLD_TYPES = ("one_person_66_plus", "couple_66_plus")
"""The household types whose people are all 66 or over."""


def _shares_of(shares: NDArray[np.float64], per_household: NDArray[np.float64], size: NDArray[np.float64]) -> float:
    return float(np.dot(shares, per_household) / np.dot(shares, size))


def households_for_ages(shares: NDArray[np.float64], ages: AgePyramid, params: Parameters) -> NDArray[np.float64]:
    """England's household shares reweighted to an area's ages: families with dependent children scaled so that
    they hold the area's share of children (relative to England's), the 66+ households so that they hold its
    share of people 66 and over, the rest in proportion. Birmingham, with a quarter of its people children, has
    more families; Devon more older households."""
    size, children, old = expected_members(params)
    england = local.age_pyramid(None).shares
    types = local.household_composition(None).types
    family = np.isin(np.arange(len(types)), WITH_DEPENDENT_CHILDREN)
    elderly = np.isin(types, OLD_TYPES)
    want_children = _shares_of(shares, children, size) * ages.shares[:18].sum() / england[:18].sum()
    want_old = _shares_of(shares, old, size) * ages.shares[66:].sum() / england[66:].sum()
    fitted = shares / shares.sum()
    for _ in range(60):
        fitted = fitted * np.where(family, want_children / _shares_of(fitted, children, size), 1.0)
        fitted = fitted * np.where(elderly, want_old / _shares_of(fitted, old, size), 1.0)
        fitted = fitted / fitted.sum()
    result: NDArray[np.float64] = fitted
    return result


def demography(la_number: int, params: Parameters) -> Demography:
    """The authority's people, from the shipped local tables (sources in reference/data/SOURCES.md, "la/"); the
    households fitted to its ages with the run's parameters (`params`)."""
    ethnicity = local.ethnicity(la_number)
    ages = local.age_pyramid(la_number)
    return Demography(
        la_number=la_number,
        ethnicity=ethnicity.shares,
        arab_share_of_other=ethnicity.arab_share_of_other,
        ages=ages,
        households=households_for_ages(local.household_composition(la_number).shares, ages, params),
        deprivation=local.deprivation(la_number).decile_shares,
    )


def reporting_year(period_end: dt.date) -> int:
    """The DfE reporting year (ending 31 March) the period's rates are for: the one its last 31 March ends."""
    return period_end.year if (period_end.month, period_end.day) >= (3, 31) else period_end.year - 1


@dataclass(frozen=True)
class LocalRate:
    """One model rate set from the authority's figures, with England's beside it and where it comes from."""

    parameter: str
    value: float
    england: float
    source: str


@cache
def local_rates(la_number: int, period_end: dt.date) -> dict[str, LocalRate]:
    """The authority's social-care rates as model parameters, for the reporting year the period ends in (the
    latest shipped up to it), each with England's default and its source. Measures DfE suppressed for the
    authority in every year shipped stand at England's (`synthgen.reference.local.social_care_rates`)."""
    name = local_authorities()[la_number].name
    year = reporting_year(period_end)
    own = local.social_care_rates(la_number, year).as_dict()
    england = local.social_care_rates(None, year).as_dict()
    defaults = default_parameters()
    rates: dict[str, LocalRate] = {}
    for measure, parameter in STOCKS.items():
        rate = own[measure]
        how = {"dfe": "published", "derived": "derived from DfE's counts", "england": "suppressed: England's"}
        source = f"DfE {rate.year}, {name} ({how[rate.source]})"
        rates[parameter] = LocalRate(parameter, rate.per_10k, defaults[parameter], source)
    for parameter, measure in FLOWS.items():
        ratio = own[measure].per_10k / england[measure].per_10k
        source = f"England's x {name}'s {measure} per 10,000 / England's ({ratio:.2f}; DfE {own[measure].year})"
        rates[parameter] = LocalRate(parameter, defaults[parameter] * ratio, defaults[parameter], source)
    return rates


def local_parameters(la_number: int, period_end: dt.date) -> dict[str, float]:
    """The authority's rates as parameter overrides (the scenario's own `rates:` go on top)."""
    return {parameter: rate.value for parameter, rate in local_rates(la_number, period_end).items()}
