"""The people a contact names, as the contact names them: the child, and usually the parents at home.

A professional's contact copies what the professional's own agency holds, errors and all: a police notification
carries the police nominal's spelling and date of birth, a GP's or health visitor's the GP register's, a school's
the pupil register's, a social worker's the local authority's child record. A member of the public knows less:
often no family name, an age instead of a date of birth, a street without a number, no postcode
(`subject_missing.<field>.<public|professional>`). Then the data-quality model adds the front door's own slips
(names heard over the phone). A child referred before birth is named as unborn, under the mother's family name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from synthgen.agencies.front_door.contacts import PUBLIC, SOURCE_NAMES, Contacts
from synthgen.agencies.front_door.copied import altered, blanked, copy_held, joined
from synthgen.agencies.front_door.people import Everyone
from synthgen.agencies.producer import Changes, Context
from synthgen.kernel import strings

HELD_BY = {
    "agencies/police/persons": ("police_notification",),
    "agencies/health/gp_registrations": ("gp", "health_visitor", "midwife", "ae", "other_health", "school_nurse"),
    "agencies/school/pupils": ("school", "education_services"),
    "agencies/social_care/children": ("adult_social_care", "other_la_service", "early_help"),
}
"""Whose records a professional's contact copies the names from."""


def _named(
    rng: np.random.Generator, ctx: Context, people: Everyone, contacts: Contacts
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.object_]]:
    """(contact row, person row, role) of everyone each contact names: the child, then the parents it names."""
    params = ctx.plan.params
    public = np.isin(contacts.source, [SOURCE_NAMES.index(name) for name in PUBLIC])
    named = np.where(public, params["parents_named_share.public"], params["parents_named_share.professional"])
    names_parents = (rng.random(len(contacts)) < named) & (contacts.source != SOURCE_NAMES.index("anonymous"))
    rows = [np.arange(len(contacts))]
    people_rows = [contacts.person_row]
    start = np.datetime64(ctx.plan.period_start, "D")
    unborn = people.date_of_birth[contacts.person_row] > start + contacts.day.astype("timedelta64[D]")
    roles = [np.where(unborn, "unborn", "child").astype(object)]
    for parent, role in ((people.mother, "mother"), (people.father, "father")):
        who = parent[contacts.person_row]
        take = np.flatnonzero((who >= 0) & (names_parents | (unborn & (role == "mother"))))
        rows.append(take)
        people_rows.append(who[take])
        roles.append(np.full(len(take), role, dtype=object))
    contact = np.concatenate(rows)
    order = np.argsort(contact, kind="stable")
    return contact[order], np.concatenate(people_rows)[order], np.concatenate(roles)[order]


def true_details(ctx: Context, people: Everyone, row: NDArray[np.int64]) -> dict[str, pa.Array]:
    pop, plan = ctx.pop, ctx.plan
    n_pop = len(pop.people.person_id)
    in_pop = row < n_pop
    forenames = pa.array(pop.forenames, pa.string())
    pop_row = np.where(in_pop, row, 0)
    middle = strings.middle_names(
        forenames,
        np.where(in_pop, pop.people.middle_1[pop_row], -1),
        np.where(in_pop, pop.people.middle_2[pop_row], -1),
    )
    home = pop.household_postcode[people.household[row]]
    return {
        "given_name": people.given_name.take(pa.array(row)),
        "middle_names": middle,
        "family_name": people.family_name.take(pa.array(row)),
        "date_of_birth": pa.array(people.date_of_birth[row], pa.date32()),
        "address_line": strings.address_lines(
            strings.taken(plan.streets, home), pop.household_number[people.household[row]]
        ),
        "postcode": strings.taken(plan.postcodes.postcode, home),
    }


def _copy_held(
    ctx: Context, details: dict[str, pa.Array], person_id: NDArray[np.int64], source: NDArray[np.int64]
) -> tuple[dict[str, pa.Array], Changes]:
    """The details a professional's own agency holds, in place of the truth, where it holds the person."""
    copied = []
    for path, sources in HELD_BY.items():
        mine = np.isin(source, [SOURCE_NAMES.index(name) for name in sources])
        details, changes = copy_held(ctx, details, person_id, path, mine)
        copied.append(changes)
    return details, joined(copied)


