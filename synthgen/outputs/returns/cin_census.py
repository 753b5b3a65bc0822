"""The children in need census (CIN census): the DfE's XML return for one collection year, built from the local
authority's children's social care records (`agencies/social_care`).

The census covers 1 April to 31 March (the reference date) and holds every child with a CIN episode (a referral
and what followed it) open at any time in that year: the child's identifiers and characteristics, then for each
episode its assessments, CIN plans, section 47 enquiries and child protection plans with their reviews, in the
DfE's module structure (`Message/Header`, `Children/Child/ChildIdentifiers`, `ChildCharacteristics`,
`CINdetails/Assessments|CINPlanDates|Section47|ChildProtectionPlans/Reviews`).

As recorded: the return reflects what the local authority holds, under its own child ids, with its own
data-quality errors (a mistyped birth date, a stale surname) wherever the DfE's rules still pass. The export
corrects only what the rules would reject and what the return itself defines:

- a UPN that fails its check letter, or that two children share (one took a sibling's), is left out, with the
  reason UN5 (sources collating UPNs reflect a discrepancy): an authority cleans these before it submits;
- the UPN-unknown reason is the return's own field: UN1 for a child not yet of school age, UN7 for a child whose
  every episode was a referral with no further action, UN5 as above, otherwise UN4 (UPN not yet obtained);
- activity before the collection year is left out (an enquiry and conference held last year behind a plan still
  open; a review held before 1 April), as the census asks only for the year's activity; an end, an
  authorisation or a conference after the reference date is not yet known on it;
- the initial child protection conference is recorded on the enquiry (`Section47`), never also on the episode;
  its target date is 15 working days after the enquiry began (Working Together 2023);
- a birth date the return would reject (after the reference date, or more than 40 weeks after the child's
  first referral: a year keyed wrongly) is left out, and the return queries the missing date instead;
- a child referred before birth was born within the period, so by the reference date has a date of birth
  (an expected date of birth is for a child still unborn on 31 March, whom a run does not hold).

In the census a child has one episode, one assessment and one CIN plan at a time: a referral received while the
child's episode is open is part of that episode, an assessment begun while another was in progress is taken
into it, and overlapping CIN plans are one plan. A child protection plan belongs to the child's latest episode
referred on or before the day the plan began.

Everything is built over whole columns (pyarrow and numpy), so 100,000 people export in well under a second, and
the same records give the same bytes. The XML is written by `cin_census_xml`, planted errors come from
`cin_census_breaches`, and `synthgen.outputs.returns.exports` reads a run and writes the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.errors import SynthgenError
from synthgen.kernel import identifiers

RECORD_TABLES = ("children", "referrals", "assessments", "cin_plans", "section47", "icpcs", "cp_plans")
"""The social-care tables the census is built from (agencies/social_care/<name>)."""
RULESETS = range(2023, 2028)
"""Collection years (by reference date) whose rules data-to-insight's validator implements: cin2022_23 on."""
SEX_FROM = 2025
"""The first census (by reference year, 2024-25) that records `Sex` (M, F, U); the years before record
`GenderCurrent` in its place (1 male, 2 female, 0 not known, 9 not specified), as their rules expect."""
ICPC_TARGET_WORKING_DAYS = 15
"""An initial child protection conference within 15 working days of the strategy discussion (Working Together)."""


@dataclass(frozen=True)
class SocialCareRecords:
    """The local authority's tables (as written to agencies/social_care)."""

    children: pa.Table
    referrals: pa.Table
    assessments: pa.Table
    cin_plans: pa.Table
    section47: pa.Table
    icpcs: pa.Table
    cp_plans: pa.Table


@dataclass(frozen=True)
class CollectionYear:
    """1 April to 31 March; the census is named by the year its reference date falls in."""

    start: dt.date
    reference_date: dt.date

    @property
    def year(self) -> int:
        return self.reference_date.year

    @property
    def ruleset(self) -> str:
        """The validator's name for the year's rules, e.g. cin2024_25."""
        return f"cin{self.year - 1}_{self.year % 100:02d}"


