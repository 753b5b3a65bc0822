"""Why a record changed after it was made, and what it held before: the changes a feed undoes.

- **Filled in later** (`filled_in`): the columns the registry says a record gains after it is made (a referral's
  closure, a plan's end, a check's answer) were empty before their day. Read from the year-end file itself.
- **Identifier traced** (`nhs_number_traced`, `upn_traced`): a record made without its NHS number or UPN, added
  later. Drawn for records made in the period that hold the identifier at the year's end with no error logged on
  it, at the rates in parameters/feeds.csv.
- **Date of birth corrected** (`date_of_birth_corrected`): first entered a year or a day out, or with day and
  month swapped; the year-end value (the right one: records with a date-of-birth error logged are left alone) is
  the correction.
- **Address updated** (`address_updated`): a record of someone whose household moved within the area
  (truth/moves) held the old address until the agency heard of the move. Only records that hold the new address
  at the year's end (an agency never told keeps the old one: the data-quality model's stale address) and were
  made before the move.

Every draw comes from a stream named by the table, the kind of change and the chunk of year-end rows drawn for
(synthgen.feeds.tables.DRAW_RECORDS rows in the year-end file's order; the first chunk's name has no number), so
adding a change never moves another, and a table's changes are drawn a chunk at a time, in memory that does not
grow with the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.feeds.history import NEVER, Change, Days, day_numbers
from synthgen.feeds.known import RunFacts

DOB_SLIPS = ("year", "day", "day_month_swap")
"""How a wrong date of birth was first entered: a year out, a day out, or day and month swapped (where that makes
another real date), in equal shares."""


def filled_in(path: str, final: pa.Table) -> list[Change]:
    """The registry's filled-in-later columns, empty before the day their day column holds."""
    result = []
    for day_column, columns in tables.table(path).filled_later:
        day = day_numbers(final[day_column])
        rows = np.flatnonzero(day < NEVER)  # every row filled in by the year's end
        before = {name: pa.nulls(len(rows), final.schema.field(name).type) for name in columns}
        result.append(Change("filled_in", rows, day[rows], before))
    return result


def lags(rng: np.random.Generator, mean: float, n: int) -> Days:
    """Whole days after an event, at least one, exponentially spread around `mean`."""
    result: Days = np.maximum(1, np.ceil(rng.exponential(max(mean, 1.0), n))).astype(np.int64)
    return result


@dataclass(frozen=True)
class Part:
    """A chunk of a table's year-end rows (the columns its changes read) and what the changes are drawn from: the
    day each was made, whether within the period, and for a person-level table each row's person (-1: none in the
    truth) and the fields with an error logged on it. `index` (the chunk's number) names its random streams, so a
    chunk's draws never depend on another chunk's rows."""

    path: str
    index: int
    final: pa.Table
    made: Days
    in_period: NDArray[np.bool_]
    person: NDArray[np.int64]
    logged: dict[str, NDArray[np.bool_]]

    def stream(self, facts: RunFacts, kind: str) -> np.random.Generator:
        """The chunk's stream for one kind of change: the first chunk's is named as a whole table's was before
        tables were drawn in chunks, so a table of one chunk draws exactly as it did."""
        return facts.stream(f"{self.path}:{kind}" if self.index == 0 else f"{self.path}:{kind}:{self.index}")


def traced(facts: RunFacts, part: Part) -> list[Change]:
    """Identifiers made empty and traced later, for the identifiers parameters/feeds.csv names for this table."""
    entry = tables.table(part.path)
    final, n = part.final, part.final.num_rows
    result = []
    for field, share in facts.params.series(f"feed_traced.{entry.agency}/{entry.name}").items():
        held = final[field].is_valid().to_numpy(zero_copy_only=False)
        if entry.person is not None:
            held &= ~part.logged[field]
        rng = part.stream(facts, f"{field}_traced")
        draw = rng.random(n) < share
        rows = np.flatnonzero(held & part.in_period & draw)
        mean = facts.params[f"feed_trace_days.{entry.agency}/{entry.name}.{field}"]
        day = part.made[rows] + lags(rng, mean, n)[rows]
        result.append(Change(f"{field}_traced", rows, day, {field: pa.nulls(len(rows), pa.string())}))
    return result


