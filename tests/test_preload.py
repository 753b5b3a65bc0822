"""A local pool's workers start from a fork server that has imported synthgen's shard code and filled the
plan-independent reference caches (synthgen/preload.py), so no worker pays for them again."""

from __future__ import annotations

import multiprocessing
import sys

import pytest

from synthgen import engines


def _worker_state() -> tuple[bool, int, int]:
    """In a worker: was synthgen.preload imported before the task arrived, and how full are its caches."""
    from synthgen.quality import text
    from synthgen.world import given_names

    return (
        "synthgen.preload" in sys.modules,
        given_names.tradition_pool.cache_info().currsize,
        text.name_alternatives.cache_info().currsize,
    )


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_a_pool_worker_starts_with_the_shard_code_and_reference_caches() -> None:
    pool = engines.LocalPool(2)
    try:
        results = dict(pool.run([(_worker_state, ()), (_worker_state, ())]))
    finally:
        pool.close()
    from synthgen import preload, reference

    pools = len(preload.DECADES) * 2 * len(reference.name_traditions().traditions)
    for imported, tradition_pools, alternatives in results.values():
        assert imported
        assert tradition_pools >= pools
        assert alternatives >= len(preload.NAME_ERRORS)
