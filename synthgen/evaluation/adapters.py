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
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from synthgen.errors import SynthgenError
from synthgen.evaluation.record_index import RecordIndex

CLUSTER_COLUMNS = (("record_id", "cluster_id"), ("unique_id", "cluster_id"))
PAIR_COLUMNS = (("record_id_l", "record_id_r"), ("unique_id_l", "unique_id_r"))
SCORE_COLUMNS = ("match_probability", "score")
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
        return what, source
    path = Path(source)
    return str(path), read_table(path, what)


def read_table(path: Path, what: str = "predictions") -> pa.Table:
    """A user's Parquet or CSV file (`what` it holds names it in errors: predictions, flags, disclosures)."""
    if not path.exists():
        raise SynthgenError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pq.read_table(path)
        elif suffix == ".csv":
            table = pacsv.read_csv(path)
        else:
            raise SynthgenError(f"{path}: {what} must be a .parquet or .csv file")
    except (pa.ArrowInvalid, OSError) as error:
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SynthgenError(f"{path}: cannot be read as {kind} ({first})") from None
    if table.num_rows == 0:
        raise SynthgenError(f"{path}: no {what} (the file has no rows)")
    return table


def record_id_column(name: str, table: pa.Table, column: str) -> pa.Array:
    """A column of record ids as text (integers are read as their digits); empty values are an error."""
    values = table.column(column).combine_chunks()
    if pa.types.is_null(values.type):  # a CSV column with nothing in it
        raise SynthgenError(f"{name}: column {column} has {len(values):,} empty values")
    if pa.types.is_integer(values.type) or pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise SynthgenError(f"{name}: column {column} must hold record ids (text or integers), found {values.type}")
    if values.null_count:
        raise SynthgenError(f"{name}: column {column} has {values.null_count:,} empty values")
    return values.cast(pa.string())


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


def read_predictions(source: str | Path | pa.Table, run_ids: pa.Array | RecordIndex) -> Clusters | ScoredPairs:
    """Read clusters or scored pairs (a file, or a table in memory), checked against the run's record ids
    (`run_ids`, unique)."""
    run_ids = run_ids if isinstance(run_ids, RecordIndex) else RecordIndex.of(run_ids)
    name, table = load_table(source, "predictions")
    names = set(table.column_names)
    for id_column, cluster_column in CLUSTER_COLUMNS:
        if {id_column, cluster_column} <= names:
            return _clusters(name, table, id_column, cluster_column, run_ids)
    for left_column, right_column in PAIR_COLUMNS:
        if {left_column, right_column} <= names:
            score_column = next((c for c in SCORE_COLUMNS if c in names), None)
            if score_column is None:
                raise SynthgenError(f"{name}: scored pairs need a match_probability or score column; {_found(table)}")
            return _pairs(name, table, left_column, right_column, score_column, run_ids)
    raise SynthgenError(f"{name}: {EXPECTED}; {_found(table)}")


def _found(table: pa.Table) -> str:
    return "found: " + ", ".join(table.column_names)


def _clusters(name: str, table: pa.Table, id_column: str, cluster_column: str, run_ids: RecordIndex) -> Clusters:
    ids = record_id_column(name, table, id_column)
    found = run_ids.rows(ids)
    # ids that are all the run's and all distinct need no counting by text (ten million strings hashed)
    if (found < 0).any() or (np.bincount(found, minlength=1) > 1).any():
        _no_repeats(name, ids, id_column)
    clusters = table.column(cluster_column).combine_chunks()
    if not (
        pa.types.is_integer(clusters.type)
        or pa.types.is_string(clusters.type)
        or pa.types.is_large_string(clusters.type)
    ):
        raise SynthgenError(
            f"{name}: column {cluster_column} must hold cluster labels (text or integers), found {clusters.type}"
        )
    if clusters.null_count:
        raise SynthgenError(f"{name}: column {cluster_column} has {clusters.null_count:,} empty values")
    rows = _rows(name, ids, id_column, run_ids) if (found < 0).any() else found
    return Clusters(rows=rows, cluster=first_seen_codes(clusters))


def first_seen_codes(labels: pa.Array) -> NDArray[np.int64]:
    """Dense codes for labels, numbered in order of first appearance (as dictionary encoding numbers them).
    Integer labels are coded by sorting (hashing ten million large integers is several times slower)."""
    if not pa.types.is_integer(labels.type):
        coded: NDArray[np.int64] = pc.dictionary_encode(labels).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return coded
    values = labels.to_numpy()
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    result: NDArray[np.int64] = rank[inverse.reshape(-1)]
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
    scores = table.column(score_column).combine_chunks()
    if not (pa.types.is_floating(scores.type) or pa.types.is_integer(scores.type)):
        raise SynthgenError(f"{name}: column {score_column} must be numeric, found {scores.type}")
    if scores.null_count:
        raise SynthgenError(f"{name}: column {score_column} has {scores.null_count:,} empty values")
    score = scores.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if not np.isfinite(score).all():
        raise SynthgenError(f"{name}: column {score_column} holds values that are not finite numbers")
    left = _rows(name, record_id_column(name, table, left_column), left_column, run_ids)
    right = _rows(name, record_id_column(name, table, right_column), right_column, run_ids)
    self_pair = left == right
    lo, hi, score = np.minimum(left, right)[~self_pair], np.maximum(left, right)[~self_pair], score[~self_pair]
    # the same pair listed twice (either way round) counts once, at its best score
    order = np.lexsort((-score, hi, lo))
    lo, hi, score = lo[order], hi[order], score[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(lo) else np.zeros(0, bool)
    return ScoredPairs(lo[first], hi[first], score[first], int(self_pair.sum()))
