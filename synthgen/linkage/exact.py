"""The exact-key reference linker: what a MASH system's first, deterministic pass finds.

Records link when they share a non-null NHS number, when they share normalised given name, family name and date
of birth, or (optionally) when they share a UPN; clusters are the transitive closure of those links. It is the
baseline a probabilistic linker has to beat: high precision (an identical full name and birth date is rarely a
coincidence) and the recall of records that were typed the same way twice, which every typo, nickname, surname
change and day/month swap in the data-quality model takes away.

The helpers here (sorting the view, normalising names and identifiers, integer codes, the output table) are
shared with the Fellegi-Sunter linker, so both see the same input the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.kernel.arrays import first_of_runs
from synthgen.linkage.components import component_roots

OUTPUT_SCHEMA = pa.schema([("record_id", pa.string()), ("cluster_id", pa.int64())])


def sorted_view(view: pa.Table) -> pa.Table:
    """The view in record_id order, so that everything downstream (codes, samples, cluster ids) depends on the
    records and not on the order they arrived in: a shuffled view gives the same bytes out."""
    if "record_id" not in view.column_names:
        raise ValueError("the linkage view has no record_id column")
    record_id = view.column("record_id")
    if record_id.null_count:
        raise ValueError("record_id must not be null")
    if view.num_rows and pc.count_distinct(record_id).as_py() != view.num_rows:
        raise ValueError("record_id must be unique")
    return view.take(pc.sort_indices(view, sort_keys=[("record_id", "ascending")]))


def column(view: pa.Table, name: str) -> pa.Array:
    """One column as a single array (all nulls when the view lacks it: linkers work on any subset of fields)."""
    if name not in view.column_names:
        return pa.nulls(view.num_rows, pa.string())
    return view.column(name).combine_chunks()


def normalise_name(values: pa.Array) -> pa.Array:
    """Upper case with everything but A-Z removed ("O'Brien" -> "OBRIEN", "Smith-Jones" -> "SMITHJONES"); empty
    results become null. Agencies differ in case, punctuation and spacing, which no linker should count as a
    disagreement; the view is ASCII (the reference vocabularies are), so A-Z is every letter there is."""
    letters = pc.replace_substring_regex(pc.utf8_upper(values.cast(pa.string())), "[^A-Z]", "")
    return pc.if_else(pc.equal(letters, ""), pa.scalar(None, pa.string()), letters)


def normalise_identifier(values: pa.Array) -> pa.Array:
    """Upper case with spaces and punctuation removed ("999 123 4567" -> "9991234567"); empty becomes null."""
    kept = pc.replace_substring_regex(pc.utf8_upper(values.cast(pa.string())), "[^A-Z0-9]", "")
    return pc.if_else(pc.equal(kept, ""), pa.scalar(None, pa.string()), kept)


def codes(values: pa.Array) -> tuple[NDArray[np.int64], pa.Array]:
    """Integer codes for a column (-1 for null) and the dictionary they index: equality on strings becomes
    equality on integers, and anything computed per distinct value is computed once."""
    encoded = pc.dictionary_encode(values)
    result = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return result, encoded.dictionary


def day_codes(values: pa.Array) -> NDArray[np.int64]:
    """Dates as non-negative day numbers counted from the earliest date in the column, -1 for null."""
    days = pc.fill_null(values.cast(pa.date32()).cast(pa.int32()), -(2**31) + 1).to_numpy(zero_copy_only=False)
    days = days.astype(np.int64)
    valid = days > -(2**31) + 1
    low = int(days[valid].min()) if valid.any() else 0
    return np.where(valid, days - low, -1)


def combine(*keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """One key from several non-negative integer keys (-1 anywhere makes the result -1), by dense re-coding of
    each step so that the product never overflows."""
    result = keys[0].astype(np.int64)
    for key in keys[1:]:
        missing = (result < 0) | (key < 0)
        width = int(key.max()) + 1 if key.size else 1
        joined = np.where(missing, -1, result * max(width, 1) + np.maximum(key, 0))
        _, dense = np.unique(joined, return_inverse=True)
        result = np.where(missing, -1, dense.reshape(-1)).astype(np.int64)
    return result


def star_edges(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Edges joining every record to the first record (in view order) with the same key; -1 keys join nothing.

    A group of k records needs only k - 1 edges for connected components, not k(k-1)/2 pairs."""
    rows = np.flatnonzero(key >= 0)
    order = rows[np.argsort(key[rows], kind="stable")]
    sorted_key = key[order]
    first = first_of_runs(sorted_key)
    head = order[np.flatnonzero(first)][np.cumsum(first) - 1]
    keep = head != order
    return head[keep].astype(np.int64), order[keep].astype(np.int64)


def clusters(record_id: pa.Array, left: NDArray[Any], right: NDArray[Any]) -> pa.Table:
    """The output table for a view in record_id order and its links: each record with the smallest row index of
    its connected component (so the ids are the same whatever order the view came in)."""
    n = len(record_id)
    cluster_id = component_roots(n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    return pa.table([record_id.cast(pa.string()), pa.array(cluster_id, pa.int64())], schema=OUTPUT_SCHEMA)


def link(view: pa.Table, *, use_upn: bool = True) -> pa.Table:
    """Cluster the view's records on exact keys: NHS number; normalised given name, family name and date of
    birth together; and, when `use_upn`, UPN. Returns `record_id` and `cluster_id` in record_id order."""
    view = sorted_view(view)
    given = normalise_name(column(view, "given_name"))
    family = normalise_name(column(view, "family_name"))
    given_code, _ = codes(given)
    family_code, _ = codes(family)
    day_code = day_codes(column(view, "date_of_birth"))
    keys = [codes(normalise_identifier(column(view, "nhs_number")))[0], combine(given_code, family_code, day_code)]
    if use_upn:
        keys.append(codes(normalise_identifier(column(view, "upn")))[0])
    edges = [star_edges(key) for key in keys]
    left = np.concatenate([e[0] for e in edges])
    right = np.concatenate([e[1] for e in edges])
    return clusters(column(view, "record_id"), left, right)
