"""What each agency holds: the tables a system under test is given, column by column.

Every agency file holds only what that agency would hold, under its own identifiers and conventions; record ids
are random (12 characters, Crockford base 32, unique across the run) and rows are written in id order, which is
a shuffle. Names, dates of birth, identifiers and addresses carry the agency's own data-quality errors.
"""

from __future__ import annotations

from synthgen.tables import Column, PersonColumns, Table
from synthgen.tables.common import (
    HEALTH_SEX,
    I8,
    I16,
    I32,
    NHS,
    TS,
    UPN,
    B,
    D,
    S,
    address,
    date_of_birth,
    names,
    patient,
    record_id,
)
from synthgen.tables.social_care_tables import SOCIAL_CARE

POLICE = (
    Table(
        "agencies/police/persons",
        "One nominal record per person the force has met (plus the duplicates police systems hold).",
        (
            record_id(what="police person (nominal)"),
            *names(),
            date_of_birth("; null where only an age was taken at the scene"),
            Column("age", I32, "age in years when first met in the period"),
            Column("sex", S, "Male or Female"),
            *address(),
            Column(
                "pnc_id",
                S,
                "Police National Computer id (YYYY/NNNNNNNL, valid check letter) for people arrested; null otherwise",
            ),
        ),
        agency="police",
        code=3,
        id_column="record_id",
        person=PersonColumns(female="Female", male="Male"),
        shareable=True,
    ),
    Table(
        "agencies/police/incidents",
        "Every incident in the period: domestic abuse, missing persons and the background of other crime.",
        (
            record_id("incident_id", "incident"),
            Column("occurred_at", TS, "when the incident happened (to the second)"),
            Column(
                "incident_type",
                S,
                "domestic_abuse, missing_person, assault, sexual_offence, drugs, antisocial_behaviour",
            ),
            Column("crime", B, "a recorded crime (true) or a non-crime incident (false: 42% of domestic abuse)"),
            Column("dash_risk", S, "DASH risk level for domestic abuse: standard, medium or high; null otherwise"),
            Column("location_postcode", S, "where it happened"),
        ),
        agency="police",
        code=4,
        id_column="incident_id",
        event_date="occurred_at",
        shareable=True,
    ),
    Table(
        "agencies/police/incident_persons",
        "Who was in each incident and in what role: a role is known by its incident's id.",
        (
            Column("incident_id", S, "the incident (agencies/police/incidents)"),
            Column("police_person_id", S, "the person's nominal (agencies/police/persons record_id)"),
            Column("role", S, "victim, suspect, witness, child_present or missing_person"),
        ),
        agency="police",
        id_column="incident_id",
        ends_at_death=True,
        shareable=True,
    ),
)

HEALTH = (
    Table(
        "agencies/health/gp_registrations",
        "One row per GP registration: about 98.5% of residents are registered, and people who moved away without "
        "de-registering are still listed at their old address (list inflation of about 4%, as England's lists).",
        (
            record_id(what="registration"),
            NHS,
            Column("local_patient_id", S, "the practice system's own patient id"),
            *names(),
            date_of_birth(),
            HEALTH_SEX,
            *address(town=True),
            Column("practice_ods_code", S, "the practice (agencies/health/practices)"),
            Column("registration_date", D, "when the patient registered with the practice"),
        ),
        agency="health",
        code=1,
        id_column="record_id",
        event_date="registration_date",
        person=PersonColumns(identifier="nhs_number", female="2", male="1", local_id="local_patient_id"),
        shareable=True,
    ),
    Table(
        "agencies/health/practices",
        "The area's GP practices.",
        (
            Column("practice_ods_code", S, "ODS code: a letter and five digits"),
            Column("practice_name", S, "the practice's name"),
            Column("postcode", S, "where the practice is"),
        ),
        agency="health",
    ),
    Table(
        "agencies/health/ae_attendances",
        "Emergency department attendances (ECDS-like), at England's rates by age, more often for children at risk.",
        (
            *patient(local_id=True),
            Column("arrived_at", TS, "arrival time"),
            Column("arrival_mode", S, "ambulance, walk-in, police or other"),
            Column(
                "chief_complaint_group",
                S,
                "injury, breathing, fever, abdominal pain, mental health, overdose/poisoning, other",
            ),
            Column("injury", B, "the attendance was for an injury"),
            Column("safeguarding_concern", B, "a safeguarding concern was noted"),
            Column("discharge_destination", S, "home, admitted, left before treatment or referred"),
        ),
        agency="health",
        code=5,
        id_column="record_id",
        event_date="arrived_at",
        ends_at_death=True,
        shareable=True,
    ),
    Table(
        "agencies/health/health_visits",
        "The health visitor's mandated reviews of young children (Healthy Child Programme).",
        (
            *patient(),
            Column("visit_type", S, "new_birth, 6_8_week, 1_year or 2_2_half_year"),
            Column("due_date", D, "the last day of the review's window"),
            Column("visit_date", D, "when the review took place; null when it did not"),
            Column("within_14_days", B, "a new-birth visit within 14 days of birth (null for other reviews)"),
        ),
        agency="health",
        code=6,
        id_column="record_id",
        event_date="due_date",
        ends_at_death=True,
        shareable=True,
    ),
    Table(
        "agencies/health/maternity_bookings",
        "Antenatal booking appointments of the period's pregnancies.",
        (
            *patient(),
            Column("booking_date", D, "the booking appointment"),
            Column("expected_delivery_date", D, "the expected date of delivery"),
            Column("safeguarding_concern", B, "a safeguarding concern was noted at booking"),
        ),
        agency="health",
        code=7,
        id_column="record_id",
        event_date="booking_date",
        ends_at_death=True,
        shareable=True,
    ),
    Table(
        "agencies/health/camhs_referrals",
        "Referrals to children and young people's mental health services.",
        (
            *patient(),
            Column("referral_date", D, "when the referral was received"),
            Column(
                "referral_source", S, "GP, education, self/family, A&E/acute, social care, police/youth justice, other"
            ),
            Column(
                "reason",
                S,
                "anxiety, low mood, self-harm, behaviour, neurodevelopmental, eating disorder, trauma, other",
            ),
        ),
        agency="health",
        code=8,
        id_column="record_id",
        event_date="referral_date",
        ends_at_death=True,
        shareable=True,
    ),
)

