"""A table's changes drawn a chunk of year-end rows at a time: with chunks of any size the feed still replays to
the year-end files row for row and is the same bytes twice; the truth put aside by table is the truth read whole;
the linkage view's numbers follow its year-end file's order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen import tables
from synthgen.feeds import tables as feed_tables
from synthgen.feeds.batches import batch_days
from synthgen.feeds.history import NEVER
from synthgen.feeds.known import RunFacts, date_of
from synthgen.feeds.replay import replay
from synthgen.feeds.tables import NO_LINK, LinkageNumbers, id_numbers, id_strings
from synthgen.feeds.writer import write_batches
from synthgen.kernel.record_ids import format_record_ids
from synthgen.run_folder import open_run

SMALL = 1_500
"""Rows drawn at once in these tests: the demo's big tables (GP registrations, attendance) take many chunks."""


def _weekly(run: Path, out: Path) -> list[dict[str, object]]:
    facts = RunFacts(open_run(run))
    days = batch_days(date_of(facts.first), date_of(facts.last), "weekly")
    return write_batches(facts, out, days, "parquet", chunk=4_000)


@pytest.fixture(scope="module")
def small_draws(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The demo's weekly feed with changes drawn SMALL rows at a time (and built in chunks of another size)."""
    out = tmp_path_factory.mktemp("draws") / "weekly"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feed_tables, "DRAW_RECORDS", SMALL)
        counts = _weekly(demo_run, out)
    return out, counts


def test_changes_drawn_in_small_chunks_still_replay_to_the_year_end_files(
    demo_run: Path, small_draws: tuple[Path, list[dict[str, object]]]
) -> None:
    feed, counts = small_draws
    for entry in counts:
        path = str(entry["path"])
        folder, name = path.rsplit("/", 1)
        files = sorted((feed / folder).glob(f"*/{name}.parquet"))
        final = pq.read_table(demo_run / f"{path}.parquet")
        got = replay(path, pa.concat_tables([pq.read_table(f) for f in files])) if files else final.slice(0, 0)
        assert got.equals(final), path
    assert sum(int(str(e["update"])) for e in counts) > 0 and sum(int(str(e["delete"])) for e in counts) > 0


def test_changes_drawn_in_small_chunks_are_the_same_bytes_twice_and_differ_from_whole_tables(
    demo_run: Path, small_draws: tuple[Path, list[dict[str, object]]], tmp_path: Path
) -> None:
    feed, counts = small_draws
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feed_tables, "DRAW_RECORDS", SMALL)
        again = _weekly(demo_run, tmp_path / "again")
    assert again == counts
    files = sorted(p.relative_to(feed) for p in feed.rglob("*.parquet"))
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*.parquet"))
    assert all((feed / f).read_bytes() == (tmp_path / "again" / f).read_bytes() for f in files)
    whole = _weekly(demo_run, tmp_path / "whole")  # the demo's tables are each one chunk by default
    assert whole != counts


def test_the_truth_put_aside_by_table_is_the_truth_read_whole(demo_run: Path, tmp_path: Path) -> None:
    """Looked up chunk by chunk (a few buckets each) from the truth put aside, or from the truth read whole: each
    year-end record's day first held, person, linkage id and logged errors are the same, and found for all."""
    whole, indexed = RunFacts(open_run(demo_run)), RunFacts(open_run(demo_run))
    index = indexed.index_truth(tmp_path)
    try:
        for path in feed_tables.feed_tables(whole):
            entry = tables.table(path)
            if entry.id_column is None:
                continue
            ids = pq.read_table(demo_run / f"{path}.parquet", columns=[entry.id_column])[entry.id_column]
            chunks = [ids.slice(start, 700) for start in range(0, len(ids), 700)]
            if entry.person is not None:
                a, b = whole.person_truth(path), indexed.person_truth(path)
                for chunk in chunks:
                    (found_a, got_a), (found_b, got_b) = a.lookup(chunk), b.lookup(chunk)
                    assert found_a.all() and found_b.all(), path
                    for name in ("key", "linkage", "person", "known"):
                        assert np.array_equal(getattr(got_a, name), getattr(got_b, name)), (path, name)
                    assert all(np.array_equal(got_a.logged[f], got_b.logged[f]) for f in got_a.logged), path
            else:
                x, y = whole.event_truth(path), indexed.event_truth(path)
                assert (x is None) == (y is None), path
                if x is not None and y is not None:
                    assert all(x.known(chunk).equals(y.known(chunk)) for chunk in chunks), path
    finally:
        index.close()
    assert list(tmp_path.iterdir()) == []


_ids = st.lists(st.integers(0, 2**60 - 1), unique=True, max_size=40)


@settings(max_examples=60, deadline=None)
@given(year_end=_ids, seed=st.integers(0, 2**32 - 1))
def test_linkage_numbers_are_positions_in_the_year_end_file_then_new_records_in_turn(
    year_end: list[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    ids = np.asarray(year_end, np.uint64)
    numbers = LinkageNumbers(ids)
    asked = rng.permutation(len(ids))[: rng.integers(0, len(ids) + 1)]
    fresh = np.asarray([2**60 + i for i in range(int(rng.integers(0, 4)))], np.uint64)
    wanted = np.r_[ids[asked], fresh, [NO_LINK]].astype(np.uint64)
    made = rng.integers(19_000, 20_000, len(wanted))
    purged = np.where(rng.random(len(wanted)) < 0.5, NEVER, made + 5)
    got = numbers.number(wanted, made, purged)
    assert got[: len(asked)].tolist() == asked.tolist()
    assert got[len(asked) :].tolist() == list(range(len(ids), len(ids) + len(fresh) + 1))
    all_made, all_purged = numbers.days()
    assert np.array_equal(all_made[got], made) and np.array_equal(all_purged[got], purged)


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**60 - 1)), max_size=30))
def test_record_ids_and_their_numbers_go_both_ways_nulls_too(values: list[int | None]) -> None:
    numbers = np.asarray([NO_LINK if v is None else v for v in values], np.uint64)
    ids = id_strings(numbers)
    assert ids.null_count == values.count(None)
    assert np.array_equal(id_numbers(ids), numbers)
    valid = [v for v in values if v is not None]
    assert ids.drop_null().equals(format_record_ids(np.asarray(valid, np.uint64)))


def test_no_day_is_lost_to_32_bits() -> None:
    numbers = LinkageNumbers(np.asarray([5, 9], np.uint64))
    day = dt.date(2024, 4, 1).toordinal()
    numbers.number(np.asarray([9, 5], np.uint64), np.asarray([day, day + 1]), np.asarray([NEVER, 20_000]))
    made, purged = numbers.days()
    assert made.tolist() == [day + 1, day] and purged.tolist() == [20_000, NEVER] and made.dtype == np.int64
