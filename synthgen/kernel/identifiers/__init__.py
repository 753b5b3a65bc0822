"""Agency identifiers: allocation without collisions, and validation, over whole columns.

Each agency in the synthetic world holds people under its own identifiers (NHS number, UPN, NINO, PNC ID,
local-authority child id). Linkage evaluation only means something if those identifiers behave like the
real ones: the right shape, the right check character, and no two people sharing one. The rules implemented
(one module per identifier; ``allocation`` and ``byte_columns`` hold what they share) are the published ones,
summarised in ``/work/shared/reference/uk-facts.md`` section F:

* NHS number -- NHS Data Dictionary, "NHS Number": 10 digits, modulus 11 check digit over weights 10..2.
  Numbers are allocated only from ranges no real person holds: ``NHS_TEST_BASES`` (999 000 0000 -
  999 999 9999, reserved for testing) or ``NHS_UNALLOCATED_BASES`` (900 - 998 million, outside every issued
  range listed in section F: England/Wales 400-499 m and 600-799 m, Northern Ireland 320-399 m, Scotland CHI
  010-311 m).
* UPN -- DfE, "Unique pupil numbers (UPN): guidance for schools and local authorities": a check letter
  followed by LA number, establishment number, year of allocation and serial; modulus 23 check letter.
* NINO -- HMRC National Insurance Manual NIM39110: two prefix letters, six digits, suffix A-D, with letters
  and prefixes that are never issued.
* PNC ID -- Police National Computer person identifier ``YYYY/NNNNNNNC`` with a modulus 23 check character.
* LA child id -- DfE Children in Need census ``LAchildID``: up to 15 alphanumeric characters chosen by the
  local authority; synthgen uses ``C`` followed by 7 digits.
* Postcode -- the UK postcode formats and letter restrictions (BS 7666 / Royal Mail).

Design choices:

* **Columns, not rows.** Every function takes and returns whole arrays. Strings are assembled as fixed-width
  ASCII byte matrices (one numpy column per character position) and turned into strings in one step;
  validation gathers the bytes of every value into such a matrix and checks all positions with lookup
  tables. There is no per-value Python loop (the only exception is a fallback for object arrays holding
  non-string garbage such as ints, where each element's type must be inspected).
* **Return type.** Identifiers come back as one-dimensional ``numpy.ndarray`` of dtype ``object`` holding
  Python ``str``: they mask, index and concatenate like every other numpy column, and ``pyarrow.array``
  converts them to a string column quickly when a writer needs one. Validators accept such arrays, numpy
  unicode arrays, Python sequences of ``str``/``None`` and pyarrow string arrays, and return
  ``NDArray[np.bool_]``; a missing value (``None``, null, NaN) or a non-string is simply invalid.
* **Sharding without coordination.** Every allocator draws from part ``index`` of ``count`` equal contiguous
  parts of its identifier space (see :func:`segment`), so shards generated in separate processes from
  separate seeds never hand out the same identifier.
* **Determinism.** All randomness comes from the ``numpy.random.Generator`` passed in; the same generator
  state gives the same identifiers, in the same order.
"""

from __future__ import annotations

from synthgen.kernel.identifiers.allocation import segment
from synthgen.kernel.identifiers.byte_columns import StringValues
from synthgen.kernel.identifiers.la_child_id import allocate_la_child_ids, is_valid_la_child_id
from synthgen.kernel.identifiers.nhs_number import (
    NHS_TEST_BASES,
    NHS_UNALLOCATED_BASES,
    allocate_nhs_numbers,
    is_valid_nhs_number,
    nhs_capacity,
    nhs_check_digits,
)
from synthgen.kernel.identifiers.nino import NINO_PREFIXES, allocate_ninos, is_valid_nino
from synthgen.kernel.identifiers.pnc_id import allocate_pnc_ids, is_valid_pnc_id, pnc_check_letters
from synthgen.kernel.identifiers.postcode import is_valid_outward_code, is_valid_postcode
from synthgen.kernel.identifiers.upn import is_valid_upn, make_upns, upn_check_letters

__all__ = [
    "NHS_TEST_BASES",
    "NHS_UNALLOCATED_BASES",
    "NINO_PREFIXES",
    "StringValues",
    "allocate_la_child_ids",
    "allocate_nhs_numbers",
    "allocate_ninos",
    "allocate_pnc_ids",
    "is_valid_la_child_id",
    "is_valid_nhs_number",
    "is_valid_nino",
    "is_valid_outward_code",
    "is_valid_pnc_id",
    "is_valid_postcode",
    "is_valid_upn",
    "make_upns",
    "nhs_capacity",
    "nhs_check_digits",
    "pnc_check_letters",
    "segment",
    "upn_check_letters",
]
