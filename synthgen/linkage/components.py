"""Clusters from pairwise links: the connected components of a graph of records, over whole arrays.

Both sides of linkage need it: the reference linkers close their links into clusters, and the evaluation turns a
system's scored pairs into clusters the same way. It lives with the linkers so that they never import the scorer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def connected_components(n: int, left: NDArray[np.integer[Any]], right: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """Cluster labels (0..k-1, by smallest member index) for n records linked by the edges (left[j], right[j])."""
    root = component_roots(n, left, right)
    is_root = root == np.arange(n, dtype=np.int64)
    rank = np.cumsum(is_root, dtype=np.int64) - 1
    result: NDArray[np.int64] = rank[root]
    return result


def component_roots(n: int, left: NDArray[np.integer[Any]], right: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """Each record's component as the smallest record index in it, for n records linked by (left[j], right[j]).

    Linkage systems often output pairwise links; their clusters are the transitive closure. A Python union-find
    would take minutes at 10 million edges, so this is its array form: every edge between two different trees
    hooks the larger root under the smaller one (any such edge may win; parents always have smaller indices, so
    no cycle can form), then pointer jumping (label = label[label]) flattens the trees, and the edges are
    contracted to (root, root) pairs with the settled ones dropped. Every tree with an outstanding edge merges
    with another in each round, so there are O(log n) rounds of O(log n) jumps over whole arrays. A root is the
    smallest index of its tree, so at the end each record's root is the smallest index of its component.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    left = np.asarray(left)
    right = np.asarray(right)
    if left.ndim != 1 or left.shape != right.shape:
        raise ValueError(f"left and right must be one-dimensional and of equal length, got {left.shape}, {right.shape}")
    if left.size and not (np.issubdtype(left.dtype, np.integer) and np.issubdtype(right.dtype, np.integer)):
        raise ValueError("edge endpoints must be integers")
    if left.size and (min(int(left.min()), int(right.min())) < 0 or max(int(left.max()), int(right.max())) >= n):
        raise ValueError(f"edge endpoints must lie in 0..{n - 1}")
    label = np.arange(n, dtype=np.int64)
    u = left.astype(np.int64, copy=False)
    v = right.astype(np.int64, copy=False)
    while u.size:
        root_u = label[u]
        root_v = label[v]
        open_edges = root_u != root_v
        low = np.minimum(root_u[open_edges], root_v[open_edges])
        high = np.maximum(root_u[open_edges], root_v[open_edges])
        if not low.size:
            break
        label[high] = low
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        u, v = low, high
    return label
