"""Ofsted's Annex A, as data: the eleven lists' columns in order, their code lists, and the windows they cover.

The headings and codes are liiatools 0.2.0's reading of the format (`synthgen/reference/data/annex_a/`, sources
in its SOURCES.md), the reading local authorities' files are cleaned with. The windows follow Ofsted's wording,
counted back from the date of inspection, which for a run is the last day of its period:

- lists 1 to 5 (contacts, early help assessments, referrals, assessments, section 47 enquiries): the six months
  before the inspection (or twelve, when asked), e.g. 1 October 2024 to 31 March 2025 for an inspection on
  31 March 2025; list 2 also holds the early help open on the day;
- lists 6 to 8 (children in need, child protection, children in care): open on the day of inspection, or
  closed (ceased) within those six months;
- list 9 (care leavers): on the day of inspection;
- lists 10 and 11 (adoption, adopters): the twelve months before the inspection, whatever the other lists use.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.errors import SynthgenError

MONTHS = (6, 12)
"""The windows lists 1 to 8 may cover (Ofsted asks for six months)."""
ADOPTION_MONTHS = 12
"""Lists 10 and 11 always cover twelve months (Ofsted: "in the 12 months before the inspection")."""


@dataclass(frozen=True)
class Column:
    field: str  # synthgen's name for the column
    heading: str  # the heading the list carries
    kind: str  # text, date, integer or code
    vocabulary: str  # the code list of a `code` column ("" otherwise)
    required: bool  # may not be blank


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    columns: tuple[Column, ...]

    @property
    def sheet(self) -> str:
        return f"List {self.number}"

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("synthgen.reference").joinpath("data", "annex_a", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def lists() -> tuple[ListSpec, ...]:
    """Lists 1 to 11, each with its columns in Ofsted's order."""
    rows = _rows("columns.csv")
    specs = []
    for number in sorted({int(r["list"]) for r in rows}):
        mine = sorted((r for r in rows if int(r["list"]) == number), key=lambda r: int(r["order"]))
        columns = tuple(
            Column(r["field"], r["heading"], r["kind"], r["vocabulary"], r["required"] == "yes") for r in mine
        )
        specs.append(ListSpec(number, mine[0]["title"], columns))
    return tuple(specs)


def spec(number: int) -> ListSpec:
    return lists()[number - 1]


@cache
def vocabulary(name: str) -> dict[str, str]:
    """A code list: synthgen's code to the text Annex A writes."""
    return {r["code"]: r["text"] for r in _rows("codes.csv") if r["vocabulary"] == name}


def coded(values: pa.Array | pa.ChunkedArray, name: str) -> pa.Array:
    """Codes as Annex A writes them (null stays null); a code the list does not know is one clear error."""
    table = vocabulary(name)
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    at = pc.index_in(values, value_set=pa.array(list(table), pa.string()))
    unknown = pc.and_(pc.is_valid(values), pc.is_null(at))
    if pc.any(unknown).as_py():
        first = values.filter(unknown)[0].as_py()
        raise SynthgenError(f"Annex A: the run holds {name} code {first!r}, which Annex A has no value for")
    result: pa.Array = pc.take(pa.array(list(table.values()), pa.string()), at)
    return result


def yes_no(flags: pa.Array | pa.ChunkedArray | NDArray[np.bool_]) -> pa.Array:
    """True as "a) Yes", False as "b) No", null as blank."""
    flags = pa.array(flags, pa.bool_()) if isinstance(flags, np.ndarray) else flags
    return coded(pc.if_else(flags, "Y", "N"), "yes_no")


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day where that month is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Window:
    """The inspection date and the months lists 1 to 8 look back over."""

    inspection: dt.date
    months: int = 6

    def first_day(self, months: int) -> dt.date:
        """The first day of the `months` months up to and including the inspection date."""
        return months_back(self.inspection + dt.timedelta(days=1), months)

    @property
    def start(self) -> dt.date:
        """The first day of the lists' window (1 October 2024 for six months to 31 March 2025)."""
        return self.first_day(self.months)

    @property
    def year_start(self) -> dt.date:
        """The first day of the twelve months before the inspection (counts "in the last 12 months")."""
        return self.first_day(12)


def days(column: pa.Array | pa.ChunkedArray, missing: int = 2**30) -> NDArray[np.int64]:
    """Dates as days since 1970; a null as `missing` (by default far in the future: an open end)."""
    values: NDArray[np.int64] = np.asarray(
        pc.cast(column, pa.int32()).fill_null(missing).to_numpy(zero_copy_only=False), np.int64
    )
    return values


def day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def dates(values: NDArray[np.int64], known: NDArray[np.bool_] | None = None) -> pa.Array:
    """Day numbers as dates, null where not `known`."""
    mask = None if known is None else ~known
    return pa.array(values.astype("datetime64[D]"), pa.date32(), mask=mask)


def age_on(born: pa.Array | pa.ChunkedArray, on: dt.date) -> pa.Array:
    """Age in whole years on a day (null for an unknown date of birth)."""
    years = pc.subtract(pa.scalar(on.year, pa.int64()), pc.year(born))
    before = pc.or_(
        pc.greater(pc.month(born), on.month),
        pc.and_(pc.equal(pc.month(born), on.month), pc.greater(pc.day(born), on.day)),
    )
    result: pa.Array = pc.subtract(years, pc.cast(before, pa.int64()))
    return result


KINDS = {"date": pa.date32(), "integer": pa.int64()}
"""Each column kind's type in a built list (text and code columns are strings)."""


def shaped(number: int, rows: int, columns: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """A list as a table: its columns in Ofsted's order, each of its kind's type; a column not given (data the
    run does not hold) is blank."""
    listed = spec(number)
    unknown = set(columns) - set(listed.fields)
    if unknown:
        raise ValueError(f"List {number} has no column {sorted(unknown)[0]!r}")
    arrays = []
    for column in listed.columns:
        kind = KINDS.get(column.kind, pa.string())
        given = columns.get(column.field)
        arrays.append(pa.nulls(rows, kind) if given is None else pc.cast(given, kind))
    return pa.table(arrays, names=list(listed.fields))


def between(column: pa.Array | pa.ChunkedArray, first: dt.date, last: dt.date) -> pa.Array:
    """Dates on or after `first` and on or before `last` (null dates: False)."""
    inside = pc.and_(
        pc.greater_equal(column, pa.scalar(first, pa.date32())), pc.less_equal(column, pa.scalar(last, pa.date32()))
    )
    result: pa.Array = pc.fill_null(inside, False)
    return result


def known_by(column: pa.Array | pa.ChunkedArray, last: dt.date) -> pa.Array:
    """Dates as known on `last`: null if still to come."""
    result: pa.Array = pc.if_else(
        pc.greater(column, pa.scalar(last, pa.date32())), pa.scalar(None, pa.date32()), column
    )
    return result


def counts_of(keys: pa.Array | pa.ChunkedArray, counted: pa.Array | pa.ChunkedArray) -> pa.Array:
    """For each key, how many times it occurs among `counted` (0 if never)."""
    tally = pc.value_counts(counted.combine_chunks() if isinstance(counted, pa.ChunkedArray) else counted)
    at = pc.index_in(keys, value_set=tally.field("values"))
    result: pa.Array = pc.fill_null(pc.take(tally.field("counts"), at), 0)
    return result
