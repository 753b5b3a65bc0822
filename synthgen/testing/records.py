"""Agency records with planted errors of chosen kinds, each with its true person: the material of a property test
such as "records of one person with a typo in the surname still match".

The errors are the data-quality model's own (synthgen/quality/), planted by generating a small run whose rates for
the chosen kinds are raised (`planting_rates`), so a typo is the model's typo, in the fields and agencies that make
it, and every change is the one the run's truth logs. The records handed back are whole people: every record of
each person chosen, so that a record with an error always has another record of its person to be matched with.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.scenario.schema import Scenario
from synthgen.testing.runs import SmallRun, base_scenario, validated_scenario

PLANTING_RATE = 0.3
"""The chance of each chosen error on each eligible record in a planting run: high enough that every kind the
model can make turns up in a run of a few hundred people (hyphen changes need a double-barrelled surname,
nicknames a name that has one), low enough that most records of a person still carry none."""


def plantable() -> tuple[str, ...]:
    """Every error that can be planted, as 'field.kind' (synthgen/reference/data/quality_rates.csv)."""
    return tuple(sorted({f"{r.field}.{r.kind}" for r in reference.quality_rates()}))


def check_errors(errors: Sequence[str]) -> tuple[str, ...]:
    """The errors asked for ('field.kind', e.g. 'family_name.typo', or a kind in any field, e.g. 'typo'), each
    known to the data-quality model; a ValueError names the first that is not, with what is allowed."""
    if isinstance(errors, str):
        raise ValueError(f"errors must be a list of error names, not the string {errors!r}")
    known = plantable()
    kinds = {name.split(".", 1)[1] for name in known}
    if not errors:
        raise ValueError("errors must name at least one error, e.g. ['family_name.typo']")
    for error in errors:
        if error not in known and error not in kinds:
            raise ValueError(
                f"unknown error {error!r} (allowed: a kind, {', '.join(sorted(kinds))}; or {known[0]}, ...)"
            )
    return tuple(dict.fromkeys(errors))


def planting_rates(errors: Sequence[str], rate: float = PLANTING_RATE) -> dict[str, dict[str, dict[str, float]]]:
    """Data-quality rate overrides (a scenario's `data_quality.rates`) raising each chosen error, in every agency
    that makes it, to at least `rate`."""
    chosen = set(check_errors(errors))
    rates: dict[str, dict[str, dict[str, float]]] = {}
    for row in reference.quality_rates():
        if f"{row.field}.{row.kind}" in chosen or row.kind in chosen:
            rates.setdefault(row.agency, {}).setdefault(row.field, {})[row.kind] = max(row.realistic, rate)
    return rates


def planting_scenario(errors: Sequence[str], scenario: Scenario | None = None, rate: float = PLANTING_RATE) -> Scenario:
    """`scenario` (default: `base_scenario()`) with the chosen errors raised to `rate`, on top of its own rates."""
    data: dict[str, Any] = (scenario or base_scenario()).model_dump(mode="json")
    quality = data.setdefault("data_quality", {})
    merged = quality.setdefault("rates", {})
    for agency, fields in planting_rates(errors, rate).items():
        for field_name, kinds in fields.items():
            merged.setdefault(agency, {}).setdefault(field_name, {}).update(kinds)
    return validated_scenario(json.dumps(data, sort_keys=True))


@dataclass(frozen=True)
class AgencyRecords:
    """Linkage records of a few people, every record of each, with the truth beside them row for row.

    `records` has the linkage view's columns (what a matcher is given); `person_id` is each record's true person,
    `errors` each record's logged changes as 'field.kind'; `planted` maps each error asked for to the rows that
    carry it (at least one each); `view_rows` each record's row in `run.linkage`; `run` is the run they come
    from, for a matcher that must see a whole register (to estimate its weights) before it is asked about these."""

    records: pa.Table
    person_id: NDArray[np.int64]
    errors: tuple[tuple[str, ...], ...]
    planted: dict[str, NDArray[np.int64]]
    view_rows: NDArray[np.int64]
    run: SmallRun

    def rows_of(self, person: int) -> NDArray[np.int64]:
        """The rows of one person's records."""
        result: NDArray[np.int64] = np.flatnonzero(self.person_id == person)
        return result


def candidates(run: SmallRun, error: str) -> NDArray[np.int64]:
    """The linkage rows carrying `error` whose person has another record in the view to be matched with."""
    person = run.person_id
    _, inverse, counts = np.unique(person, return_inverse=True, return_counts=True)
    result: NDArray[np.int64] = np.flatnonzero(run.carrying(error) & (counts[inverse.ravel()] >= 2))
    return result


def gather(run: SmallRun, people: NDArray[np.int64], errors: Sequence[str]) -> AgencyRecords:
    """Every record of `people`, in the linkage view's order (record-id order: random), with their truth."""
    rows = np.flatnonzero(np.isin(run.person_id, people))
    truth = run.truth.take(pa.array(rows))
    flat = pc.list_flatten(truth["errors"])
    labels = pc.binary_join_element_wise(pc.struct_field(flat, "field"), pc.struct_field(flat, "kind"), ".").to_pylist()
    parents = pc.list_parent_indices(truth["errors"]).to_numpy()
    per_row: list[list[str]] = [[] for _ in rows]
    for parent, label in zip(parents.tolist(), labels, strict=True):  # the few records of a few people
        per_row[parent].append(label)
    planted = {error: np.flatnonzero(run.carrying(error)[rows]) for error in errors}
    return AgencyRecords(
        records=run.linkage.take(pa.array(rows)),
        person_id=run.person_id[rows],
        errors=tuple(tuple(labels) for labels in per_row),
        planted=planted,
        view_rows=rows.astype(np.int64),
        run=run,
    )
