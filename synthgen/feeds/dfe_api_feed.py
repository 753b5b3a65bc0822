"""The social-care feed as the DfE children's social care API takes it: one JSON payload per child, day by day.

The DfE's API takes an LA's children daily, as a full snapshot or as the day's changes (data-to-insight's
dfe-csc-api-data-flows docs/index.md: "a daily snapshot (initial approach) or daily deltas showing only changes
since the previous day"). Both come from the social-care tables' histories (synthgen.feeds.tables), with the
batches of the parquet feed:

- deltas: on each batch day, every child any of whose social-care records was inserted, updated or deleted since
  the previous batch (the rows the parquet feed's batch carries), as its whole payload as it stood that day, with a
  record deleted that day sent once with purge: true; a child whose every child record was deleted (a duplicate
  merged into its original) as its ids and purge: true. A day with no changes has no file.
- snapshot: on each batch day, every child the LA held that day. A child's payload changes only on a day one of its
  records does, so each day's snapshot is the previous one with that day's changed children made again; the
  result is what making every child again would give (the tests hold this).

The payloads themselves are synthgen.feeds.dfe_api's. Files (one JSON array per day, one child per line, in
la_child_id order): `<feed>/social_care/dfe_api/<YYYY-MM-DD>.json`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen import tables
from synthgen.errors import SynthgenError
from synthgen.feeds.batches import Exported, exported, state_on
from synthgen.feeds.dfe_api import SCHEMA, SOCIAL_CARE, SOURCES, SPEC, SPEC_SOURCE, payloads
from synthgen.feeds.dfe_api_episodes import MADE, PURGE
from synthgen.feeds.history import Days, History, dates
from synthgen.feeds.known import RunFacts, date_of
from synthgen.feeds.tables import table_history

MODES = ("deltas", "snapshot")
FOLDER = "social_care/dfe_api"
Day = tuple[int, list[str], list[str]]
"""A day's payloads: the day, the children's la_child_ids and their JSON."""


def dfe_histories(facts: RunFacts) -> dict[str, History]:
    """The histories of the social-care tables a payload is made from (those the run has)."""
    if not facts.run.has(SOCIAL_CARE + "children"):
        raise SynthgenError(
            f"{facts.run.path}: the run has no agencies/social_care/children table; DfE API payloads are made from it"
        )
    return {
        name: table_history(facts, SOCIAL_CARE + name).history for name in SOURCES if facts.run.has(SOCIAL_CARE + name)
    }


def _rows(
    histories: Mapping[str, History],
    held: Mapping[str, np.ndarray],
    deleted: Mapping[str, np.ndarray],
    kids: pa.Array | None,
) -> dict[str, pa.Table]:
    """Every source's rows: the versions held (purge false) and deleted (purge true), with the day each record was
    made; only the children `kids` (all when None)."""
    rows = {}
    for name in SOURCES:
        if name not in histories:
            empty = tables.table(SOCIAL_CARE + name).schema.empty_table()
            rows[name] = empty.append_column(PURGE, pa.array([], pa.bool_())).append_column(
                MADE, pa.array([], pa.date32())
            )
            continue
        history = histories[name]
        version = np.r_[held[name], deleted.get(name, np.zeros(0, np.int64))].astype(np.int64)
        purge = np.r_[np.zeros(len(held[name]), bool), np.ones(len(version) - len(held[name]), bool)]
        if kids is not None:
            mine = pc.is_in(history.versions["la_child_id"].take(pa.array(version)), value_set=kids)
            keep = pc.fill_null(mine, False).to_numpy(zero_copy_only=False)
            version, purge = version[keep], purge[keep]
        table = history.versions.take(pa.array(version))
        made = dates(history.made[history.record[version]])
        rows[name] = table.append_column(PURGE, pa.array(purge)).append_column(MADE, made)
    return rows


def _changes(histories: Mapping[str, History], days: Days) -> tuple[dict[str, Exported], list[pa.Array]]:
    """Each source's exported rows, and per batch the children (la_child_id) any of whose records changed."""
    exports = {name: exported(history, days) for name, history in histories.items()}
    batch = np.concatenate([rows.batch for rows in exports.values()])
    kids = pa.concat_arrays(
        [
            histories[name].versions["la_child_id"].combine_chunks().take(pa.array(rows.version))
            for name, rows in exports.items()
        ]
    )
    keep = pc.is_valid(kids).to_numpy(zero_copy_only=False)
    changed = pa.table({"batch": pa.array(batch[keep]), "la_child_id": kids.filter(pa.array(keep))})
    changed = changed.group_by(["batch", "la_child_id"], use_threads=False).aggregate([])
    changed = changed.sort_by([("batch", "ascending"), ("la_child_id", "ascending")])
    bounds = np.searchsorted(changed["batch"].to_numpy(), np.arange(len(days) + 1))
    per_batch = [
        changed["la_child_id"].combine_chunks().slice(int(a), int(b - a))
        for a, b in itertools.pairwise(bounds.tolist())
    ]
    return exports, per_batch


