"""Reference record-linkage systems: pure functions from the linkage view to a predicted clustering.

They are the yardsticks a system under test is scored beside: `exact` is the deterministic first pass of a
typical MASH (shared NHS number, or identical name and birth date), `fellegi-sunter` a probabilistic linker in
the style of Splink (blocking, comparison levels, m and u by EM, a match-probability threshold). Both take the
`linkage/records` table and return `record_id` (every input record once, in record_id order) and `cluster_id`
(int64: the smallest row index of the cluster in record_id order), the same bytes for the same records in any
order.
"""

from __future__ import annotations

import pyarrow as pa

from synthgen.linkage import exact, fellegi_sunter

METHODS = ("exact", "fellegi-sunter")


def link(view: pa.Table, method: str) -> pa.Table:
    """Cluster the linkage view's records with one of `METHODS`."""
    if method == "exact":
        return exact.link(view)
    if method == "fellegi-sunter":
        return fellegi_sunter.link(view)
    raise ValueError(f"unknown linkage method {method!r}: expected one of {', '.join(METHODS)}")


__all__ = ["METHODS", "exact", "fellegi_sunter", "link"]