def collection_year(period_start: dt.date, period_end: dt.date) -> CollectionYear:
    """The latest collection year that lies wholly within the run's period."""
    year = period_end.year if period_end >= dt.date(period_end.year, 3, 31) else period_end.year - 1
    found = CollectionYear(dt.date(year - 1, 4, 1), dt.date(year, 3, 31))
    if found.start < period_start:
        raise SynthgenError(
            f"the run's period {period_start} to {period_end} holds no whole collection year (1 April to 31 March)"
        )
    return found


@dataclass(frozen=True)
class Census:
    """The return as flat tables, one per XML module, columns named as the DfE's elements (before writing).

    Each module's rows carry the key of the module that holds them: `la_child_id` for episodes, `episode` (the
    referral id) for what an episode holds. List columns hold repeated elements (disabilities, assessment
    factors, review dates)."""

    children: pa.Table
    episodes: pa.Table
    assessments: pa.Table
    cin_plans: pa.Table
    section47: pa.Table
    cp_plans: pa.Table


def census(records: SocialCareRecords, year: CollectionYear) -> Census:
    """Select and shape the year's records into the census modules (see the module docstring for what is
    corrected)."""
    episodes, episode_of = cin_episodes(records.referrals, year)
    order = [("episode", "ascending")]
    return Census(
        _children(records.children, episodes, year),
        episodes,
        _assessments(records, episodes, episode_of, year).sort_by([*order, ("AssessmentActualStartDate", "ascending")]),
        _cin_plans(records, episodes, episode_of, year).sort_by([*order, ("CINPlanStartDate", "ascending")]),
        _section47(records, episodes, episode_of, year).sort_by([*order, ("S47ActualStartDate", "ascending")]),
        _cp_plans(records, episodes, year).sort_by([*order, ("CPPstartDate", "ascending")]),
    )


def _known(column: pa.ChunkedArray | pa.Array, year: CollectionYear) -> pa.Array:
    """A date as known on the reference date: null if it is still to come."""
    return pc.if_else(
        pc.greater(column, pa.scalar(year.reference_date, pa.date32())), pa.scalar(None, pa.date32()), column
    )


def _open_in_year(start: pa.ChunkedArray, end: pa.Array, year: CollectionYear) -> pa.Array:
    """Begun by the reference date and not ended before the year (an open end is null)."""
    first, ref = pa.scalar(year.start, pa.date32()), pa.scalar(year.reference_date, pa.date32())
    return pc.and_(pc.less_equal(start, ref), pc.or_kleene(pc.is_null(end), pc.greater_equal(end, first)))


def _assessments(
    records: SocialCareRecords, episodes: pa.Table, episode_of: pa.Table, year: CollectionYear
) -> pa.Table:
    """Assessments authorised in the year, or still open and begun in it, one at a time in each episode."""
    first, ref = pa.scalar(year.start, pa.date32()), pa.scalar(year.reference_date, pa.date32())
    a = _in_episodes(records.assessments, episode_of, episodes)
    authorised = _known(a["authorised_date"], year)
    keep = pc.and_(
        pc.less_equal(a["start_date"], ref),
        pc.if_else(
            pc.is_null(authorised), pc.greater_equal(a["start_date"], first), pc.greater_equal(authorised, first)
        ),
    )
    assessments = pa.table(
        {
            "episode": a["referral_id"],
            "AssessmentActualStartDate": a["start_date"],
            "AssessmentAuthorisationDate": authorised,
            # factors are recorded when the assessment is authorised
            "AssessmentFactors": pc.if_else(pc.is_null(authorised), pa.scalar(None, a["factors"].type), a["factors"]),
        }
    ).filter(keep)
    return _one_assessment_at_a_time(assessments)


def _cin_plans(records: SocialCareRecords, episodes: pa.Table, episode_of: pa.Table, year: CollectionYear) -> pa.Table:
    """CIN plans open in the year, overlapping ones as one."""
    c = _in_episodes(records.cin_plans, episode_of, episodes)
    end = _known(c["end_date"], year)
    plans = pa.table({"episode": c["referral_id"], "CINPlanStartDate": c["start_date"], "CINPlanEndDate": end})
    return _one_plan_at_a_time(plans.filter(_open_in_year(c["start_date"], end, year)))