def deltas(histories: Mapping[str, History], days: Days) -> Iterator[Day]:
    """Each batch day's changed children, whole, with the records deleted that day purged (days without a change
    left out)."""
    exports, changed = _changes(histories, days)
    for k, kids in enumerate(changed):
        if not len(kids):
            continue
        day = int(days[k])
        held = {name: state_on(history, day) for name, history in histories.items()}
        deleted = {
            name: rows.version[(rows.batch == k) & (rows.operation == "delete")] for name, rows in exports.items()
        }
        ids, texts = payloads(_rows(histories, held, deleted, kids))
        yield day, ids, texts


def snapshots(histories: Mapping[str, History], days: Days) -> Iterator[Day]:
    """Each batch day's every child held, made again only where it changed."""
    _, changed = _changes(histories, days)
    current: dict[str, str] = {}
    for k, kids in enumerate(changed):
        day = int(days[k])
        if len(kids):
            held = {name: state_on(history, day) for name, history in histories.items()}
            ids, texts = payloads(_rows(histories, held, {}, kids))
            for kid in kids.to_pylist():
                current.pop(kid, None)
            current.update(zip(ids, texts, strict=True))
        order = sorted(current)
        yield day, order, [current[kid] for kid in order]


def snapshot_on(histories: Mapping[str, History], day: int) -> Day:
    """Every child the LA held at the end of `day`, each made from scratch."""
    held = {name: state_on(history, day) for name, history in histories.items()}
    ids, texts = payloads(_rows(histories, held, {}, None))
    return day, ids, texts


def write_days(temp: Path, found: Iterator[Day]) -> list[dict[str, Any]]:
    """Each day's payloads into `<temp>/social_care/dfe_api/<day>.json` (a JSON array, one child per line); returns
    each file's counts for feed.json."""
    folder = temp / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for day, _, texts in found:
        name = f"{date_of(day).isoformat()}.json"
        body = "[\n" + ",\n".join(texts) + "\n]\n" if texts else "[]\n"
        data = body.encode("utf-8")
        (folder / name).write_bytes(data)
        purged = sum('"child_details":' not in text for text in texts)  # a purged child is its ids alone
        files.append({"day": date_of(day).isoformat(), "children": len(texts), "purged": purged, "bytes": len(data)})
    return files


def describe(facts: RunFacts, mode: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    """What a DfE API feed's feed.json says of it beyond the header."""
    area = facts.run.manifest.get("scenario", {}).get("area", {})
    return {
        "format": "dfe-api",
        "dfe_api_mode": mode,
        "spec": f"{SPEC} ({SPEC_SOURCE})",
        "schema": f"synthgen/reference/{SCHEMA}",
        "la_code": area.get("la_number"),
        "folder": FOLDER,
        "payloads": sum(f["children"] for f in files),
        "files": files,
    }
