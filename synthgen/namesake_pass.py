"""The run-level pass of the truth: strangers who share a name in a postcode district, and truth/hard_negatives.

Households never cross shards, but districts do, so namesakes are found over the whole run. No process reads the
whole population for it: each shard writes its residents who may have a namesake, bucketed by district; a task per
run of consecutive buckets of districts (about FINDING_ROWS candidates) finds the pairs among every shard's
candidates in each of its buckets and writes them bucketed again, by the shard of the pair's left person; then
truth/hard_negatives is written as each shard's own pairs (twins, siblings, same-name relatives) in shard order
followed by the namesakes in (person_id_l, person_id_r) order, a bucket at a time: the bytes of reading it all and
sorting it whole, in a bucket's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen import tables
from synthgen.outputs import parquet
from synthgen.outputs.storage import PARTS, Store
from synthgen.scenario.plan import Plan
from synthgen.truth import population
from synthgen.world.population import ID_STRIDE

HARD_NEGATIVES = "truth/hard_negatives"
WHOLE_FILE_ROW_GROUP = 1024 * 1024
"""Rows per row group of a table written whole by pyarrow's write_table, as truth/hard_negatives always was."""


FINDING_ROWS = 1_000_000
"""About how many candidates a namesake-finding task works through, a bucket of districts at a time. A task reads
every shard's part, so a task per bucket made buckets x shards reads (15,200 at 10 million people), and the
hard-negatives pass as many again reading the pairs back; a task per run of buckets makes them a few per shard."""


def part_name(shard: int) -> str:
    return f"{shard:05d}.arrow"


CANDIDATES = f"{PARTS}/namesakes"
"""The folder of the shards' namesake candidates, one part a shard."""


def truth_folder(table: str) -> str:
    """The folder of a truth table's parts (`truth/people` or `people`), one a shard."""
    return f"{PARTS}/truth/{table.removeprefix('truth/')}"


def truth_part(name: str, shard: int) -> str:
    return f"{truth_folder(name)}/{part_name(shard)}"


def candidates_part(shard: int) -> str:
    return f"{CANDIDATES}/{part_name(shard)}"


def pairs_part(task: int) -> str:
    return f"{PARTS}/namesake_pairs/{part_name(task)}"


def district_buckets(plan: Plan) -> int:
    """Buckets of districts the pass works in: as many as there are shards (so a bucket holds about a shard's
    people), at most one per district."""
    return max(1, min(plan.shards, len(np.unique(plan.postcodes.outward))))


def _middle_of(bucket: NDArray[np.int64], buckets: int) -> NDArray[np.uint64]:
    """A 60-bit key in the middle of each bucket's range (parquet.bucket_bounds splits keys into equal ranges)."""
    middle: NDArray[np.uint64] = ((2 * bucket.astype(np.float64) + 1) / (2 * buckets) * float(1 << 60)).astype(
        np.uint64
    )
    return middle


def write_candidates(plan: Plan, store: Store, shard: int, truth: dict[str, pa.Table]) -> NDArray[np.int64]:
    """A shard's residents who may have a namesake, bucketed by district (the district's place among the plan's,
    modulo the buckets, so one district's candidates from every shard meet in one bucket); returns the rows per
    bucket."""
    candidates = population.namesake_candidates(truth["people"], truth["households"], truth["addresses"])
    buckets = district_buckets(plan)
    districts = np.unique(plan.postcodes.outward)
    named = pc.dictionary_encode(candidates["outward_code"].combine_chunks())
    place = np.searchsorted(districts, np.asarray(named.dictionary.to_pylist(), dtype=districts.dtype))
    bucket = (place % buckets)[named.indices.to_numpy(zero_copy_only=False)]
    return parquet.write_part(store, candidates_part(shard), candidates, _middle_of(bucket, buckets), buckets)


def finding_spans(candidates: NDArray[np.int64]) -> list[tuple[int, int]]:
    """The namesake-finding tasks' runs of buckets [first, last), from the candidates per bucket (summed over the
    shards); they depend only on the rows."""
    return parquet.groups(candidates, FINDING_ROWS)


def find_namesakes(store: Store, shards: int, buckets: tuple[int, int], task: int) -> NDArray[np.int64]:
    """The namesake pairs of buckets [first, last) of districts, each over every shard's candidates in it (in shard
    order), written as the task's part bucketed by the shard of the left person; returns the pairs per shard."""
    found = []
    with ExitStack() as stack:
        parts = [parquet.open_keyed(stack, store, candidates_part(shard)) for shard in range(shards)]
        for bucket in range(*buckets):
            with_key = [part.table(bucket, bucket + 1) for part in parts]
            found.append(population.namesakes_among(pa.concat_tables(with_key).drop_columns([parquet.KEY])))
    pairs = pa.concat_tables(found)
    left_shard = pairs["person_id_l"].to_numpy() // ID_STRIDE
    return parquet.write_part(store, pairs_part(task), pairs, _middle_of(left_shard, shards), shards)


def _namesakes_of(store: Store, finders: int, shard: int) -> pa.Table:
    """The namesake pairs whose left person is in `shard`, sorted (every pair of the run is in one bucket of
    districts, so these are all of them, from the parts of the `finders` namesake-finding tasks)."""
    found = pa.concat_tables([parquet.read_bucket(store, pairs_part(task), shard) for task in range(finders)])
    return found.drop_columns([parquet.KEY]).sort_by([("person_id_l", "ascending"), ("person_id_r", "ascending")])


def _whole_file_row_groups(pieces: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Pieces re-cut into row groups of WHOLE_FILE_ROW_GROUP rows, as write_table cuts one table."""
    held: list[pa.Table] = []
    rows = 0
    for piece in pieces:
        held.append(piece)
        rows += piece.num_rows
        while rows >= WHOLE_FILE_ROW_GROUP:
            joined = pa.concat_tables(held)
            yield joined.slice(0, WHOLE_FILE_ROW_GROUP)
            held, rows = [joined.slice(WHOLE_FILE_ROW_GROUP)], rows - WHOLE_FILE_ROW_GROUP
    if rows or not held:
        yield pa.concat_tables(held) if held else tables.table(HARD_NEGATIVES).schema.empty_table()


def write_hard_negatives(store: Store, shards: int, finders: int, meta: dict[str, str]) -> parquet.Written:
    """truth/hard_negatives as one file: the shards' pairs, then the namesakes, one shard's at a time (from the parts
    of the `finders` namesake-finding tasks)."""
    schema = tables.table(HARD_NEGATIVES).schema

    def pieces() -> Iterator[pa.Table]:
        for shard in range(shards):
            yield parquet.read_part(store, truth_part("hard_negatives", shard)).cast(schema)
        for shard in range(shards):
            yield _namesakes_of(store, finders, shard).cast(schema)

    return parquet.write_row_groups(store, f"{HARD_NEGATIVES}.parquet", _whole_file_row_groups(pieces()), meta, schema)


def write_namesakes_part(
    store: Store, finders: int, shards: tuple[int, int], out: str, meta: dict[str, str]
) -> parquet.Written:
    """A part file of a partitioned truth/hard_negatives: the namesakes of left persons in shards [first, last),
    one row group per shard (the shards' own pairs go into part files of their own first, as merge_truth writes
    them)."""
    first, last = shards
    pieces = (_namesakes_of(store, finders, shard) for shard in range(first, last))
    return parquet.write_row_groups(store, out, pieces, meta, tables.table(HARD_NEGATIVES).schema)
