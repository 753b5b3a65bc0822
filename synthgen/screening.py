"""The reference screening method: what a MASH's first automated screen could do with the agency files alone.

It is the yardstick a screening system is scored beside, and makes the loop work out of the box
(`synthgen screen` then `synthgen evaluate sharing`). It never reads the truth:
1. link every person-level record with a reference linker (`synthgen link`'s methods) into clusters, one per
   person as far as the linker can tell;
2. find concerning records with the same rules as truth/signals (synthgen.signals), about children as the
   agency records them (their own, possibly wrong, birth dates), and place each with its child's cluster through
   the agency's own keys (police person id, local patient id or NHS number, UPN, LA child id);
3. flag a cluster on the first day a concerning record from one agency follows one from another agency within
   the window (90 days by default), each record counted from the day the screen could have seen it (entered, about
   a child the agency already held), so no flag is from the future;
4. disclose, for each flag, what the policy lets each agency share for safeguarding with each other agency:
   the child's person-level records and the concerning records up to the flag.
What it knows of the files (each agency's register, each event table's id column) comes from the table registry
(`synthgen.tables`), never from the modules that generate them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import sharing_policy, signals, tables
from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError, shown
from synthgen.linkage import DEFAULT_METHOD, METHODS, link
from synthgen.outputs.files import TABLE_SUFFIXES, claimed, require_suffix, write_table
from synthgen.reference_checks import AgencyFiles, Day
from synthgen.run_folder import Run, open_run

DEFAULT_WINDOW = 90
PURPOSE = "safeguarding"
PERSON_TABLES = {agency: table.name for agency, table in tables.registers().items()}
"""Each agency's person-level register (from the table registry): what its event records point at."""


@dataclass(frozen=True)
class Screened:
    flags: pa.Table  # record_id (a linkage view id), flagged_at, concern
    disclosures: pa.Table  # record_id, fields, recipient, shared_at, case, purpose


@dataclass(frozen=True)
class _Found:
    """Concerning records about children, each placed with a person-level record of its agency."""

    agency: str
    table: str
    record_id: pa.Array  # the event's own id
    person_record: pa.Array  # the agency's person-level record_id (null where it cannot be placed)
    kind: NDArray[np.object_]
    day: NDArray[np.datetime64]


def _lookup(keys: pa.Array, table: pa.Table, key: str, value: str) -> pa.Array:
    """For each key, `value` of the first row of `table` whose `key` equals it (null where none does)."""
    index = pc.index_in(keys, value_set=table.column(key).combine_chunks())
    return table.column(value).combine_chunks().take(index)


def _found(files: AgencyFiles, agency: str, table: str, period: tuple[dt.date, dt.date]) -> _Found | None:
    run = files.run
    path = f"agencies/{agency}/{table}"
    if not run.has(path) or not run.has(f"agencies/{agency}/{PERSON_TABLES[agency]}"):
        return None
    records = files.read(path)
    register = files.read(f"agencies/{agency}/{PERSON_TABLES[agency]}")
    event_held = files.held(tables.agency_table(agency, table), records)
    # an event's own id, as the registry declares it (record_id; a police role's incident_id; a social care
    # referral's referral_id): the id truth/events and truth/signals use
    id_column = tables.agency_table(agency, table).id_column or "record_id"
    if agency == "police":
        incidents = files.read("agencies/police/incidents")
        records = records.append_column(
            "incident_type", _lookup(records["incident_id"], incidents, "incident_id", "incident_type")
        ).append_column("occurred_at", _lookup(records["incident_id"], incidents, "incident_id", "occurred_at"))
        person_record = _lookup(records["police_person_id"], register, "record_id", "record_id")
    elif agency == "health":
        by_nhs = register.filter(pc.is_valid(register["nhs_number"]))
        person_record = _lookup(records["nhs_number"], by_nhs, "nhs_number", "record_id")
        if "local_patient_id" in records.column_names:
            local = _lookup(records["local_patient_id"], register, "local_patient_id", "record_id")
            person_record = pc.coalesce(local, person_record)
    elif agency == "school":
        person_record = _lookup(records["upn"], register, "upn", "record_id")
    else:
        person_record = _lookup(records["la_child_id"], register, "la_child_id", "record_id")
    if "date_of_birth" in records.column_names:
        dob = signals.days(records["date_of_birth"].combine_chunks())
    else:
        dob = signals.days(_lookup(person_record, register, "record_id", "date_of_birth"))
    found = signals.concerns(agency, table, records, dob, period)
    placed = person_record.take(pa.array(found.rows, pa.int64()))
    known = _known(files, agency, register, placed, event_held[found.rows])
    # a concern counts from the day the screen could see it: the event, entered on the agency's system, about a
    # person the agency already held (NaT held: from before the period)
    seen = np.fmax(found.day, known)
    keep = signals.is_child(dob[found.rows], found.day) & signals.in_period(seen, period)
    rows = pa.array(found.rows[keep], pa.int64())
    return _Found(
        agency,
        table,
        records.column(id_column).combine_chunks().take(rows),
        person_record.take(rows),
        found.kind[keep],
        seen[keep],
    )