def _section47(records: SocialCareRecords, episodes: pa.Table, episode_of: pa.Table, year: CollectionYear) -> pa.Table:
    """Section 47 enquiries whose conference was held in the year, or is still to be held (or not needed) and
    which began in it; the conference's target date 15 working days on."""
    first, ref = pa.scalar(year.start, pa.date32()), pa.scalar(year.reference_date, pa.date32())
    s = _in_episodes(records.section47, episode_of, episodes)
    conference = records.icpcs.select(["section47_id", "conference_date"])
    at = pc.index_in(s["section47_id"], conference["section47_id"])
    icpc = _known(pc.take(conference["conference_date"], at), year)
    keep = pc.and_(
        pc.less_equal(s["start_date"], ref),
        pc.if_else(pc.is_null(icpc), pc.greater_equal(s["start_date"], first), pc.greater_equal(icpc, first)),
    )
    starts = _days(s["start_date"]).astype("datetime64[D]")
    target = np.busday_offset(starts, ICPC_TARGET_WORKING_DAYS, roll="forward")
    return pa.table(
        {
            "episode": s["referral_id"],
            "S47ActualStartDate": s["start_date"],
            "InitialCPCtarget": pa.array(target, pa.date32(), mask=~s["icpc_required"].to_numpy(zero_copy_only=False)),
            "DateOfInitialCPC": icpc,
            "ICPCnotRequired": pc.if_else(s["icpc_required"], "false", "true"),
        }
    ).filter(keep)


def _cp_plans(records: SocialCareRecords, episodes: pa.Table, year: CollectionYear) -> pa.Table:
    """Child protection plans open in the year, each in the child's episode begun on or before it."""
    p = records.cp_plans
    end = _known(p["end_date"], year)
    keep = _open_in_year(p["start_date"], end, year)
    p = p.set_column(p.schema.get_field_index("end_date"), "end_date", end).filter(keep)
    episode = _episode_of(episodes, p["la_child_id"], p["start_date"])
    reviews = p["review_dates"] if "review_dates" in p.schema.names else pa.nulls(p.num_rows, pa.list_(pa.date32()))
    previous = p["previous_plans"] if "previous_plans" in p.schema.names else pa.array(np.zeros(p.num_rows, np.int64))
    return pa.table(
        {
            "episode": episode,
            "CPPstartDate": p["start_date"],
            "CPPendDate": p["end_date"],
            "InitialCategoryOfAbuse": p["initial_category"],
            "LatestCategoryOfAbuse": p["latest_category"],
            "NumberOfPreviousCPP": pc.cast(previous, pa.int64()),
            "CPPreviewDate": _reviews_in_year(reviews, p["start_date"], p["end_date"], year),
        }
    ).filter(pc.is_valid(episode))


NEVER = 10**7
"""A closure date for an episode still open (days since 1970: far beyond any real date)."""


