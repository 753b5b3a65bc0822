"""Known breaches of the DfE's CIN census rules, planted on request with a key, so that a validator (or a
vendor's) can be tested against errors whose place and rule are known.

One breach per rule family (identifiers, characteristics, episode codes, dates out of order, assessment plans,
enquiries, conferences), each in a different child, taken in turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.arguments import ArgumentError
from synthgen.outputs.returns.cin_census import Census, CollectionYear

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""Letters a UPN's check letter is drawn from (I, O and S are never used)."""


@dataclass(frozen=True)
class _Breach:
    rule: str  # the validator's rule code
    module: str  # Census attribute
    field: str
    eligible: str  # a row qualifies when this column is not null ("" for every row)


BREACHES = (
    _Breach("1510", "children", "UPN", "UPN"),
    _Breach("4180", "children", "Sex", ""),
    _Breach("4220", "children", "Ethnicity", ""),
    _Breach("8866", "episodes", "ReferralSource", ""),
    _Breach("8650", "episodes", "PrimaryNeedCode", ""),
    _Breach("8640", "episodes", "ReasonForClosure", "ReasonForClosure"),
    _Breach("8608", "assessments", "AssessmentAuthorisationDate", "AssessmentAuthorisationDate"),
    _Breach("8630", "episodes", "CINclosureDate", "CINclosureDate"),
    _Breach("4011", "cin_plans", "CINPlanEndDate", "CINPlanEndDate"),
    _Breach("8875", "section47", "DateOfInitialCPC", "DateOfInitialCPC"),
    _Breach("8925", "cp_plans", "CPPendDate", "CPPendDate"),
    _Breach("8905", "cp_plans", "InitialCategoryOfAbuse", ""),
    _Breach("8794", "children", "Disability", ""),
    _Breach("8568", "episodes", "ReferralNFA", ""),
    _Breach("8600", "episodes", "CINreferralDate", ""),
)
"""One breach per rule family (identifiers, characteristics, episode codes, dates out of order, assessment
plans, enquiries, conferences), taken in turn. (Rule 8869, factor 21 with others, is left out: the validator
reads an assessment's factors as one list and never finds it.)"""


def _planted(breach: _Breach, value: object, row: dict[str, object], year: CollectionYear) -> object:
    """The value that breaks `breach.rule` in place of `value`."""
    day = dt.timedelta(days=1)
    if breach.rule == "1510":
        upn = str(value)
        wrong = UPN_LETTERS[(UPN_LETTERS.index(upn[0]) + 1) % len(UPN_LETTERS)]
        return wrong + upn[1:]
    if breach.rule == "8608":
        return row["AssessmentActualStartDate"] - day  # type: ignore[operator]
    if breach.rule == "8630":
        return row["CINreferralDate"] - day  # type: ignore[operator]
    if breach.rule == "4011":
        return row["CINPlanStartDate"] - day  # type: ignore[operator]
    if breach.rule == "8925":
        return row["CPPstartDate"] - day  # type: ignore[operator]
    if breach.rule == "8875":
        held: dt.date = value  # type: ignore[assignment]
        return held + dt.timedelta(days=5 - held.weekday()) if held.weekday() < 5 else held
    if breach.rule == "8794":
        codes: list[str] = value  # type: ignore[assignment]
        return [codes[0], codes[0]]
    if breach.rule == "8600":
        return year.reference_date + dt.timedelta(days=10)
    invalid = {"4180": "X", "4220": "ZZZZ", "8866": "99", "8650": "NX", "8640": "RC0", "8905": "XXX", "8568": "2"}
    return invalid[breach.rule]


def plant_errors(result: Census, year: CollectionYear, n: int, rng: np.random.Generator) -> tuple[Census, pa.Table]:
    """The census with n known breaches of the DfE's rules, each in a different child, taken in turn from
    BREACHES; and their key (rule, la_child_id, module, field, value)."""
    tables = {name: getattr(result, name) for name in ("children", "episodes", "assessments", "cin_plans")}
    tables |= {"section47": result.section47, "cp_plans": result.cp_plans}
    child_of_episode = dict(
        zip(result.episodes["episode"].to_pylist(), result.episodes["la_child_id"].to_pylist(), strict=True)
    )
    used: set[str] = set()
    key: list[dict[str, object]] = []
    failed = 0
    turn = 0
    while len(key) < n and failed < len(BREACHES):
        breach = BREACHES[turn % len(BREACHES)]
        turn += 1
        table = tables[breach.module]
        children = (
            table["la_child_id"].to_pylist()
            if "la_child_id" in table.schema.names
            else [child_of_episode.get(e) for e in table["episode"].to_pylist()]
        )
        usable = np.ones(table.num_rows, bool) if not breach.eligible else pc.is_valid(table[breach.eligible])
        candidates = [i for i in np.flatnonzero(usable) if children[i] not in used]
        if not candidates:
            failed += 1
            continue
        failed = 0
        row = int(candidates[int(rng.integers(len(candidates)))])
        values = table[breach.field].to_pylist()
        values[row] = _planted(breach, values[row], table.slice(row, 1).to_pylist()[0], year)
        index = table.schema.get_field_index(breach.field)
        tables[breach.module] = table.set_column(index, breach.field, pa.array(values, table.schema.field(index).type))
        used.add(str(children[row]))
        shown = values[row]
        key.append(
            {
                "rule": breach.rule,
                "la_child_id": children[row],
                "module": breach.module,
                "field": breach.field,
                "value": " ".join(shown) if isinstance(shown, list) else str(shown),
            }
        )
    if len(key) < n:
        raise ArgumentError(
            "plant_errors", f"{{argument}}: this return has room for {len(key)} planted errors, not {n}"
        )
    names = ["rule", "la_child_id", "module", "field", "value"]
    key_table = pa.table({name: pa.array([k[name] for k in key], pa.string()) for name in names})
    return Census(**tables), key_table
