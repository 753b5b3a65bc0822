"""The SSDA903 return (children looked after) as the DfE's CSV files, for the run's year and the year before.

The builder is pure: the local authority's looked-after tables in, the CSV files' text out. A return holds
every child looked after at any time in its year (Header, Episodes, Reviews, ...), and the care leavers whose
17th to 21st birthday falls in it (OC3). Last year's return is cut from the same records as they stood on last
year's 31 March: an episode that ended after it is open there. Values are the LA's own records (its child ids,
the UPN and date of birth as its system holds them); the export only maps them to the return's codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

FILES = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
}
"""The return's files and their columns, in the DfE's order (file names: `<name>.csv`)."""
FILE_NAMES = {name: f"{name.lower()}.csv" for name in FILES}
INPUTS = (
    "children",
    "cla_episodes",
    "cla_reviews",
    "cla_missing",
    "cla_uasc",
    "cla_adoption_decisions",
    "cla_adoptions",
    "cla_previous_permanence",
    "cla_outcomes",
    "care_leavers",
)
"""The social-care tables the return is built from."""

Frames = dict[str, dict[str, NDArray[np.object_]]]


@dataclass(frozen=True)
class Return:
    """One year's return: each file as its columns of strings (None for blank)."""

    year_start: dt.date
    year_end: dt.date
    files: Frames

    def csv(self, name: str) -> bytes:
        """A file's bytes: a header line, then one line per row; blanks empty, no quoting (no value holds a
        comma)."""
        columns = self.files[name]
        lines = [",".join(FILES[name])]
        if len(columns["CHILD"]):
            cells = [np.where(pd_isnull(columns[c]), "", columns[c]).astype(str) for c in FILES[name]]
            joined = cells[0]
            for cell in cells[1:]:
                joined = np.char.add(np.char.add(joined, ","), cell)
            lines += joined.tolist()
        return ("\n".join(lines) + "\n").encode()


