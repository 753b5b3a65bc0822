"""The linkage view as the Fellegi-Sunter linker reads it: every field as integer codes, and what is computed once
per distinct value (a name's bytes, soundex and initial; a postcode's sector) rather than once per record.

Given and family names share one dictionary, so a given name is compared with a family name (name swaps) by
integer equality. Codes are int32 where a city's ten million pairs gather them several times over.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.linkage.array_types import Code, Int
from synthgen.linkage.exact import codes, column, day_codes, normalise_identifier, normalise_name
from synthgen.linkage.name_similarity import byte_matrix, related_keys, soundex

NAME_WIDTH = 20
"""Characters of each name compared by Jaro-Winkler."""


def small(values: Int) -> Code:
    """Codes as int32: a city's ten million pairs gather them several times over, and half the bytes is twice
    the speed."""
    return values.astype(np.int32)


def per_record(record_code: Int, per_value: Int) -> Int:
    """A per-distinct-value attribute (soundex, initial, sector) for each record's code, -1 where it is null."""
    if not per_value.size:
        return np.full(record_code.size, -1, np.int64)
    return np.where(record_code >= 0, per_value[np.maximum(record_code, 0)], -1)


class CodedView:
    """The view in record_id order as integer codes per field, and what is computed once per distinct value."""

    def __init__(self, view: pa.Table) -> None:
        self.n = view.num_rows
        self.record_id = column(view, "record_id")
        # Given and family names share one dictionary, so a name can be compared across the two fields.
        given = normalise_name(column(view, "given_name"))
        family = normalise_name(column(view, "family_name"))
        name_codes, self.names = codes(pa.concat_arrays([given, family]))
        self.given, self.family = small(name_codes[: self.n]), small(name_codes[self.n :])
        self.name_matrix, self.name_length = byte_matrix(self.names, NAME_WIDTH)
        full_width = max(int(self.name_length.max(initial=0)), 1)
        self.name_soundex = soundex(byte_matrix(self.names, full_width)[0], self.name_length)
        self.name_initial = self.name_matrix[:, 0].astype(np.int64)
        self.given_related = related_keys("given", self.names)
        self.family_related = related_keys("family", self.names)
        # Parts of double-barrelled family names (Smith-Jones: SMITH, JONES), per distinct raw family name.
        raw_family, raw_dictionary = codes(pc.utf8_upper(column(view, "family_name").cast(pa.string())))
        self.raw_family = small(np.maximum(raw_family, 0))
        parts = pc.split_pattern_regex(raw_dictionary, r"[\s-]+")
        self.part_offsets = parts.offsets.to_numpy().astype(np.int64)
        self.part_codes = codes(normalise_name(parts.flatten()))[0] if len(parts) else np.zeros(0, np.int64)
        self.part_count = np.r_[np.diff(self.part_offsets), 0]

        middle, middle_names = codes(normalise_name(column(view, "middle_names")))
        self.middle = small(middle)
        self.middle_initial = small(per_record(middle, byte_matrix(middle_names, 1)[0][:, 0].astype(np.int64)))

        dob = column(view, "date_of_birth")
        self.dob = day_codes(dob)
        dates = dob.cast(pa.date32())
        self.year, self.month, self.day = (
            np.where(self.dob >= 0, pc.fill_null(part(dates), 0).to_numpy(zero_copy_only=False), -1).astype(np.int64)
            for part in (pc.year, pc.month, pc.day)
        )

        self.sex = small(codes(pc.utf8_upper(pc.utf8_trim_whitespace(column(view, "sex").cast(pa.string()))))[0])
        postcode, postcodes = codes(normalise_identifier(column(view, "postcode")))
        self.postcode = small(postcode)
        self.postcode_key = postcode
        # Postcodes as one 64-bit word each (up to 8 characters), so a typo is a byte count of an XOR.
        postcode_bytes, self.postcode_length = byte_matrix(postcodes, 8)
        self.postcode_word = postcode_bytes.view(np.uint64).reshape(-1)
        # Sector (outward code and inward digit) and outward code: the postcode less its last 2 or 3 characters.
        self.sector = small(per_record(postcode, codes(pc.utf8_slice_codeunits(postcodes, 0, -2))[0]))
        self.outward = small(per_record(postcode, codes(pc.utf8_slice_codeunits(postcodes, 0, -3))[0]))
        self.address = small(codes(normalise_identifier(column(view, "address_line")))[0])
        self.nhs_key = codes(normalise_identifier(column(view, "nhs_number")))[0]
        self.upn_key = codes(normalise_identifier(column(view, "upn")))[0]
        self.nhs, self.upn = small(self.nhs_key), small(self.upn_key)
