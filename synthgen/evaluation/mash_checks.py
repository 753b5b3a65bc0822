"""The partner checks a MASH system made, record by record, against what a perfect check would have found.

Each record a system found for a contact is one of three: right (the truth's contact_records lists it: about the
child or someone at home, held by the contact's day), from the future (about the family, but its agency held it
only after the contact came in: the mark of a system reading a year-end extract), or wrong (about anyone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.evaluation.mash_pairs import distinct_pairs
from synthgen.evaluation.mash_responses import Responses
from synthgen.evaluation.mash_scores import AgencyChecks, PartnerChecks
from synthgen.evaluation.mash_truth import MashTruth

OUTCOMES = ("found", "missed", "future", "wrong")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _pairs(
    truth: MashTruth, contact: NDArray[np.int64], record: pa.Array
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One integer per (contact row, record id) for the pairs given and for the truth's expected pairs, coded
    alike, so that set lookups are sorts of integers rather than hashes of text."""
    expected = truth.expected["record_id"].combine_chunks()
    both = pc.dictionary_encode(pa.concat_arrays([record, expected]))
    n = len(both.dictionary)
    codes = both.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    given, wanted = codes[: len(record)], codes[len(record) :]
    return contact * n + given, truth.expected["contact"].to_numpy() * n + wanted


def _member(values: NDArray[np.int64], among: NDArray[np.int64]) -> NDArray[np.bool_]:
    """np.isin for integer keys, by one sort and a binary search (no hashing of the larger side)."""
    ordered = np.sort(among)
    at = np.minimum(np.searchsorted(ordered, values), max(len(ordered) - 1, 0))
    result: NDArray[np.bool_] = (ordered[at] == values) if len(ordered) else np.zeros(len(values), bool)
    return result


@dataclass(frozen=True)
class Found:
    """Every (contact, record) pair the system found, each with its outcome, and every pair a perfect check finds."""

    truth: MashTruth
    contact: NDArray[np.int64]  # per pair found: the contact's row
    record: pa.Array  # ... the record (the agency file's id)
    agency: pa.Array
    table: pa.Array
    correct: NDArray[np.bool_]
    future: NDArray[np.bool_]
    wrong: NDArray[np.bool_]
    expected_found: NDArray[np.bool_]  # per row of truth.expected: the system found it

    @property
    def _expected_contact(self) -> NDArray[np.int64]:
        result: NDArray[np.int64] = self.truth.expected["contact"].to_numpy()
        return result

    @property
    def _expected_record(self) -> pa.Array:
        return self.truth.expected["record_id"].combine_chunks()

    def per_contact(self, mask: NDArray[np.bool_]) -> tuple[int, int, int]:
        """Over the contacts in `mask`: records found right, records a perfect check finds, records found wrong."""
        mine = mask[self.contact]
        expected = mask[self._expected_contact]
        return int((self.correct & mine).sum()), int(expected.sum()), int((self.wrong & mine).sum())

    def records_of(self, row: int) -> list[dict[str, Any]]:
        """One contact's records: each a perfect check finds (found or missed), then each found beyond them."""
        expected = self.truth.expected.filter(pa.array(self._expected_contact == row))
        hit = self.expected_found[self._expected_contact == row]
        out = [
            {
                "agency": r["agency"],
                "table": r["table"],
                "record_id": r["record_id"],
                "relation": r["relation"],
                "outcome": "found" if h else "missed",
            }
            for r, h in zip(expected.to_pylist(), hit.tolist(), strict=True)
        ]
        beyond = np.flatnonzero((self.contact == row) & ~self.correct)
        for i in beyond.tolist():
            out.append(
                {
                    "agency": self.agency[i].as_py(),
                    "table": self.table[i].as_py(),
                    "record_id": self.record[i].as_py(),
                    "relation": "family" if self.future[i] else "other",
                    "outcome": "future" if self.future[i] else "wrong",
                }
            )
        return out