def pd_isnull(values: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Which cells are blank (None)."""
    result: NDArray[np.bool_] = np.asarray(values == np.full(len(values), None, dtype=object), dtype=bool)
    return result


def kept(mask: NDArray[np.bool_], values: NDArray[np.generic] | str) -> NDArray[np.object_]:
    """The values where `mask` holds, blank (None) elsewhere."""
    result = np.empty(len(mask), dtype=object)
    result[:] = values
    result[~mask] = None
    return result


def ruleset(year_end: dt.date) -> str:
    """The data-to-insight rule set of the collection year ending on `year_end` (e.g. lac2024_25)."""
    return f"lac{year_end.year - 1}_{year_end.year % 100:02d}"


def build(tables: dict[str, pa.Table], year_start: dt.date, year_end: dt.date) -> tuple[Return, Return]:
    """This year's return and last year's, from the social-care tables (`INPUTS`)."""
    # sex as M/F from 2024-25 (1/2 before), the same in both years so that the years compare
    new_codes = year_end >= dt.date(2025, 3, 31)
    last_start = year_start.replace(year=year_start.year - 1)
    last_end = year_start - dt.timedelta(days=1)
    return (
        _year(tables, year_start, year_end, care_leavers=True, new_codes=new_codes),
        _year(tables, last_start, last_end, care_leavers=False, new_codes=new_codes),
    )


def _strings(column: pa.ChunkedArray | pa.Array) -> NDArray[np.object_]:
    values: NDArray[np.object_] = np.asarray(column.to_pylist(), dtype=object)
    return values


def _date_strings(column: pa.ChunkedArray | pa.Array) -> NDArray[np.object_]:
    return _strings(pc.strftime(column.cast(pa.timestamp("s")), format="%d/%m/%Y"))


def _days(column: pa.ChunkedArray | pa.Array) -> NDArray[np.int64]:
    """Dates as day numbers (None as a day far in the future: an open end)."""
    values = column.cast(pa.int32()).fill_null(2**30).to_numpy()
    result: NDArray[np.int64] = values.astype(np.int64)
    return result


def birthday(born: NDArray[np.int64], years: int) -> NDArray[np.int64]:
    """The day of each `years`-th birthday (29 February births on 28 February in other years), as the
    validators compute it (pandas DateOffset)."""
    dob = np.asarray(born, dtype="datetime64[D]")
    month = dob.astype("datetime64[M]")
    into = (dob - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(12 * years, "M")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    result: NDArray[np.int64] = (target.astype("datetime64[D]") + np.minimum(into, length - 1)).astype(np.int64)
    return result


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


@dataclass(frozen=True)
class _Register:
    """The children in one year's return, one row each (by LA child id): what every file's rows look up."""

    ids: NDArray[np.str_]
    dob: NDArray[np.object_]  # as the return writes it
    born: NDArray[np.int64]  # as day numbers
    sex: NDArray[np.object_]  # in the year's codes
    female: NDArray[np.bool_]
    upn: NDArray[np.object_]
    ethnicity: NDArray[np.object_]
    lookup: dict[str, int]

    def at(self, table_ids: NDArray[np.object_]) -> NDArray[np.int64]:
        """Each child id's row in the register."""
        return np.asarray([self.lookup[i] for i in table_ids.tolist()], dtype=np.int64)


def _year(
    tables: dict[str, pa.Table], year_start: dt.date, year_end: dt.date, care_leavers: bool, new_codes: bool
) -> Return:
    lo, hi = _day(year_start), _day(year_end)
    episodes, start = _episodes(tables, lo, hi)
    looked_after = np.unique(episodes["CHILD"].astype(str))
    leavers = tables["care_leavers"] if care_leavers else tables["care_leavers"].slice(0, 0)
    leaver_ids = _strings(leavers["la_child_id"])
    register = _register(tables, np.union1d(looked_after, leaver_ids.astype(str)), new_codes)
    # a child under 4 on the 31 August before the year (not yet of school age) UN1, otherwise UN5 (not known)
    school_age = birthday(register.born, 4) <= _day(dt.date(year_start.year - 1, 8, 31))
    unknown = np.where(school_age, "UN5", "UN1").astype(object)
    header = {
        "CHILD": register.ids.astype(object),
        "SEX": register.sex,
        "DOB": register.dob,
        "ETHNIC": register.ethnicity,
        "UPN": np.where(pd_isnull(register.upn), unknown, register.upn),
        "MOTHER": kept(register.female & np.isin(register.ids, looked_after), "0"),
        "MC_DOB": np.full(len(register.ids), None, dtype=object),
    }
    files: Frames = {
        "Header": header,
        "Episodes": episodes,
        "UASC": _uasc(tables, register, hi),
        "Reviews": _reviews(tables, register, lo, hi),
        "Missing": _missing(tables, register, lo, hi),
        "OC2": _outcomes(tables, register, lo, hi),
        "OC3": {
            "CHILD": leaver_ids,
            "DOB": register.dob[register.at(leaver_ids)],
            "IN_TOUCH": _strings(leavers["in_touch"]),
            "ACTIV": _strings(leavers["activity"]),
            "ACCOM": _strings(leavers["accommodation"]),
        },
        "AD1": _adoptions(tables, register, episodes),
        "PlacedAdoption": _decisions(tables, register, looked_after, hi),
        "PrevPerm": _permanence(tables, register, episodes, start, lo),
    }
    return Return(year_start, year_end, files)


def _episodes(
    tables: dict[str, pa.Table], lo: int, hi: int
) -> tuple[dict[str, NDArray[np.object_]], NDArray[np.int64]]:
    """Episodes in the year, as they stood on its last day (one ended later is open), by child then start; and
    their start days."""
    ep = tables["cla_episodes"]
    start, end = _days(ep["start_date"]), _days(ep["end_date"])
    keep = np.flatnonzero((start <= hi) & (end >= lo))
    ep = ep.take(pa.array(keep))
    start, end = start[keep], end[keep]
    order = np.lexsort((start, _strings(ep["la_child_id"])))
    ep, start, end = ep.take(pa.array(order)), start[order], end[order]
    still_open = end > hi
    episodes = {
        "CHILD": _strings(ep["la_child_id"]),
        "DECOM": _date_strings(ep["start_date"]),
        "RNE": _strings(ep["reason_for_new_episode"]),
        "LS": _strings(ep["legal_status"]),
        "CIN": _strings(ep["category_of_need"]),
        "PLACE": _strings(ep["placement_type"]),
        "PLACE_PROVIDER": _strings(ep["placement_provider"]),
        "DEC": kept(~still_open, _date_strings(ep["end_date"])),
        "REC": kept(~still_open, _strings(ep["reason_episode_ceased"])),
        "REASON_PLACE_CHANGE": kept(~still_open, _strings(ep["reason_place_change"])),
        "HOME_POST": _strings(ep["home_postcode"]),
        "PL_POST": _strings(ep["placement_postcode"]),
        "URN": _strings(ep["urn"]),
    }
    # an unaccompanied asylum-seeking child has no home in England: no home postcode (and so no distance)
    asylum = np.isin(episodes["CHILD"].astype(str), _strings(tables["cla_uasc"]["la_child_id"]).astype(str))
    episodes["HOME_POST"] = kept(~asylum, episodes["HOME_POST"])
    return episodes, start


def _register(tables: dict[str, pa.Table], in_return: NDArray[np.str_], new_codes: bool) -> _Register:
    """The LA's record of each child in the return. One row per child: a duplicate record of the same child id
    (a data-quality error) is left out."""
    children = tables["children"]
    child_ids = _strings(children["la_child_id"]).astype(str)
    rows = np.flatnonzero(np.isin(child_ids, in_return))
    rows = rows[np.argsort(child_ids[rows], kind="stable")]
    rows = rows[np.r_[True, child_ids[rows][1:] != child_ids[rows][:-1]][: len(rows)]]
    children = children.take(pa.array(rows))
    ids = child_ids[rows]
    female = _strings(children["sex"]) == "F"
    return _Register(
        ids=ids,
        dob=_date_strings(children["date_of_birth"]),
        born=_days(children["date_of_birth"]),
        sex=np.where(female, "F" if new_codes else "2", "M" if new_codes else "1").astype(object),
        female=female,
        upn=_strings(children["upn"]),
        ethnicity=_strings(children["ethnicity"]),
        lookup={k: i for i, k in enumerate(ids.tolist())},
    )


def _reviews(tables: dict[str, pa.Table], register: _Register, lo: int, hi: int) -> dict[str, NDArray[np.object_]]:
    """Reviews held in the year. The participation code for a child under four (PN0) follows the date of birth as
    recorded: where the record's date of birth is wrong the code is set from it, as the LA's system would."""
    rv = tables["cla_reviews"]
    rv = rv.filter(pc.and_(pc.greater_equal(_days(rv["review_date"]), lo), pc.less_equal(_days(rv["review_date"]), hi)))
    rv_child = _strings(rv["la_child_id"])
    under_4 = _days(rv["review_date"]) < birthday(register.born[register.at(rv_child)], 4)
    code = _strings(rv["participation"])
    code = np.where(under_4, "PN0", np.where(code == "PN0", "PN1", code))
    return {
        "CHILD": rv_child,
        "DOB": register.dob[register.at(rv_child)],
        "REVIEW": _date_strings(rv["review_date"]),
        "REVIEW_CODE": code,
    }


def _missing(tables: dict[str, pa.Table], register: _Register, lo: int, hi: int) -> dict[str, NDArray[np.object_]]:
    """Missing spells begun in the year."""
    ms = tables["cla_missing"]
    ms_start = _days(ms["start_date"])
    ms = ms.take(pa.array(np.flatnonzero((ms_start >= lo) & (ms_start <= hi))))
    ms_child = _strings(ms["la_child_id"])
    return {
        "CHILD": ms_child,
        "DOB": register.dob[register.at(ms_child)],
        "MISSING": _strings(ms["kind"]),
        "MIS_START": _date_strings(ms["start_date"]),
        "MIS_END": _date_strings(ms["end_date"]),
    }


def _uasc(tables: dict[str, pa.Table], register: _Register, hi: int) -> dict[str, NDArray[np.object_]]:
    """Unaccompanied asylum-seeking children in the return, with the day that status ceased if it has."""
    us = tables["cla_uasc"]
    us = us.take(pa.array(np.flatnonzero(np.isin(_strings(us["la_child_id"]).astype(str), register.ids))))
    us_child = _strings(us["la_child_id"])
    us_ceased = _days(us["uasc_ceased"])
    return {
        "CHILD": us_child,
        "SEX": register.sex[register.at(us_child)],
        "DOB": register.dob[register.at(us_child)],
        "DUC": kept(us_ceased <= hi, _date_strings(us["uasc_ceased"])),
    }


def _outcomes(tables: dict[str, pa.Table], register: _Register, lo: int, hi: int) -> dict[str, NDArray[np.object_]]:
    """OC2: children looked after for 12 months on the year's last day; each item asked only at the ages the
    return asks it."""
    oc = tables["cla_outcomes"]
    oc = oc.take(pa.array(np.flatnonzero(_days(oc["year_end"]) == hi)))
    oc_child = _strings(oc["la_child_id"])
    oc_born = register.born[register.at(oc_child)]

    def flag(name: str, wanted: NDArray[np.bool_] | None = None) -> NDArray[np.object_]:
        values = np.where(oc[name].to_numpy(zero_copy_only=False), "1", "0").astype(object)
        return values if wanted is None else kept(wanted, values)

    # an SDQ for children 4 to 16 during the year (4 by its end, not 17 at its start)
    sdq_due = (birthday(oc_born, 4) <= hi) & (birthday(oc_born, 17) > lo)
    misuse = oc["substance_misuse"].to_numpy(zero_copy_only=False)
    received = oc["intervention_received"].to_numpy(zero_copy_only=False)
    return {
        "CHILD": oc_child,
        "DOB": register.dob[register.at(oc_child)],
        "SDQ_SCORE": kept(sdq_due, _strings(oc["sdq_score"].cast(pa.string()))),
        "SDQ_REASON": np.full(len(oc_child), None, dtype=object),
        "CONVICTED": flag("convicted", birthday(oc_born, 10) < hi),
        "HEALTH_CHECK": flag("health_check", birthday(oc_born, 5) > hi),
        "IMMUNISATIONS": flag("immunisations"),
        "TEETH_CHECK": flag("teeth_check"),
        "HEALTH_ASSESSMENT": flag("health_assessment"),
        "SUBSTANCE_MISUSE": flag("substance_misuse"),
        "INTERVENTION_RECEIVED": flag("intervention_received", misuse),
        "INTERVENTION_OFFERED": flag("intervention_offered", misuse & ~received),
    }


def _adoptions(
    tables: dict[str, pa.Table], register: _Register, episodes: dict[str, NDArray[np.object_]]
) -> dict[str, NDArray[np.object_]]:
    """AD1: the adoptions of children whose episode ended in adoption in the year."""
    adopted = episodes["CHILD"][np.isin(episodes["REC"], ["E11", "E12"])]
    ad = tables["cla_adoptions"]
    ad = ad.take(pa.array(np.flatnonzero(np.isin(_strings(ad["la_child_id"]), adopted))))
    ad_child = _strings(ad["la_child_id"])
    return {
        "CHILD": ad_child,
        "DOB": register.dob[register.at(ad_child)],
        "DATE_INT": _date_strings(ad["date_should_be_placed"]),
        "DATE_MATCH": _date_strings(ad["date_matched"]),
        "FOSTER_CARE": np.where(ad["foster_carer"].to_numpy(zero_copy_only=False), "1", "0").astype(object),
        "NB_ADOPTR": _strings(ad["adopters"].cast(pa.string())),
        "SEX_ADOPTR": _strings(ad["adopters_sex"]),
        "LS_ADOPTR": _strings(ad["adopters_legal_status"]),
    }


def _decisions(
    tables: dict[str, pa.Table], register: _Register, looked_after: NDArray[np.str_], hi: int
) -> dict[str, NDArray[np.object_]]:
    """PlacedAdoption: decisions that a child should be placed for adoption, made by the year's end, for the
    children looked after in it."""
    dc = tables["cla_adoption_decisions"]
    dc_keep = (_days(dc["decision_date"]) <= hi) & np.isin(_strings(dc["la_child_id"]).astype(str), looked_after)
    dc = dc.take(pa.array(np.flatnonzero(dc_keep)))
    dc_child = _strings(dc["la_child_id"])
    return {
        "CHILD": dc_child,
        "DOB": register.dob[register.at(dc_child)],
        "DATE_PLACED": _date_strings(dc["decision_date"]),
        "DATE_PLACED_CEASED": np.full(len(dc_child), None, dtype=object),
        "REASON_PLACED_CEASED": np.full(len(dc_child), None, dtype=object),
    }


def _permanence(
    tables: dict[str, pa.Table],
    register: _Register,
    episodes: dict[str, NDArray[np.object_]],
    start: NDArray[np.int64],
    lo: int,
) -> dict[str, NDArray[np.object_]]:
    """PrevPerm: asked of every child who started to be looked after in the year."""
    entered = np.unique(episodes["CHILD"][(episodes["RNE"] == "S") & (start >= lo)].astype(str))
    pp = tables["cla_previous_permanence"]
    pp_ids = _strings(pp["la_child_id"]).astype(str)
    pp = pp.take(pa.array(np.flatnonzero(np.isin(pp_ids, entered))))
    pp_child = _strings(pp["la_child_id"])
    return {
        "CHILD": pp_child,
        "DOB": register.dob[register.at(pp_child)],
        "PREV_PERM": _strings(pp["previous_permanence"]),
        "LA_PERM": _strings(pp["permanence_la"]),
        "DATE_PERM": _date_strings(pp["permanence_date"]),
    }


PLANTED = (
    ("101", "Header", "SEX", "X"),
    ("144", "Episodes", "LS", "ZZ"),
    ("167", "Reviews", "REVIEW_CODE", "PN9"),
    ("103", "Header", "ETHNIC", "XXXX"),
    ("146", "Episodes", "PLACE", "Q9"),
    ("1006", "Missing", "MISSING", "X"),
    ("145", "Episodes", "CIN", "N9"),
    ("168", "Header", "UPN", "BAD"),
    ("131", "OC3", "IN_TOUCH", "MAYBE"),
)
"""Known breaches a return can be given on request, across rule families (child characteristics, episodes,
reviews, missing spells, care leavers): (rule, file, field, the invalid value written)."""


@dataclass(frozen=True)
class Planted:
    rule: str
    file: str
    row: int
    child: str
    field: str
    value: str


def plant_errors(this_year: Return, count: int, seed: int) -> tuple[Return, list[Planted]]:
    """This year's return with `count` known breaches, each in a different child, taking the rules of
    `PLANTED` in turn (a rule whose file has no row left is passed over), and the key listing them."""
    rng = np.random.default_rng([seed, count])
    files = {name: {c: v.copy() for c, v in columns.items()} for name, columns in this_year.files.items()}
    used: set[str] = set()
    order = {name: list(rng.permutation(len(columns["CHILD"]))) for name, columns in files.items()}
    planted: list[Planted] = []
    while len(planted) < count:
        before = len(planted)
        for rule, name, column, value in PLANTED:
            if len(planted) == count:
                break
            rows = order[name]
            while rows and str(files[name]["CHILD"][rows[0]]) in used:
                rows.pop(0)
            if not rows:
                continue
            row = int(rows.pop(0))
            child = str(files[name]["CHILD"][row])
            used.add(child)
            files[name][column][row] = value
            planted.append(Planted(rule, name, row, child, column, value))
        if len(planted) == before:
            break
    return Return(this_year.year_start, this_year.year_end, files), planted


def key_csv(planted: list[Planted]) -> bytes:
    """The key to the planted breaches: one line per breach (rule, file, row, child, field, value)."""
    lines = ["rule,file,row,child,field,value"]
    lines += [f"{p.rule},{FILE_NAMES[p.file]},{p.row},{p.child},{p.field},{p.value}" for p in planted]
    return ("\n".join(lines) + "\n").encode()
