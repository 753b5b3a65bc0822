"""Looked-after children: the history of each period of care as the local authority records it for the SSDA903
return (episodes within a period, reviews, missing spells, UASC status, adoption, previous permanence, the
year's outcomes for children looked after 12 months, and care leavers).

A period of care (entry to care to leaving it) comes from the social-care pathway; here it is cut into
episodes: a new episode whenever the placement or the legal status changes (reason for new episode P, L or B),
the last one ending with the reason the child left care. A child who is adopted goes through the steps the
return checks in order: the decision that the child should be placed for adoption, a placement order (legal
status E1) while still with the foster carers, then placement with the adopters (A6), then the adoption. Every
draw here comes from streams of this module's own, so the pathway's other records do not move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen.agencies.care_pathway import care_days
from synthgen.kernel import strings
from synthgen.kernel.rng import shard_stream
from synthgen.reference import Parameters
from synthgen.scenario.plan import Plan

YEAR = 365
ADULT = 6574  # days to the 18th birthday, about
PLACEMENTS = ("U1", "U3", "U4", "U5", "U6", "K2", "R1", "P1")
"""Placement types drawn at the start of a period and at each change of placement (cla_placement_share.<code>)."""
NO_URN = frozenset({"P1", "R1"})
"""Placements without an Ofsted registration (no URN in the return)."""
LEFT_CARE = ("E4A", "E13", "E41", "E45", "E46", "E8", "E5")
"""Reasons a period of care ends before 18 (other than adoption): home to parents (E4A, E13), child
arrangements (E41), special guardianship (E45, E46), other (E8), into independent living at 16+ (E5);
their shares: cla_left_care_share.<code>."""
AT_EIGHTEEN = ("E7", "E17", "E8")
"""Leaving care at 18: independent living (E7), staying put with the foster carers (E17), other (E8)."""
CHANGE_REASONS = ("CARPL", "CHILD", "LAREQ", "PLACE", "CREQB", "OTHER")
CATEGORIES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
"""Categories of need at entry (cla_category_share.<code>)."""


def _shares(params: Parameters, family: str, codes: tuple[str, ...]) -> NDArray[np.float64]:
    """The shares of `codes` in a family of parameters, normalised (summed in code order)."""
    values = [params[f"{family}.{code}"] for code in codes]
    result: NDArray[np.float64] = np.array(values) / sum(values)
    return result


@dataclass(frozen=True)
class Periods:
    """Periods of care, days from the first day of the period (end >= days: still open at the end)."""

    rows: NDArray[np.int64]  # person rows
    la_child_id: NDArray[np.object_]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    home_postcode: NDArray[np.int64]  # index into plan.postcodes
    born: NDArray[np.int64]  # day of birth
    going_missing: NDArray[np.bool_]


@dataclass(frozen=True)
class LookedAfterTables:
    cla_episodes: pa.Table
    cla_reviews: pa.Table
    cla_missing: pa.Table
    cla_uasc: pa.Table
    cla_adoption_decisions: pa.Table
    cla_adoptions: pa.Table
    cla_previous_permanence: pa.Table
    cla_outcomes: pa.Table
    care_leavers: pa.Table


TABLES = (
    ("cla_reviews", "review_id"),
    ("cla_missing", "missing_id"),
    ("cla_uasc", "uasc_id"),
    ("cla_adoption_decisions", "decision_id"),
    ("cla_adoptions", "adoption_id"),
    ("cla_previous_permanence", "permanence_id"),
    ("cla_outcomes", "outcome_id"),
    ("care_leavers", "leaver_id"),
)
"""The looked-after tables beside the episodes, with their (random) id columns."""


def past_periods(
    plan: Plan,
    rows: NDArray[np.int64],
    born: NDArray[np.int64],
    weight: NDArray[np.float64],
    count: int,
    shard: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Periods of care that ended during the year before the period (the previous return's leavers): `count`
    people drawn by weight from `rows` (people under 20 at the start, not in care during the period), each
    period ending on a day of that year, lasting as the pathway's periods do (care_days), and ending at 18 at the
    latest.

    Returns (index into rows, start, end) in days from the first day of the period."""
    rng = shard_stream(plan.seed, shard, "looked-after-past-periods")
    empty = np.zeros(0, np.int64)
    if not len(rows) or count <= 0 or weight.sum() <= 0:
        return empty, empty, empty
    count = min(count, int((weight > 0).sum()))
    chosen = rng.choice(len(rows), size=count, replace=False, p=weight / weight.sum())
    end = -rng.integers(1, YEAR + 1, count)
    length = care_days(rng, plan.params, count)
    adult = born[chosen] + ADULT
    end = np.minimum(end, adult)
    start = np.maximum(end - length, born[chosen] + 1)
    keep = (end >= -YEAR) & (end - start >= 20)
    return chosen[keep], start[keep], end[keep]


