"""Columns that several agencies' tables share (ids, names, dates of birth, addresses), declared once."""

from __future__ import annotations

import pyarrow as pa

from synthgen.tables import Column

S, D, B = pa.string(), pa.date32(), pa.bool_()
TS = pa.timestamp("s")
I8, I16, I32, I64 = pa.int8(), pa.int16(), pa.int32(), pa.int64()


def record_id(name: str = "record_id", what: str = "record") -> Column:
    return Column(name, S, f"the {what}'s id: 12 characters, random, unique across the run")


def names(middle: bool = True) -> tuple[Column, ...]:
    columns = [Column("given_name", S, "first name, as the agency recorded it")]
    if middle:
        columns.append(Column("middle_names", S, "middle names, space separated; null when none were recorded"))
    columns.append(Column("family_name", S, "family name, as the agency recorded it"))
    return tuple(columns)


def date_of_birth(nullable: str = "") -> Column:
    return Column("date_of_birth", D, "date of birth, as recorded" + nullable)


def address(town: bool = False) -> tuple[Column, ...]:
    columns = [Column("address_line", S, "house number and street (fictional), as recorded")]
    if town:
        columns.append(Column("town", S, "post town"))
    columns.append(Column("postcode", S, "a real unit postcode of the area ('S60 1AA'), as recorded"))
    return tuple(columns)


NHS = Column(
    "nhs_number",
    S,
    "NHS number: 10 digits, valid mod 11, from the test range 999 000 0000 upwards unless "
    "the scenario asks otherwise; null where the record lacks it",
)
HEALTH_SEX = Column("sex", S, "NHS person stated gender code: 1 male, 2 female")
UPN = Column("upn", S, "unique pupil number: 13 characters with its check letter")


def patient(local_id: bool = False) -> tuple[Column, ...]:
    """The patient columns each health event record starts with."""
    local = (Column("local_patient_id", S, "the hospital's own patient number"),) if local_id else ()
    return (
        record_id(),
        NHS,
        *local,
        *names(middle=False),
        date_of_birth(),
        HEALTH_SEX,
        Column("postcode", S, "the patient's postcode, as recorded"),
    )


def la_child(what: str) -> tuple[Column, ...]:
    return (
        record_id(f"{what}_id", what.replace("_", " ")),
        Column("la_child_id", S, "the child's id in the LA's system"),
    )