def _known(
    files: AgencyFiles, agency: str, register: pa.Table, person_record: pa.Array, event_held: Day
) -> NDArray[np.datetime64]:
    """For each event record, the later of the day its agency entered it and the day it first held the person
    record the event is placed with (NaT where neither is dated)."""
    held = files.register_held(agency)
    at = pc.index_in(person_record, value_set=register["record_id"].combine_chunks())
    placed = at.is_valid().to_numpy(zero_copy_only=False)
    person_held = np.full(len(person_record), np.datetime64("NaT"), dtype="datetime64[D]")
    person_held[placed] = held[at.to_numpy(zero_copy_only=False)[placed].astype(np.int64)]
    result: NDArray[np.datetime64] = np.fmax(event_held.astype("datetime64[D]"), person_held)
    return result


def _first_flags(
    cluster: NDArray[np.int64], agency: NDArray[np.int64], day: NDArray[np.int64], window: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per cluster, the first signal that follows another agency's signal within `window` days: (signal row,
    the other agency's signal row, cluster), one per flagged cluster.

    Signals are sorted by cluster and day; for each agency, the row of its latest signal so far in the cluster
    is carried forward, so each signal sees the most recent signal of every other agency before it."""
    order = np.lexsort((agency, day, cluster))
    c, a, d = cluster[order], agency[order], day[order]
    n = len(order)
    group_start = np.r_[True, c[1:] != c[:-1]] if n else np.zeros(0, bool)
    first_row = np.maximum.accumulate(np.where(group_start, np.arange(n), 0)) if n else np.zeros(0, np.int64)
    best_other = np.full(n, -1, dtype=np.int64)
    best_day = np.full(n, np.iinfo(np.int64).min // 2, dtype=np.int64)
    for code in np.unique(a).tolist():  # four agencies at most
        at = np.where(a == code, np.arange(n), -1)
        latest = np.maximum.accumulate(at) if n else at
        latest = np.where(latest >= first_row, latest, -1)  # within the same cluster only
        usable = (latest >= 0) & (a != code)
        later = usable & (d[np.maximum(latest, 0)] > best_day)
        best_other = np.where(later, latest, best_other)
        best_day = np.where(later, d[np.maximum(latest, 0)], best_day)
    hit = (best_other >= 0) & (d - best_day <= window)
    rows = np.flatnonzero(hit)
    first_of_cluster = np.r_[True, c[rows][1:] != c[rows][:-1]] if len(rows) else np.zeros(0, bool)
    rows = rows[first_of_cluster]
    return order[rows], order[best_other[rows]], c[rows]


def screen(
    run: str | Path | Run,
    *,
    window: int = DEFAULT_WINDOW,
    method: str = DEFAULT_METHOD,
    policy: list[dict[str, Any]] | None = None,
    out: str | Path | None = None,
    disclosures: str | Path | None = None,
    overwrite: bool = False,
) -> Screened:
    """Flag children with concerning records from two agencies within `window` days, and disclose what the
    policy (the run's own, from its scenario, unless given) allows for each flag. With `out` and `disclosures`,
    also write the flags and the disclosures, each as Parquet or CSV by the file's suffix (an existing file is
    replaced only with `overwrite`)."""
    if window < 0:
        raise ArgumentError("window", f"{PLACE} must be 0 days or more")
    if method not in METHODS:
        raise ArgumentError("method", f"{PLACE}: {shown(method)} is not a linkage method ({', '.join(METHODS)})")
    targets = [Path(path) for path in (out, disclosures) if path is not None]
    for path in targets:
        require_suffix(path, TABLE_SUFFIXES, "screening results are written as .parquet or .csv")
    with claimed(targets, overwrite):
        screened = _screen(open_run(run), window, method, policy)
        if out is not None:
            write_table(Path(out), screened.flags)
        if disclosures is not None:
            write_table(Path(disclosures), screened.disclosures)
    return screened


def _screen(run: Run, window: int, method: str, policy: list[dict[str, Any]] | None) -> Screened:
    if not run.has("linkage/records"):
        raise SynthgenError(f"{run.path}: this run has no linkage/records to link")
    period = (
        dt.date.fromisoformat(run.manifest["period"]["start"]),
        dt.date.fromisoformat(run.manifest["period"]["end"]),
    )
    view = run.read("linkage/records", ["record_id", "source", "source_record_id"])
    clusters = link(run.read("linkage/records"), method)
    view = view.append_column("cluster", _lookup(view["record_id"], clusters, "record_id", "cluster_id"))
    concerning = _concerning(run, period)
    if concerning is None or concerning.num_rows == 0:
        return Screened(_empty_flags(), _empty_disclosures())
    view_key = pc.binary_join_element_wise(view["source"], view["source_record_id"], "|")
    index = pc.index_in(concerning["key"], value_set=view_key.combine_chunks())
    concerning = concerning.append_column("view_row", index).filter(pc.is_valid(index))
    view_row = concerning["view_row"].to_numpy().astype(np.int64)
    cluster = view["cluster"].to_numpy()[view_row]
    signal, other, flagged = _first_flags(
        cluster, concerning["agency"].to_numpy(), concerning["day"].to_numpy(), window
    )
    kinds = concerning["kind"].to_numpy(zero_copy_only=False).astype(object)
    days = concerning["day"].to_numpy()
    flag_record = view["record_id"].combine_chunks().take(pa.array(view_row[signal]))
    flag_day = days[signal].astype("datetime64[D]")
    flags = pa.table(
        {
            "record_id": flag_record,
            "flagged_at": pa.array(flag_day, pa.date32()),
            "concern": pa.array(kinds[other] + "+" + kinds[signal], pa.string()),
        }
    )
    rules = policy if policy is not None else run.manifest["scenario"].get("sharing", {}).get("rules")
    if rules is None:
        rules = [rule.model_dump() for rule in sharing_policy.default_rules()]
    shared = _disclosures(run, view, concerning, cluster, flagged, flag_record, flag_day, rules)
    order = pc.sort_indices(flags, sort_keys=[("flagged_at", "ascending"), ("record_id", "ascending")])
    return Screened(flags.take(order), shared)


def _concerning(run: Run, period: tuple[dt.date, dt.date]) -> pa.Table | None:
    """Every concerning record about a child that can be placed with a person-level record of its agency: key
    (agency|person record), agency (its place in the policy's list), table, record_id, kind, day."""
    files = AgencyFiles(run)
    parts = [_found(files, name.split("/")[0], name.split("/")[1], period) for name in signals.RULES]
    agencies = list(sharing_policy.AGENCIES)
    rows = []
    for f in (part for part in parts if part is not None):
        placed = f.person_record.is_valid().to_numpy(zero_copy_only=False)
        key = pc.binary_join_element_wise(
            pa.array(np.full(len(f.kind), f.agency, dtype=object), pa.string()), f.person_record, "|"
        )
        rows.append(
            pa.table(
                {
                    "key": key,
                    "agency": pa.array(np.full(len(f.kind), agencies.index(f.agency)), pa.int64()),
                    "table": pa.array(np.full(len(f.kind), f.table, dtype=object), pa.string()),
                    "record_id": f.record_id.cast(pa.string()),
                    "kind": pa.array(f.kind, pa.string()),
                    "day": pa.array(f.day.astype(np.int64)),
                }
            ).filter(pa.array(placed))
        )
    return pa.concat_tables(rows) if rows else None


def _disclosures(
    run: Run,
    view: pa.Table,
    concerning: pa.Table,
    cluster: NDArray[np.int64],
    flagged: NDArray[np.int64],
    flag_record: pa.Array,
    flag_day: NDArray[np.datetime64],
    rules: list[dict[str, Any]],
) -> pa.Table:
    """For each flag: the child's person-level records and its concerning records up to the flag, each to every
    agency the policy names for safeguarding, with the fields it allows that the record's table holds."""
    if not len(flagged):  # (a short period or a small borough may flag nobody)
        return _empty_disclosures()
    allowed = sharing_policy.allowed(rules)
    items = _shared_items(view, concerning, cluster, flagged, flag_day)
    pairs = _to_recipients(items, allowed)
    if pairs is None:
        return _empty_disclosures()
    held = _fields_held(run, allowed, pairs)
    pairs = pairs.append_column("fields", held).filter(pc.greater(pc.utf8_length(held), 0))
    flag_of_pair = pairs["flag"].to_numpy()
    table = pa.table(
        {
            "record_id": pairs["record_id"].combine_chunks(),
            "fields": pairs["fields"].combine_chunks(),
            "recipient": pairs["recipient"].combine_chunks(),
            "shared_at": pa.array(flag_day[flag_of_pair], pa.date32()),
            "case": flag_record.take(pa.array(flag_of_pair, pa.int64())),
            "purpose": pa.array(np.full(pairs.num_rows, PURPOSE, dtype=object), pa.string()),
        }
    )
    order = pc.sort_indices(
        table,
        sort_keys=[
            ("shared_at", "ascending"),
            ("case", "ascending"),
            ("record_id", "ascending"),
            ("recipient", "ascending"),
        ],
    )
    return table.take(order)


def _shared_items(
    view: pa.Table,
    concerning: pa.Table,
    cluster: NDArray[np.int64],
    flagged: NDArray[np.int64],
    flag_day: NDArray[np.datetime64],
) -> pa.Table:
    """What each flag discloses (record_id, agency, table, flag): the child's person-level records (every view
    record in a flagged cluster), then its concerning records up to the flag. `flagged` is sorted (one row per
    cluster), so a cluster's flag is found by searchsorted."""
    view_flag = _flag_of(view["cluster"].to_numpy(), flagged)
    person_rows = np.flatnonzero(view_flag >= 0)
    sources = view["source"].combine_chunks().take(pa.array(person_rows, pa.int64()))
    event_flag = _flag_of(cluster, flagged)
    event_days = concerning["day"].to_numpy()
    shared = np.flatnonzero((event_flag >= 0) & (event_days <= flag_day[np.maximum(event_flag, 0)].astype(np.int64)))
    shared_rows = pa.array(shared, pa.int64())
    agency_names = pa.array(list(sharing_policy.AGENCIES), pa.string())
    return pa.table(
        {
            "record_id": pa.concat_arrays(
                [
                    view["source_record_id"].combine_chunks().take(pa.array(person_rows, pa.int64())),
                    concerning["record_id"].combine_chunks().take(shared_rows),
                ]
            ),
            "agency": pa.concat_arrays(
                [sources, agency_names.take(concerning["agency"].combine_chunks().take(shared_rows))]
            ),
            "table": pa.concat_arrays(
                [_person_tables(sources), concerning["table"].combine_chunks().take(shared_rows)]
            ),
            "flag": pa.array(np.r_[view_flag[person_rows], event_flag[shared]].astype(np.int64)),
        }
    )


def _to_recipients(items: pa.Table, allowed: sharing_policy.Allowed) -> pa.Table | None:
    """Every (item, recipient) the policy names for safeguarding, in the order item by item, recipient by
    recipient; a record is disclosed once per recipient and flag (its first item wins). None when the policy
    names no recipient at all."""
    position = np.arange(items.num_rows, dtype=np.int64)
    agency_text = items["agency"].to_numpy(zero_copy_only=False)
    candidates = []
    for r, recipient in enumerate(sharing_policy.AGENCIES):
        for agency in sharing_policy.AGENCIES:
            if (agency, recipient, PURPOSE) not in allowed:
                continue
            rows = position[agency_text == agency]
            candidates.append(
                items.take(pa.array(rows))
                .append_column("recipient", pa.array(np.full(len(rows), recipient, dtype=object), pa.string()))
                .append_column("order", pa.array(rows * len(sharing_policy.AGENCIES) + r))
            )
    if not candidates:
        return None
    pairs = pa.concat_tables(candidates)
    first = pairs.group_by(["record_id", "recipient", "flag"], use_threads=False).aggregate([("order", "min")])
    return pairs.filter(pc.is_in(pairs["order"], value_set=first["order_min"].combine_chunks()))


def _fields_held(run: Run, allowed: sharing_policy.Allowed, pairs: pa.Table) -> pa.Array:
    """For each (record, recipient): the fields the policy lets the record's agency give the recipient that the
    record's table holds, joined with ';' (empty when it holds none, and then nothing is disclosed)."""
    tables = [*PERSON_TABLES.items(), *((name.split("/")[0], name.split("/")[1]) for name in signals.RULES)]
    columns = {
        f"{agency}/{table}": set(run.read(f"agencies/{agency}/{table}").column_names)
        for agency, table in tables
        if run.has(f"agencies/{agency}/{table}")
    }
    held_text = {
        (agency, table, recipient): ";".join(sorted(fields & columns.get(f"{agency}/{table}", set())))
        for (agency, recipient, purpose), fields in allowed.items()
        if purpose == PURPOSE
        for table in {*PERSON_TABLES.values(), *(name.split("/")[1] for name in signals.RULES)}
    }
    combo = pc.binary_join_element_wise(pairs["agency"], pairs["table"], pairs["recipient"], "|")
    keys = sorted(held_text)
    index = pc.index_in(combo, value_set=pa.array(["|".join(k) for k in keys], pa.string()))
    return pa.array([held_text[k] for k in keys], pa.string()).take(index)


def _flag_of(cluster: NDArray[np.int64], flagged: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each cluster's flag (its row in the sorted `flagged`), or -1 where the cluster was not flagged."""
    at = np.minimum(np.searchsorted(flagged, cluster), max(len(flagged) - 1, 0))
    hit = (at < len(flagged)) & (flagged[at] == cluster) if len(flagged) else np.zeros(len(cluster), bool)
    return np.where(hit, at, -1).astype(np.int64)


def _person_tables(sources: pa.Array) -> pa.Array:
    """The person-level register of each agency named."""
    names = list(PERSON_TABLES)
    return pa.array([PERSON_TABLES[n] for n in names], pa.string()).take(
        pc.index_in(sources, value_set=pa.array(names, pa.string()))
    )


def _empty_flags() -> pa.Table:
    return pa.table(
        {
            "record_id": pa.array([], pa.string()),
            "flagged_at": pa.array([], pa.date32()),
            "concern": pa.array([], pa.string()),
        }
    )


def _empty_disclosures() -> pa.Table:
    return pa.table(
        {
            "record_id": pa.array([], pa.string()),
            "fields": pa.array([], pa.string()),
            "recipient": pa.array([], pa.string()),
            "shared_at": pa.array([], pa.date32()),
            "case": pa.array([], pa.string()),
            "purpose": pa.array([], pa.string()),
        }
    )
