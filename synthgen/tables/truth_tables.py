"""The linkage view and the truth: what a linkage system is given, and what every evaluation scores against.

Truth is written apart from the agency files. It is complete (everyone, including former residents who are only
on GP lists), carries no data-quality errors, and is the only place where a record meets its person.
"""

from __future__ import annotations

import pyarrow as pa

from synthgen.tables import Column, Table

S, D, B, F = pa.string(), pa.date32(), pa.bool_(), pa.float64()
I16, I32, I64 = pa.int16(), pa.int32(), pa.int64()

PERSON_ID = Column("person_id", I64, "the person (truth/people)")
ERROR = pa.struct([("kind", S), ("field", S)])


def _record_keys(what: str) -> tuple[Column, ...]:
    return (
        Column("agency", S, "police, health, school or social_care"),
        Column("table", S, "the agency table (agencies/<agency>/<table>)"),
        Column("record_id", S, f"the {what}'s id in that table (police roles: the incident_id)"),
    )


LINKAGE = Table(
    "linkage/records",
    "Every person-level record of every agency, after data-quality errors, in one schema (Splink-ready: "
    "record_id as the unique id, source as the source dataset). Rows are in record-id order.",
    (
        Column("record_id", S, "the view's own random id (not the agency's)"),
        Column("source", S, "police, health, school or social_care"),
        Column("source_record_id", S, "the agency file's record_id"),
        Column("given_name", S, "first name"),
        Column("middle_names", S, "middle names, space separated"),
        Column("family_name", S, "family name"),
        Column("date_of_birth", D, "date of birth; null where the agency holds none"),
        Column("sex", S, "M or F, whatever the agency's coding"),
        Column("postcode", S, "postcode"),
        Column("address_line", S, "house number and street"),
        Column("nhs_number", S, "NHS number (health, social care)"),
        Column("upn", S, "unique pupil number (school, social care)"),
        Column("local_patient_id", S, "the GP practice system's id (health)"),
        Column("pnc_id", S, "Police National Computer id (police)"),
        Column("la_child_id", S, "the LA's child id (social care)"),
    ),
)