@dataclass(frozen=True)
class _Adoptions:
    """How each period ends, and for the adopted the steps the return checks in order (days from the start)."""

    closed: NDArray[np.bool_]  # ended during the period (or before it)
    at_18: NDArray[np.bool_]  # ended at 18
    age_end: NDArray[np.int64]  # the child's age in days when it ended
    adopted: NDArray[np.bool_]
    decision_day: NDArray[np.int64]  # the decision that the child should be placed for adoption
    order_day: NDArray[np.int64]  # the placement order (legal status E1)
    placed_day: NDArray[np.int64]  # placed with the adopters (A6)


def _adoptions_due(rng: np.random.Generator, plan: Plan, periods: Periods, days: int) -> _Adoptions:
    """Which periods end in adoption: a young child's period that ends before the fifth birthday, after at least
    eight months, now and then (cla_adoption_share_under_5); placed with the adopters some months before the
    order, the placement order before that and the decision before that."""
    n = len(periods.start)
    start, end, born = periods.start, periods.end, periods.born
    closed = end < days
    at_18 = closed & (end >= born + ADULT)
    age_end = end - born
    adopted = closed & ~at_18 & (age_end < 5 * YEAR) & (end - start >= 240)
    adopted &= rng.random(n) < plan.params["cla_adoption_share_under_5"]
    placed_day = end - rng.integers(60, 160, n)
    order_day = placed_day - rng.integers(20, 90, n)
    decision_day = order_day - rng.integers(0, 60, n)
    adopted &= order_day - start >= 40
    decision_day = np.maximum(decision_day, start + 20)
    return _Adoptions(closed, at_18, age_end, adopted, decision_day, order_day, placed_day)


@dataclass(frozen=True)
class _Episodes:
    """The periods cut into episodes, in period and start order."""

    period: NDArray[np.int64]  # the period of each episode
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    kind: NDArray[np.int8]  # 0 the period's start, 1 a change, 2 the placement order, 3 placed with adopters
    last: NDArray[np.bool_]  # the period's last episode


