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

from synthgen.evaluation.mash_responses import Responses
from synthgen.evaluation.mash_scores import AgencyChecks, PartnerChecks
from synthgen.evaluation.mash_truth import MashTruth, canonical

OUTCOMES = ("found", "missed", "future", "wrong")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _keys(contact: NDArray[np.int64], record: pa.Array) -> pa.Array:
    """One text key per (contact row, record id), for set lookups across tables."""
    return pc.binary_join_element_wise(pa.array(contact).cast(pa.string()), record.cast(pa.string()), "|")


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
    households: pa.Table  # record_id, household_id_list: the households of the people each record is about

    def about_family(self, contact: NDArray[np.int64], record: pa.Array) -> NDArray[np.bool_]:
        """Whether each record (an agency file's id) is about the child or household of the contact in that row."""
        at = pc.index_in(record, value_set=self.households["record_id"])
        households = self.households["household_id_list"].combine_chunks().take(at)
        wanted = self.truth.contacts["household_id"].combine_chunks().take(pa.array(contact, pa.int64()))
        flat = pc.list_flatten(households).to_numpy(zero_copy_only=False)
        parent = pc.list_parent_indices(households).to_numpy()
        hit = flat == wanted.to_numpy(zero_copy_only=False)[parent]
        result = np.bincount(parent[hit], minlength=len(record)) > 0
        listed = pc.is_in(_keys(contact, record), value_set=_keys(self._expected_contact, self._expected_record))
        about: NDArray[np.bool_] = result | listed.to_numpy(zero_copy_only=False)
        return about

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


def check_records(truth: MashTruth, responses: Responses, name: str) -> Found:
    """Each record the system found, as right, from the future or wrong (a linkage view id counts as the agency
    record behind it; the same record found twice for one contact counts once)."""
    record = canonical(truth, responses.found_record, name)
    pairs = (
        pa.table({"contact": responses.found_contact, "record": record})
        .group_by(["contact", "record"])
        .aggregate([])
        .sort_by([("contact", "ascending"), ("record", "ascending")])
    )
    contact = pairs["contact"].to_numpy()
    record = pairs["record"].combine_chunks()
    found_keys = _keys(contact, record)
    expected_keys = _keys(truth.expected["contact"].to_numpy(), truth.expected["record_id"].combine_chunks())
    correct = pc.is_in(found_keys, value_set=expected_keys).to_numpy(zero_copy_only=False)
    info = truth.records.group_by("record_id", use_threads=False).aggregate(
        [("agency", "first"), ("table", "first"), ("known_on", "min")]
    )
    at = pc.index_in(record, value_set=info["record_id"])
    known_on = info["known_on_min"].combine_chunks().take(at).to_numpy(zero_copy_only=False)
    received = truth.contacts["received_on"].combine_chunks().to_numpy(zero_copy_only=False)[contact]
    later = ~np.isnat(known_on) & (known_on.astype("datetime64[D]") > received.astype("datetime64[D]"))
    partial = Found(
        truth,
        contact,
        record,
        info["agency_first"].combine_chunks().take(at),
        info["table_first"].combine_chunks().take(at),
        correct,
        np.zeros(len(contact), bool),
        np.zeros(len(contact), bool),
        pc.is_in(expected_keys, value_set=found_keys).to_numpy(zero_copy_only=False),
        truth.records.group_by("record_id").aggregate([("household_id", "list")]),
    )
    family = partial.about_family(contact, record)
    future = ~correct & family & later
    return Found(
        truth,
        contact,
        record,
        partial.agency,
        partial.table,
        correct,
        future,
        ~correct & ~future,
        partial.expected_found,
        partial.households,
    )


def partner_checks(found: Found) -> PartnerChecks:
    """Recall and precision of the checks, overall, by agency, and for the child and household apart."""
    expected = found.truth.expected
    expected_agency = expected["agency"].to_numpy(zero_copy_only=False)
    found_agency = found.agency.to_numpy(zero_copy_only=False)
    rows = []
    for agency in sorted(set(expected_agency.tolist()) | set(found_agency.tolist())):
        e = expected_agency == agency
        f = found_agency == agency
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
    relation = expected["relation"].to_numpy(zero_copy_only=False)
    child, household = relation == "child", relation == "household"
    correct, wrong = int(found.correct.sum()), int(found.wrong.sum())
    return PartnerChecks(
        agencies=rows,
        recall=_ratio(int(found.expected_found.sum()), expected.num_rows),
        precision=_ratio(correct, correct + wrong),
        from_the_future=int(found.future.sum()),
        child_recall=_ratio(int((found.expected_found & child).sum()), int(child.sum())),
        household_recall=_ratio(int((found.expected_found & household).sum()), int(household.sum())),
    )
