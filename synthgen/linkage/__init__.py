"""Reference record-linkage systems: pure functions from the linkage view to a predicted clustering.

They are the yardsticks a system under test is scored beside: `exact` is the deterministic first pass of a
typical MASH (shared NHS number, or identical name and birth date), `fellegi-sunter` a probabilistic linker in
the style of Splink (blocking, comparison levels, m and u by EM, a match-probability threshold). Both take the
`linkage/records` table and return `record_id` (every input record once, in record_id order) and `cluster_id`
(int64: the smallest row index of the cluster in record_id order), the same bytes for the same records in any
order. `METHODS` is the registry of linkers by name: the command line offers exactly its names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa

from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import shown
from synthgen.linkage import exact, fellegi_sunter
from synthgen.outputs.files import TABLE_SUFFIXES, claimed, require_suffix, write_table
from synthgen.run_folder import Run, open_run

METHODS: Mapping[str, Callable[[pa.Table], pa.Table]] = MappingProxyType(
    {"exact": exact.link, "fellegi-sunter": fellegi_sunter.link}
)
"""Every reference linker by the name `link`, `screen` and the command line know it by."""
DEFAULT_METHOD = "fellegi-sunter"


def link(
    source: pa.Table | str | Path | Run,
    method: str = DEFAULT_METHOD,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
) -> pa.Table:
    """Cluster the records of a linkage view (a table, or the `linkage/records` of a run folder) with one of
    `METHODS`; with `out`, also write the clusters, as Parquet or CSV by the file's suffix (an existing file is
    replaced only with `overwrite`)."""
    if method not in METHODS:
        raise ArgumentError("method", f"{PLACE}: {shown(method)} is not a linkage method ({', '.join(METHODS)})")
    if out is not None:
        require_suffix(Path(out), TABLE_SUFFIXES, "predictions are written as .parquet or .csv")
    with claimed([out], overwrite):
        view = source if isinstance(source, pa.Table) else open_run(source).read("linkage/records")
        clusters = METHODS[method](view)
        if out is not None:
            write_table(Path(out), clusters)
    return clusters


__all__ = ["DEFAULT_METHOD", "METHODS", "exact", "fellegi_sunter", "link"]
