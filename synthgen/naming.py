"""Turning name indices into name strings, a whole column at a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray


def names(vocab: pa.Array, index: NDArray[np.int64]) -> pa.Array:
    """vocab[index], with null where index < 0."""
    mask = index < 0
    taken = vocab.take(pa.array(np.where(mask, 0, index)))
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), taken)


def _joined(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64], separator: str) -> pa.Array:
    """vocab[first], joined to vocab[second] by `separator` where a second part is given."""
    a = names(vocab, first)
    b = names(vocab, second)
    joined = pc.binary_join_element_wise(a, b, separator)
    return pc.if_else(pa.array(second >= 0), joined, a)


def surnames(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
    """Surnames, double-barrelled ('Smith-Jones') where a second part is given."""
    return _joined(vocab, first, second, "-")


def address_lines(streets: NDArray[np.str_], numbers: NDArray[np.int64]) -> pa.Array:
    """Address lines ('12 Oak Road'): house number and street, a whole column at a time."""
    return pc.binary_join_element_wise(pa.array(numbers.astype(str), pa.string()), pa.array(streets, pa.string()), " ")


def middle_names(vocab: pa.Array, first: NDArray[np.int64], second: NDArray[np.int64]) -> pa.Array:
    """Middle names joined by a space; null when the person has none."""
    return _joined(vocab, first, second, " ")