TRUTH = (
    Table(
        "truth/people",
        "Everyone: residents, former residents still on GP lists, and babies born in the period.",
        (
            PERSON_ID,
            Column("household_id", I64, "the household (truth/households)"),
            Column("household_role", S, "single, partner, parent, child, grandparent or sharer"),
            Column("sex", S, "M or F"),
            Column("date_of_birth", D, "date of birth"),
            Column("age_at_start", I16, "age on the period's first day; -1 for babies born in the period"),
            Column("ethnicity", S, "DfE ethnicity code, e.g. WBRI"),
            Column("ethnic_group", S, "White, Mixed, Asian, Black or Other"),
            Column("given_name", S, "first name"),
            Column("middle_names", S, "middle names, space separated; null when none"),
            Column("family_name", S, "legal family name"),
            Column("birth_family_name", S, "family name at birth"),
            Column("preferred_family_name", S, "the family name used day to day where it differs (a step-parent's)"),
            Column("twin", B, "one of twins"),
            Column("same_name_relative", B, "shares a full name with a parent or child"),
            Column("resident", B, "lives in the area (false: a former resident still on a GP list)"),
            Column("born_in_period", B, "born during the period"),
            Column("died_on", D, "date of death during the period; else null"),
            Column("nhs_number", S, "NHS number"),
            Column("nino", S, "National Insurance number (16 and over)"),
            Column("upn", S, "unique pupil number, for pupils on the register"),
        ),
    ),
    Table(
        "truth/households",
        "Every household, with where it lives and how it moved.",
        (
            Column("household_id", I64, "the household"),
            Column(
                "household_type",
                S,
                "census type, e.g. couple_dependent_children, lone_parent_dependent_children, one_person_under_66",
            ),
            Column("size", I16, "members"),
            Column("address_id", I64, "where it lives at the period's end (truth/addresses)"),
            Column("in_area", B, "lives in the area (false: former residents)"),
            Column("moved_out_on", D, "when it left the area; null if it did not"),
            Column("moved_on", D, "a move within the area during the period; else null"),
            Column("previous_address_id", I64, "the address before a move, which agencies not told still hold"),
            Column("deprivation", F, "0 least to 1 most deprived; drives free school meals and adversity"),
        ),
    ),
    Table(
        "truth/addresses",
        "Every address: each household's at the start, and those moved into during the period. Streets and house "
        "numbers are fictional; postcodes are real.",
        (
            Column("address_id", I64, "the address"),
            Column("house_number", I32, "house number"),
            Column("street", S, "street name"),
            Column("address_line", S, "house number and street"),
            Column("town", S, "post town"),
            Column("postcode", S, "a real unit postcode in the scenario's outward codes (ONS Postcode Directory)"),
            Column("outward_code", S, "the postcode district, e.g. S60"),
            Column("la_number", I16, "the DfE LA number"),
            Column("easting", F, "OS grid easting of the postcode (metres)"),
            Column("northing", F, "OS grid northing of the postcode (metres)"),
        ),
    ),
    Table(
        "truth/moves",
        "Moves within the area during the period. Agencies that were not told still hold the old address.",
        (
            Column("household_id", I64, "the household"),
            Column("moved_on", D, "the day of the move"),
            Column("from_address_id", I64, "the address left"),
            Column("to_address_id", I64, "the address moved to"),
        ),
    ),
    Table(
        "truth/relationships",
        "Directed rows read as 'relative is the person's relationship'; sibling and partner rows come both ways.",
        (
            PERSON_ID,
            Column("relative_id", I64, "the relative (truth/people)"),
            Column("relationship", S, "mother, father, step_parent, sibling, half_sibling, partner or grandparent"),
        ),
    ),
    Table(
        "truth/records",
        "One row per linkage-view record: whose it is and what the data-quality model changed in it.",
        (
            Column("record_id", S, "the linkage view's record_id"),
            Column("source", S, "the agency"),
            Column("table", S, "the agency table"),
            Column("source_record_id", S, "the agency file's record_id"),
            PERSON_ID,
            Column("duplicate_of", S, "for a second registration of the same person, the first one's record_id"),
            Column("errors", pa.list_(ERROR), "the changes made to the record, in order, each {kind, field}"),
            Column("known_on", D, "the day the agency first held the record; null when held from before the period"),
        ),
    ),
    Table(
        "truth/events",
        "Whose every event record is: an attendance, a visit, a role in an incident, a referral, a plan...",
        (
            Column("source", S, "the agency"),
            Column("table", S, "the agency table"),
            Column("record_id", S, "the record's id (police roles: the incident_id; social care: its own id)"),
            PERSON_ID,
            Column("known_on", D, "the day the agency first held the record; null when held from before the period"),
        ),
    ),
    Table(
        "truth/hard_negatives",
        "Pairs of different people a linker can easily take for one.",
        (
            Column("person_id_l", I64, "one person"),
            Column("person_id_r", I64, "the other (the larger id)"),
            Column(
                "kind",
                S,
                "twins, siblings, same_name_relatives, or same_name_same_area (strangers with the "
                "same full name in one postcode district, for names shared by at most 20 people there)",
            ),
        ),
    ),
    Table(
        "truth/quality",
        "Per shard, agency table, field and error kind: the rate configured, the records eligible, the changes "
        "expected and the records changed.",
        (
            Column("source", S, "the agency"),
            Column("table", S, "the agency table"),
            Column("field", S, "the field"),
            Column("kind", S, "the error kind, e.g. typo, nickname, day_month_swap, duplicate"),
            Column("rate", F, "the configured chance that an eligible record gets the error"),
            Column("eligible", I64, "records eligible for it"),
            Column(
                "expected",
                F,
                "changes the rates lead one to expect among the eligible: the sum of each record's chance, the rate "
                "times its group-dependent multipliers (reference/data/quality_groups.csv)",
            ),
            Column("changed", I64, "records changed"),
        ),
    ),
    Table(
        "truth/risk",
        "What really put people at risk.",
        (
            PERSON_ID,
            Column(
                "kind",
                S,
                "a household factor (domestic_abuse, parental_mental_health, parental_substance_misuse) "
                "or a child's need (neglect, emotional_abuse, physical_abuse, sexual_abuse, "
                "child_sexual_exploitation, child_criminal_exploitation, going_missing, self_harm)",
            ),
            Column("onset", D, "when a child's need began"),
            Column("severity", F, "the child's risk as a percentile among the run's children"),
        ),
    ),
    Table(
        "truth/signals",
        "Every agency record that is a safeguarding signal about a child (under 18 on the day, or unborn), dated "
        "in the period, one row per record and child.",
        (
            PERSON_ID,
            *_record_keys("record"),
            Column("kind", S, "the signal, e.g. domestic_abuse_incident, ae_self_harm, persistent_absence, referral"),
            Column("date_known", D, "when the agency knew"),
            Column("storyline_id", S, "the planted storyline behind it; null for background"),
        ),
    ),
    Table(
        "truth/storylines",
        "The planted storylines, one row per person in each; empty, with this schema, when none are planted.",
        (
            Column("storyline_id", S, "e.g. cse-1, neglect-2 (numbered per template across the run)"),
            Column("template", S, "the template (cse, neglect, domestic_abuse, cce, noise)"),
            Column(
                "concern",
                S,
                "child_sexual_exploitation, neglect, domestic_abuse, child_criminal_exploitation, or none for noise",
            ),
            PERSON_ID,
            Column("role", S, "subject, sibling, unborn, parent, perpetrator or associate"),
            Column("at_risk", B, "the child at risk (subject, unborn, siblings where the template says)"),
            Column("onset", D, "when the storyline began"),
        ),
    ),
    Table(
        "truth/storyline_events",
        "Every record a storyline made, with the day the agency knew it.",
        (
            Column("storyline_id", S, "the storyline"),
            Column("person_id", I64, "whom the record is about"),
            *_record_keys("record"),
            Column("kind", S, "the template's kind, e.g. missing_episode, older_associate, missed_health_visit"),
            Column("date", D, "the day the agency knew it"),
        ),
    ),
    Table(
        "truth/pairs",
        "Every pair of linkage records of one person, in Splink's labels format (with --pairs).",
        (
            Column("source_dataset_l", S, "one record's source"),
            Column("unique_id_l", S, "its linkage record_id"),
            Column("source_dataset_r", S, "the other's source"),
            Column("unique_id_r", S, "its linkage record_id"),
            Column("clerical_match_score", F, "1.0: a true match"),
        ),
        optional=True,
    ),
)

TABLES = (LINKAGE, *TRUTH)
