"""Contacts: every concern raised with the front door about a child, and who raised it.

Three kinds, in this order of ids:
- the contact behind every referral (the LA recorded its id on the referral): received on the referral's day or a
  working day before, from the source the referral records;
- contacts raised by what agencies recorded: a police notification after a domestic-abuse call-out with a child
  present or a missing child, an A&E attendance with a safeguarding concern, an exclusion or a child missing
  education, each with its chance (`contact_probability.<signal>`), a day or two after the record; a record that
  a referral from the same agency soon followed is that referral's contact, not another;
- the rest, up to England's rate of contacts per child (`contacts_per_10k_children`, ADCS): schools, health,
  families, neighbours, anonymous callers..., about children with a need or a risk at home
  (`other_contact_at_risk_share`) or about children with none, who are most of the no-further-action cases.
Planted storylines raise contacts as their records do: their incidents and attendances are agency records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from synthgen import signals
from synthgen.agencies import AgencyTable
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Context
from synthgen.kernel.arrays import categorical, per_kind

SOURCES = {
    "police_notification": "6",
    "school": "2A",
    "education_services": "2B",
    "gp": "3A",
    "health_visitor": "3B",
    "school_nurse": "3C",
    "midwife": "3D",
    "ae": "3E",
    "other_health": "3F",
    "housing": "4",
    "adult_social_care": "5A",
    "other_la_service": "5B",
    "other_la": "5C",
    "early_help": "5D",
    "family": "1A",
    "neighbour": "1B",
    "self": "1C",
    "public": "1D",
    "other_legal": "7",
    "voluntary": "8",
    "anonymous": "9",
    "unknown": "10",
}
"""Each front-door source and the CIN census referral source code it is counted under."""
SOURCE_NAMES = tuple(SOURCES)
FROM_CODE = {code: name for name, code in SOURCES.items()}
PUBLIC = ("family", "neighbour", "self", "public", "anonymous", "unknown")
"""Sources that are people, not professionals: they ring in, know less, and are not bound to office hours."""
SCHOOL_AGE = ("school", "education_services", "school_nurse")
UNDER_FIVE = ("health_visitor",)
UNDER_ONE = ("midwife",)

CONCERNS = (
    "domestic_abuse",
    "neglect",
    "physical_abuse",
    "sexual_abuse",
    "emotional_abuse",
    "child_sexual_exploitation",
    "child_criminal_exploitation",
    "going_missing",
    "mental_health",
    "parental_mental_health",
    "parental_substance_misuse",
    "victim_of_crime",
    "offending",
    "injury",
    "behaviour",
    "education",
    "parenting",
    "other",
)
NEED_CONCERN = {
    "neglect": "neglect",
    "emotional_abuse": "emotional_abuse",
    "physical_abuse": "physical_abuse",
    "sexual_abuse": "sexual_abuse",
    "child_sexual_exploitation": "child_sexual_exploitation",
    "child_criminal_exploitation": "child_criminal_exploitation",
    "going_missing": "going_missing",
    "self_harm": "mental_health",
}
SIGNAL_CONTACT = {
    "domestic_abuse_incident": ("police_notification", "domestic_abuse"),
    "missing_episode": ("police_notification", "going_missing"),
    "crime_victim": ("police_notification", "victim_of_crime"),
    "crime_suspect": ("police_notification", "offending"),
    "ae_safeguarding_concern": ("ae", "injury"),
    "ae_self_harm": ("ae", "mental_health"),
    "infant_injury": ("ae", "injury"),
    "camhs_referral": ("other_health", "mental_health"),
    "missed_health_visit": ("health_visitor", "neglect"),
    "exclusion": ("school", "behaviour"),
    "missing_education": ("education_services", "education"),
    "persistent_absence": ("school", "education"),
}
"""What a contact raised by an agency's record is: who raised it and the concern it names."""
FOLLOWS_WITHIN_DAYS = 14
"""A referral from the same kind of source within this many days of a record is the contact that record raised."""


