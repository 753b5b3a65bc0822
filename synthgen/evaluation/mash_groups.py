"""A MASH system's scores by group of the child a contact is about: by ethnic group, age band, sex and deprivation
quintile, and for partner checks by agency pair (the contact's source and the partner agency checked, as
`police:health`).

- **check_recall**: of the records a perfect partner check finds for the group's contacts, the share found.
- **check_precision**: of the records found for them (right or wrong; those from the future are counted apart
  overall and left out here, as in the headline precision), the share right.
- **decision_agreement**: of the group's contacts answered, the share decided as the truth supports.
- **within_one_working_day**: of the group's contacts answered, the share decided within one working day (the
  front door's time to flag).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.evaluation.groups import GroupScore, People, by_person_groups, encode, proportions
from synthgen.evaluation.mash_checks import Found


def mash_groups(
    people: People,
    found: Found,
    decision: NDArray[np.int64],
    supported: NDArray[np.int64],
    timely: NDArray[np.bool_],
) -> list[GroupScore]:
    """Each contact-level score by the groups of the contact's child (per contact: the system's `decision`, the
    truth's `supported` one, and whether it was decided `timely`)."""
    contacts = found.truth.contacts
    child = pc.fill_null(contacts["person_id"], -1).to_numpy().astype(np.int64)
    expected_contact = found.truth.expected["contact"].to_numpy()
    # a child's contacts, and a contact's records, are found or decided together: the child is the cluster
    expected_child = child[expected_contact]
    hit = found.expected_found.astype(np.int64)
    rows = by_person_groups("check_recall", people, expected_child, hit, cluster=expected_child)
    judged = found.correct | found.wrong
    judged_child = child[found.contact[judged]]
    right = found.correct[judged].astype(np.int64)
    rows += by_person_groups("check_precision", people, judged_child, right, cluster=judged_child)
    answered = decision >= 0
    agree = (decision == supported).astype(np.int64)
    answered_child = child[answered]
    rows += by_person_groups("decision_agreement", people, answered_child, agree[answered], cluster=answered_child)
    on_time = timely[answered].astype(np.int64)
    rows += by_person_groups("within_one_working_day", people, answered_child, on_time, cluster=answered_child)
    source = contacts["source"].combine_chunks().take(pa.array(expected_contact, pa.int64()))
    pair = pc.binary_join_element_wise(source, found.truth.expected["agency"].combine_chunks(), ":")
    labels, code = encode(pair)
    rows += proportions("check_recall", "agency_pair", labels, code, hit, cluster=expected_child)
    return rows
