"""What the data-quality model can change, and the two mechanics every error shares: choosing the records that
get it, and replacing their values while logging each change.

Every change is logged as (row, kind, field), so an evaluation can say which errors a linker missed; the log
also counts the records that were eligible for each error, so a report can set what was changed against what
could have been.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.tables import PersonColumns

KINDS = (
    "typo",
    "ocr",
    "phonetic",
    "transliteration",
    "nickname",
    "name_swap",
    "surname_change",
    "hyphen_split",
    "hyphen_join",
    "hyphen_drop",
    "hyphen_reorder",
    "missing",
    "day_month_swap",
    "dob_typo",
    "age_only",
    "copied_from_household",
    "wrong_value",
    "transposition",
    "relative_identifier",
    "reissued_identifier",
    "identifier_not_carried",
    "stale_address",
    "duplicate",
    "partial",
    "unborn",
)
FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "postcode",
    "address",
    "record",
)
KIND = {k: i for i, k in enumerate(KINDS)}
FIELD = {f: i for i, f in enumerate(FIELDS)}

Rates = dict[tuple[str, str], float]
"""One agency's error rates by (field, kind)."""


Columns = PersonColumns
"""Where an agency table keeps each field, and how it codes sex: the registry's declaration of a person-level
table (synthgen/tables), which the model reads a table by."""


@dataclass(frozen=True)
class RowScale:
    """Per-row multipliers of some errors' rates, for a table's rows as they stand (the group-dependent mechanisms
    of synthgen/quality/mechanisms.py): an error not listed has its rate on every row."""

    by_error: dict[tuple[str, str], NDArray[np.float64]]


@dataclass
class Log:
    """Every change made to one table, as parallel arrays (row, kind, field), the eligible rows per error and the
    changes the rates lead one to expect among them (with group-dependent rates, the sum of each row's chance)."""

    rows: list[NDArray[np.int64]] = field(default_factory=list)
    kinds: list[NDArray[np.int64]] = field(default_factory=list)
    fields: list[NDArray[np.int64]] = field(default_factory=list)
    eligible: dict[tuple[str, str], int] = field(default_factory=dict)
    expected: dict[tuple[str, str], float] = field(default_factory=dict)
    scale: RowScale | None = None  # the rows' multipliers, set by the model before it draws
    given: int = 0  # how many of the entries at the front are differences the table was made with
    given_parts: int = 0  # how many of the arrays they fill

    def add(self, rows: NDArray[np.int64], kind: str, field_name: str, given: bool = False) -> None:
        """Log a change; a given one (what the table was made with, not the model's error) goes before the rest."""
        at = self.given_parts if given else len(self.rows)
        self.rows.insert(at, rows.astype(np.int64))
        self.kinds.insert(at, np.full(len(rows), KIND[kind]))
        self.fields.insert(at, np.full(len(rows), FIELD[field_name]))
        if given:
            self.given_parts += 1
            self.given += len(rows)

    def made(self, field_name: str, kind: str, n: int) -> NDArray[np.bool_]:
        """The rows of n already logged with this error (a copied record's own spelling variant is not varied
        again: that could only turn it back)."""
        result = np.zeros(n, bool)
        for rows, kinds, fields in zip(self.rows, self.kinds, self.fields, strict=True):
            if len(rows) and kinds[0] == KIND[kind] and fields[0] == FIELD[field_name]:
                result[rows[rows < n]] = True
        return result

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        if not self.rows:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        return np.concatenate(self.rows), np.concatenate(self.kinds), np.concatenate(self.fields)


def chosen(
    rng: np.random.Generator,
    eligible: NDArray[np.bool_],
    rates: Rates,
    field_name: str,
    kind: str,
    log: Log,
) -> NDArray[np.int64]:
    """The eligible rows that get this error, each with the configured chance (times its row's multiplier, where a
    group-dependent mechanism sets one); counts the eligible rows and the changes expected among them.

    No draw is made when the rate is zero, so a profile without an error leaves the stream as it was; and the
    draw is the same one whatever the multipliers, so a row no mechanism touches gets what it got without them."""
    key = (field_name, kind)
    rate = rates.get(key, 0.0)
    eligible = eligible & ~log.made(field_name, kind, len(eligible))  # an error is not made twice in one value
    log.eligible[key] = log.eligible.get(key, 0) + int(eligible.sum())
    factor = log.scale.by_error.get(key) if log.scale is not None else None
    if factor is not None and len(factor) != len(eligible):
        raise ValueError(f"{field_name}.{kind}: {len(factor)} multipliers for {len(eligible)} rows")
    chance = rate if factor is None else np.minimum(rate * factor, 1.0)
    log.expected[key] = log.expected.get(key, 0.0) + float(np.sum(chance * eligible))
    if rate <= 0:
        return np.zeros(0, np.int64)
    result: NDArray[np.int64] = np.flatnonzero(eligible & (rng.random(len(eligible)) < chance))
    return result


def replace(column: pa.Array, rows: NDArray[np.int64], values: pa.Array) -> pa.Array:
    """The column with rows[i] set to values[i] (one pass over the column)."""
    if not len(rows):
        return column
    index = np.arange(len(column), dtype=np.int64)
    index[rows] = len(column) + np.arange(len(rows))
    combined = pa.concat_arrays([column, values.cast(column.type)])
    return combined.take(pa.array(index))
