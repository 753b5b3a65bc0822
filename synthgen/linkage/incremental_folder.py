"""`synthgen link --incremental`: the reference linker over a feed's batches, one cluster file per batch day.

FEED is a feed folder (`synthgen feed`, Parquet or CSV, any cadence): the linker reads only its linkage view's
batches, as a system under test would, never the run or its truth. DIR gets `<YYYY-MM-DD>.parquet` (record_id,
cluster_id) for every batch day, the clusters of the records held at the end of that day, and `series.json`
saying what was linked (the method, the feed, the run its feed.json names). `synthgen evaluate linkage RUN DIR`
scores the series. Written beside DIR and renamed into place, as every folder synthgen writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from synthgen import __version__, tables
from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError, shown
from synthgen.feeds.reading import open_feed
from synthgen.linkage import DEFAULT_METHOD, METHODS
from synthgen.linkage.incremental import link_batches
from synthgen.outputs import folders
from synthgen.outputs.parquet import COMPRESSION

SERIES_MANIFEST = "series.json"


def link_incremental(
    feed: str | Path, out: str | Path, method: str = DEFAULT_METHOD, *, overwrite: bool = False
) -> dict[str, Any]:
    """Link a feed's linkage batches day by day with one of `METHODS`, carrying cluster ids forward
    (`synthgen.linkage.incremental`), and write one cluster file per batch day into folder `out`; returns what
    series.json holds. An existing `out` is replaced only with `overwrite`, and only if it is such a series."""
    if method not in METHODS:
        raise ArgumentError("method", f"{PLACE}: {shown(method)} is not a linkage method ({', '.join(METHODS)})")
    opened = open_feed(feed)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SynthgenError(f"{out}: a file is in the way; a series of cluster files is a folder")
    temp = folders.prepare(out, overwrite, folders.SERIES)
    try:
        schema = tables.table("linkage/records").schema
        days = []
        for day, clusters in link_batches(opened.linkage_batches(schema), METHODS[method]):
            pq.write_table(clusters, temp / f"{day.isoformat()}.parquet", compression=COMPRESSION)
            days.append(day.isoformat())
        manifest = opened.manifest
        written = {
            "synthgen_version": __version__,
            "synthetic": True,
            "kind": "clusters",
            "method": method,
            "feed": str(opened.path),
            "run": manifest.get("run"),
            "scenario_sha256": manifest.get("scenario_sha256"),
            "seed": manifest.get("seed"),
            "period": manifest.get("period"),
            "cadence": manifest.get("cadence"),
            "days": days,
        }
        (temp / SERIES_MANIFEST).write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
        folders.put_in_place(temp, out)
        return written
    finally:
        folders.cleanup(temp)


__all__ = ["SERIES_MANIFEST", "link_incremental"]
