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

Every draw comes from a stream named by the table and the kind of change, so adding a change never moves another.
"""

from __future__ import annotations

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


def _logged(truth: pa.Table, at: NDArray[np.int64], field: str) -> NDArray[np.bool_]:
    """Whether each record (rows `at` of truth/records) has an error logged on `field`."""
    errors = truth["errors"].combine_chunks().take(pa.array(at))
    flat = pc.list_flatten(errors)
    owner = pc.list_parent_indices(errors).to_numpy(zero_copy_only=False)
    hit = pc.equal(flat.field("field"), field).to_numpy(zero_copy_only=False)
    result = np.zeros(len(at), bool)
    result[owner[hit]] = True
    return result


def _truth_rows(facts: RunFacts, path: str, final: pa.Table) -> tuple[pa.Table, NDArray[np.int64]]:
    """truth/records of a person-level table, and the row of it for each year-end row."""
    truth = facts.person_records(path)
    at = pc.index_in(final["record_id"], value_set=truth["source_record_id"].combine_chunks())
    return truth, at.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)


def traced(facts: RunFacts, path: str, final: pa.Table, made: Days, made_in_period: NDArray[np.bool_]) -> list[Change]:
    """Identifiers made empty and traced later, for the identifiers parameters/feeds.csv names for this table."""
    entry = tables.table(path)
    result = []
    for field, share in facts.params.series(f"feed_traced.{entry.agency}/{entry.name}").items():
        held = final[field].is_valid().to_numpy(zero_copy_only=False)
        if entry.person is not None:
            truth, at = _truth_rows(facts, path, final)
            held &= ~_logged(truth, at, field)
        rng = facts.stream(f"{path}:{field}_traced")
        draw = rng.random(final.num_rows) < share
        rows = np.flatnonzero(held & made_in_period & draw)
        mean = facts.params[f"feed_trace_days.{entry.agency}/{entry.name}.{field}"]
        day = made[rows] + lags(rng, mean, final.num_rows)[rows]
        result.append(Change(f"{field}_traced", rows, day, {field: pa.nulls(len(rows), pa.string())}))
    return result


def dob_corrected(
    facts: RunFacts, path: str, final: pa.Table, made: Days, made_in_period: NDArray[np.bool_]
) -> list[Change]:
    """A wrong date of birth first entered, corrected to the year-end value."""
    entry = tables.table(path)
    name = f"feed_dob_corrected.{entry.agency}/{entry.name}"
    if entry.person is None or name not in facts.params:
        return []
    column = entry.person.date_of_birth
    truth, at = _truth_rows(facts, path, final)
    held = final[column].is_valid().to_numpy(zero_copy_only=False) & ~_logged(truth, at, "date_of_birth")
    rng = facts.stream(f"{path}:date_of_birth_corrected")
    n = final.num_rows
    draw = rng.random(n) < facts.params[name]
    slip = rng.integers(0, len(DOB_SLIPS), n)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    lag = lags(rng, facts.params["feed_dob_correction_days"], n)
    wrong = _wrong_dates(final[column].combine_chunks(), slip, sign)
    rows = np.flatnonzero(held & made_in_period & draw & wrong.is_valid().to_numpy(zero_copy_only=False))
    return [Change("date_of_birth_corrected", rows, made[rows] + lag[rows], {column: wrong.take(pa.array(rows))})]


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


def address_updated(facts: RunFacts, path: str, final: pa.Table, made: Days) -> list[Change]:
    """The address before a household's move, held until the agency heard of it."""
    entry = tables.table(path)
    name = f"feed_address_update_days.{entry.agency}/{entry.name}"
    if entry.person is None or name not in facts.params:
        return []
    columns = entry.person
    truth, at = _truth_rows(facts, path, final)
    person = truth["person_id"].combine_chunks().take(pa.array(at))
    people = facts.people
    household = (
        people["household_id"]
        .combine_chunks()
        .take(pc.index_in(person, value_set=people["person_id"].combine_chunks()))
    )
    moves = facts.moves
    move = pc.index_in(household, value_set=moves["household_id"].combine_chunks())
    has_move = move.is_valid().to_numpy(zero_copy_only=False)
    move_rows = move.fill_null(0)
    moved_on = day_numbers(moves["moved_on"].combine_chunks().take(move_rows))
    addresses = facts.addresses
    ids = addresses["address_id"].combine_chunks()
    new = pc.index_in(moves["to_address_id"].combine_chunks().take(move_rows), value_set=ids)
    old = pc.index_in(moves["from_address_id"].combine_chunks().take(move_rows), value_set=ids)
    new_line = addresses["address_line"].combine_chunks().take(new)
    told = pc.fill_null(pc.equal(final[columns.address].combine_chunks(), new_line), False)
    rng = facts.stream(f"{path}:address_updated")
    day = moved_on + lags(rng, facts.params[name], final.num_rows)
    rows = np.flatnonzero(
        has_move
        & told.to_numpy(zero_copy_only=False)
        & (made < moved_on)
        & old.is_valid().to_numpy(zero_copy_only=False)
    )
    before_rows = old.take(pa.array(rows))
    before = {
        columns.address: addresses["address_line"].combine_chunks().take(before_rows),
        columns.postcode: addresses["postcode"].combine_chunks().take(before_rows),
    }
    if "town" in final.column_names:
        before["town"] = addresses["town"].combine_chunks().take(before_rows)
    return [Change("address_updated", rows, day[rows], before)]