def subjects(
    rng: np.random.Generator, ctx: Context, people: Everyone, contacts: Contacts, contact_id: pa.Array
) -> tuple[pa.Table, NDArray[np.int64], Changes]:
    """The contact_subjects table (without its record ids), each row's person id, and what each row differs from
    the truth in (copied errors; what the referrer did not know), for the truth to list."""
    params = ctx.plan.params
    contact, row, role = _named(rng, ctx, people, contacts)
    person_id = people.base + row
    source = contacts.source[contact]
    details, copied = _copy_held(ctx, true_details(ctx, people, row), person_id, source)
    public = np.isin(source, [SOURCE_NAMES.index(name) for name in PUBLIC])
    n = len(row)
    # a clean run is the registers as the truth has them: every contact gives what it is asked for
    clean = ctx.plan.scenario.data_quality.profile == "clean"

    def missing(field: str) -> NDArray[np.bool_]:
        share = np.where(
            public, params[f"subject_missing.{field}.public"], params[f"subject_missing.{field}.professional"]
        )
        result: NDArray[np.bool_] = (rng.random(n) < share) & (not clean)
        return result

    unborn = role == "unborn"
    no_dob = missing("date_of_birth") | unborn
    start = np.datetime64(ctx.plan.period_start, "D")
    day = start + contacts.day[contact].astype("timedelta64[D]")
    age = (day - people.date_of_birth[row]).astype(np.int64) / 365.25
    guess = np.round(age + rng.normal(0, params["age_guess_years_sd"], n) * public)
    street_only = missing("house_number")
    no_family = missing("family_name") & ~unborn
    no_sex = missing("sex") | unborn
    no_postcode = missing("postcode")
    null_text = pa.scalar(None, pa.string())
    given = {
        "given_name": pc.if_else(pa.array(unborn), null_text, details["given_name"]),
        "middle_names": pc.if_else(pa.array(unborn), null_text, details["middle_names"]),
        "family_name": pc.if_else(pa.array(no_family), null_text, details["family_name"]),
        "date_of_birth": pc.if_else(pa.array(no_dob), pa.scalar(None, pa.date32()), details["date_of_birth"]),
        "address_line": pc.if_else(
            pa.array(street_only),
            pc.replace_substring_regex(details["address_line"], r"^\d+\w? ", ""),
            details["address_line"],
        ),
        "postcode": pc.if_else(pa.array(no_postcode), null_text, details["postcode"]),
    }
    sex = pa.array(np.where(people.female[row], "F", "M"), pa.string())
    sex_given = pa.array(np.where(people.female[row], "F", "M"), pa.string(), mask=no_sex)
    age_given = ~no_dob | unborn
    unknown = [
        blanked(details["given_name"], given["given_name"], "missing", "given_name"),
        blanked(details["middle_names"], given["middle_names"], "missing", "middle_names"),
        blanked(details["family_name"], given["family_name"], "missing", "family_name"),
        blanked(details["date_of_birth"], given["date_of_birth"], "missing", "date_of_birth"),
        blanked(
            sex, pa.array(np.where(no_sex, None, sex.to_numpy(zero_copy_only=False)), pa.string()), "missing", "sex"
        ),
        altered(details["address_line"], given["address_line"], "partial", "address"),
        blanked(details["postcode"], given["postcode"], "missing", "postcode"),
    ]
    for change in unknown:  # a child not yet born has no name, sex or date of birth: not an error, a fact
        change.kinds[unborn[change.rows]] = "unborn"
    dob_gone = unknown[3]  # an age given instead of the date of birth is the police's "age only"
    dob_gone.kinds[~unborn[dob_gone.rows]] = "age_only"
    table = pa.table(
        {
            "contact_id": contact_id.take(pa.array(contact)),
            "role": pa.array(role, pa.string()),
            **{name: given[name] for name in ("given_name", "middle_names", "family_name", "date_of_birth")},
            "age": pa.array(np.maximum(guess, 0).astype(np.int16), pa.int16(), mask=age_given),
            "sex": sex_given,
            "address_line": given["address_line"],
            "postcode": given["postcode"],
        }
    )
    return table, person_id, joined([copied, *unknown])