def cin_episodes(referrals: pa.Table, year: CollectionYear) -> tuple[pa.Table, pa.Table]:
    """The year's CIN episodes, and which episode each referral belongs to (referral_id, episode).

    An authority's system records every referral, but in the census a child has one episode at a time: a
    referral received while the child's episode is open (a re-referral on an open case) belongs to that
    episode, which then closes when the last of them closes. Episodes are sorted by child and referral date;
    the episode takes its id, date, source and need from its first referral."""
    ref = pa.scalar(year.reference_date, pa.date32())
    r = referrals.filter(pc.less_equal(referrals["referral_date"], ref))
    r = r.sort_by([("la_child_id", "ascending"), ("referral_date", "ascending"), ("referral_id", "ascending")])
    closure = r["closure_date"]
    closure = pc.if_else(pc.greater(closure, ref), pa.scalar(None, pa.date32()), closure)
    child = positions(r["la_child_id"], pc.unique(r["la_child_id"]))
    day = _days(r["referral_date"])
    close = _days(pc.fill_null(pc.cast(closure, pa.int32()), NEVER))
    span = 2 * NEVER
    # a new episode where the child changes or the referral comes after every earlier one of the child closed
    latest = np.maximum.accumulate(child * span + close) if len(child) else np.zeros(0, np.int64)
    new = np.ones(len(child), bool)
    new[1:] = (child[1:] != child[:-1]) | (child[1:] * span + day[1:] > latest[:-1])
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    # the episode closes with its latest member; the reason is that of the latest member that went on to further
    # action (a reason other than RC8 / RC9, closed after assessment), if any did
    reasons = r["closure_reason"].to_numpy(zero_copy_only=False)
    acted = ~np.isin(reasons, ["RC8", "RC9"])
    ends = np.cumsum(np.bincount(group)) - 1 if len(group) else first
    latest_close = np.maximum.reduceat(close, first) if len(first) else close
    last = np.lexsort((close, acted, group))[ends] if len(group) else first
    nfa = r["nfa"].to_numpy(zero_copy_only=False)
    all_nfa = np.minimum.reduceat(nfa.astype(np.int8), first) == 1 if len(first) else np.zeros(0, bool)
    still_open = latest_close == NEVER
    episode_close = pa.array(latest_close.astype("datetime64[D]"), pa.date32(), mask=still_open)
    reason = pa.array(reasons[last], pa.string(), mask=still_open)
    first_rows = pa.array(first)
    episodes = pa.table(
        {
            "la_child_id": pc.take(r["la_child_id"], first_rows),
            "episode": pc.take(r["referral_id"], first_rows),
            "CINreferralDate": pc.take(r["referral_date"], first_rows),
            "ReferralSource": pc.take(r["referral_source"], first_rows),
            "PrimaryNeedCode": pc.take(r["primary_need_code"], first_rows),
            "CINclosureDate": episode_close,
            "ReasonForClosure": reason,
            "ReferralNFA": pa.array(np.where(all_nfa, "1", "0").astype(object), pa.string()),
        }
    )
    episode_of = pa.table(
        {"referral_id": r["referral_id"], "episode": pc.take(r["referral_id"], pa.array(first[group]))}
    )
    in_year = pc.or_kleene(pc.is_null(episode_close), pc.greater_equal(episode_close, year.start))
    return episodes.filter(in_year), episode_of


def _in_episodes(table: pa.Table, episode_of: pa.Table, episodes: pa.Table) -> pa.Table:
    """Rows of a table keyed by referral, re-keyed by the episode of their referral (`referral_id` now holds the
    episode's id), keeping those in the year's episodes."""
    at = pc.index_in(table["referral_id"], value_set=episode_of["referral_id"].combine_chunks())
    episode = pc.take(episode_of["episode"], at)
    table = table.set_column(table.schema.get_field_index("referral_id"), "referral_id", episode)
    return table.filter(pc.fill_null(_member(table["referral_id"], episodes["episode"]), False))


def _one_assessment_at_a_time(assessments: pa.Table) -> pa.Table:
    """An episode's assessments without one begun while an earlier one was still in progress (a re-referral
    during an assessment is taken into that assessment)."""
    assessments = assessments.sort_by([("episode", "ascending"), ("AssessmentActualStartDate", "ascending")])
    episode = positions(assessments["episode"], pc.unique(assessments["episode"]))
    start = _days(assessments["AssessmentActualStartDate"])
    end = _days(pc.fill_null(pc.cast(assessments["AssessmentAuthorisationDate"], pa.int32()), NEVER))
    span = 2 * NEVER
    latest = np.maximum.accumulate(episode * span + end) if len(episode) else np.zeros(0, np.int64)
    keep = np.ones(len(episode), bool)
    keep[1:] = (episode[1:] != episode[:-1]) | (episode[1:] * span + start[1:] > latest[:-1])
    return assessments.filter(pa.array(keep))


def _one_plan_at_a_time(plans: pa.Table) -> pa.Table:
    """CIN plans of one episode that overlap (a plan made on each referral of a re-referred child) as the one
    plan they are: from the first start to the last end (open if any is open)."""
    plans = plans.sort_by([("episode", "ascending"), ("CINPlanStartDate", "ascending")])
    episode = positions(plans["episode"], pc.unique(plans["episode"]))
    start = _days(plans["CINPlanStartDate"])
    end = _days(pc.fill_null(pc.cast(plans["CINPlanEndDate"], pa.int32()), NEVER))
    span = 2 * NEVER
    latest = np.maximum.accumulate(episode * span + end) if len(episode) else np.zeros(0, np.int64)
    new = np.ones(len(episode), bool)
    new[1:] = (episode[1:] != episode[:-1]) | (episode[1:] * span + start[1:] > latest[:-1])
    first = np.flatnonzero(new)
    if not len(first):
        return plans
    last_end = np.maximum.reduceat(end, first)
    return pa.table(
        {
            "episode": pc.take(plans["episode"], pa.array(first)),
            "CINPlanStartDate": pc.take(plans["CINPlanStartDate"], pa.array(first)),
            "CINPlanEndDate": pa.array(last_end.astype("datetime64[D]"), pa.date32(), mask=last_end == NEVER),
        }
    )


