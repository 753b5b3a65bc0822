"""Shard tasks: every shard made by exactly one task, in order, and a keyed table's parts few enough for a merge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from synthgen import run_tasks


@given(st.integers(min_value=1, max_value=5_000))
def test_every_shard_is_made_once_in_order(shards: int) -> None:
    made = [shard for task in range(run_tasks.shard_tasks(shards)) for shard in run_tasks.task_shards(shards, task)]
    assert made == list(range(shards))
    sizes = {len(run_tasks.task_shards(shards, task)) for task in range(run_tasks.shard_tasks(shards))}
    assert max(sizes) <= run_tasks.SHARDS_PER_TASK
    assert 0 not in sizes


@given(st.integers(min_value=1, max_value=5_000))
def test_a_table_has_at_most_the_parts_a_merge_reads_well_unless_tasks_would_grow(shards: int) -> None:
    parts = run_tasks.shard_tasks(shards)
    assert parts <= run_tasks.PARTS_PER_TABLE or run_tasks.shards_per_task(shards) == run_tasks.SHARDS_PER_TASK


def test_a_local_authoritys_run_makes_a_shard_a_task_and_ten_million_people_four() -> None:
    assert run_tasks.shards_per_task(24) == 1  # Birmingham, 1.2 million people
    assert run_tasks.shards_per_task(80) == 2  # four million
    assert run_tasks.shards_per_task(200) == 4  # ten million: 50 parts a keyed table
    assert run_tasks.shards_per_task(1_140) == 4  # England: the tasks' memory stays flat