@dataclass(frozen=True)
class Contacts:
    """One row per contact (referrals' first, in referral row order), about one child each."""

    person_row: NDArray[np.int64]  # the child (a row of Everyone)
    day: NDArray[np.int64]  # day of the period it was received (negative: before the period)
    second: NDArray[np.int64]  # second of the day it was received
    source: NDArray[np.int64]  # index into SOURCE_NAMES
    concern: NDArray[np.int64]  # index into CONCERNS
    referral: NDArray[np.int64]  # row of agencies/social_care/referrals it became, -1 for none
    signal: NDArray[np.object_]  # the signal kind of the record that raised it, None for others

    def __len__(self) -> int:
        return len(self.day)


def _truth_concern(
    ctx: Context, people: Everyone, row: NDArray[np.int64], fallback: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The concern the truth would name for each child: its own need first, then what the household lives with;
    `fallback` where there is neither."""
    sim = ctx.sim
    n_pop = len(ctx.pop.people.person_id)
    in_pop = row < n_pop
    pop_row = np.where(in_pop, row, 0)
    household = people.household[row]
    result = fallback.copy()
    chosen = np.zeros(len(row), bool)
    for need, concern in NEED_CONCERN.items():
        take = in_pop & sim.needs[need][pop_row] & ~chosen
        result[take] = CONCERNS.index(concern)
        chosen |= take
    for factor, concern in (
        (sim.domestic_abuse, "domestic_abuse"),
        (sim.parental_mental_health, "parental_mental_health"),
        (sim.substance_misuse, "parental_substance_misuse"),
    ):
        take = factor[household] & ~chosen
        result[take] = CONCERNS.index(concern)
        chosen |= take
    return result


def _background_concern(rng: np.random.Generator, ctx: Context, n: int) -> NDArray[np.int64]:
    shares = ctx.plan.params.series("other_concern_share")
    codes = np.array([CONCERNS.index(name) for name in shares])
    weights = np.array(list(shares.values()))
    return codes[rng.choice(len(codes), size=n, p=weights / weights.sum())]


def _office_second(rng: np.random.Generator, ctx: Context, public: NDArray[np.bool_]) -> NDArray[np.int64]:
    """A time of day: office hours for most, any waking hour for the public and the few out of hours."""
    n = len(public)
    out = public | (rng.random(n) < ctx.plan.params["out_of_hours_share"])
    office = rng.integers(9 * 3600, 17 * 3600, n)
    waking = rng.integers(7 * 3600, 23 * 3600, n)
    return np.where(out, waking, office).astype(np.int64)


def _working_day(start: np.datetime64, day: NDArray[np.int64]) -> NDArray[np.int64]:
    """The day itself, or the next weekday when it falls at a weekend (offices are shut)."""
    moved = np.busday_offset(start + day.astype("timedelta64[D]"), 0, roll="forward")
    result: NDArray[np.int64] = (moved - start).astype(np.int64)
    return result


def for_referrals(rng: np.random.Generator, ctx: Context, people: Everyone, referrals: AgencyTable) -> Contacts:
    """The contact behind each referral: received on the day, or up to `contact_before_referral_days_max` working
    days before it."""
    table = referrals.table
    start = np.datetime64(ctx.plan.period_start, "D")
    referral_day = (signals.days(table.column("referral_date").combine_chunks()) - start).astype(np.int64)
    lag = rng.integers(0, int(ctx.plan.params["contact_before_referral_days_max"]) + 1, len(referral_day))
    received = (np.busday_offset(start + referral_day.astype("timedelta64[D]"), -lag, roll="backward") - start).astype(
        np.int64
    )
    code = table.column("referral_source").fill_null("10").to_numpy(zero_copy_only=False).astype(object)
    source = np.array([SOURCE_NAMES.index(FROM_CODE.get(c, "unknown")) for c in code], dtype=np.int64)
    row = people.rows(referrals.person_id)
    public = np.isin(source, [SOURCE_NAMES.index(name) for name in PUBLIC])
    second = _office_second(rng, ctx, public)
    police = source == SOURCE_NAMES.index("police_notification")
    second[police] = rng.integers(0, 86_400, int(police.sum()))
    concern = _truth_concern(ctx, people, row, _background_concern(rng, ctx, len(row)))
    n = len(row)
    return Contacts(row, received, second, source, concern, np.arange(n), np.full(n, None, dtype=object))


def from_records(rng: np.random.Generator, ctx: Context, people: Everyone, referral_contacts: Contacts) -> Contacts:
    """Contacts raised by agency records about children in the period, each with its signal's chance; a record
    followed within FOLLOWS_WITHIN_DAYS by a referral from the same kind of source raised that referral."""
    params = ctx.plan.params
    chance = params.series("contact_probability")
    period = (ctx.plan.period_start, ctx.plan.period_end)
    start = np.datetime64(ctx.plan.period_start, "D")
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.object_]]] = []
    for path in sorted(ctx.made):
        table = ctx.made[path]
        if table.source == "social_care":
            continue
        row = people.rows(table.person_id)
        known = (row >= 0) & (row < len(people))
        dob = np.full(len(row), np.datetime64("NaT"), dtype="datetime64[D]")
        dob[known] = people.date_of_birth[row[known]]
        found = signals.concerns(table.source, table.name, signals.source_of(table).records, dob, period)
        keep = signals.is_child(dob[found.rows], found.day) & signals.in_period(found.day, period) & known[found.rows]
        kinds = found.kind[keep]
        chosen = rng.random(len(kinds)) < per_kind(kinds, lambda k: chance.get(k, 0.0), np.float64)
        rows = found.rows[keep][chosen]
        delay_max = int(params[f"contact_delay_max_days.{table.source}"])
        day = (found.day[keep][chosen] - start).astype(np.int64) + rng.integers(0, delay_max + 1, len(rows))
        parts.append((row[rows], day, kinds[chosen].astype(object), np.zeros(0, np.int64)))
    if not parts:
        return _empty()
    row = np.concatenate([p[0] for p in parts])
    day = np.minimum(np.concatenate([p[1] for p in parts]), ctx.plan.days - 1)
    kind = np.concatenate([p[2] for p in parts])
    source = per_kind(kind, lambda k: SOURCE_NAMES.index(SIGNAL_CONTACT[k][0]), np.int64)
    keep = ~_referral_follows(referral_contacts, row, day, source)
    row, day, kind, source = row[keep], day[keep], kind[keep], source[keep]
    natural = per_kind(kind, lambda k: CONCERNS.index(SIGNAL_CONTACT[k][1]), np.int64)
    concern = _truth_concern(ctx, people, row, natural)
    police = source == SOURCE_NAMES.index("police_notification")
    # a notification follows the incident at any hour; the others come in office hours, on working days
    day = np.where(police, day, np.minimum(_working_day(start, day), ctx.plan.days - 1))
    second = np.where(police, rng.integers(0, 86_400, len(row)), _office_second(rng, ctx, np.zeros(len(row), bool)))
    n = len(row)
    return Contacts(row, day, second.astype(np.int64), source, concern, np.full(n, -1, np.int64), kind)


def _code_family(source: NDArray[np.int64]) -> NDArray[np.object_]:
    """The CIN code's family (the police, schools, health, ...): '3E' and '3A' are both health."""
    codes = np.array([SOURCES[name] for name in SOURCE_NAMES], dtype=object)[source]
    return np.array([code.rstrip("ABCDEF") or code for code in codes], dtype=object)


def _referral_follows(
    referrals: Contacts, row: NDArray[np.int64], day: NDArray[np.int64], source: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Whether a referral contact about the same child from the same family of sources falls within
    FOLLOWS_WITHIN_DAYS after each record (then the record raised that referral)."""
    family = _code_family(source)
    ref_family = _code_family(referrals.source)
    result = np.zeros(len(row), bool)
    for name in np.unique(family):
        mine = np.flatnonzero(family == name)
        theirs = np.flatnonzero(ref_family == name)
        if not len(mine) or not len(theirs):
            continue
        key = referrals.person_row[theirs] * 100_000 + referrals.day[theirs]
        order = np.argsort(key)
        sorted_key = key[order]
        low = np.searchsorted(sorted_key, row[mine] * 100_000 + day[mine], side="left")
        high = np.searchsorted(sorted_key, row[mine] * 100_000 + day[mine] + FOLLOWS_WITHIN_DAYS, side="right")
        result[mine] = high > low
    return result


def others(
    rng: np.random.Generator, ctx: Context, people: Everyone, count: int, at_risk: NDArray[np.bool_]
) -> Contacts:
    """The rest of the year's contacts: about children with a need or a risk at home (weighted by their risk) or
    about any other child, from sources that fit the child's age."""
    params = ctx.plan.params
    p = ctx.pop.people
    n_pop = len(p.person_id)
    children = np.flatnonzero(p.resident & (p.age < 18))
    if count <= 0 or not len(children):
        return _empty()
    risky = children[at_risk[children]]
    calm = children[~at_risk[children]]
    n_risky = round(count * params["other_contact_at_risk_share"]) if len(risky) else 0
    if not len(calm):
        n_risky = count
    weight = np.exp(0.5 * ctx.sim.risk[risky])
    row = np.r_[
        risky[rng.choice(len(risky), size=n_risky, p=weight / weight.sum())] if n_risky else np.zeros(0, np.int64),
        calm[rng.integers(0, len(calm), count - n_risky)] if len(calm) else np.zeros(0, np.int64),
    ].astype(np.int64)
    start = np.datetime64(ctx.plan.period_start, "D")
    day = np.minimum(_working_day(start, rng.integers(0, ctx.plan.days, len(row))), ctx.plan.days - 1)
    age = p.age[np.minimum(row, n_pop - 1)]
    shares = params.series("other_source_share")
    names = list(shares)
    weights = np.tile(np.array(list(shares.values())), (len(row), 1))
    for index, name in enumerate(names):
        if name in SCHOOL_AGE:
            weights[:, index] *= (age >= 4) & (age < 18)
        elif name in UNDER_FIVE:
            weights[:, index] *= age < 5
        elif name in UNDER_ONE:
            weights[:, index] *= age < 1
    source = np.array([SOURCE_NAMES.index(name) for name in names], dtype=np.int64)[categorical(rng, weights)]
    public = np.isin(source, [SOURCE_NAMES.index(name) for name in PUBLIC])
    second = _office_second(rng, ctx, public)
    concern = _truth_concern(ctx, people, row, _background_concern(rng, ctx, len(row)))
    calm_rows = np.r_[np.zeros(n_risky, bool), np.ones(len(row) - n_risky, bool)]
    concern[calm_rows] = _background_concern(rng, ctx, int(calm_rows.sum()))
    n = len(row)
    return Contacts(row, day, second, source, concern, np.full(n, -1, np.int64), np.full(n, None, dtype=object))


def _empty() -> Contacts:
    none = np.zeros(0, np.int64)
    return Contacts(none, none, none, none, none, none, np.zeros(0, dtype=object))


def joined(parts: list[Contacts]) -> Contacts:
    return Contacts(
        *(np.concatenate([getattr(part, name) for part in parts]) for name in Contacts.__dataclass_fields__)
    )


def subset(contacts: Contacts, keep: NDArray[np.bool_] | NDArray[np.int64]) -> Contacts:
    return Contacts(*(getattr(contacts, name)[keep] for name in Contacts.__dataclass_fields__))


def expected(ctx: Context) -> int:
    """The period's contacts at England's rate for the shard's children."""
    p = ctx.pop.people
    children = int((p.resident & (p.age < 18)).sum())
    return round(ctx.plan.params["contacts_per_10k_children"] * children / 10_000 * ctx.plan.years)


def the_years(
    rng: np.random.Generator, ctx: Context, people: Everyone, referrals: AgencyTable, at_risk: NDArray[np.bool_]
) -> Contacts:
    """Every contact: the referrals', those raised by records, and the rest up to the expected number (records'
    contacts are thinned at random where they alone would pass it)."""
    behind = for_referrals(rng, ctx, people, referrals)
    raised = from_records(rng, ctx, people, behind)
    in_period = int(((behind.day >= 0) & (behind.day < ctx.plan.days)).sum())
    room = expected(ctx) - in_period
    if len(raised) > max(room, 0):
        keep = np.sort(rng.permutation(len(raised))[: max(room, 0)])
        raised = subset(raised, keep)
    rest = others(rng, ctx, people, max(room - len(raised), 0), at_risk)
    found = joined([behind, raised, rest])
    # nobody raises a concern about a child who has died (a referral's contact came before it, by its referral)
    start = np.datetime64(ctx.plan.period_start, "D")
    alive = ctx.alive(people.base + found.person_row, start + found.day.astype("timedelta64[D]"))
    return subset(found, alive | (found.referral >= 0))


def as_array(values: NDArray[np.int64], names: tuple[str, ...]) -> pa.Array:
    return pa.array(np.asarray(names, dtype=object)[values], pa.string())
