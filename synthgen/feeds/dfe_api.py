"""The DfE children's social care API's payload: one JSON object per child, built from the social-care tables.

The payload is the one data-to-insight publishes (dfe-csc-api-data-flows, docs/json_payload_structure.md:
"Structure based on DfE specification v0.7"): a child's ids and `purge` flag, `child_details`,
`health_and_wellbeing` (SDQ scores) and `social_care_episodes`, each episode a referral with its assessments, child
in need plans, section 47 enquiries, child protection plans, looked-after placements, adoption and care leaver
details nested in it, every block with its own `purge` flag. The schema synthgen checks it against is
reference/data/schemas/dfe_csc_api_payload.schema.json.

Where synthgen's tables say which episode a record belongs to (an assessment's, a CIN plan's or an enquiry's
`referral_id`) it goes there; a record that names no referral (a child protection plan, a placement, an adoption, a
care leaver's contact) goes to the child's latest referral on or before its own date, and one dated before all of
the child's referrals to a stand-in episode named by the child's `la_child_id` with no referral date (what the LA
held before the referrals in its extract, such as a period of care begun years ago). Fields synthgen holds no data
for are left out, never null: a former UPN and the reason a UPN is unknown, care workers, an enquiry's end, an
adoption's placement date. Absent values are left out too, as data-to-insight's SQL (FOR JSON PATH) leaves them.

Everything is built over columns: records are put in order once, and each level's list is an Arrow list array over
the level below (offsets from a search), so the only per-child step is writing each child's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.feeds.dfe_api_episodes import MADE, PURGE, child_index, episodes, ranks, text_dates

SOCIAL_CARE = "agencies/social_care/"
SOURCES = (
    "children",
    "referrals",
    "assessments",
    "cin_plans",
    "section47",
    "icpcs",
    "cp_plans",
    "cla_episodes",
    "cla_uasc",
    "cla_adoption_decisions",
    "cla_adoptions",
    "cla_outcomes",
    "care_leavers",
)
"""The social-care tables a payload is made from (agencies/social_care/<name>)."""
SCHEMA = "data/schemas/dfe_csc_api_payload.schema.json"
"""The payload's JSON Schema, in synthgen.reference's package data."""
SPEC = "v0.7"
SPEC_SOURCE = "data-to-insight/dfe-csc-api-data-flows docs/json_payload_structure.md"


def dfe_api_payload_schema() -> dict[str, Any]:
    """The JSON Schema of one child's payload that synthgen ships (written from data-to-insight's documentation of
    spec v0.7), for checking payloads: every one synthgen writes validates against it."""
    text = resources.files("synthgen.reference").joinpath(*SCHEMA.split("/")).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def payloads(rows: Mapping[str, pa.Table]) -> tuple[list[str], list[str]]:
    """Each child's payload, as JSON, from its records' rows (`rows[name]`: SOURCES' tables with `purge` and
    `made`); returns la_child_ids and payloads, in la_child_id order.

    A child is sent when the LA holds a child record for it; one whose every child record is deleted (and none held)
    is sent as its ids and purge: true. Records of children not sent are left out."""
    children = rows["children"]
    held = children.filter(pc.invert(children[PURGE]))
    kids, chosen = _one_record_per_child(held)
    gone = children.filter(pc.invert(pc.is_in(children["la_child_id"], value_set=kids)))
    purged_ids, purged = _purged(gone)
    if len(kids):
        details = _child_details(held.take(pa.array(chosen)), rows, kids)
        nested, offsets = episodes(rows, kids)
        mis = held["record_id"].combine_chunks().take(pa.array(chosen))
        wellbeing = _health_and_wellbeing(rows["cla_outcomes"], kids)
        child = pa.StructArray.from_arrays(
            [
                kids,
                mis,
                pa.array(np.zeros(len(kids), bool)),
                details,
                wellbeing,
                pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), nested),
            ],
            ["la_child_id", "mis_child_id", PURGE, "child_details", "health_and_wellbeing", "social_care_episodes"],
        )
        sent = [json.dumps(_without_nulls(value), separators=(",", ":")) for value in child.to_pylist()]
    else:
        sent = []
    ids = kids.to_pylist() + purged_ids
    order = sorted(range(len(ids)), key=ids.__getitem__)
    texts = sent + purged
    return [ids[i] for i in order], [texts[i] for i in order]


def _one_record_per_child(held: pa.Table) -> tuple[pa.Array, NDArray[np.int64]]:
    """The children held (sorted la_child_ids) and, for each, the row of its record: the one made first (then the
    lowest record_id), where the LA holds two records under one la_child_id."""
    if not held.num_rows:
        return pa.array([], pa.string()), np.zeros(0, np.int64)
    order = pc.sort_indices(
        held, sort_keys=[("la_child_id", "ascending"), (MADE, "ascending"), ("record_id", "ascending")]
    ).to_numpy()
    ids = held["la_child_id"].combine_chunks().take(pa.array(order))
    first = np.r_[True, pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(zero_copy_only=False)]
    return ids.filter(pa.array(first)), order[first]


def _purged(gone: pa.Table) -> tuple[list[str], list[str]]:
    """Children whose every record was deleted: their ids and purge: true (one per la_child_id)."""
    if not gone.num_rows:
        return [], []
    kids, chosen = _one_record_per_child(gone)
    mis = gone["record_id"].combine_chunks().take(pa.array(chosen))
    ids = kids.to_pylist()
    texts = [
        json.dumps({"la_child_id": k, "mis_child_id": m, PURGE: True}, separators=(",", ":"))
        for k, m in zip(ids, mis.to_pylist(), strict=True)
    ]
    return ids, texts


def _child_details(records: pa.Table, rows: Mapping[str, pa.Table], kids: pa.Array) -> pa.StructArray:
    """child_details from each child's record, and UASC from cla_uasc: flagged while any record of it is held; its
    end date the latest cessation, none while one is open. An expected date of birth is sent for a record the LA
    made before the child was born (an unborn child's)."""
    dob = records["date_of_birth"].combine_chunks()
    unborn = pc.fill_null(pc.less(records[MADE].combine_chunks(), dob), False)
    disabilities = records["disabilities"].combine_chunks()
    none = pc.equal(pc.fill_null(pc.list_value_length(disabilities), 0), 0)
    disabilities = pc.if_else(none, pa.scalar(["NONE"], disabilities.type), disabilities)
    sex = pc.if_else(pc.is_in(records["sex"], value_set=pa.array(["M", "F"])), records["sex"], "U")
    uasc = rows["cla_uasc"].filter(pc.invert(rows["cla_uasc"][PURGE]))
    child = child_index(uasc, kids)
    keep = child >= 0
    flag = np.zeros(len(kids), bool)
    flag[child[keep]] = True
    ceased = uasc["uasc_ceased"].combine_chunks().filter(pa.array(keep))
    days = pc.fill_null(ceased.cast(pa.int32()), np.iinfo(np.int32).max).to_numpy(zero_copy_only=False)
    latest = np.full(len(kids), np.iinfo(np.int32).min, np.int64)
    np.maximum.at(latest, child[keep], days.astype(np.int64))
    end = pa.array(latest.astype(np.int32), mask=~flag | (latest == np.iinfo(np.int32).max)).cast(pa.date32())
    return pa.StructArray.from_arrays(
        [
            records["upn"].combine_chunks(),
            records["given_name"].combine_chunks(),
            records["family_name"].combine_chunks(),
            pc.if_else(unborn, pa.scalar(None, pa.string()), text_dates(dob)),
            pc.if_else(unborn, text_dates(dob), pa.scalar(None, pa.string())),
            sex.combine_chunks() if isinstance(sex, pa.ChunkedArray) else sex,
            records["ethnicity"].combine_chunks(),
            disabilities,
            records["postcode"].combine_chunks(),
            pa.array(flag),
            text_dates(end),
            pa.array(np.zeros(len(kids), bool)),
        ],
        [
            "unique_pupil_number",
            "first_name",
            "surname",
            "date_of_birth",
            "expected_date_of_birth",
            "sex",
            "ethnicity",
            "disabilities",
            "postcode",
            "uasc_flag",
            "uasc_end_date",
            PURGE,
        ],
    )


def _health_and_wellbeing(outcomes: pa.Table, kids: pa.Array) -> pa.StructArray:
    """SDQ scores (cla_outcomes, dated by the 31 March they are for), latest first; no block for a child without."""
    scored = outcomes.filter(pc.and_(pc.invert(outcomes[PURGE]), pc.is_valid(outcomes["sdq_score"])))
    child = child_index(scored, kids)
    keep = np.flatnonzero(child >= 0)
    day = scored["year_end"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)[keep]
    ids = scored["outcome_id"].combine_chunks().take(pa.array(keep))
    order = keep[np.lexsort((ranks(ids), -day.astype(np.int64), child[keep]))]
    items = pa.StructArray.from_arrays(
        [
            text_dates(scored["year_end"].combine_chunks().take(pa.array(order))),
            scored["sdq_score"].combine_chunks().take(pa.array(order)).cast(pa.int64()),
        ],
        ["date", "score"],
    )
    offsets = np.searchsorted(child[order], np.arange(len(kids) + 1))
    has = np.diff(offsets) > 0
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items)
    return pa.StructArray.from_arrays(
        [lists, pa.array(np.zeros(len(kids), bool))], ["sdq_assessments", PURGE], mask=pa.array(~has)
    )


def _without_nulls(value: Any) -> Any:
    """A payload with its absent values left out, as data-to-insight's FOR JSON PATH leaves them."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
