"""Each local authority's own figures, from the tables in data/la/ (sources in data/SOURCES.md, section "la/").

Everything is keyed by the DfE 3-digit LA number of one of the 153 authorities with children's services
(`synthgen.reference.local_authorities`); ``None`` stands for England. A county's figures are the sums of its
districts' counts. England's ethnicity, ages and deprivation are the sums of the 153 authorities' rows, so that a
local figure and England's are always read from the same table; England's social-care rates are DfE's own.

Household composition by local authority was not found in any open source we could reach: every authority gets
England's (Census 2021 TS003), and `HouseholdComposition.local` says so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from synthgen.reference import AgePyramid, ethnicities, household_types, local_authorities, post_towns, postcode_area
from synthgen.reference import age_pyramid as england_age_pyramid

LA_DATA = ("data", "la")
AGES = 100
"""Single years 0..99; the mid-2020 estimates' open 90+ band is spread over 90..99."""
OPEN_AGE_DECAY = 0.75
"""Each year from 90 on holds 0.75 of the year before, as `synthgen.reference.age_pyramid` spreads England's 90+."""
IMD_EDITIONS = (2019, 2025)
MEASURES = ("referrals", "cin", "cpp", "cla")
"""Referrals in the year, children in need at 31 March, on child protection plans, looked after: per 10,000
children aged 0-17."""

