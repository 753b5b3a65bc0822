"""The front door's tables: what the local authority records of each contact and of early help, and the flows
around them that the police, health and schools hold (Operation Encompass, MARAC, CP-IS)."""

from __future__ import annotations

import pyarrow as pa

from synthgen.tables import Column, PersonColumns, Table
from synthgen.tables.common import I16, TS, B, D, S, address, names

CONTACT = Column("contact_id", S, "the contact (agencies/social_care/contacts)")

SOCIAL_CARE = (
    Table(
        "agencies/social_care/contacts",
        "Every concern raised with the front door about a child, and how the hub handled it. Most contacts do not "
        "become referrals; every referral comes from one.",
        (
            Column("contact_id", S, "the contact's id: 12 characters, random, unique across the run"),
            Column("la_child_id", S, "the child's id in the LA's system, where the LA holds a record of the child"),
            Column("received_at", TS, "when the contact came in"),
            Column(
                "source",
                S,
                "who raised it: police_notification, school, gp, health_visitor, ae, family, "
                "neighbour, anonymous, ... (one of 22)",
            ),
            Column("cin_source", S, "the CIN census referral source code it counts under (6 police, 2A schools, ...)"),
            Column("channel", S, "police_notification, portal, email, phone or in_person"),
            Column("concern", S, "what the contact is about: domestic_abuse, neglect, going_missing, behaviour, ..."),
            Column("mash_enquiry", B, "the contact went to a MASH enquiry with checks of the partners' records"),
            Column("rag", S, "the hub's risk rating of a MASH enquiry: red, amber or green; null otherwise"),
            Column("decision", S, "nfa, information_advice, early_help, referral or strategy_discussion"),
            Column("decided_at", TS, "when the hub decided (Working Together 2023: within one working day)"),
        ),
        agency="social_care",
        code=29,
        id_column="contact_id",
        event_date="received_at",
        ends_at_death=True,
        shareable=True,
        filled_later=(("decided_at", ("decided_at", "decision", "rag")),),
    ),
    Table(
        "agencies/social_care/contact_subjects",
        "The people each contact names, as it names them: the child (or an unborn child) and usually the parents. "
        "A professional's contact carries the details the professional's agency holds, a member of the public's "
        "often lacks a family name, a date of birth (an age instead), a house number or a postcode.",
        (
            Column("record_id", S, "the subject's id: 12 characters, random, unique across the run"),
            CONTACT,
            Column("role", S, "child, unborn, mother or father"),
            *names(),
            Column("date_of_birth", D, "date of birth as given; null where only an age was given, or none"),
            Column("age", I16, "the age given in place of a date of birth; null where a date of birth was given"),
            Column("sex", S, "M or F; null where the contact did not say"),
            *address(),
        ),
        agency="social_care",
        code=30,
        id_column="record_id",
        person=PersonColumns(),
        quality_rates="front_door",
        shareable=True,
    ),
    Table(
        "agencies/social_care/partner_checks",
        "The checks of partners' records made for each MASH enquiry, and what each partner said.",
        (
            Column("check_id", S, "the check's id: 12 characters, random, unique across the run"),
            CONTACT,
            Column("agency", S, "the partner asked: police, health or school"),
            Column("requested_at", TS, "when the hub asked"),
            Column("answered_at", TS, "when the partner answered; null when it never did"),
            Column("information_held", B, "the partner said it holds information on the child or household"),
        ),
        agency="social_care",
        code=31,
        id_column="check_id",
        event_date="requested_at",
        shareable=True,
        filled_later=(("answered_at", ("answered_at", "information_held")),),
    ),
    Table(
        "agencies/social_care/early_help",
        "Early help episodes: support coordinated below the threshold of social care, from the front door or "
        "stepped down from social care, each ending with its needs met, declined, disengaged, moved, or stepped "
        "up by a referral.",
        (
            Column("record_id", S, "the episode's id: 12 characters, random, unique across the run"),
            Column("la_child_id", S, "the child's id in the LA's system, where the LA holds a child record"),
            Column("contact_id", S, "the contact that passed the child to early help; null for a step-down"),
            *names(),
            Column("date_of_birth", D, "date of birth, as recorded"),
            Column("sex", S, "M or F"),
            *address(),
            Column("route", S, "contact, step_down (from social care) or open_at_start"),
            Column("start_date", D, "when the episode began"),
            Column("assessment_date", D, "when the early help assessment was completed; null while not done"),
            Column("lead_agency", S, "the lead professional's agency: school, la_family_support, health, voluntary"),
            Column("end_date", D, "when it ended; null while open"),
            Column("closure_reason", S, "needs_met, declined, disengaged, moved, other or stepped_up; null while open"),
        ),
        agency="social_care",
        code=32,
        id_column="record_id",
        event_date="start_date",
        person=PersonColumns(),
        shareable=True,
        filled_later=(("assessment_date", ("assessment_date",)), ("end_date", ("end_date", "closure_reason"))),
    ),
    Table(
        "agencies/social_care/cpis_uploads",
        "What the LA uploads to the NHS Child Protection Information Sharing service: each plan or period of care "
        "open, or ended in the last twelve months, under the NHS number its record holds. A record without a "
        "valid NHS number is not shared.",
        (
            Column("upload_id", S, "the upload's id: 12 characters, random, unique across the run"),
            Column("la_child_id", S, "the child's id in the LA's system"),
            Column("nhs_number", S, "the NHS number the LA's record holds (the mother's for an unborn child's plan)"),
            Column("date_of_birth", D, "the child's date of birth as the LA holds it (the mother's for UCPP)"),
            Column("plan_type", S, "CPP child protection plan, UCPP unborn child protection plan, CLA looked after"),
            Column("start_date", D, "when the plan or period of care began"),
            Column("end_date", D, "when it ended; null while open"),
            Column("uploaded", B, "shared with the NHS (a valid NHS number)"),
            Column("reason_not_uploaded", S, "why not: no valid NHS number; null when uploaded"),
        ),
        agency="social_care",
        code=33,
        id_column="upload_id",
        event_date="start_date",
        shareable=True,
        filled_later=(("end_date", ("end_date",)),),
    ),
)