def _member(values: pa.ChunkedArray, allowed: pa.ChunkedArray) -> pa.Array:
    return pc.is_in(values, value_set=allowed.combine_chunks() if isinstance(allowed, pa.ChunkedArray) else allowed)


def _episode_of(episodes: pa.Table, child: pa.ChunkedArray, day: pa.ChunkedArray) -> pa.Array:
    """For each (child, day), the child's latest episode referred on or before that day that went on to further
    action (null if none). Episodes are sorted by child, then referral date."""
    codes = pc.unique(episodes["la_child_id"])
    e_child = positions(episodes["la_child_id"], codes)
    e_day = _days(episodes["CINreferralDate"])
    rows = np.flatnonzero(episodes["ReferralNFA"].to_numpy(zero_copy_only=False) == "0")
    q_child = np.asarray(pc.index_in(child, value_set=codes).fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    span = 1 << 32  # days since 1970 fit well within
    at = np.searchsorted(e_child[rows] * span + e_day[rows], q_child * span + _days(day), side="right") - 1
    ok = (at >= 0) & (q_child >= 0)
    ok[ok] = e_child[rows[at[ok]]] == q_child[ok]
    result = np.full(len(q_child), None, dtype=object)
    result[ok] = episodes["episode"].to_numpy(zero_copy_only=False)[rows[at[ok]]]
    return pa.array(result, pa.string())


def _days(column: pa.ChunkedArray | pa.Array) -> NDArray[np.int64]:
    """Dates (no nulls) as days since 1970."""
    days: NDArray[np.int64] = np.asarray(pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False), np.int64)
    return days


def _reviews_in_year(
    reviews: pa.ChunkedArray, start: pa.ChunkedArray, end: pa.ChunkedArray, year: CollectionYear
) -> pa.Array:
    """Each plan's review dates held in the year, after the plan began and not after it ended."""
    flat = reviews.combine_chunks() if isinstance(reviews, pa.ChunkedArray) else reviews
    flat = flat.fill_null(pa.scalar([], flat.type)) if flat.null_count else flat
    parent = pc.list_parent_indices(flat).to_numpy(zero_copy_only=False)
    values = _days(pc.list_flatten(flat)).astype("datetime64[D]")
    lo = np.maximum(_days(start).astype("datetime64[D]"), np.datetime64(year.start, "D") - 1)
    ends = _days(pc.fill_null(end, pa.scalar(year.reference_date, pa.date32()))).astype("datetime64[D]")
    hi = np.minimum(ends, np.datetime64(year.reference_date, "D"))
    keep = (values > lo[parent]) & (values <= hi[parent])
    counts = np.bincount(parent[keep], minlength=len(flat))
    offsets = np.zeros(len(flat) + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values[keep], pa.date32()))


