"""AgencyTable helpers: concatenating two parts of one table and filtering rows keep table, keys and people aligned."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.agencies import AgencyTable, concatenated, filtered, nearest


def _part(ids: list[str], keys: list[int], people: list[int]) -> AgencyTable:
    return AgencyTable(
        "health", "gp_registrations", pa.table({"record_id": ids}), np.array(keys, np.uint64), np.array(people)
    )


def test_concatenated_then_filtered_keep_rows_aligned() -> None:
    both = concatenated(_part(["a", "b"], [1, 2], [10, 20]), _part(["c"], [3], [30]))
    kept = filtered(both, np.array([True, False, True]))
    assert (kept.source, kept.name) == ("health", "gp_registrations")
    assert kept.table.column("record_id").to_pylist() == ["a", "c"]
    assert kept.key.tolist() == [1, 3]
    assert kept.person_id.tolist() == [10, 30]


_grid = st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_grid, _grid, st.integers(1, 5))
def test_nearest_lists_each_origins_nearest_places_nearest_first(
    origins: list[tuple[int, int]], places: list[tuple[int, int]], k: int
) -> None:
    """Each origin gets k distinct places as near as any others (ties at the k-th place broken any way), nearest
    first and the lower index first among equally near ones; an origin that repeats gets what it gets alone."""
    east, north = (np.array(values, dtype=np.float64) / 2 for values in zip(*origins, strict=True))
    to_east, to_north = (np.array(values, dtype=np.float64) / 2 for values in zip(*places, strict=True))
    result = nearest(east, north, to_east, to_north, k)
    count = min(k, len(places))
    assert result.shape == (len(origins), count)
    for row in range(len(origins)):
        distance = (east[row] - to_east) ** 2 + (north[row] - to_north) ** 2
        chosen = result[row].tolist()
        assert len(set(chosen)) == count
        assert [(distance[i], i) for i in chosen] == sorted((distance[i], i) for i in chosen)
        assert sorted(distance[chosen].tolist()) == sorted(distance.tolist())[:count]
        alone = nearest(east[row : row + 1], north[row : row + 1], to_east, to_north, k)
        assert alone[0].tolist() == chosen
