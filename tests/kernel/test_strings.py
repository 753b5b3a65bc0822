"""String columns: membership by hash look-up agrees with numpy's, and typed string scalars."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.kernel import strings

_words = st.text(alphabet="abC7-", max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(_words, max_size=20), st.lists(st.one_of(st.none(), _words), max_size=20), st.integers(1, 3))
def test_among_agrees_with_isin(values: list[str], others: list[str | None], chunks: int) -> None:
    """The same answer as np.isin, whether the others come as one array or in chunks, with nulls among them."""
    pool = np.array(values, dtype=object)
    cut = len(others) // chunks
    parts = [others[i * cut : (i + 1) * cut] for i in range(chunks - 1)] + [others[(chunks - 1) * cut :]]
    chunked = pa.chunked_array([pa.array(part, pa.string()) for part in parts], pa.string())
    expected = np.isin(pool, np.array([o for o in others if o is not None], dtype=object))
    assert strings.among(pool, chunked).tolist() == expected.tolist()
    assert strings.among(pool, pa.array(others, pa.string())).tolist() == expected.tolist()


def test_text_is_a_string_scalar_that_compute_functions_take() -> None:
    joined = pc.binary_join_element_wise(pa.array(["12", "3"]), pa.array(["Oak Road", "Elm Way"]), strings.text(" "))
    assert strings.text("F").type == pa.string()
    assert joined.to_pylist() == ["12 Oak Road", "3 Elm Way"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), _words), min_size=1, max_size=10), st.data())
def test_taken_is_the_rows_converted(vocabulary: list[str | None], data: st.DataObject) -> None:
    """The same column as converting values[rows] (nulls for None), asked once or again of the same vocabulary,
    as an object array or a fixed-width one."""
    rows = np.array(data.draw(st.lists(st.integers(0, len(vocabulary) - 1), max_size=15)), dtype=np.int64)
    as_objects = np.array(vocabulary, dtype=object)
    for _ in range(2):
        assert strings.taken(as_objects, rows).equals(pa.array(as_objects[rows], pa.string()))
    fixed = np.array([v or "" for v in vocabulary])
    assert strings.taken(fixed, rows).equals(pa.array(fixed[rows], pa.string()))


@given(st.lists(st.tuples(st.integers(-(10**6), 10**6), _words), max_size=10))
def test_address_lines_put_the_number_before_the_street(lines: list[tuple[int, str]]) -> None:
    numbers = np.array([n for n, _ in lines], dtype=np.int64)
    streets = pa.array([s for _, s in lines], pa.string())
    assert strings.address_lines(streets, numbers).to_pylist() == [f"{n} {s}" for n, s in lines]


@given(st.lists(_words, min_size=1, max_size=6), st.data())
def test_labelled_indexes_as_numpy_does(labels: list[str], data: st.DataObject) -> None:
    """labels[index] with numpy's meaning of a negative index; an index past either end is an error."""
    index = np.array(data.draw(st.lists(st.integers(-len(labels), len(labels) - 1), max_size=12)), dtype=np.int64)
    expected = np.asarray(labels, dtype=object)[index].tolist()
    assert strings.labelled(tuple(labels), index).to_pylist() == expected


def test_labelled_refuses_an_index_past_the_labels() -> None:
    with pytest.raises(IndexError):
        strings.labelled(("a", "b"), np.array([2]))


@given(_words, st.integers(0, 50))
def test_repeated_is_the_value_n_times(value: str, n: int) -> None:
    assert strings.repeated(value, n).to_pylist() == [value] * n


def test_taken_lets_a_vocabulary_go() -> None:
    """A vocabulary no one holds any more is not kept alive by its Arrow copy (a worker makes a plan per shard)."""
    vocabulary = np.array(["Oak Road", "Elm Way"])
    gone = weakref.ref(vocabulary)
    assert strings.taken(vocabulary, np.array([1, 0])).to_pylist() == ["Elm Way", "Oak Road"]
    del vocabulary
    gc.collect()
    assert gone() is None