def _earliest_referral(episodes: pa.Table, children: pa.ChunkedArray) -> NDArray[np.datetime64]:
    """Each child's earliest referral date in the return."""
    at = positions(episodes["la_child_id"], children)
    earliest = np.full(len(children), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(earliest, at, _days(episodes["CINreferralDate"]))
    result: NDArray[np.datetime64] = earliest.astype("datetime64[D]")
    return result


def one_per_child(children: pa.Table) -> pa.Table:
    """One record per LA child id, sorted by it. A duplicate registration can leave two person records under one
    id (the case records are the child's, under that id); the census takes the one with a UPN, else the first by
    record id."""
    lacking = pc.is_null(children["upn"])
    ordered = children.append_column("_lacking", lacking).sort_by(
        [("la_child_id", "ascending"), ("_lacking", "ascending"), ("record_id", "ascending")]
    )
    ids = ordered["la_child_id"].to_numpy(zero_copy_only=False)
    first = np.ones(len(ids), bool)
    first[1:] = ids[1:] != ids[:-1]
    return ordered.filter(pa.array(first)).drop_columns(["_lacking"])


def _children(children: pa.Table, episodes: pa.Table, year: CollectionYear) -> pa.Table:
    """One row per child with an episode in the year: identifiers and characteristics."""
    ids = pc.unique(episodes["la_child_id"])
    rows = one_per_child(children.filter(_member(children["la_child_id"], ids)))
    n = rows.num_rows
    upn = rows["upn"].to_numpy(zero_copy_only=False)
    has = pc.is_valid(rows["upn"]).to_numpy(zero_copy_only=False)
    valid = np.zeros(n, bool)
    if has.any():
        valid[has] = identifiers.is_valid_upn(upn[has].astype(str))
    values, counts = np.unique(upn[valid].astype(str), return_counts=True)
    shared = np.zeros(n, bool)
    shared[valid] = np.isin(upn[valid].astype(str), values[counts > 1])
    keep_upn = valid & ~shared
    # (a birth date the authority never recorded counts as of school age: a reason is still needed)
    birth: NDArray[np.datetime64] = _days(
        pc.fill_null(rows["date_of_birth"], pa.scalar(dt.date(1970, 1, 1), pa.date32()))
    ).astype("datetime64[D]")
    # of school age: born on or before 31 August six years before the September after the reference date (the
    # validator's rule 8770Q)
    school_age = birth <= np.datetime64(dt.date(year.reference_date.year - 6, 8, 31), "D")
    action = pc.equal(episodes["ReferralNFA"], "0")
    acted = pc.unique(episodes.filter(action)["la_child_id"])
    only_nfa = ~_member(rows["la_child_id"], acted).to_numpy(zero_copy_only=False)
    reason = np.where(has & ~keep_upn, "UN5", np.where(~school_age, "UN1", np.where(only_nfa, "UN7", "UN4"))).astype(
        object
    )
    # a birth date keyed in error so that the return would reject it (after the reference date, or more than 40
    # weeks after the child's first referral) is left out: the return then queries the missing date instead
    earliest = _earliest_referral(episodes, rows["la_child_id"])
    impossible = (birth > np.datetime64(year.reference_date, "D")) | (birth > earliest + np.timedelta64(280, "D"))
    birth_date = pc.if_else(pa.array(impossible), pa.scalar(None, pa.date32()), rows["date_of_birth"])
    # a child with no disability recorded is returned as NONE
    recorded = rows["disabilities"] if "disabilities" in rows.schema.names else pa.nulls(n, pa.list_(pa.string()))
    none = pc.fill_null(pc.equal(pc.list_value_length(recorded), 0), True)
    disabilities = pc.if_else(none, pa.scalar(["NONE"], pa.list_(pa.string())), recorded)
    return pa.table(
        {
            "la_child_id": rows["la_child_id"],
            "UPN": pa.array(np.where(keep_upn, upn, None), pa.string()),
            "FormerUPN": pa.nulls(n, pa.string()),
            "UPNunknown": pa.array(reason, pa.string(), mask=keep_upn),
            "PersonBirthDate": birth_date,
            "ExpectedPersonBirthDate": pa.nulls(n, pa.date32()),
            "Sex": rows["sex"],
            "PersonDeathDate": rows["date_of_death"]
            if "date_of_death" in rows.schema.names
            else pa.nulls(n, pa.date32()),
            "Ethnicity": rows["ethnicity"],
            "Disability": disabilities,
        }
    )


def positions(keys: pa.ChunkedArray, parents: pa.ChunkedArray | pa.Array) -> NDArray[np.int64]:
    """Each key's row among `parents` (every key has one): how a module's rows find the rows that hold them."""
    value_set = parents.combine_chunks() if isinstance(parents, pa.ChunkedArray) else parents
    found: NDArray[np.int64] = np.asarray(
        pc.index_in(keys, value_set=value_set).to_numpy(zero_copy_only=False), np.int64
    )
    return found
