"""Reading a linkage system's output: clusters or scored pairs, in our column names or Splink's.

Every problem with a file a user hands us is one clear line naming the file and what was expected, never a
traceback: a missing or misnamed column, a wrong type, an empty or unreadable file, a record id the run does
not have, or a record placed in two clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.errors import SynthgenError, shown
from synthgen.evaluation import columns
from synthgen.evaluation.metrics import dense_codes
from synthgen.evaluation.record_index import RecordIndex, sorted_order
from synthgen.kernel.arrays import first_of_runs

CLUSTER_COLUMNS = (("record_id", "cluster_id"), ("unique_id", "cluster_id"))
PAIR_COLUMNS = (("record_id_l", "record_id_r"), ("unique_id_l", "unique_id_r"))
SCORE_COLUMNS = ("match_probability", "score")
SCORE_RANGES = {"match_probability": (0.0, 1.0), "score": (-1e12, 1e12)}
"""A probability is one; any other score (a match weight, a distance) is a finite number of sensible size, so that
the threshold curve and its JSON stay finite."""
EXPECTED = (
    "expected record_id and cluster_id (clusters), or record_id_l, record_id_r and match_probability or score "
    "(scored pairs); Splink's unique_id names are accepted too"
)


@dataclass(frozen=True)
class Clusters:
    """One row per record: the record's index in the run's records and its predicted cluster (dense codes)."""

    rows: NDArray[np.int64]
    cluster: NDArray[np.int64]


@dataclass(frozen=True)
class ScoredPairs:
    """Distinct unordered pairs of record indices (left < right) with their best score."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]
    score: NDArray[np.float64]
    self_pairs: int


def load_table(source: str | Path | pa.Table, what: str) -> tuple[str, pa.Table]:
    """A user's table, and the name its errors go by: the file's path, or `what` it holds for a table given in
    memory (e.g. "flags: missing column flagged_at ...")."""
    if isinstance(source, pa.Table):
        if source.num_rows == 0:
            raise SynthgenError(f"{what}: no {what} (the table has no rows)")
        repeated = sorted({n for n in source.column_names if source.column_names.count(n) > 1})
        if repeated:
            raise SynthgenError(f"{what}: column {shown(repeated[0])} appears more than once")
        columns.check_valid(what, source)
        return what, source
    path = Path(source)
    return str(path), read_table(path, what)


def read_table(path: Path, what: str = "predictions") -> pa.Table:
    """A user's Parquet or CSV file (`what` it holds names it in errors: predictions, flags, disclosures)."""
    return columns.read_file(path, what)


def record_id_column(name: str, table: pa.Table, column: str) -> pa.Array:
    """A column of record ids as text (integers are read as their digits); empty values are an error."""
    values = columns.text(name, table, column, integers=True, holding="record ids (text or integers)")
    if values.null_count:
        raise SynthgenError(f"{name}: column {column} has {values.null_count:,} empty values")
    return values


def _rows(name: str, ids: pa.Array, column: str, run_ids: RecordIndex) -> NDArray[np.int64]:
    rows = run_ids.rows(ids)
    if (rows < 0).any():
        unknown = ids.filter(pa.array(rows < 0))
        distinct = pc.unique(unknown)
        raise SynthgenError(
            f"{name}: {len(distinct):,} {column} values are not records of this run's linkage view "
            f"(e.g. {distinct[0].as_py()!r})"
        )
    return rows


def read_predictions(
    source: str | Path | pa.Table | tuple[str, pa.Table], run_ids: pa.Array | RecordIndex
) -> Clusters | ScoredPairs:
    """Read clusters or scored pairs (a file, or a table in memory, or what `load_table` made of either: its name
    and table), checked against the run's record ids (`run_ids`, unique)."""
    run_ids = run_ids if isinstance(run_ids, RecordIndex) else RecordIndex.of(run_ids)
    name, table = source if isinstance(source, tuple) else load_table(source, "predictions")
    names = set(table.column_names)
    for id_column, cluster_column in CLUSTER_COLUMNS:
        if {id_column, cluster_column} <= names:
            return _clusters(name, table, id_column, cluster_column, run_ids)
    for left_column, right_column in PAIR_COLUMNS:
        if {left_column, right_column} <= names:
            score_column = next((c for c in SCORE_COLUMNS if c in names), None)
            if score_column is None:
                raise SynthgenError(f"{name}: scored pairs need a match_probability or score column; {found(table)}")
            return _pairs(name, table, left_column, right_column, score_column, run_ids)
    raise SynthgenError(f"{name}: {EXPECTED}; {found(table)}")