HEALTH = (
    Table(
        "agencies/health/cpis_flags",
        "What health sees in CP-IS: a child protection or looked-after flag against an NHS number.",
        (
            Column("flag_id", S, "the flag's id: 12 characters, random, unique across the run"),
            Column("nhs_number", S, "the NHS number the flag is held against"),
            Column("plan_type", S, "CPP, UCPP or CLA"),
            Column("start_date", D, "when the plan or period of care began"),
            Column("end_date", D, "when it ended; null while open"),
            Column("responsible_la", S, "the local authority to call"),
        ),
        agency="health",
        code=34,
        id_column="flag_id",
        event_date="start_date",
        shareable=True,
        filled_later=(("end_date", ("end_date",)),),
    ),
)

POLICE = (
    Table(
        "agencies/police/encompass_notifications",
        "Operation Encompass: the force's notification to a child's school of a domestic-abuse incident with the "
        "child present, due before the start of the next school day (statutory since 2024).",
        (
            Column("notification_id", S, "the notification's id: 12 characters, random, unique across the run"),
            Column("incident_id", S, "the incident (agencies/police/incidents)"),
            Column("police_person_id", S, "the child's nominal (agencies/police/persons)"),
            Column("school_urn", S, "the child's school; null when the force found none"),
            Column("due_by", TS, "the start of the next school day after the incident"),
            Column("sent_at", TS, "when it was sent; null when it was not"),
            Column("status", S, "on_time, late or not_sent"),
            Column("reason_not_sent", S, "child_not_identified or school_unknown; null when sent"),
        ),
        agency="police",
        code=35,
        id_column="notification_id",
        event_date="due_by",
        shareable=True,
        filled_later=(("sent_at", ("sent_at",)),),
    ),
    Table(
        "agencies/police/marac_cases",
        "Cases heard at the multi-agency risk assessment conference: victims of domestic abuse at high risk.",
        (
            Column("case_id", S, "the case's id: 12 characters, random, unique across the run"),
            Column("police_person_id", S, "the victim's nominal (agencies/police/persons)"),
            Column("incident_id", S, "the incident that led to the referral"),
            Column("referral_date", D, "when the case was referred"),
            Column("referring_agency", S, "police, idva, health, social_care, housing or probation"),
            Column("meeting_date", D, "the conference that heard it"),
            Column("repeat", B, "a repeat case: another referral within twelve months"),
            Column("children_in_household", I16, "children living in the victim's household"),
        ),
        agency="police",
        code=36,
        id_column="case_id",
        event_date="referral_date",
        shareable=True,
        filled_later=(("meeting_date", ("meeting_date",)),),
    ),
    Table(
        "agencies/police/marac_children",
        "The children in each MARAC case's household, as the case lists them.",
        (
            Column("record_id", S, "the row's id: 12 characters, random, unique across the run"),
            Column("case_id", S, "the case (agencies/police/marac_cases)"),
            Column("given_name", S, "first name"),
            Column("family_name", S, "family name"),
            Column("date_of_birth", D, "date of birth"),
        ),
        agency="police",
        code=37,
        id_column="record_id",
        shareable=True,
    ),
)

TRUTH = (
    Table(
        "truth/contacts",
        "Each contact's true child, the band the truth supports on its day and the decision that band supports.",
        (
            CONTACT,
            Column("person_id", pa.int64(), "the child (truth/people)"),
            Column("household_id", pa.int64(), "the child's household"),
            Column("received_on", D, "the day the contact came in"),
            Column(
                "band",
                S,
                "red (a need begun, among the children most at risk), amber (a need, or a risk at "
                "home) or green (neither)",
            ),
            Column(
                "supported_decision",
                S,
                "what the band supports: strategy_discussion (red), referral (amber, "
                "risk at or above the middle), early_help (amber, below) or nfa (green)",
            ),
            Column(
                "severity",
                pa.float64(),
                "the child's risk as a percentile among the run's children (the band's basis, as truth/risk)",
            ),
            Column("at_risk", B, "the child has a need begun or a risk at home on the day"),
            Column("storyline_id", S, "the planted storyline whose child it is; null otherwise"),
        ),
    ),
    Table(
        "truth/contact_records",
        "Every record about a contact's child or household that an agency held on the contact's day: what a "
        "perfect partner check would find.",
        (
            CONTACT,
            Column("agency", S, "the agency holding it"),
            Column("table", S, "its table (agencies/<agency>/<table>)"),
            Column("record_id", S, "its id in that table (the registry's id column)"),
            Column("person_id", pa.int64(), "whom it is about"),
            Column("relation", S, "child (the contact's child) or household (someone living with the child)"),
            Column("known_on", D, "the day the agency first held it; null when held from before the period"),
        ),
    ),
)