def _episodes(rng: np.random.Generator, plan: Plan, periods: Periods, adoption: _Adoptions, days: int) -> _Episodes:
    """A new episode at each change of placement or legal status (cla_changes_per_year, at most six in a period,
    on distinct days), and for the adopted at the placement order and at placement with the adopters."""
    n = len(periods.start)
    start, end = periods.start, periods.end
    adopted, order_day = adoption.adopted, adoption.order_day
    split_end = np.where(adopted, order_day, np.minimum(end, days))
    span = split_end - start
    rate = plan.params["cla_changes_per_year"]
    changes = np.minimum(rng.poisson(np.maximum(span, 0) / YEAR * rate), np.maximum(span // 30 - 1, 0))
    changes = np.minimum(changes, 6)
    owner = np.repeat(np.arange(n), changes)
    change_day = start[owner] + 1 + (rng.random(len(owner)) * np.maximum(span[owner] - 2, 1)).astype(np.int64)
    # distinct days within a period, in order
    order = np.lexsort((change_day, owner))
    owner, change_day = owner[order], change_day[order]
    distinct = np.r_[True, (owner[1:] != owner[:-1]) | (change_day[1:] != change_day[:-1])][: len(owner)]
    owner, change_day = owner[distinct], change_day[distinct]
    adopters = np.flatnonzero(adopted)
    ep_period = np.r_[np.arange(n), owner, adopters, adopters]
    ep_start = np.r_[start, change_day, order_day[adopters], adoption.placed_day[adopters]]
    kind = np.r_[np.zeros(n, np.int8), np.ones(len(owner), np.int8), np.full(len(adopters), 2, np.int8)]
    kind = np.r_[kind, np.full(len(adopters), 3, np.int8)]
    order = np.lexsort((ep_start, ep_period))
    ep_period, ep_start, kind = ep_period[order], ep_start[order], kind[order]
    m = len(ep_period)
    last = np.r_[ep_period[1:] != ep_period[:-1], True][:m]
    ep_end = np.where(last, end[ep_period], np.r_[ep_start[1:], 0])
    return _Episodes(ep_period, ep_start, ep_end, kind, last)


def _legal_status(
    rng: np.random.Generator, plan: Plan, episodes: _Episodes, adopted: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.object_], NDArray[np.object_]]:
    """What changed at each change (placement P, legal status L or both B: cla_change_share), and the legal
    status along the period: accommodated (V2) or an interim care order (C2) at entry (cla_accommodated_share),
    a full care order (C1) after; a change of legal status moves one step on (V2 -> C2 -> C1), and none after
    C1; a placement order (E1) before adoption. Returns the change (0 P, 1 L, 2 B), the status and the reason
    for the new episode."""
    params = plan.params
    kind, ep_period = episodes.kind, episodes.period
    m, n = len(kind), len(adopted)
    shares = [params[f"cla_change_share.{what}"] for what in ("placement", "legal_status", "both")]
    change = rng.choice(3, size=m, p=shares)  # 0 P, 1 L, 2 B
    change = np.where(kind == 2, 1, np.where(kind == 3, 0, change))
    first_status = np.where(rng.random(n) < params["cla_accommodated_share"], 0, 1)  # 0 V2, 1 C2, 2 C1
    first_status[adopted] = 1
    # a change asked of a child already on a full care order is a placement change instead
    requested = (kind == 1) & (change >= 1)
    valid = requested & (first_status[ep_period] + _cumulative(requested.astype(np.int64), ep_period) <= 2)
    change = np.where(requested & ~valid, 0, change)
    level = first_status[ep_period] + _cumulative(valid.astype(np.int64), ep_period)
    status = np.asarray(["V2", "C2", "C1"], dtype=object)[level]
    status[kind >= 2] = "E1"
    rne = np.asarray(["P", "L", "B"], dtype=object)[change]
    rne[kind == 0] = "S"
    return change, status, rne


def _endings(
    rng: np.random.Generator, plan: Plan, periods: Periods, adoption: _Adoptions, episodes: _Episodes
) -> NDArray[np.object_]:
    """Each episode's reason for ending: X1 within a period, the reason the period ended on its last (before 18
    in cla_left_care_share; at 18 independent living, staying put or other; adoption E11), none while open."""
    n = len(periods.start)
    left = np.asarray(LEFT_CARE, dtype=object)[
        rng.choice(len(LEFT_CARE), size=n, p=_shares(plan.params, "cla_left_care_share", LEFT_CARE))
    ]
    left[(left == "E5") & (adoption.age_end < 16 * YEAR)] = "E4A"
    at_18 = adoption.at_18
    left[at_18] = np.asarray(AT_EIGHTEEN, dtype=object)[rng.integers(0, len(AT_EIGHTEEN), int(at_18.sum()))]
    left[adoption.adopted] = "E11"
    last = episodes.last
    ended = np.where(last, left[episodes.period], "X1").astype(object)
    ended[last & ~adoption.closed[episodes.period]] = None
    return ended


def history(plan: Plan, shard: int, periods: Periods, days: int, uasc_male: NDArray[np.bool_]) -> LookedAfterTables:
    """The looked-after tables for the periods of care (record ids are filled in by the caller)."""
    rng = shard_stream(plan.seed, shard, "looked-after-history")
    # a period that ended at 18 ends on the birthday itself (the pathway's 6574 days can fall a day short)
    eighteen = periods.born + ADULT + 1
    aged_out = (periods.end >= periods.born + ADULT) & (eighteen < days)
    periods = replace(periods, end=np.where(aged_out, np.maximum(periods.end, eighteen), periods.end))
    adoption = _adoptions_due(rng, plan, periods, days)
    episodes = _episodes(rng, plan, periods, adoption, days)
    change, status, rne = _legal_status(rng, plan, episodes, adoption.adopted)
    ep_period, ep_start, kind, last = episodes.period, episodes.start, episodes.kind, episodes.last
    m = len(ep_period)
    age = ep_start - periods.born[ep_period]
    # placements: a new one at the start and at each P or B change; the same one after an L change
    placement_change = (kind == 0) | (change != 1)
    drawn = rng.choice(len(PLACEMENTS), size=m, p=_shares(plan.params, "cla_placement_share", PLACEMENTS))
    place = np.asarray(PLACEMENTS, dtype=object)[drawn]
    place[(place == "P1") & (status == "V2")] = "U3"  # with parents only under a care order
    place[(place == "K2") & (age < 10 * YEAR)] = "U3"
    place[kind == 3] = "A6"
    # the placement before the adopters is foster care
    before = np.r_[kind[1:] == 2, False][:m]
    place[before] = "U3"
    ended = _endings(rng, plan, periods, adoption, episodes)
    placement_id = np.cumsum(placement_change) - 1
    firsts = np.flatnonzero(placement_change)
    # staying put (E17) and special guardianship by former foster carers (E45) or others (E46) follow
    # foster care: the last placement is with foster carers
    fostered = last & np.isin(ended, ["E17", "E45", "E46"])
    place[firsts[placement_id[fostered]]] = "U3"
    place = _carry(place, placement_change, placement_id)
    # a child placed with parents who moves placement goes somewhere else: not home again (the DfE rejects a change
    # of placement that leaves type, postcode and provider as they were: 436)
    again_home = placement_change & (kind != 0) & (place == "P1") & np.r_[False, place[:-1] == "P1"][:m]
    place[again_home] = "U3"
    place = _carry(place, placement_change, placement_id)
    provider = _carry(_providers(rng, plan, place), placement_change, placement_id)
    urn = _carry(_urns(plan, rng, place), placement_change, placement_id)
    home = periods.home_postcode[ep_period]
    postcodes = len(plan.postcodes.postcode)
    placed_at = (home + 1 + rng.integers(0, max(postcodes - 1, 1), m)) % max(postcodes, 1)
    placed_at = np.where(place == "P1", home, placed_at)
    placed_at = _carry(placed_at, placement_change, placement_id)
    category = np.asarray(CATEGORIES, dtype=object)[
        rng.choice(len(CATEGORIES), size=len(periods.start), p=_shares(plan.params, "cla_category_share", CATEGORIES))
    ][ep_period]
    reason_change = np.asarray(CHANGE_REASONS, dtype=object)[rng.integers(0, len(CHANGE_REASONS), m)]
    next_changes_place = np.r_[(rne[1:] != "L") & ~last[:-1], False][:m]
    reason_change[~next_changes_place] = None

    table = pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[ep_period], pa.string()),
            "start_date": _dates(plan, ep_start),
            "end_date": _dates(plan, episodes.end, open_from=days),
            "reason_for_new_episode": pa.array(rne, pa.string()),
            "legal_status": pa.array(status, pa.string()),
            "category_of_need": pa.array(category, pa.string()),
            "placement_type": pa.array(place, pa.string()),
            "placement_provider": pa.array(provider, pa.string()),
            "reason_episode_ceased": pa.array(ended, pa.string()),
            "reason_place_change": pa.array(reason_change, pa.string()),
            "home_postcode": strings.taken(plan.postcodes.postcode, home),
            "placement_postcode": strings.taken(plan.postcodes.postcode, placed_at),
            "urn": pa.array(urn, pa.string()),
        }
    )
    adopters = np.flatnonzero(adoption.adopted)
    return LookedAfterTables(
        table,
        _reviews(plan, rng, periods, days),
        _missing(plan, rng, periods, ep_period, ep_start, episodes.end, days),
        _uasc(plan, rng, periods, days, uasc_male),
        *_adoptions(plan, rng, periods, adopters, adoption.decision_day, adoption.placed_day),
        _previous_permanence(plan, rng, periods),
        _outcomes(plan, rng, periods, days),
        _care_leavers(plan, rng, periods, days),
    )


