"""Finding a run's records by id: the ids' 60-bit numbers, read from text in any layout Arrow gives (one array or
parts, 32- or 64-bit offsets), and the ids given back as text for the few records an evaluation shows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.evaluation.record_index import RecordIndex, codes, find_sorted, sorted_order
from synthgen.kernel.record_ids import format_record_ids, parse_record_ids

numbers = st.lists(st.integers(0, 2**60 - 1), min_size=0, max_size=40, unique=True)


@settings(max_examples=50, deadline=None)
@given(numbers, st.integers(0, 40))
def test_ids_read_the_same_whole_in_parts_and_with_wide_offsets(values: list[int], cut: int) -> None:
    ids = format_record_ids(np.array(values, np.uint64))
    cut = min(cut, len(ids))
    expected = parse_record_ids(ids)
    for layout in (ids, ids.cast(pa.large_string()), pa.chunked_array([ids[:cut], ids[cut:]], pa.string())):
        number, valid = codes(layout)
        assert valid.all() and number.tolist() == expected.tolist()


def test_an_id_of_another_form_is_no_record() -> None:
    good = format_record_ids(np.array([7, 2**59], np.uint64)).to_pylist()
    ids = pa.chunked_array([pa.array([good[0], "short", None]), pa.array(["0000000000I0", good[1]])])
    number, valid = codes(ids)
    assert valid.tolist() == [True, False, False, False, True]
    assert number.tolist() == [7, 0, 0, 0, 2**59]


@settings(max_examples=50, deadline=None)
@given(numbers.filter(lambda v: len(v) > 0), st.data())
def test_rows_are_found_and_given_back_as_the_same_text(values: list[int], data: st.DataObject) -> None:
    ids = format_record_ids(np.array(values, np.uint64))
    index = RecordIndex.of(pa.chunked_array([ids]))
    assert index.size == len(values) and index.ids is None  # numbers only: the text is not kept
    assert index.rows(ids).tolist() == list(range(len(values)))
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(values) - 1)))), np.int64)
    assert index.ids_of(rows).to_pylist() == ids.take(pa.array(rows, pa.int64())).to_pylist()


def test_a_run_with_ids_of_another_form_is_searched_by_text() -> None:
    ids = pa.array(["a", "bb", "000000000001"])
    index = RecordIndex.of(ids)
    assert index.ids is not None and index.numbers is None
    assert index.rows(pa.array(["bb", "zz", "a"])).tolist() == [1, -1, 0]
    assert index.ids_of(np.array([2, 0])).to_pylist() == ["000000000001", "a"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=80),
    st.lists(st.integers(0, 2**64 - 1), max_size=80),
    st.integers(0, 3),
)
def test_sorted_order_is_a_stable_argsort(signed: list[int], unsigned: list[int], repeat: int) -> None:
    """Packed into the low bits or not (values of 64 bits leave the row none), ties and all: a stable argsort."""
    for values in (np.array(signed * repeat, np.int64), np.array(unsigned * repeat, np.uint64)):
        kept = values.copy()
        assert sorted_order(values).tolist() == np.argsort(values, kind="stable").tolist()
        assert (values == kept).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**60 - 1), max_size=60, unique=True), st.lists(st.integers(0, 2**60 - 1), max_size=60))
def test_find_sorted_finds_each_value_or_says_absent(run: list[int], wanted: list[int]) -> None:
    numbers = np.array(sorted(run), np.uint64)
    for values in (np.array(wanted, np.uint64), numbers[::-1].copy()):
        expected = [sorted(run).index(v) if v in run else -1 for v in values.tolist()]
        assert find_sorted(numbers, values).tolist() == expected
