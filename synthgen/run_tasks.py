"""The tasks a run is made of, each a plain function of picklable values that reads and writes its own files.

A shard writes its tables as parts (and its namesake candidates, bucketed by district); a merge writes one table's
file, or one part file of a partitioned table, from every shard's parts; a namesake task finds the namesakes of a
bucket of districts; the hard-negatives task writes truth/hard_negatives from the shards' pairs and the namesakes.
None of them holds more than a shard's or a bucket's worth of rows, so no process grows with the run, and any
engine (this process, a local pool, a Dask cluster) can run them in any order within a round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthgen import namesake_pass, tables
from synthgen.namesake_pass import part_name, truth_part
from synthgen.outputs import parquet
from synthgen.outputs.storage import PARTS, Store
from synthgen.scenario.plan import Plan
from synthgen.shard import shard_tables


@dataclass(frozen=True)
class ShardWritten:
    """What a shard wrote: for each table, the rows in each batch of its part (a keyed table's buckets, or one
    batch), and its namesake candidates' rows per bucket."""

    shard: int
    rows: dict[str, NDArray[np.int64]]


def keyed_folder(table: str) -> str:
    """The folder of a keyed table's parts, one a shard."""
    return f"{PARTS}/shuffled/{table}"


def keyed_part(table: str, shard: int) -> str:
    return f"{keyed_folder(table)}/{part_name(shard)}"


def run_shard(plan: Plan, shard: int, store: Store, pairs: bool) -> ShardWritten:
    """Make one shard and write its parts."""
    made = shard_tables(plan, shard, pairs)
    rows: dict[str, NDArray[np.int64]] = {}
    for item in made.keyed:
        rows[item.path] = parquet.write_part(
            store, keyed_part(item.path, shard), item.table, item.key, plan.shards, parquet.MERGE_BATCH_ROWS
        )
    for name, table in made.truth.items():
        rows[f"truth/{name}"] = parquet.write_part(store, truth_part(name, shard), table)
    rows["namesakes"] = namesake_pass.write_candidates(plan, store, shard, made.truth)
    return ShardWritten(shard, rows)


def metadata(plan: Plan, table: str) -> dict[str, str]:
    from synthgen import __version__

    return {
        "synthgen.version": __version__,
        "synthgen.scenario_sha256": plan.scenario_sha256,
        "synthgen.seed": str(plan.seed),
        "synthgen.synthetic": "true",
        "synthgen.table": table,
    }


def merge_keyed(
    store: Store, table: str, shards: int, buckets: tuple[int, int], out: str, meta: dict[str, str]
) -> parquet.Written:
    """A keyed table's file (or one part file) from buckets [first, last) of every shard's part."""
    parts = [keyed_part(table, shard) for shard in range(shards)]
    return parquet.merge_shuffled(store, parts, out, buckets, meta, tables.table(table).schema)


def merge_truth(store: Store, table: str, shards: tuple[int, int], out: str, meta: dict[str, str]) -> parquet.Written:
    """A truth table's file (or one part file) from shards [first, last)'s parts, in shard order."""
    name = table.removeprefix("truth/")
    parts = [truth_part(name, shard) for shard in range(*shards)]
    return parquet.merge_in_order(store, parts, out, meta, tables.table(table).schema)


def partition_file(table: str, part: int) -> str:
    """A partitioned table's part file: names sort in row order, as every reader of a folder of Parquet lists them."""
    return f"{table}/part-{part:05d}.parquet"
