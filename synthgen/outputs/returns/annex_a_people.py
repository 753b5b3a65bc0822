"""Who each Annex A row is about, and who holds the case.

Every list begins with the same five columns (the child's id, gender, ethnicity, date of birth and age), most
add a disability flag, and most end with the allocated team and worker. The child's details come from the local
authority's children record (one per child id, as the CIN census takes it: the record with a UPN first). A
contact or an early help episode about a child the authority holds no children record for names the child by
the contact's (or the episode's) own record: its id, and the sex and date of birth it gives; ethnicity is then
"not yet obtained" (NOBT).

A run holds no workforce records, so the team is the service's (`TEAMS`) and the worker is a placeholder: each
team has as many workers as its children need at England's average caseload, and a child keeps one worker within
a team, across the lists that team's service appears in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.outputs.returns.annex_a_spec import age_on, coded, vocabulary, yes_no
from synthgen.outputs.returns.cin_census import one_per_child

CASELOAD = 15.4
"""Children per social worker: England's average caseload on 30 September 2024 (DfE, Children's social work
workforce 2024, as reported by Community Care, 25 March 2025)."""
TEAMS = {3: "FD", 4: "AS", 5: "AS", 6: "CIN", 7: "CP", 8: "CIC", 9: "LC"}
"""The team (codes.csv, vocabulary `team`) whose service each list's rows are: referrals are the front door's,
assessments and enquiries the assessment team's, and so on."""


@dataclass(frozen=True)
class Register:
    """The LA's children record, one row per child id: what the lists' first columns are read from."""

    ids: pa.Array
    sex: pa.Array
    ethnicity: pa.Array
    born: pa.Array
    disabled: pa.Array

    @classmethod
    def of(cls, children: pa.Table) -> Register:
        rows = one_per_child(children)
        disabilities = rows["disabilities"].combine_chunks()
        disabled = pc.fill_null(pc.greater(pc.list_value_length(disabilities), 0), False)
        return cls(
            ids=rows["la_child_id"].combine_chunks(),
            sex=rows["sex"].combine_chunks(),
            ethnicity=rows["ethnicity"].combine_chunks(),
            born=rows["date_of_birth"].combine_chunks(),
            disabled=disabled,
        )


@dataclass(frozen=True)
class Fallback:
    """For rows about a child the LA holds no children record for: the row's own record id, sex and birth date."""

    ids: pa.Array | pa.ChunkedArray
    sex: pa.Array | pa.ChunkedArray
    born: pa.Array | pa.ChunkedArray


def identity(
    register: Register,
    child_ids: pa.Array | pa.ChunkedArray,
    inspection: dt.date,
    fallback: Fallback | None = None,
) -> dict[str, pa.Array]:
    """The first columns of a list (child_id, gender, ethnicity, date_of_birth, age, disability) for rows about
    `child_ids` (null where the LA holds no record: then `fallback` names the child)."""
    at = pc.index_in(child_ids, value_set=register.ids)
    known = pc.is_valid(at)
    n = len(child_ids)
    sex = pc.take(register.sex, at)
    born = pc.take(register.born, at)
    ids = pc.take(register.ids, at)
    if fallback is not None:
        ids = pc.if_else(known, ids, fallback.ids)
        sex = pc.if_else(known, sex, fallback.sex)
        born = pc.if_else(known, born, fallback.born)
    ethnicity = pc.fill_null(pc.take(register.ethnicity, at), "NOBT")
    disabled = pc.fill_null(pc.take(register.disabled, at), False)
    return {
        "child_id": ids,
        "gender": coded(pc.fill_null(sex, "U"), "gender"),
        "ethnicity": coded(ethnicity, "ethnicity"),
        "date_of_birth": born if n else pa.array([], pa.date32()),
        "age": age_on(born, inspection),
        "disability": yes_no(disabled),
    }


def allocate(lists: dict[int, pa.Table]) -> dict[int, pa.Table]:
    """The lists with their allocated team and worker filled in (lists without those columns unchanged).

    Each team has ceil(children / CASELOAD) workers, numbered; its children, in order of id, are dealt to them
    in turn, so a child keeps one worker in every list of that team."""
    names = vocabulary("team")
    result = dict(lists)
    for team in sorted(set(TEAMS.values())):
        numbers = [n for n, t in TEAMS.items() if t == team and n in lists]
        children = pc.unique(pa.chunked_array([lists[n]["child_id"] for n in numbers], pa.string())).sort()
        workers = max(1, math.ceil(len(children) / CASELOAD))
        labels = pa.array([f"{team}-{k + 1:02d}" for k in range(workers)], pa.string())
        dealt = pc.take(labels, pa.array(np.arange(len(children)) % workers))
        for n in numbers:
            table = lists[n]
            at = pc.index_in(table["child_id"], value_set=children)
            table = table.set_column(
                table.schema.get_field_index("team"), "team", pa.array(np.full(table.num_rows, names[team]))
            )
            worker = pc.take(dealt, at)
            result[n] = table.set_column(table.schema.get_field_index("worker"), "worker", worker)
    return result