def dob_corrected(facts: RunFacts, part: Part) -> list[Change]:
    """A wrong date of birth first entered, corrected to the year-end value."""
    entry = tables.table(part.path)
    name = f"feed_dob_corrected.{entry.agency}/{entry.name}"
    if entry.person is None or name not in facts.params:
        return []
    column = entry.person.date_of_birth
    final, n = part.final, part.final.num_rows
    held = final[column].is_valid().to_numpy(zero_copy_only=False) & ~part.logged["date_of_birth"]
    rng = part.stream(facts, "date_of_birth_corrected")
    draw = rng.random(n) < facts.params[name]
    slip = rng.integers(0, len(DOB_SLIPS), n)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    lag = lags(rng, facts.params["feed_dob_correction_days"], n)
    wrong = _wrong_dates(final[column].combine_chunks(), slip, sign)
    rows = np.flatnonzero(held & part.in_period & draw & wrong.is_valid().to_numpy(zero_copy_only=False))
    return [Change("date_of_birth_corrected", rows, part.made[rows] + lag[rows], {column: wrong.take(pa.array(rows))})]


def _wrong_dates(dob: pa.Array, slip: NDArray[np.int64], sign: NDArray[np.int64]) -> pa.Array:
    """Each date slipped as `slip` says (null where the slip makes no other real date)."""
    day = day_numbers(dob, missing=0).astype("datetime64[D]")
    years = day.astype("datetime64[Y]")
    months = day.astype("datetime64[M]")
    month = (months - years).astype(np.int64) + 1
    dom = (day - months).astype(np.int64) + 1
    year_out = (years + sign).astype("datetime64[M]") + (month - 1)
    year_out_day = year_out.astype("datetime64[D]") + (dom - 1)
    valid_year = year_out_day.astype("datetime64[M]") == year_out
    day_out = day + sign
    swapped_month = years.astype("datetime64[M]") + (np.minimum(dom, 12) - 1)
    swapped = swapped_month.astype("datetime64[D]") + (month - 1)
    valid_swap = (dom <= 12) & (dom != month) & (swapped.astype("datetime64[M]") == swapped_month)
    result = np.where(slip == 0, year_out_day, np.where(slip == 1, day_out, swapped))
    valid = np.where(slip == 0, valid_year, np.where(slip == 1, True, valid_swap)) & dob.is_valid().to_numpy(
        zero_copy_only=False
    )
    return pa.array(result.astype("datetime64[D]"), pa.date32(), mask=~valid)


def address_updated(facts: RunFacts, part: Part) -> list[Change]:
    """The address before a household's move, held until the agency heard of it."""
    entry = tables.table(part.path)
    name = f"feed_address_update_days.{entry.agency}/{entry.name}"
    if entry.person is None or name not in facts.params:
        return []
    columns = entry.person
    moves = facts.moves_reached
    final, n = part.final, part.final.num_rows
    at = np.minimum(np.searchsorted(moves.person, part.person), max(len(moves.person) - 1, 0))
    has_move = (moves.person[at] == part.person) & (part.person >= 0) if len(moves.person) else np.zeros(n, bool)
    move_rows = pa.array(np.where(has_move, at, 0))
    moved_on = moves.moved_on[at] if len(moves.person) else np.zeros(n, np.int64)
    new_line = (
        moves.new["address_line"].combine_chunks().take(move_rows) if len(moves.person) else pa.nulls(n, pa.string())
    )
    told = pc.fill_null(pc.equal(final[columns.address].combine_chunks(), new_line), False)
    rng = part.stream(facts, "address_updated")
    day = moved_on + lags(rng, facts.params[name], n)
    old = moves.old.take(move_rows) if len(moves.person) else None
    known_old = old["address_line"].is_valid().to_numpy(zero_copy_only=False) if old is not None else np.zeros(n, bool)
    rows = np.flatnonzero(has_move & told.to_numpy(zero_copy_only=False) & (part.made < moved_on) & known_old)
    if old is None:
        old = pa.table({c: pa.nulls(0, pa.string()) for c in ("address_line", "town", "postcode")})
    before_rows = old.take(pa.array(rows))
    before = {
        columns.address: before_rows["address_line"].combine_chunks(),
        columns.postcode: before_rows["postcode"].combine_chunks(),
    }
    if "town" in final.column_names:
        before["town"] = before_rows["town"].combine_chunks()
    return [Change("address_updated", rows, day[rows], before)]
