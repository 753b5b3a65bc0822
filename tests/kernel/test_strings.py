"""String columns: membership by hash look-up agrees with numpy's, and typed string scalars."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
