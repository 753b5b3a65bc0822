"""The tasks a run is made of, each a plain function of picklable values that reads and writes its own files.

A shard task makes a few consecutive shards and writes their tables as parts (a keyed table's rows of the whole group
in one part, each truth table's and the namesake candidates' a shard at a time), except a partitioned run's truth
tables, whose part files it writes itself; a merge writes one table's file, or one part file of a partitioned
table, from every task's parts; a namesake task finds the namesakes of a
bucket of districts; the hard-negatives task writes truth/hard_negatives from the shards' pairs and the namesakes.
None of them holds more than a few shards' or a bucket's worth of rows, so no process grows with the run, and any
engine (this process, a local pool, a Dask cluster) can run them in any order within a round.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import namesake_pass, tables
from synthgen.agencies.producer import Keyed
from synthgen.namesake_pass import part_name, truth_part
from synthgen.outputs import parquet
from synthgen.outputs.storage import PARTS, Store
from synthgen.scenario.plan import Plan
from synthgen.shard import shard_tables

SHARDS_PER_TASK = 4
"""The most shards a shard task makes: their keyed tables are held until the last is made, some 35 MB a shard."""
PARTS_PER_TABLE = 64
"""About how many parts of a keyed table a merge should read, at most, where SHARDS_PER_TASK allows.

A merge sorts a range of keys gathered from every part of a table, so each part adds a sorted run to merge and a
piece to gather, read and concatenate; at 200 parts (ten million people) its pieces held some 400 rows each, and a
keyed table's merge cost 11-17% more CPU a row than at 20 (kept parts merged in one process). Grouping four
shards' rows into one part brought them to within 2% a row of a million's; it also keeps a merge's memory (a
batch of every part) and a national run's count of part files a quarter of what a part a shard would make."""


def shards_per_task(shards: int) -> int:
    """How many consecutive shards each shard task makes: one, until a keyed table would have more than
    PARTS_PER_TABLE parts. Depends only on the plan, never on the engine or its workers."""
    return max(1, min(SHARDS_PER_TASK, -(-shards // PARTS_PER_TABLE)))


def task_shards(shards: int, task: int) -> range:
    """The shards a shard task makes."""
    size = shards_per_task(shards)
    return range(task * size, min((task + 1) * size, shards))


def shard_tasks(shards: int) -> int:
    """How many shard tasks a run has: also how many parts each keyed table has."""
    return -(-shards // shards_per_task(shards))


@dataclass(frozen=True)
class ShardsWritten:
    """What a shard task wrote: for each keyed table (and the namesake candidates) its rows per bucket over the
    task's shards; for each truth table written as parts its rows per shard; and the part files of a partitioned
    run's truth tables it wrote itself (those with rows)."""

    task: int
    rows: dict[str, NDArray[np.int64]]
    files: dict[str, parquet.Written] = field(default_factory=dict)


def keyed_folder(table: str) -> str:
    """The folder of a keyed table's parts, one a shard task."""
    return f"{PARTS}/shuffled/{table}"


def keyed_part(table: str, task: int) -> str:
    return f"{keyed_folder(table)}/{part_name(task)}"


def written_by_shards(table: str, partitioned: bool) -> bool:
    """Whether the shard tasks write a table's files themselves: a partitioned run's truth tables, a part file a
    shard task (its shards' rows in shard order, as the single file holds them). Not truth/hard_negatives, which
    needs the whole run's namesakes.

    Every other table goes through parts and a merge: a single file needs every task's rows, and an agency table
    is shuffled across all of them by record id. A truth table's part file needs neither, and writing it at once
    spares its rows a round trip through the parts (at ten million people some 4.6 GB of compressed parts, and
    0.08 CPU s a shard to compress, read back and decompress them: 0.22 against 0.14 s a shard for the truth
    tables, measured in one process)."""
    return partitioned and table.startswith("truth/") and table != namesake_pass.HARD_NEGATIVES


def run_shards(plan: Plan, task: int, store: Store, pairs: bool, partitioned: bool = False) -> ShardsWritten:
    """Make a shard task's shards, one after another, and write their parts. A keyed table's rows are held until
    the last shard is made, then written as one part sorted by key (in shard order where keys are equal, as the
    merge keeps them). A truth table's rows are written as each shard is made: as a part, or (see
    `written_by_shards`) as the next row group of the task's own part file of the table, opened at its first
    rows."""
    keyed: dict[str, list[Keyed]] = {}
    truth: dict[str, list[NDArray[np.int64]]] = {}
    namesakes: list[NDArray[np.int64]] = []
    with ExitStack() as stack:
        files: dict[str, parquet.RowGroups] = {}
        for shard in task_shards(plan.shards, task):
            made = shard_tables(plan, shard, pairs)
            for item in made.keyed:
                keyed.setdefault(item.path, []).append(item)
            for name, table in made.truth.items():
                path = f"truth/{name}"
                if not written_by_shards(path, partitioned):
                    truth.setdefault(path, []).append(parquet.write_part(store, truth_part(name, shard), table))
                    continue
                if path not in files and table.num_rows:
                    out = partition_file(path, task)
                    files[path] = stack.enter_context(
                        parquet.row_groups_file(store, out, metadata(plan, path), tables.table(path).schema)
                    )
                if path in files:
                    files[path].add(table)
            namesakes.append(namesake_pass.write_candidates(plan, store, shard, made.truth))
            del made
    rows = {path: np.concatenate(counts) for path, counts in truth.items()}
    rows["namesakes"] = np.sum(namesakes, axis=0)
    for path in list(keyed):
        items = keyed.pop(path)
        table = pa.concat_tables([item.table for item in items], promote_options="default")
        keys = np.concatenate([item.key for item in items])
        rows[path] = parquet.write_part(
            store, keyed_part(path, task), table, keys, plan.shards, parquet.MERGE_BATCH_ROWS
        )
    return ShardsWritten(task, rows, {path: file.written for path, file in files.items()})


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
    store: Store, table: str, tasks: int, buckets: tuple[int, int], out: str, meta: dict[str, str]
) -> parquet.Written:
    """A keyed table's file (or one part file) from buckets [first, last) of every shard task's part."""
    parts = [keyed_part(table, task) for task in range(tasks)]
    return parquet.merge_shuffled(store, parts, out, buckets, meta, tables.table(table).schema)


def merge_truth(store: Store, table: str, shards: tuple[int, int], out: str, meta: dict[str, str]) -> parquet.Written:
    """A truth table's file (or one part file) from shards [first, last)'s parts, in shard order."""
    name = table.removeprefix("truth/")
    parts = [truth_part(name, shard) for shard in range(*shards)]
    return parquet.merge_in_order(store, parts, out, meta, tables.table(table).schema)


def partition_file(table: str, part: int) -> str:
    """A partitioned table's part file: names sort in row order, as every reader of a folder of Parquet lists them."""
    return f"{table}/part-{part:05d}.parquet"
