"""Errors in addresses: the address before a move still held (a stale address), a mistyped postcode, a postcode
left blank."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.kernel import strings
from synthgen.quality import text
from synthgen.quality.changes import Columns, Log, Rates, chosen, replace
from synthgen.scenario.plan import Plan
from synthgen.world.population import Population


def address_errors(
    rng: np.random.Generator,
    plan: Plan,
    pop: Population,
    person: NDArray[np.int64],
    known: NDArray[np.bool_],
    values: dict[str, pa.Array],
    columns: Columns,
    rates: Rates,
    log: Log,
) -> None:
    """Apply the address errors to a table's address and postcode columns (`values`, changed in place).

    A stale address is possible only for a household that moved (before or during the period); `person` is each
    record's person row (0 where not `known`)."""
    moved = pop.addresses.previous_postcode[pop.people.household[person]] >= 0
    stale_rows = chosen(rng, known & moved, rates, "address", "stale_address", log)
    if len(stale_rows):
        hh = pop.people.household[person[stale_rows]]
        pc_index = pop.addresses.previous_postcode[hh]
        line = strings.address_lines(strings.taken(plan.streets, pc_index), pop.addresses.previous_number[hh])
        values[columns.address] = replace(values[columns.address], stale_rows, line)
        values[columns.postcode] = replace(
            values[columns.postcode], stale_rows, strings.taken(plan.postcodes.postcode, pc_index)
        )
        log.add(stale_rows, "stale_address", "address")
        # the old address may be in the same postcode: then only the address line differs
        moved_postcode = plan.postcodes.postcode[pc_index] != plan.postcodes.postcode[pop.household_postcode[hh]]
        log.add(stale_rows[moved_postcode], "stale_address", "postcode")
    postcode = values[columns.postcode]
    typo_rows = chosen(rng, postcode.is_valid().to_numpy(zero_copy_only=False), rates, "postcode", "typo", log)
    postcode = replace(postcode, typo_rows, text.postcode_typos(rng, postcode.take(pa.array(typo_rows))))
    log.add(typo_rows, "typo", "postcode")
    missing = chosen(rng, postcode.is_valid().to_numpy(zero_copy_only=False), rates, "postcode", "missing", log)
    values[columns.postcode] = replace(postcode, missing, pa.nulls(len(missing), pa.string()))
    log.add(missing, "missing", "postcode")
