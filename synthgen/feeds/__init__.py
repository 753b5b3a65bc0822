"""Feeds: what each agency knew on each day, as the batches its system would have exported.

A run is a year-end extract. A feed is the same year day by day: every record from the day its agency made it,
its later versions (an NHS number traced, a date of birth corrected, an address updated after a move, an episode
closed), and the duplicates made and merged within the year, each batch holding the inserts, updates and deletes
since the last. It is made from the run and its truth alone, never by generating again, so it is the same bytes
for the same run, and replaying all of its batches gives back the run's agency files row for row.

The core (`history`, `changes`, `merges`, `tables`, `batches`, `replay`, `truth_on`) knows nothing of files;
`writer` and `feed` here put it on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from synthgen.allocators import freed_at_once
from synthgen.arguments import ArgumentError
from synthgen.errors import SynthgenError
from synthgen.feeds import dfe_api_feed
from synthgen.feeds.batches import CADENCES, batch_days
from synthgen.feeds.known import RunFacts, date_of, day_of
from synthgen.feeds.writer import MANIFEST, header, write_batches, write_snapshot
from synthgen.outputs import folders
from synthgen.run_folder import Run, open_run

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMATS = ("parquet", "csv", "dfe-api")
DFE_API_MODES = dfe_api_feed.MODES


def feed(
    run: str | Path | Run,
    out: str | Path,
    *,
    cadence: str = "daily",
    format: str = "parquet",
    snapshot_on: str | dt.date | None = None,
    dfe_api_mode: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a run's feed into folder `out` and return its feed.json.

    `cadence` is daily or weekly; `format` parquet or csv; with `snapshot_on` (a date in the run's period), every
    agency's files as they stood at the end of that day instead of batches, and the truth as it stood then.
    `format` dfe-api writes the social-care feed as the DfE children's social care API's payloads instead, one JSON
    file per batch day: `dfe_api_mode` deltas (the default: each day's changed children) or snapshot (each day's
    every child); with `snapshot_on`, that day's every child.
    Written beside `out` and renamed into place; an existing `out` is replaced only with `overwrite`, and only if
    it is a feed."""
    _check_choice("cadence", cadence, tuple(CADENCES))
    _check_choice("format", format, FORMATS)
    mode = _dfe_api_mode(format, dfe_api_mode, snapshot_on)
    opened = open_run(run)
    facts = RunFacts(opened)
    day = _snapshot_day(snapshot_on, facts) if snapshot_on is not None else None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SynthgenError(f"{out}: a file is in the way; a feed is a folder")
    temp = folders.prepare(out, overwrite, folders.FEED)
    try:
        with freed_at_once():  # each step's memory handed back as it goes (synthgen.allocators)
            if format == "dfe-api":
                manifest = _write_dfe_api(facts, temp, cadence, mode, day)
            else:
                manifest = _write(facts, temp, cadence, format, day)
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        folders.put_in_place(temp, out)
        return manifest
    finally:
        folders.cleanup(temp)


def _write(facts: RunFacts, temp: Path, cadence: str, fmt: str, day: int | None) -> dict[str, Any]:
    if day is not None:
        counts = write_snapshot(facts, temp, day, fmt)
        return header(facts, "snapshot", format=fmt, snapshot_on=date_of(day).isoformat(), tables=counts)
    days = batch_days(date_of(facts.first), date_of(facts.last), cadence)
    counts = write_batches(facts, temp, days, fmt)
    batches = [date_of(int(d)).isoformat() for d in days]
    return header(facts, "batches", format=fmt, cadence=cadence, batches=batches, tables=counts)


def _write_dfe_api(facts: RunFacts, temp: Path, cadence: str, mode: str, day: int | None) -> dict[str, Any]:
    histories = dfe_api_feed.dfe_histories(facts)
    if day is not None:
        files = dfe_api_feed.write_days(temp, iter([dfe_api_feed.snapshot_on(histories, day)]))
        more = dfe_api_feed.describe(facts, "snapshot", files)
        return header(facts, "snapshot", snapshot_on=date_of(day).isoformat(), **more)
    days = batch_days(date_of(facts.first), date_of(facts.last), cadence)
    found = dfe_api_feed.deltas(histories, days) if mode == "deltas" else dfe_api_feed.snapshots(histories, days)
    files = dfe_api_feed.write_days(temp, found)
    batches = [date_of(int(d)).isoformat() for d in days]
    return header(facts, "batches", cadence=cadence, batches=batches, **dfe_api_feed.describe(facts, mode, files))


def _dfe_api_mode(format: str, mode: str | None, snapshot_on: object) -> str:
    """The DfE API feed's mode, checked: only with format dfe-api, and not deltas with a snapshot day."""
    if mode is None:
        return "snapshot" if snapshot_on is not None else "deltas"
    if format != "dfe-api":
        raise ArgumentError("dfe_api_mode", f"{{argument}} goes with format dfe-api only, not {format!r}")
    _check_choice("dfe_api_mode", mode, DFE_API_MODES)
    if mode == "deltas" and snapshot_on is not None:
        raise ArgumentError(
            "dfe_api_mode", "{argument} deltas cannot go with a snapshot day: a snapshot is every child"
        )
    return mode


def _check_choice(argument: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ArgumentError(argument, f"{{argument}} must be one of {', '.join(allowed)}, not {value!r}")


def _snapshot_day(value: str | dt.date, facts: RunFacts) -> int:
    """The day a snapshot is taken on, checked to be a date within the run's period."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            if not ISO_DATE.fullmatch(str(value)):
                raise ValueError
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ArgumentError("snapshot_on", f"{{argument}} must be a date (YYYY-MM-DD), not {value!r}") from None
    first, last = date_of(facts.first), date_of(facts.last)
    if not first <= day <= last:
        raise ArgumentError(
            "snapshot_on", f"{{argument}} {day.isoformat()} is outside the run's period, {first} to {last}"
        )
    return day_of(day)


__all__ = ["DFE_API_MODES", "FORMATS", "feed"]