Source = Literal["dfe", "derived", "england"]
Float1D = NDArray[np.float64]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(*LA_DATA, name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _frozen(values: NDArray[np.float64]) -> Float1D:
    values.flags.writeable = False
    return values


def _check(la_number: int | None) -> None:
    if la_number is not None and la_number not in local_authorities():
        raise KeyError(f"no local authority with DfE number {la_number} (153 are known: see local_authorities())")


@cache
def _counts(name: str, columns: tuple[str, ...]) -> dict[int, NDArray[np.int64]]:
    """A per-LA count table: LA number -> counts in the order of `columns`."""
    return {int(r["la_number"]): np.array([int(r[c]) for c in columns], dtype=np.int64) for r in _rows(name)}


def _row(name: str, columns: tuple[str, ...], la_number: int | None) -> NDArray[np.int64]:
    _check(la_number)
    table = _counts(name, columns)
    if la_number is None:
        result: NDArray[np.int64] = np.sum(list(table.values()), axis=0)
        return result
    return table[la_number]


def la_numbers() -> tuple[int, ...]:
    """The 153 DfE LA numbers every table here covers, in `local_authorities()` order."""
    return tuple(local_authorities())


# ------------------------------------------------------------------ ethnicity


@dataclass(frozen=True)
class LocalEthnicity:
    """Usual residents by DfE ethnicity code (Census 2021), in `synthgen.reference.ethnicities()` order."""

    codes: tuple[str, ...]
    shares: Float1D
    residents: int
    arab_share_of_other: float
    """Of the people coded OOTH, the share who ticked Census "Arab" (the rest ticked "Any other ethnic group")."""

    def group_shares(self) -> dict[str, float]:
        """Shares of the five groups (White, Mixed, Asian, Black, Other)."""
        groups = ethnicities().groups
        result: dict[str, float] = {}
        for group, share in zip(groups, self.shares, strict=True):
            result[group] = result.get(group, 0.0) + float(share)
        return result


@cache
def ethnicity(la_number: int | None = None) -> LocalEthnicity:
    """The authority's (or England's) ethnic make-up, all ages: Census 2021 TS021 mapped to the 18 DfE codes."""
    codes = ethnicities().codes
    counts = _row("ethnicity_census2021.csv", (*codes, "ooth_arab", "residents"), la_number)
    people, arab, residents = counts[: len(codes)], int(counts[-2]), int(counts[-1])
    other = int(people[codes.index("OOTH")])
    return LocalEthnicity(
        codes=codes,
        shares=_frozen(people / people.sum()),
        residents=residents,
        arab_share_of_other=arab / other if other else 0.0,
    )


# ------------------------------------------------------------------ age and sex

_SINGLE_AGES = (*(f"age_{a}" for a in range(90)), "age_90_plus")


@cache
def female_share(la_number: int | None = None) -> float:
    """Census 2021 (TS009) females as a share of all usual residents; not by age (no LA table crosses the two)."""
    females, males = _row("sex_census2021.csv", ("females", "males"), la_number)
    return float(females / (females + males))


@cache
def age_pyramid(la_number: int | None = None) -> AgePyramid:
    """People by single year 0..99 (ONS mid-2020 estimates, summed over the authority's districts).

    The open 90+ band is spread over 90..99 thinning by `OPEN_AGE_DECAY` a year, as England's pyramid is. Sex is not
    crossed with age in any LA table found: `female_share` at each age is England's age gradient
    (`synthgen.reference.age_pyramid`) moved up or down by one amount, so that over the authority's own ages it
    averages the authority's Census 2021 female share.
    """
    counts = _row("age_mye2020.csv", _SINGLE_AGES, la_number).astype(np.float64)
    people = np.zeros(AGES)
    people[:90] = counts[:90]
    weights = OPEN_AGE_DECAY ** np.arange(AGES - 90)
    people[90:] = counts[90] * weights / weights.sum()
    gradient = england_age_pyramid().female_share
    shift = female_share(la_number) - float(np.dot(people, gradient) / people.sum())
    female = np.clip(gradient + shift, 0.0, 1.0)
    return AgePyramid(people=_frozen(people), female_share=_frozen(female))


# ------------------------------------------------------------------ household composition


@dataclass(frozen=True)
class HouseholdComposition:
    """Shares of households by synthgen household type, in `synthgen.reference.household_types()` order."""

    types: tuple[str, ...]
    shares: Float1D
    local: bool
    """False: the authority's own figures were not available and these are England's."""
    source: str


@cache
def household_composition(la_number: int | None = None) -> HouseholdComposition:
    """England's household composition (Census 2021 TS003) for every authority: no open source by LA was found."""
    _check(la_number)
    counts = {r["household_type"]: int(r["households"]) for r in _rows("household_composition_england.csv")}
    types = household_types()[0]
    values = np.array([counts[t] for t in types], dtype=np.float64)
    return HouseholdComposition(
        types=types,
        shares=_frozen(values / values.sum()),
        local=False,
        source="Census 2021 TS003, England (no local table found)",
    )


# ------------------------------------------------------------------ deprivation


@dataclass(frozen=True)
class Deprivation:
    """How the authority's small areas (LSOAs) spread over England's deprivation deciles (1 = most deprived 10%)."""

    edition: int
    lsoas: int
    decile_shares: Float1D


@cache
def deprivation(la_number: int | None = None, edition: int = 2025) -> Deprivation:
    """The share of the authority's LSOAs in each national IMD decile (IMD 2025 on LSOA 2021 by default; 2019 on
    LSOA 2011). LSOAs hold roughly equal numbers of people, so the shares stand for residents too."""
    if edition not in IMD_EDITIONS:
        raise ValueError(f"IMD edition {edition}: only {', '.join(map(str, IMD_EDITIONS))} are shipped")
    counts = _row(f"imd{edition}_deciles.csv", tuple(f"decile_{d}" for d in range(1, 11)), la_number)
    return Deprivation(edition=edition, lsoas=int(counts.sum()), decile_shares=_frozen(counts / counts.sum()))


# ------------------------------------------------------------------ children's social care


@dataclass(frozen=True)
class Rate:
    """One rate per 10,000 children aged 0-17, with the year it is for and where it comes from."""

    per_10k: float
    year: int
    """The reporting year (ending 31 March)."""
    source: Source
    """dfe: published by DfE; derived: count / DfE's own 0-17 population x 10,000; england: England's (the
    authority's own was suppressed in every year shipped)."""
    skipped: str = ""
    """Later years passed over, with DfE's suppression code: "2025:c" (c small numbers, u low reliability,
    z not applicable, x not available)."""


@dataclass(frozen=True)
class SocialCareRates:
    la_number: int | None
    referrals: Rate
    cin: Rate
    cpp: Rate
    cla: Rate

    def as_dict(self) -> dict[str, Rate]:
        return {m: getattr(self, m) for m in MEASURES}


@cache
def _social_care_table(la_number: int | None) -> dict[int, dict[str, str]]:
    rows = _rows("social_care_dfe_england.csv") if la_number is None else _rows("social_care_dfe.csv")
    return {int(r["year"]): r for r in rows if la_number is None or int(r["la_number"]) == la_number}


def _rate(measure: str, table: Mapping[int, dict[str, str]], years: list[int]) -> Rate | None:
    skipped = []
    for year in sorted(years, reverse=True):
        row = table[year]
        value = row[f"{measure}_per_10k"]
        try:
            per_10k = float(value)
        except ValueError:
            skipped.append(f"{year}:{value}")
            continue
        source: Source = "dfe" if measure in row["dfe_published_rates"].split(";") else "derived"
        return Rate(per_10k=per_10k, year=year, source=source, skipped=" ".join(skipped))
    return None


@cache
def social_care_rates(la_number: int | None = None, year: int | None = None) -> SocialCareRates:
    """The authority's (or England's) referrals, CIN, CPP and CLA per 10,000 children, each for the latest
    reporting year up to `year` (all years when None) in which DfE gave a value; a year before the first shipped
    gives the first. Where every year is suppressed, England's rate for the latest such year stands in."""
    _check(la_number)
    table = _social_care_table(la_number)
    years = [y for y in table if year is None or y <= year] or [min(table)]
    rates: dict[str, Rate] = {}
    for measure in MEASURES:
        rate = _rate(measure, table, years)
        if rate is None:
            england = _rate(measure, _social_care_table(None), [y for y in _social_care_table(None) if y <= max(years)])
            if england is None:  # pragma: no cover - England's figures are never suppressed
                raise LookupError(f"no {measure} rate for England up to {max(years)}")
            skipped = " ".join(f"{y}:{table[y][f'{measure}_per_10k']}" for y in sorted(years, reverse=True))
            rate = Rate(per_10k=england.per_10k, year=england.year, source="england", skipped=skipped)
        rates[measure] = rate
    return SocialCareRates(la_number=la_number, **rates)


# ------------------------------------------------------------------ post towns


@cache
def post_towns_by_district() -> dict[str, tuple[str, ...]]:
    """Postcode district -> its post towns (Wikipedia, CC BY-SA: see data/la/LICENSE-post-towns.md): the
    geographic ones in the order listed, then those used only by non-geographic (PO box, large user) postcodes."""
    geographic: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for r in _rows("post_towns_by_district.csv"):
        (other if r["non_geographic"] == "1" else geographic).setdefault(r["postcode_district"], []).append(
            r["post_town"]
        )
    return {d: tuple(geographic.get(d, []) + other.get(d, [])) for d in {**geographic, **other}}


def post_town(outward: str) -> str | None:
    """The post town of an outward code: the district's first listed town, else the post town of its postcode
    area (`synthgen.reference.post_towns`), else None."""
    towns = post_towns_by_district().get(outward)
    if towns:
        return towns[0]
    return post_towns().get(postcode_area(outward))