SCHOOL = (
    Table(
        "agencies/school/pupils",
        "The state-funded school register, reception to Year 11; children at independent schools (about 6%) and "
        "educated at home (about 1.2%) are not on it.",
        (
            record_id(what="pupil record"),
            Column(
                "upn",
                S,
                "unique pupil number: 13 characters with its check letter, issued by the first "
                "school (its LA number, establishment and entry year; about 4% from another LA)",
            ),
            *names(),
            Column("preferred_given_name", S, "the name the pupil is known by, where it differs; else null"),
            Column("preferred_family_name", S, "the family name the pupil is known by (a step-parent's); else null"),
            date_of_birth(),
            Column("sex", S, "M or F"),
            Column("ethnicity", S, "DfE ethnicity code, e.g. WBRI"),
            Column("school_urn", S, "the school (agencies/school/schools)"),
            Column("year_group", S, "R, 1 .. 11"),
            Column("entry_date", D, "when the pupil joined the school"),
            Column("fsm_eligible", B, "eligible for free school meals"),
            Column("sen_provision", S, "special educational needs: E EHC plan, K SEN support, N none"),
            *address(),
        ),
        agency="school",
        code=2,
        id_column="record_id",
        person=PersonColumns(identifier="upn"),
        shareable=True,
    ),
    Table(
        "agencies/school/schools",
        "The area's state-funded schools.",
        (
            Column("school_urn", S, "unique reference number (6 digits)"),
            Column("laestab", I32, "LA number and establishment number (7 digits)"),
            Column("school_name", S, "the school's name"),
            Column("phase", S, "primary or secondary"),
            Column("postcode", S, "where the school is"),
        ),
        agency="school",
    ),
    Table(
        "agencies/school/attendance",
        "Sessions possible, attended and missed per pupil and half-term, by the DfE's attendance codes.",
        (
            record_id(),
            UPN,
            Column("school_urn", S, "the school"),
            Column("academic_year", S, "e.g. 2024/25"),
            Column("half_term", I8, "1 to 6"),
            Column("possible_sessions", I16, "sessions the pupil could attend (two a day)"),
            Column("present", I16, "sessions attended (including late before registers close, L)"),
            Column("late_L", I16, "late before registers closed (code L, counted present)"),
            Column("approved_activity", I16, "approved educational activity off site"),
            Column("authorised_absence", I16, "authorised absences, all codes"),
            Column("illness_I", I16, "authorised: illness (I)"),
            Column("medical_M", I16, "authorised: medical appointment (M)"),
            Column("religious_R", I16, "authorised: religious observance (R)"),
            Column("excluded_E", I16, "authorised: excluded with no alternative provision (E)"),
            Column("authorised_other", I16, "authorised: other reasons"),
            Column("unauthorised_absence", I16, "unauthorised absences, all codes"),
            Column("unauthorised_other_O", I16, "unauthorised: other (O)"),
            Column("unauthorised_holiday_G", I16, "unauthorised: holiday (G)"),
            Column("no_reason_N", I16, "unauthorised: no reason yet (N)"),
            Column("late_after_close_U", I16, "unauthorised: late after registers closed (U)"),
        ),
        agency="school",
        code=9,
        id_column="record_id",
        shareable=True,
    ),
    Table(
        "agencies/school/exclusions",
        "Suspensions and permanent exclusions.",
        (
            record_id(),
            UPN,
            Column("school_urn", S, "the school"),
            Column("category", S, "suspension or permanent"),
            Column("start_date", D, "the first day"),
            Column("sessions", I16, "sessions suspended; null for a permanent exclusion"),
            Column("reason", S, "the DfE reason, e.g. persistent disruptive behaviour"),
        ),
        agency="school",
        code=10,
        id_column="record_id",
        event_date="start_date",
        ends_at_death=True,
        shareable=True,
    ),
    Table(
        "agencies/school/moves",
        "Pupils moving between the area's schools during the period.",
        (
            record_id(),
            UPN,
            Column("from_urn", S, "the school left"),
            Column("to_urn", S, "the school joined"),
            Column("move_date", D, "the day of the move"),
        ),
        agency="school",
        code=11,
        id_column="record_id",
        event_date="move_date",
        ends_at_death=True,
        shareable=True,
    ),
    Table(
        "agencies/school/missing_education",
        "Children missing education reported to the local authority.",
        (
            record_id(),
            UPN,
            *names(middle=False),
            date_of_birth(),
            Column("reported_date", D, "when the child was reported missing education"),
            Column(
                "reason",
                S,
                "e.g. awaiting a school place, removed from roll after continuous absence, "
                "whereabouts unknown, believed to have left the country, unsuitable elective home education",
            ),
        ),
        agency="school",
        code=12,
        id_column="record_id",
        event_date="reported_date",
        ends_at_death=True,
        shareable=True,
    ),
)


TABLES = (*POLICE, *HEALTH, *SCHOOL, *SOCIAL_CARE)
