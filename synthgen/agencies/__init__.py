"""Agency views: what each agency holds about the people it has met, under its own identifiers and formats."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import tables
from synthgen.kernel import strings
from synthgen.kernel.arrays import categorical
from synthgen.kernel.strings import base32, from_byte_matrix
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import People, Population


@dataclass(frozen=True)
class AgencyTable:
    """One agency table from one shard, with the truth of whose record each row is (kept apart on writing)."""

    source: str  # police, health, school, social_care
    name: str  # e.g. gp_registrations
    table: pa.Table  # the agency's columns; record_id first
    key: NDArray[np.uint64]  # the record id as a number: rows are written in this (random) order
    person_id: NDArray[np.int64]
    day: NDArray[np.datetime64] | None = field(default=None, kw_only=True)
    """Each row's day, for a table whose date is held elsewhere (a role in an incident: the incident's day)."""
    context: pa.Table | None = field(default=None, kw_only=True)
    """Columns held elsewhere that say what a row means (a role's incident type and time), row for row: read by
    the safeguarding-signal rules, never written to the table's file."""

    @property
    def path(self) -> str:
        return f"agencies/{self.source}/{self.name}"


TABLE_CODES = tables.table_codes()
"""Each table's place in the record-id space (record_ids.coordinates): ids never repeat across tables."""
LOCAL_ID_OFFSET = 100
"""An agency system's own ids (local patient ids) use table code + 100."""


def local_ids(keys: NDArray[np.uint64]) -> pa.StringArray:
    """10-character ids of an agency's own system, drawn from its own part of the record-id space."""
    return from_byte_matrix(base32(keys, 12)[:, 2:])


def nearest(
    from_east: NDArray[np.float64],
    from_north: NDArray[np.float64],
    to_east: NDArray[np.float64],
    to_north: NDArray[np.float64],
    k: int,
) -> NDArray[np.int64]:
    """Indices of the k nearest places for each origin, nearest first.

    Origins repeat (many households share a postcode), so distances are computed once per distinct origin. The
    distinct origins are found as complex numbers (east + i north): one sort of a plain array, where the rows of
    a two-column array sort as records, five times slower.
    """
    k = min(k, len(to_east))
    origin = np.empty(len(from_east), dtype=np.complex128)
    origin.real, origin.imag = from_east, from_north
    distinct, inverse = np.unique(origin, return_inverse=True)
    east, north = distinct.real[:, None], distinct.imag[:, None]
    distance = (east - to_east[None, :]) ** 2 + (north - to_north[None, :]) ** 2
    if k < distance.shape[1]:
        candidates = np.argpartition(distance, k - 1, axis=1)[:, :k]
    else:
        candidates = np.broadcast_to(np.arange(distance.shape[1]), distance.shape).copy()
    near = np.take_along_axis(distance, candidates, axis=1)
    order = np.lexsort((candidates, near), axis=1)
    result: NDArray[np.int64] = np.take_along_axis(candidates, order, axis=1)[inverse.ravel()]
    return result


def choose_nearby(
    rng: np.random.Generator,
    candidates: NDArray[np.int64],
    weights: tuple[float, ...],
    sizes: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Pick one of each row's nearby places, the nearest most often and a larger place (`sizes`: each place's
    relative size) in proportion more often, so that places fill as their sizes say."""
    w = np.array(weights[: candidates.shape[1]])
    pick = categorical(rng, w[None, :] * sizes[candidates])
    result: NDArray[np.int64] = candidates[np.arange(candidates.shape[0]), pick]
    return result


def concatenated(first: AgencyTable, second: AgencyTable) -> AgencyTable:
    """One agency table from two parts of it (a register and the babies born onto it): first's rows, then second's."""
    return AgencyTable(
        first.source,
        first.name,
        pa.concat_tables([first.table, second.table]),
        np.r_[first.key, second.key],
        np.r_[first.person_id, second.person_id],
    )


def filtered(agency: AgencyTable, keep: NDArray[np.bool_]) -> AgencyTable:
    """The rows of an agency table where `keep` is true, with their keys and people."""
    mask = pa.array(keep)
    return AgencyTable(
        agency.source,
        agency.name,
        agency.table.filter(mask),
        agency.key[keep],
        agency.person_id[keep],
        day=None if agency.day is None else agency.day[keep],
        context=None if agency.context is None else agency.context.filter(mask),
    )


def name_columns(
    pop: Population, who: People | Births, rows: NDArray[np.int64], middle: bool = True
) -> dict[str, pa.Array]:
    """given_name, middle_names (unless `middle` is False) and family_name of some of the people (or of the
    period's babies), as the person's own names: the columns each agency's person records start from."""
    forenames = pa.array(pop.forenames, pa.string())
    columns = {"given_name": strings.names(forenames, who.given_name[rows])}
    if middle:
        columns["middle_names"] = strings.middle_names(forenames, who.middle_1[rows], who.middle_2[rows])
    surnames = pa.array(pop.surnames, pa.string())
    columns["family_name"] = strings.surnames(surnames, who.surname_1[rows], who.surname_2[rows])
    return columns


def address_columns(
    plan: Plan, pop: Population, household: NDArray[np.int64], town: bool = False
) -> dict[str, pa.Array]:
    """address_line, town (when asked for) and postcode of each row's household."""
    home = pop.household_postcode[household]
    columns = {
        "address_line": strings.address_lines(strings.taken(plan.streets, home), pop.household_number[household])
    }
    if town:
        columns["town"] = strings.taken(plan.towns, home)
    columns["postcode"] = strings.taken(plan.postcodes.postcode, home)
    return columns