def _last_year_start(plan: Plan) -> int:
    """The first day of the year before the period, in days from the period's first day (-365 or -366)."""
    return (plan.period_start.replace(year=plan.period_start.year - 1) - plan.period_start).days


def _cumulative(values: NDArray[np.int64], groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """Running sum of `values` within each run of equal (sorted) `groups`."""
    total = np.cumsum(values)
    first = np.searchsorted(groups, groups)
    result: NDArray[np.int64] = total - np.r_[0, total][first]
    return result


Carried = TypeVar("Carried", bound=np.generic)


def _carry(values: NDArray[Carried], new: NDArray[np.bool_], group: NDArray[np.int64]) -> NDArray[Carried]:
    """Each row takes the value of the latest row that started its group (a placement kept across episodes)."""
    firsts = np.flatnonzero(new)
    return values[firsts[group]]


def _providers(rng: np.random.Generator, plan: Plan, place: NDArray[np.object_]) -> NDArray[np.object_]:
    """Who provides each placement: the LA's own carers and homes (PR1), private (PR4) or voluntary (PR5)
    providers (cla_provider_share); parents (PR0) for a placement with parents."""
    codes = ("PR1", "PR4", "PR5")
    shares = [plan.params[f"cla_provider_share.{code}"] for code in codes]
    provider = np.asarray(codes, dtype=object)[rng.choice(3, size=len(place), p=shares)]
    provider[place == "P1"] = "PR0"
    provider[place == "A6"] = "PR1"
    return provider


def _urns(plan: Plan, rng: np.random.Generator, place: NDArray[np.object_]) -> NDArray[np.object_]:
    """Ofsted unique reference numbers of the providers (a fostering agency, a children's home, an adoption
    agency): six digits, from a pool of the LA's 60 providers (the same pool in every shard)."""
    pool = shard_stream(plan.seed, 0, "looked-after-providers").choice(900_000, size=60, replace=False) + 100_000
    urn = np.asarray([f"SC{u}" for u in pool], dtype=object)[rng.integers(0, len(pool), len(place))]
    urn[np.isin(place, list(NO_URN))] = None
    return urn


def _dates(plan: Plan, day: NDArray[np.int64], open_from: int | None = None) -> pa.Array:
    start = np.datetime64(plan.period_start, "D")
    mask = day >= open_from if open_from is not None else None
    return pa.array(start + day.astype("timedelta64[D]"), pa.date32(), mask=mask)


def _reviews(plan: Plan, rng: np.random.Generator, periods: Periods, days: int) -> pa.Table:
    """Reviews of the care plan: 20 days after entry, three months after that, then every six months, while
    the child is looked after, in the two years a return covers. Participation PN0 for a child under four,
    otherwise how the child took part (PN1 in person ... PN7 none)."""
    n = len(periods.start)
    count = np.maximum((np.minimum(periods.end, days) - periods.start) // 182 + 2, 0)
    owner = np.repeat(np.arange(n), count)
    k = np.arange(len(owner)) - np.searchsorted(owner, owner)
    day = periods.start[owner] + np.where(k == 0, 20, 111 + (k - 1) * 182) + rng.integers(-5, 6, len(owner))
    day = np.maximum(day, periods.start[owner] + 20)
    keep = (day < np.minimum(periods.end[owner], days)) & (day >= _last_year_start(plan))
    owner, day = owner[keep], day[keep]
    # a review within days of the 4th birthday is moved a week on, clear of leap days
    day = np.where(np.abs(day - periods.born[owner] - 4 * YEAR) < 5, day + 7, day)
    codes = ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")
    shares = [plan.params[f"cla_review_participation_share.{code}"] for code in codes]
    code = np.asarray(codes, dtype=object)[rng.choice(7, size=len(owner), p=shares)]
    code[day - periods.born[owner] < 4 * YEAR] = "PN0"
    keep = day < np.minimum(periods.end[owner], days)
    owner, day, code = owner[keep], day[keep], code[keep]
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[owner], pa.string()),
            "review_date": _dates(plan, day),
            "participation": pa.array(code, pa.string()),
        }
    )


