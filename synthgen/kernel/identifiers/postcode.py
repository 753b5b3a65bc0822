"""Postcode format: the UK postcode formats and letter restrictions (BS 7666 / Royal Mail)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from synthgen.kernel.identifiers.byte_columns import StringValues, matches

# Postcode patterns (RE2 syntax, anchored). Outward: A9, A99, A9A, AA9, AA99, AA9A with the first letter not
# Q, V, X and the second letter not I, J, Z; inward: digit and two letters, none of C, I, K, M, O, V.
_OUTWARD = "[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-Z]?"
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE_RE = f"^{_OUTWARD} {_INWARD}$"
_OUTWARD_RE = f"^{_OUTWARD}$"


def is_valid_postcode(values: StringValues) -> NDArray[np.bool_]:
    """UK postcode format, with a single space before the 3-char inward code: A9 9AA, A99 9AA, A9A 9AA,
    AA9 9AA, AA99 9AA, AA9A 9AA; first letter not Q,V,X; second letter not I,J,Z; inward letters not
    C,I,K,M,O,V.

    Format only (upper case, as Royal Mail writes them): a well-formed postcode need not exist. The special
    non-geographic code GIR 0AA does not fit these rules and is False.
    """
    return matches(values, _POSTCODE_RE)


def is_valid_outward_code(values: StringValues) -> NDArray[np.bool_]:
    """The outward part of a postcode alone (A9, A99, A9A, AA9, AA99, AA9A), same letter rules."""
    return matches(values, _OUTWARD_RE)