def about_family(
    truth: MashTruth,
    contact: NDArray[np.int64],
    record: pa.Array,
    known: pa.Table,
    pairs: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> NDArray[np.bool_]:
    """Whether each record is about someone in the household of the contact in that row, or listed for the contact
    by the truth (`known`: the records' facts; `pairs`: `_pairs` of these rows, where the caller has them)."""
    households = known["household_id_list"].combine_chunks().take(pc.index_in(record, value_set=known["record_id"]))
    wanted = truth.contacts["household_id"].combine_chunks().take(pa.array(contact, pa.int64()))
    flat = pc.list_flatten(households).to_numpy(zero_copy_only=False)
    parent = pc.list_parent_indices(households).to_numpy()
    hit = flat == wanted.to_numpy(zero_copy_only=False)[parent]
    at_home = np.bincount(parent[hit], minlength=len(record)) > 0
    given, expected = pairs or _pairs(truth, contact, record)
    result: NDArray[np.bool_] = at_home | _member(given, expected)
    return result


def check_records(truth: MashTruth, responses: Responses, record: pa.Array, known: pa.Table) -> Found:
    """Each record the system found, as right, from the future or wrong (`record`: the found ids resolved to agency
    file ids, `known`: their facts; the same record found twice for one contact counts once)."""
    kept = distinct_pairs(responses.found_contact, record)
    contact = responses.found_contact[kept]
    record = record.take(pa.array(kept))
    given, expected = _pairs(truth, contact, record)
    correct = _member(given, expected)
    at = pc.index_in(record, value_set=known["record_id"])
    known_on = known["known_on_min"].combine_chunks().take(at).to_numpy(zero_copy_only=False)
    received = truth.contacts["received_on"].combine_chunks().to_numpy(zero_copy_only=False)[contact]
    later = ~np.isnat(known_on) & (known_on.astype("datetime64[D]") > received.astype("datetime64[D]"))
    future = ~correct & later & about_family(truth, contact, record, known, (given, expected))
    return Found(
        truth,
        contact,
        record,
        known["agency_first"].combine_chunks().take(at),
        known["table_first"].combine_chunks().take(at),
        correct,
        future,
        ~correct & ~future,
        _member(expected, given),
    )


def _codes(values: pa.Array | pa.ChunkedArray, names: pa.Array) -> NDArray[np.int64]:
    """Each value's place in `names`."""
    result: NDArray[np.int64] = pc.index_in(values, value_set=names).to_numpy(zero_copy_only=False).astype(np.int64)
    return result


def partner_checks(found: Found) -> PartnerChecks:
    """Recall and precision of the checks, overall, by agency, and for the child and household apart."""
    expected = found.truth.expected
    # agencies as small integers: comparing a million Python strings once per agency took a second
    agencies = sorted(set(pc.unique(expected["agency"]).to_pylist()) | set(pc.unique(found.agency).to_pylist()))
    names = pa.array(agencies, pa.string())
    expected_agency = _codes(expected["agency"], names)
    found_agency = _codes(found.agency, names)
    rows = []
    for code, agency in enumerate(agencies):
        e = expected_agency == code
        f = found_agency == code
        correct, wrong = int((found.correct & f).sum()), int((found.wrong & f).sum())
        rows.append(
            AgencyChecks(
                agency=str(agency),
                expected=int(e.sum()),
                found=int(f.sum()),
                correct=correct,
                from_the_future=int((found.future & f).sum()),
                wrong=wrong,
                recall=_ratio(int((found.expected_found & e).sum()), int(e.sum())),
                precision=_ratio(correct, correct + wrong),
            )
        )
    child = pc.equal(expected["relation"], "child").fill_null(False).to_numpy(zero_copy_only=False)
    household = pc.equal(expected["relation"], "household").fill_null(False).to_numpy(zero_copy_only=False)
    correct, wrong = int(found.correct.sum()), int(found.wrong.sum())
    return PartnerChecks(
        agencies=rows,
        recall=_ratio(int(found.expected_found.sum()), expected.num_rows),
        precision=_ratio(correct, correct + wrong),
        from_the_future=int(found.future.sum()),
        child_recall=_ratio(int((found.expected_found & child).sum()), int(child.sum())),
        household_recall=_ratio(int((found.expected_found & household).sum()), int(household.sum())),
    )