def _missing(
    plan: Plan,
    rng: np.random.Generator,
    periods: Periods,
    ep_period: NDArray[np.int64],
    ep_start: NDArray[np.int64],
    ep_end: NDArray[np.int64],
    days: int,
) -> pa.Table:
    """Spells missing (M) or away without authorisation (A) from a placement, for children who go missing:
    at most one within an episode, a few days long, inside one collection year and before the episode ends."""
    year_lo = np.where(ep_start >= 0, 0, _last_year_start(plan))
    lo = np.maximum(ep_start + 1, year_lo)
    hi = np.minimum(np.minimum(ep_end, days) - 1, year_lo + YEAR - 1)
    hi = np.where(year_lo < 0, np.minimum(hi, -1), np.minimum(hi, days - 1))
    share = plan.params["cla_missing_share"]
    chosen = periods.going_missing[ep_period] & (hi - lo >= 4) & (rng.random(len(ep_period)) < share)
    idx = np.flatnonzero(chosen)
    begin = lo[idx] + (rng.random(len(idx)) * (hi[idx] - lo[idx] - 3)).astype(np.int64)
    finish = begin + rng.integers(0, 3, len(idx))
    kind = np.where(rng.random(len(idx)) < plan.params["cla_missing_not_away_share"], "M", "A").astype(object)
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[ep_period[idx]], pa.string()),
            "kind": pa.array(kind, pa.string()),
            "start_date": _dates(plan, begin),
            "end_date": _dates(plan, finish),
        }
    )


