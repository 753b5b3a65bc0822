"""The local authority's children's social care records: the tables one shard holds, and how a record's dates,
ids and child rows are written, for every part of the pathway (referrals, protection, care, the unborn) alike;
with what the authority records of each child beyond the pathway (disabilities, for the CIN census).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import reference
from synthgen.agencies import TABLE_CODES, AgencyTable, address_columns, name_columns
from synthgen.kernel import strings
from synthgen.kernel.record_ids import format_record_ids, record_ids_from
from synthgen.kernel.rng import shard_stream
from synthgen.scenario.plan import Plan
from synthgen.world.births import Births
from synthgen.world.population import People, Population

ABUSE = {"neglect": "NEG", "emotional_abuse": "EMO", "physical_abuse": "PHY", "sexual_abuse": "SAB"}
"""The needs that are abuse or neglect, with their child protection category codes."""


def _no_rows() -> pa.Table:
    return pa.table({})


@dataclass(frozen=True)
class SocialCareTables:
    """One shard's children's social care records: the children known (person-level) and their event tables."""

    children: AgencyTable  # one row per child known to children's social care (person-level)
    referrals: pa.Table
    assessments: pa.Table
    cin_plans: pa.Table
    section47: pa.Table
    icpcs: pa.Table
    cp_plans: pa.Table
    cla_episodes: pa.Table  # one row per episode of care (see looked_after)
    # the rest of the looked-after record (SSDA903): set by care_periods.with_looked_after
    cla_reviews: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_missing: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_uasc: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_adoption_decisions: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_adoptions: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_previous_permanence: pa.Table = field(default_factory=_no_rows, repr=False)
    cla_outcomes: pa.Table = field(default_factory=_no_rows, repr=False)
    care_leavers: pa.Table = field(default_factory=_no_rows, repr=False)


def weekday(start: np.datetime64, offset: NDArray[np.int64]) -> NDArray[np.int64]:
    """Days from the start moved on to the next weekday where they fall on a weekend: a conference is held on a
    working day (the CIN census rejects one dated on a Saturday or Sunday)."""
    day = start + offset.astype("timedelta64[D]")
    moved: NDArray[np.int64] = (np.busday_offset(day, 0, roll="forward") - start).astype(np.int64)
    return moved


def dates(start: np.datetime64, offset: NDArray[np.int64], open_from: int | None = None) -> pa.Array:
    """Days from the start as dates; null from `open_from` on (an end still to come when the period ends)."""
    mask = offset >= open_from if open_from is not None else None
    return pa.array(start + offset.astype("timedelta64[D]"), pa.date32(), mask=mask)


def ids(plan: Plan, shard: int, table: str, n: int, after: int = 0) -> pa.Array:
    """Record ids of a social-care table's rows `after` .. `after` + n - 1 (the unborn are added after the rest)."""
    code = TABLE_CODES[f"social_care/{table}"]
    return format_record_ids(record_ids_from(plan.record_key, code, shard, after, n))


def list_column(n: int, entries: list[tuple[NDArray[np.int64], str]]) -> pa.Array:
    """A list<string> column of n rows from (rows, value) pairs: each row lists the values whose rows hold it."""
    rows = np.concatenate([r for r, _ in entries]) if entries else np.zeros(0, np.int64)
    values = np.concatenate([np.full(len(r), v, dtype=object) for r, v in entries]) if entries else np.zeros(0, object)
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values[order], pa.string()))


def children_rows(
    plan: Plan,
    pop: Population,
    key: NDArray[np.uint64],
    la_ids: pa.Array,
    who: People | Births,
    rows: NDArray[np.int64],
    upn: NDArray[np.object_],
) -> pa.Table:
    """Rows of the children table: the LA's record of each child (`rows` of the people, or of the period's
    babies), at the household's address."""
    return pa.table(
        {
            "record_id": format_record_ids(key),
            "la_child_id": la_ids,
            **name_columns(pop, who, rows),
            "date_of_birth": pa.array(who.date_of_birth[rows], pa.date32()),
            "sex": pc.if_else(pa.array(who.female[rows]), strings.text("F"), strings.text("M")),
            "ethnicity": strings.labelled(reference.ethnicities().codes, who.ethnicity[rows]),
            "nhs_number": pa.array(who.nhs_number[rows], pa.string()),
            "upn": pa.array(upn, pa.string()),
            **address_columns(plan, pop, who.household[rows]),
        }
    )


def with_children(
    known: AgencyTable, added: pa.Table, key: NDArray[np.uint64], person_id: NDArray[np.int64]
) -> AgencyTable:
    """The children table with more children (their rows, record ids and truth person ids) after the known."""
    return AgencyTable(
        "social_care",
        "children",
        pa.concat_tables([known.table, added]),
        np.r_[known.key, key],
        np.r_[known.person_id, person_id],
    )


DISABILITIES = ("LD", "BEH", "AUT", "COMM", "CON", "PC", "MOB", "HAND", "VIS", "HEAR", "INC", "DDA")
"""CIN census disability codes (their shares among recorded disabilities: cin_disability_share.<code>)."""


def with_disabilities(plan: Plan, shard: int, children: AgencyTable) -> AgencyTable:
    """Each child's disabilities as the authority records them for the CIN census (an empty list for a child with
    none): cin_disabled_share of children have one, two or three distinct codes in proportion to their shares;
    from a stream of their own, so that nothing else in the run changes."""
    params = plan.params
    n = children.table.num_rows
    rng = shard_stream(plan.seed, shard, "social-care-disabilities")
    disabled = rng.random(n) < params["cin_disabled_share"]
    count_shares = list(params.series("cin_disability_count_share").values())
    counts = np.where(disabled, 1 + rng.choice(len(count_shares), n, p=count_shares), 0)
    # distinct codes in proportion to their shares: the top keys of log-share plus Gumbel noise; a code a scenario
    # gives no share is never recorded, so a child has at most as many codes as there are codes with a share
    shares = np.array([params[f"cin_disability_share.{code}"] for code in DISABILITIES])
    counts = np.minimum(counts, np.count_nonzero(shares))
    with np.errstate(divide="ignore"):
        keys = np.log(shares)[None, :] + rng.gumbel(size=(n, len(DISABILITIES)))
    ranked = np.argsort(-keys, axis=1, kind="stable")
    taken = np.arange(len(DISABILITIES))[None, :] < counts[:, None]
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    codes = np.asarray(DISABILITIES, dtype=object)[ranked[taken]]
    disabilities = pa.ListArray.from_arrays(pa.array(offsets), pa.array(codes, pa.string()))
    return AgencyTable(
        children.source,
        children.name,
        children.table.append_column("disabilities", disabilities),
        children.key,
        children.person_id,
    )
