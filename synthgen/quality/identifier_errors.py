"""Errors in identifiers (NHS number, UPN): a relative's number recorded instead, two digits transposed, the
number left blank."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.quality import text
from synthgen.quality.changes import Log, Rates, chosen, replace
from synthgen.quality.relatives import household_member
from synthgen.world.population import Population


def identifier_errors(
    rng: np.random.Generator,
    pop: Population,
    person: NDArray[np.int64],
    column: pa.Array,
    field_name: str,
    rates: Rates,
    log: Log,
    person_identifiers: NDArray[np.object_] | None,
) -> pa.Array:
    """One identifier column with its errors. `person` is each record's person row (-1 where none);
    `person_identifiers` is every person's true identifier (None when they have none), without which no
    relative's number can be taken."""
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if person_identifiers is not None:
        other = household_member(rng, pop, person)
        has = other >= 0
        has[has] = pa.array(person_identifiers[other[has]], pa.string()).is_valid().to_numpy(zero_copy_only=False)
        rows = chosen(rng, valid & has, rates, field_name, "relative_identifier", log)
        column = replace(column, rows, pa.array(person_identifiers[other[rows]], pa.string()))
        log.add(rows, "relative_identifier", field_name)
    rows = chosen(rng, valid, rates, field_name, "transposition", log)
    if len(rows):
        new, changed = text.transpositions(rng, column.take(pa.array(rows)))
        column = replace(column, rows[changed], new.filter(pa.array(changed)))
        log.add(rows[changed], "transposition", field_name)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    rows = chosen(rng, valid, rates, field_name, "missing", log)
    column = replace(column, rows, pa.nulls(len(rows), pa.string()))
    log.add(rows, "missing", field_name)
    return column