def found(table: pa.Table) -> str:
    """The columns a table has, for an error saying which it lacks (the first 20, each cut short)."""
    names = [name if len(name) <= 40 else f"{name[:37]}..." for name in table.column_names[:20]]
    more = f" and {table.num_columns - 20} more" if table.num_columns > 20 else ""
    return "found: " + ", ".join(names) + more


def _clusters(name: str, table: pa.Table, id_column: str, cluster_column: str, run_ids: RecordIndex) -> Clusters:
    ids = record_id_column(name, table, id_column)
    known = run_ids.rows(ids)
    # ids that are all the run's and all distinct need no counting by text (ten million strings hashed)
    if (known < 0).any() or (np.bincount(known, minlength=1) > 1).any():
        _no_repeats(name, ids, id_column)
    clusters = columns.column(name, table, cluster_column)
    if not pa.types.is_integer(clusters.type):
        clusters = columns.text(name, table, cluster_column, integers=True, holding="cluster labels (text or integers)")
    if clusters.null_count:
        raise SynthgenError(f"{name}: column {cluster_column} has {clusters.null_count:,} empty values")
    rows = _rows(name, ids, id_column, run_ids) if (known < 0).any() else known
    return Clusters(rows=rows, cluster=first_seen_codes(clusters))


def first_seen_codes(labels: pa.Array) -> NDArray[np.int64]:
    """Dense codes for labels, numbered in order of first appearance (as dictionary encoding numbers them).
    Integer labels are coded in label order first (hashing ten million large integers is several times slower),
    then renumbered by each code's first row."""
    if not pa.types.is_integer(labels.type):
        coded: NDArray[np.int64] = pc.dictionary_encode(labels).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return coded
    code, k = dense_codes(labels.to_numpy())  # in label order, by a lookup table when the labels span little
    first = np.full(k, len(code), np.int64)
    np.minimum.at(first, code, np.arange(len(code)))
    rank = np.empty(k, np.int64)
    rank[sorted_order(first)] = np.arange(k)  # the first rows are distinct: one packed sort, no argsort
    result: NDArray[np.int64] = rank[code]
    return result


def _no_repeats(name: str, ids: pa.Array, id_column: str) -> None:
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated):
        first = repeated[0].as_py()
        raise SynthgenError(
            f"{name}: {id_column} {first['values']!r} appears {first['counts']} times; each record may be in one "
            f"cluster only ({len(repeated):,} ids repeat)"
        )


def _pairs(
    name: str, table: pa.Table, left_column: str, right_column: str, score_column: str, run_ids: RecordIndex
) -> ScoredPairs:
    score = columns.numbers(name, table, score_column)
    low, high = SCORE_RANGES[score_column]
    outside = (score < low) | (score > high)
    if outside.any():
        what = "a probability" if score_column == "match_probability" else "a score"
        raise SynthgenError(f"{name}: {score_column} {score[outside][0]:g} is not {what} (from {low:g} to {high:g})")
    left = _rows(name, record_id_column(name, table, left_column), left_column, run_ids)
    right = _rows(name, record_id_column(name, table, right_column), right_column, run_ids)
    self_pair = left == right
    lo, hi, score = np.minimum(left, right)[~self_pair], np.maximum(left, right)[~self_pair], score[~self_pair]
    # the same pair listed twice (either way round) counts once, at its best score
    if len(lo) and int(hi.max()) < 1 << 31 and not (np.signbit(score) & (score == 0)).any():
        return _best_of_pairs(lo, hi, score, int(self_pair.sum()))
    order = np.lexsort((-score, hi, lo))
    lo, hi, score = lo[order], hi[order], score[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(lo) else np.zeros(0, bool)
    return ScoredPairs(lo[first], hi[first], score[first], int(self_pair.sum()))


def _best_of_pairs(
    lo: NDArray[np.int64], hi: NDArray[np.int64], score: NDArray[np.float64], self_pairs: int
) -> ScoredPairs:
    """The distinct pairs in order with each one's best score: as sorting by pair then score descending and keeping
    each pair's first, from one packed sort of the pairs (rows fit in 32 bits each) and a maximum over each run of
    one pair. A score of -0.0 (equal to 0.0 but not the same bits) is left to that sort, which keeps the first
    listed of the two."""
    key = lo.astype(np.int64) << np.int64(32)
    key |= hi
    order = sorted_order(key)
    key = key[order]
    starts = np.flatnonzero(first_of_runs(key))
    best = np.maximum.reduceat(score[order], starts)
    first = order[starts]
    return ScoredPairs(lo[first], hi[first], best, self_pairs)
