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
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.outputs import parquet
from synthgen.outputs.storage import Store
from synthgen.scenario.plan import Plan
from synthgen.shard import shard_tables
from synthgen.truth import population as truth_population

PARTS = "_parts"
HARD_NEGATIVES = "truth/hard_negatives"


@dataclass(frozen=True)
class ShardWritten:
    """What a shard wrote: for each table, the rows in each batch of its part (a keyed table's buckets, or one
    batch), and its namesake candidates' rows per bucket."""

    shard: int
    rows: dict[str, NDArray[np.int64]]


def part_name(shard: int) -> str:
    return f"{shard:05d}.arrow"


def keyed_part(table: str, shard: int) -> str:
    return f"{PARTS}/shuffled/{table}/{part_name(shard)}"


def truth_part(name: str, shard: int) -> str:
    return f"{PARTS}/truth/{name}/{part_name(shard)}"


def namesake_part(shard: int) -> str:
    return f"{PARTS}/namesakes/{part_name(shard)}"


def namesake_pairs_part(bucket: int) -> str:
    return f"{PARTS}/namesake_pairs/{bucket:05d}.arrow"


def namesake_buckets(plan: Plan) -> int:
    """Buckets of districts the namesake pass works in: as many as there are shards (so a bucket holds about a
    shard's people), at most one per district."""
    return max(1, min(plan.shards, len(np.unique(plan.postcodes.outward))))


def run_shard(plan: Plan, shard: int, store: Store, pairs: bool) -> ShardWritten:
    """Make one shard and write its parts."""
    made = shard_tables(plan, shard, pairs)
    rows: dict[str, NDArray[np.int64]] = {}
    for item in made.keyed:
        rows[item.path] = parquet.write_part(store, keyed_part(item.path, shard), item.table, item.key, plan.shards)
    for name, table in made.truth.items():
        rows[f"truth/{name}"] = parquet.write_part(store, truth_part(name, shard), table)
    candidates = truth_population.namesake_candidates(
        made.truth["people"], made.truth["households"], made.truth["addresses"]
    )
    rows["namesakes"] = parquet.write_part(
        store, namesake_part(shard), candidates, _district_keys(plan, candidates), namesake_buckets(plan)
    )
    return ShardWritten(shard, rows)


def _district_keys(plan: Plan, candidates: pa.Table) -> NDArray[np.uint64]:
    """A key in the middle of the bucket of each candidate's district (the district's place among the plan's,
    modulo the buckets), so one district's candidates from every shard meet in one bucket."""
    buckets = namesake_buckets(plan)
    districts = np.unique(plan.postcodes.outward)
    named = pc.dictionary_encode(candidates["outward_code"].combine_chunks())
    place = np.searchsorted(districts, np.asarray(named.dictionary.to_pylist(), dtype=districts.dtype))
    bucket = (place % buckets)[named.indices.to_numpy(zero_copy_only=False)].astype(np.float64)
    keys: NDArray[np.uint64] = ((2 * bucket + 1) / (2 * buckets) * float(1 << 60)).astype(np.uint64)
    return keys


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


def find_namesakes(store: Store, shards: int, bucket: int) -> int:
    """The namesake pairs of one bucket of districts, over every shard's candidates in it; returns how many."""
    with_key = [parquet.read_bucket(store, namesake_part(shard), bucket) for shard in range(shards)]
    candidates = pa.concat_tables(with_key).drop_columns([parquet.KEY])
    found = truth_population.namesakes_among(candidates)
    parquet.write_part(store, namesake_pairs_part(bucket), found)
    return int(found.num_rows)


def write_hard_negatives(
    store: Store, shards: int, buckets: int, groups: list[tuple[int, int]] | None, meta: dict[str, str]
) -> list[parquet.Written]:
    """truth/hard_negatives: each shard's pairs in shard order, then the namesakes found over the whole run in
    (person_id_l, person_id_r) order. As one file, written whole as before; partitioned, a part file per group of
    shards and one for the namesakes."""
    schema = tables.table(HARD_NEGATIVES).schema
    pairs = [parquet.read_part(store, namesake_pairs_part(bucket)) for bucket in range(buckets)]
    found = pa.concat_tables(pairs).sort_by([("person_id_l", "ascending"), ("person_id_r", "ascending")])
    shard_parts = [truth_part("hard_negatives", shard) for shard in range(shards)]
    if groups is None:
        table = pa.concat_tables([parquet.read_part(store, part) for part in shard_parts])
        table = pa.concat_tables([table, found.cast(table.schema)])
        return [parquet.write_table(store, table, f"{HARD_NEGATIVES}.parquet", meta, schema)]
    written = [
        parquet.merge_in_order(store, shard_parts[first:last], partition_file(HARD_NEGATIVES, at), meta, schema)
        for at, (first, last) in enumerate(groups)
    ]
    last = partition_file(HARD_NEGATIVES, len(groups))
    return [*written, parquet.write_row_groups(store, last, [found], meta, schema)]


def partition_file(table: str, part: int) -> str:
    """A partitioned table's part file: names sort in row order, as every reader of a folder of Parquet lists them."""
    return f"{table}/part-{part:05d}.parquet"