def _uasc(plan: Plan, rng: np.random.Generator, periods: Periods, days: int, male: NDArray[np.bool_]) -> pa.Table:
    """Unaccompanied asylum-seeking children: about one in five boys of 14 to 17 entering care during the
    period (DfE 2024: 9% of children looked after, almost all boys over 14). Status ceases at 18."""
    age = periods.start - periods.born
    idx = np.flatnonzero((periods.start >= 0) & male & (age >= 14 * YEAR) & (age < 17 * YEAR))
    idx = idx[rng.random(len(idx)) < plan.params["cla_uasc_share"]]
    ceased = periods.born[idx] + ADULT
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[idx], pa.string()),
            "uasc_ceased": _dates(plan, ceased, open_from=days),
        }
    )


def _adoptions(
    plan: Plan,
    rng: np.random.Generator,
    periods: Periods,
    adopters: NDArray[np.int64],
    decision_day: NDArray[np.int64],
    placed_day: NDArray[np.int64],
) -> tuple[pa.Table, pa.Table]:
    """The decisions that children should be placed for adoption, and the adoptions: matched with the
    adopters a few weeks before placement with them; one adopter or a couple."""
    k = len(adopters)
    decided = decision_day[adopters]
    matched = np.maximum(placed_day[adopters] - rng.integers(7, 40, k), decided)
    params = plan.params
    couple = rng.random(k) < params["cla_adopters_couple_share"]
    same_sex = rng.random(k) < params["cla_adopters_same_sex_share"]
    two_men = rng.random(k) < params["cla_adopters_two_men_share"]
    sex = np.where(couple, np.where(same_sex, np.where(two_men, "MM", "FF"), "MF"), "F1")
    sex = np.where(~couple & (rng.random(k) < params["cla_single_adopter_man_share"]), "M1", sex).astype(object)
    status = np.where(couple, np.where(same_sex, "L12", "L11"), "L0").astype(object)
    ids = pa.array(periods.la_child_id[adopters], pa.string())
    decisions = pa.table({"la_child_id": ids, "decision_date": _dates(plan, decided)})
    adoptions = pa.table(
        {
            "la_child_id": ids,
            "date_should_be_placed": _dates(plan, decided),
            "date_matched": _dates(plan, matched),
            "foster_carer": pa.array(np.zeros(k, bool)),
            "adopters": pa.array(np.where(couple, 2, 1).astype(np.int8)),
            "adopters_sex": pa.array(sex, pa.string()),
            "adopters_legal_status": pa.array(status, pa.string()),
        }
    )
    return decisions, adoptions


def _previous_permanence(plan: Plan, rng: np.random.Generator, periods: Periods) -> pa.Table:
    """Whether a child entering care had left an earlier period to adoption (P1), special guardianship (P2) or
    a child arrangements order (P3), with the order's date and the LA that arranged it: mostly none (Z1). The
    LA asks it of the periods that begin in the two years a return covers."""
    idx = np.flatnonzero(periods.start >= -YEAR)
    k = len(idx)
    codes = ("Z1", "P1", "P2", "P3")
    shares = [plan.params[f"cla_previous_permanence_share.{code}"] for code in codes]
    option = np.asarray(codes, dtype=object)[rng.choice(4, size=k, p=shares)]
    when = periods.start[idx] - rng.integers(200, 5 * YEAR, k)
    option[when < periods.born[idx] + 60] = "Z1"
    earlier = option != "Z1"
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[idx], pa.string()),
            "previous_permanence": pa.array(option, pa.string()),
            "permanence_la": pa.array(np.full(k, f"{plan.la.number:03d}", dtype=object), pa.string(), mask=~earlier),
            "permanence_date": pa.array(
                np.datetime64(plan.period_start, "D") + when.astype("timedelta64[D]"), pa.date32(), mask=~earlier
            ),
        }
    )


