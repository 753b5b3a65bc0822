"""The local-authority tables (data/la/, sources in data/SOURCES.md "la/") and their loader, synthgen.reference.local.

File checks read the CSVs with the csv module only; loader checks go through synthgen.reference.local. Published
figures to check against are quoted from the sources named in SOURCES.md.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from synthgen.reference import ethnicities, household_types, local
from tests.reference.csv_files import DATA, assert_exact_header, assert_well_formed, rows

CODES = ["WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH",
         "AIND", "APKN", "ABAN", "AOTH", "CHNE", "BCRB", "BAFR", "BOTH", "OOTH"]  # fmt: skip
RATES = ["referrals", "referrals_per_10k", "cin", "cin_per_10k", "cpp", "cpp_per_10k", "cla", "cla_per_10k"]
DECILES = [f"decile_{d}" for d in range(1, 11)]
HEADERS = {
    "la/ethnicity_census2021.csv": ["la_number", *CODES, "ooth_arab", "residents"],
    "la/age_mye2020.csv": ["la_number", *(f"age_{a}" for a in range(90)), "age_90_plus"],
    "la/sex_census2021.csv": ["la_number", "females", "males"],
    "la/imd2019_deciles.csv": ["la_number", *DECILES],
    "la/imd2025_deciles.csv": ["la_number", *DECILES],
    "la/social_care_dfe.csv": ["la_number", "year", "population_0_17", *RATES, "dfe_published_rates"],
    "la/social_care_dfe_england.csv": ["year", "population_0_17", *RATES, "dfe_published_rates"],
    "la/household_composition_england.csv": ["household_type", "households", "ts003_cells"],
    "la/post_towns_by_district.csv": ["postcode_district", "post_town", "non_geographic"],
}
KEYS = {
    "la/ethnicity_census2021.csv": ["la_number"],
    "la/age_mye2020.csv": ["la_number"],
    "la/sex_census2021.csv": ["la_number"],
    "la/imd2019_deciles.csv": ["la_number"],
    "la/imd2025_deciles.csv": ["la_number"],
    "la/social_care_dfe.csv": ["la_number", "year"],
    "la/social_care_dfe_england.csv": ["year"],
    "la/household_composition_england.csv": ["household_type"],
    "la/post_towns_by_district.csv": ["postcode_district", "post_town"],
}
PER_LA = [name for name, key in KEYS.items() if key == ["la_number"]]
LA_NUMBERS = sorted(int(r["la_number"]) for r in rows("local_authorities.csv"))
AREAS = [*LA_NUMBERS, None]
SUPPRESSION_CODES = {"c", "u", "x", "z", "k"}
BIRMINGHAM, ROTHERHAM, NEWHAM, KENT, CITY_OF_LONDON, ISLES_OF_SCILLY, HAMPSHIRE = 330, 372, 316, 886, 201, 420, 850


# ------------------------------------------------------------------ the files themselves


def test_every_file_in_the_folder_is_known_and_small() -> None:
    shipped = sorted(p.name for p in (DATA / "la").iterdir())
    assert shipped == sorted([name.removeprefix("la/") for name in HEADERS] + ["LICENSE-post-towns.md"])
    assert sum(p.stat().st_size for p in (DATA / "la").iterdir()) < 300_000


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_file_is_well_formed_with_its_exact_header(name: str) -> None:
    assert_exact_header(name, HEADERS[name])
    assert_well_formed(name)
    keys = [tuple(r[c] for c in KEYS[name]) for r in rows(name)]
    assert len(keys) == len(set(keys)), f"{name}: duplicate key"


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_every_file_is_documented_in_sources(name: str) -> None:
    assert f"`{name}`" in (DATA / "SOURCES.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PER_LA)
def test_per_la_file_has_one_row_of_whole_counts_for_each_of_the_153(name: str) -> None:
    table = rows(name)
    assert [int(r["la_number"]) for r in table] == [int(r["la_number"]) for r in rows("local_authorities.csv")]
    assert len(table) == 153
    for r in table:
        counts = [int(v) for k, v in r.items() if k != "la_number"]
        assert min(counts) >= 0 and sum(counts) > 0


def test_ethnicity_codes_add_up_to_the_residents() -> None:
    for r in rows("la/ethnicity_census2021.csv"):
        assert sum(int(r[c]) for c in CODES) == int(r["residents"])
        assert 0 <= int(r["ooth_arab"]) <= int(r["OOTH"])


def test_social_care_has_every_la_and_year_and_only_numbers_or_dfe_codes() -> None:
    table = rows("la/social_care_dfe.csv")
    years = {(int(r["la_number"]), int(r["year"])) for r in table}
    assert years == {(n, y) for n in LA_NUMBERS for y in (2023, 2024, 2025) if (n, y) not in NEW_IN_2024}
    for r in [*table, *rows("la/social_care_dfe_england.csv")]:
        assert int(r["population_0_17"]) > 0
        for column in RATES:
            assert r[column] in SUPPRESSION_CODES or float(r[column]) >= 0, (r, column)
        assert r["dfe_published_rates"] in ("referrals;cin;cla", "cla")
        assert (r["dfe_published_rates"] == "cla") == (r["year"] == "2025")


NEW_IN_2024 = {(942, 2023), (943, 2023)}  # Cumberland and Westmorland and Furness replaced Cumbria in April 2023


def test_post_town_names_are_clean() -> None:
    for r in rows("la/post_towns_by_district.csv"):
        assert re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", r["postcode_district"]), r
        assert re.fullmatch(r"[A-Z][A-Za-z.' -]+", r["post_town"]), r  # no footnote marks left
        assert not r["post_town"].isupper(), r  # Wikipedia's capitals were recased
        assert r["non_geographic"] in ("0", "1")


def test_post_towns_carry_their_licence() -> None:
    text = (DATA / "la/LICENSE-post-towns.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in text and "Wikipedia" in text and "post_towns_by_district.csv" in text


# ------------------------------------------------------------------ the loader: every LA has every figure


@pytest.mark.parametrize("la", AREAS)
def test_every_area_has_every_figure_and_shares_sum_to_one(la: int | None) -> None:
    eth = local.ethnicity(la)
    assert eth.codes == ethnicities().codes and math.isclose(eth.shares.sum(), 1.0)
    assert math.isclose(sum(eth.group_shares().values()), 1.0) and 0.0 <= eth.arab_share_of_other <= 1.0
    pyramid = local.age_pyramid(la)
    assert pyramid.people.shape == (100,) and pyramid.people.min() >= 0 and math.isclose(pyramid.shares.sum(), 1.0)
    assert pyramid.female_share.min() >= 0.0 and pyramid.female_share.max() <= 1.0
    assert math.isclose(float(np.dot(pyramid.shares, pyramid.female_share)), local.female_share(la), abs_tol=1e-9)
    assert 0.44 < local.female_share(la) < 0.56  # City of London: 44.99%
    households = local.household_composition(la)
    assert households.types == household_types()[0] and math.isclose(households.shares.sum(), 1.0)
    assert not households.local
    for edition in (2019, 2025):
        deprivation = local.deprivation(la, edition)
        assert deprivation.lsoas > 0 and math.isclose(deprivation.decile_shares.sum(), 1.0)
    for measure, rate in local.social_care_rates(la).as_dict().items():
        assert rate.per_10k >= 0 and rate.year in (2023, 2024, 2025), (la, measure)
        assert rate.source in ("dfe", "derived"), (la, measure)  # no authority needs England's figure


def test_arrays_handed_out_cannot_be_changed() -> None:
    with pytest.raises(ValueError):
        local.ethnicity(ROTHERHAM).shares[0] = 1.0
    with pytest.raises(ValueError):
        local.age_pyramid(ROTHERHAM).people[0] = 1.0


def test_unknown_authority_and_edition_are_refused() -> None:
    with pytest.raises(KeyError, match="no local authority with DfE number 999"):
        local.ethnicity(999)
    with pytest.raises(KeyError):
        local.social_care_rates(909)  # Cumbria, abolished in 2023
    with pytest.raises(ValueError, match="IMD edition 2015"):
        local.deprivation(ROTHERHAM, 2015)


# ------------------------------------------------------------------ spot checks against published figures


def percent(value: float) -> float:
    return round(100 * value, 2)


def test_ethnicity_matches_census_2021() -> None:
    # ONS, Ethnic group, England and Wales: Census 2021 (TS021), as quoted in the shared README
    assert percent(local.ethnicity(BIRMINGHAM).group_shares()["White"]) == 48.62
    assert percent(local.ethnicity(BIRMINGHAM).shares[0]) == 42.90
    assert percent(local.ethnicity(ROTHERHAM).group_shares()["White"]) == 91.03
    assert percent(local.ethnicity(ROTHERHAM).shares[0]) == 88.26
    assert percent(local.ethnicity(NEWHAM).group_shares()["White"]) == 30.75
    england = local.ethnicity()
    assert england.residents == 56_490_065
    assert percent(england.shares[0]) == 73.54
    groups = {g: round(100 * s, 1) for g, s in england.group_shares().items()}
    assert (groups["White"], groups["Asian"], groups["Black"]) == (81.0, 9.6, 4.2)


def test_ages_and_sex_match_the_published_totals() -> None:
    england = local.age_pyramid()
    assert round(england.people.sum()) == 56_550_138  # ONS mid-2020, England
    assert round(england.people[:18].sum()) == 12_093_288
    assert round(local.age_pyramid(ROTHERHAM).people.sum()) == 264_984
    rows_by_la = {int(r["la_number"]): r for r in rows("la/sex_census2021.csv")}
    assert sum(int(r["females"]) for r in rows_by_la.values()) == 28_833_831  # Census 2021 TS009, England
    assert sum(int(r["males"]) for r in rows_by_la.values()) == 27_656_209


def test_the_open_age_band_thins_out_like_englands() -> None:
    old = local.age_pyramid(ROTHERHAM).people[90:]
    assert np.allclose(old[1:] / old[:-1], local.OPEN_AGE_DECAY)


def test_deprivation_matches_the_published_district_summaries() -> None:
    # MHCLG IoD File 10: proportion of LSOAs in the most deprived 10% nationally
    assert round(local.deprivation(ROTHERHAM, 2025).decile_shares[0], 4) == 0.2118
    assert round(local.deprivation(ROTHERHAM, 2019).decile_shares[0], 4) == 0.2156
    assert round(local.deprivation(BIRMINGHAM, 2025).decile_shares[0], 4) == 0.4279
    assert round(local.deprivation(BIRMINGHAM, 2019).decile_shares[0], 4) == 0.4131
    assert (local.deprivation(None, 2025).lsoas, local.deprivation(None, 2019).lsoas) == (33_755, 32_844)
    assert np.allclose(local.deprivation(None, 2025).decile_shares, 0.1, atol=0.001)


def test_social_care_rates_match_dfe() -> None:
    rotherham = local.social_care_rates(ROTHERHAM, 2024)
    assert [rotherham.as_dict()[m].per_10k for m in local.MEASURES] == [459.9, 312.9, 45.6, 86.0]
    assert [rotherham.as_dict()[m].source for m in local.MEASURES] == ["dfe", "dfe", "derived", "dfe"]
    england = local.social_care_rates(None, 2024)
    assert [england.as_dict()[m].per_10k for m in local.MEASURES] == [518.3, 332.9, 41.6, 70.0]
    latest = local.social_care_rates(ROTHERHAM)
    assert {r.year for r in latest.as_dict().values()} == {2025}
    assert [r.source for r in latest.as_dict().values()] == ["derived", "derived", "derived", "dfe"]


def test_suppressed_values_fall_back_to_the_latest_year_with_a_value() -> None:
    city = local.social_care_rates(CITY_OF_LONDON)
    assert (city.cpp.per_10k, city.cpp.year, city.cpp.skipped) == (0.0, 2023, "2025:c 2024:c")
    assert (city.cla.year, city.cla.skipped) == (2024, "2025:c")
    scilly = local.social_care_rates(ISLES_OF_SCILLY)
    assert (scilly.cla.per_10k, scilly.cla.year, scilly.cla.skipped) == (0.0, 2024, "2025:z")
    hampshire_2024 = local.social_care_rates(HAMPSHIRE, 2024)
    assert (hampshire_2024.referrals.year, hampshire_2024.referrals.skipped) == (2023, "2024:u")
    assert local.social_care_rates(ROTHERHAM, 2019).cin.year == 2023  # before the first year shipped: the first


def test_household_composition_is_englands_census_2021() -> None:
    counts = {r["household_type"]: int(r["households"]) for r in rows("la/household_composition_england.csv")}
    assert sum(counts.values()) == 23_436_086  # Census 2021 TS003, England
    assert counts["lone_parent_dependent_children"] == 1_617_076
    cells = sorted(int(c) for r in rows("la/household_composition_england.csv") for c in r["ts003_cells"].split(";"))
    assert cells == list(range(1, 15))  # every TS003 cell used exactly once
    assert np.array_equal(local.household_composition(KENT).shares, local.household_composition().shares)


@pytest.mark.parametrize(
    ("outward", "town"),
    [
        *((f"S{n}", "Rotherham") for n in (60, 61, 62, 63, 65, 66)),
        ("S64", "Mexborough"),
        ("S25", "Sheffield"),
        ("S1", "Sheffield"),
        ("S81", "Worksop"),
        ("B1", "Birmingham"),
        ("E1", "London"),
        ("AL1", "St. Albans"),
        ("TW18", "Staines-upon-Thames"),
        ("DH3", "Chester le Street"),
    ],
)
def test_post_town_by_district(outward: str, town: str) -> None:
    assert local.post_town(outward) == town


def test_post_town_falls_back_to_the_area_then_none() -> None:
    assert local.post_town("S999") == "Sheffield"  # no such district: the area's town
    assert local.post_town("ZZ1") is None
    assert local.post_towns_by_district()["S97"] == ("Sheffield", "Rotherham")  # PO boxes only
    assert local.post_towns_by_district()["CT9"] == ("Margate", "Birchington")  # geographic first