def _outcomes(plan: Plan, rng: np.random.Generator, periods: Periods, days: int) -> pa.Table:
    """The OC2 outcomes for each child looked after continuously for 12 months at the end of each of the two
    years: health checks, an SDQ score for 4- to 16-year-olds, convictions from 10, substance misuse."""
    rows, year_end = [], []
    last_year = _last_year_start(plan)
    for first_day, end_day in ((last_year, -1), (0, days - 1)):
        idx = np.flatnonzero((periods.start < first_day) & (periods.end >= end_day))
        rows.append(idx)
        year_end.append(np.full(len(idx), end_day))
    idx, at = np.concatenate(rows), np.concatenate(year_end)
    k = len(idx)
    params = plan.params
    misuse = rng.random(k) < params["cla_outcome_substance_misuse_share"]
    received = misuse & (rng.random(k) < params["cla_outcome_intervention_received_share"])
    sdq = np.clip(rng.normal(params["cla_outcome_sdq_mean"], params["cla_outcome_sdq_sd"], k), 0, 40)
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[idx], pa.string()),
            "year_end": _dates(plan, at),
            "sdq_score": pa.array(sdq.astype(np.int8)),
            "convicted": pa.array(rng.random(k) < params["cla_outcome_convicted_share"]),
            "health_check": pa.array(rng.random(k) < params["cla_outcome_health_check_share"]),
            "immunisations": pa.array(rng.random(k) < params["cla_outcome_immunisations_share"]),
            "teeth_check": pa.array(rng.random(k) < params["cla_outcome_teeth_check_share"]),
            "health_assessment": pa.array(rng.random(k) < params["cla_outcome_health_assessment_share"]),
            "substance_misuse": pa.array(misuse),
            "intervention_received": pa.array(received),
            "intervention_offered": pa.array(
                received | (misuse & (rng.random(k) < params["cla_outcome_intervention_offered_share"]))
            ),
        }
    )


def _care_leavers(plan: Plan, rng: np.random.Generator, periods: Periods, days: int) -> pa.Table:
    """Care leavers the LA keeps in touch with: young people who left care at 16 or over, after at least 13
    weeks in care since their 14th birthday, whose 17th to 21st birthday falls in the period (their OC3 record:
    in touch, activity, accommodation around the birthday)."""
    closed = periods.end < 0
    # counted from the start of last year at the earliest: the part of the period the two returns show
    seen_from = np.maximum(periods.start, _last_year_start(plan))
    after_14 = periods.end - np.maximum(seen_from, periods.born + 14 * YEAR + 4)
    age_end_year = days - 1 - periods.born
    idx = np.flatnonzero(
        closed
        & (periods.end >= periods.born + 16 * YEAR + 5)
        & (after_14 >= 95)
        & (age_end_year >= 17 * YEAR + 5)
        & (age_end_year < 22 * YEAR - 5)
    )
    k = len(idx)
    touch = _codes(rng, plan, "care_leaver_in_touch_share", ("YES", "NO", "REFU"), k)
    activity = _codes(rng, plan, "care_leaver_activity_share", ("F1", "P1", "F2", "P2", "G4", "G6"), k)
    accommodation = _codes(rng, plan, "care_leaver_accommodation_share", ("B1", "C1", "D1", "E1", "S2", "T1", "U1"), k)
    in_touch = touch == "YES"
    return pa.table(
        {
            "la_child_id": pa.array(periods.la_child_id[idx], pa.string()),
            "in_touch": pa.array(touch, pa.string()),
            "activity": pa.array(np.where(in_touch, activity, "0"), pa.string()),
            "accommodation": pa.array(np.where(in_touch, accommodation, "0"), pa.string()),
        }
    )


def _codes(rng: np.random.Generator, plan: Plan, family: str, codes: tuple[str, ...], k: int) -> NDArray[np.object_]:
    """k codes drawn in the shares the parameters give them (`family.<code>`)."""
    shares = [plan.params[f"{family}.{code}"] for code in codes]
    result: NDArray[np.object_] = np.asarray(codes, dtype=object)[rng.choice(len(codes), size=k, p=shares)]
    return result
