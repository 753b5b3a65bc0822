"""The exact-key reference linker on hand-built views whose right answer is known, and the output contract both
linkers share: two columns, every record once in record_id order, the same bytes for the same records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from synthgen.arguments import ArgumentError
from synthgen.evaluation.metrics import cluster_metrics
from synthgen.linkage import METHODS, exact, link

FIELDS = [
    ("record_id", pa.string()),
    ("source", pa.string()),
    ("given_name", pa.string()),
    ("middle_names", pa.string()),
    ("family_name", pa.string()),
    ("date_of_birth", pa.date32()),
    ("sex", pa.string()),
    ("postcode", pa.string()),
    ("address_line", pa.string()),
    ("nhs_number", pa.string()),
    ("upn", pa.string()),
]


def view(*rows: dict[str, Any]) -> pa.Table:
    """A linkage view from partial rows (missing fields are null)."""
    return pa.table({name: pa.array([r.get(name) for r in rows], kind) for name, kind in FIELDS})


def person(record_id: str, given: str, family: str, born: dt.date, **more: Any) -> dict[str, Any]:
    return {"record_id": record_id, "given_name": given, "family_name": family, "date_of_birth": born, **more}


def same_cluster(result: pa.Table, a: str, b: str) -> bool:
    clusters = dict(zip(result["record_id"].to_pylist(), result["cluster_id"].to_pylist(), strict=True))
    return bool(clusters[a] == clusters[b])


BORN = dt.date(2012, 3, 7)


def test_output_has_two_columns_and_every_record_once_in_record_id_order() -> None:
    records = view(
        person("C", "Amy", "Shaw", BORN),
        person("A", "Amy", "Shaw", BORN),
        person("B", "Tom", "Reed", dt.date(1980, 1, 2)),
    )
    result = exact.link(records)
    assert result.schema == pa.schema([("record_id", pa.string()), ("cluster_id", pa.int64())])
    assert result["record_id"].to_pylist() == ["A", "B", "C"]
    # Cluster ids are the smallest row index of the cluster in record_id order.
    assert result["cluster_id"].to_pylist() == [0, 1, 0]


def test_shared_nhs_number_links_whatever_the_names() -> None:
    records = view(
        person("A", "Amy", "Shaw", BORN, nhs_number="9990000018"),
        person("B", "Amelia", "Jones", dt.date(2012, 7, 3), nhs_number="999 000 0018"),
        person("C", "Amy", "Shaw", dt.date(2011, 3, 7), nhs_number="9990000026"),
    )
    result = exact.link(records)
    assert same_cluster(result, "A", "B")
    assert not same_cluster(result, "A", "C")


def test_missing_identifiers_do_not_link() -> None:
    records = view(person("A", "Amy", "Shaw", BORN), person("B", "Tom", "Reed", dt.date(1980, 1, 2), nhs_number=""))
    assert exact.link(records)["cluster_id"].to_pylist() == [0, 1]


def test_name_and_birth_date_link_after_normalising_case_and_punctuation() -> None:
    records = view(
        person("A", "Sean", "O'Brien", BORN, source="health"),
        person("B", "SEAN", "obrien ", BORN, source="school"),
        person("C", "Sean", "O'Brien", dt.date(2012, 3, 8)),
    )
    result = exact.link(records)
    assert same_cluster(result, "A", "B")
    assert not same_cluster(result, "A", "C")


def test_day_month_swap_is_not_linked() -> None:
    records = view(person("A", "Amy", "Shaw", BORN), person("B", "Amy", "Shaw", dt.date(2012, 7, 3)))
    assert not same_cluster(exact.link(records), "A", "B")


def test_upn_links_only_when_asked() -> None:
    records = view(
        person("A", "Amy", "Shaw", BORN, upn="A372201212001"),
        person("B", "Aimee", "Shaw", BORN, upn="A372201212001"),
    )
    assert same_cluster(exact.link(records), "A", "B")
    assert not same_cluster(exact.link(records, use_upn=False), "A", "B")


def test_links_are_transitive() -> None:
    records = view(
        person("A", "Amy", "Shaw", BORN, nhs_number="9990000018"),
        person("B", "Amelia", "Shaw", BORN, nhs_number="9990000018"),
        person("C", "Amelia", "Shaw", BORN),
    )
    assert exact.link(records)["cluster_id"].to_pylist() == [0, 0, 0]


def test_empty_and_single_record_views() -> None:
    assert exact.link(view()).num_rows == 0
    assert exact.link(view(person("A", "Amy", "Shaw", None)))["cluster_id"].to_pylist() == [0]


def test_a_view_without_optional_columns_still_links() -> None:
    records = view(person("A", "Amy", "Shaw", BORN), person("B", "Amy", "Shaw", BORN)).select(
        ["record_id", "given_name", "family_name", "date_of_birth"]
    )
    assert exact.link(records)["cluster_id"].to_pylist() == [0, 0]


def test_duplicate_or_missing_record_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        exact.link(view(person("A", "Amy", "Shaw", BORN), person("A", "Tom", "Reed", BORN)))
    with pytest.raises(ValueError, match="null"):
        exact.link(view(person(None, "Amy", "Shaw", BORN)))  # type: ignore[arg-type]


def test_dispatch_and_unknown_method() -> None:
    records = view(person("A", "Amy", "Shaw", BORN), person("B", "Amy", "Shaw", BORN))
    assert link(records, "exact").equals(exact.link(records))
    assert tuple(METHODS) == ("exact", "fellegi-sunter") and METHODS["exact"] is exact.link
    with pytest.raises(ArgumentError, match=r"^method: 'splink' is not a linkage method \(exact, fellegi-sunter\)$"):
        link(records, "splink")


def test_same_records_in_any_order_give_the_same_bytes() -> None:
    rng = np.random.default_rng(5)
    names = ["Amy", "Tom", "Ava", "Ali"]
    rows = [
        person(
            f"R{i:03d}",
            names[i % 4],
            ["Shaw", "Reed"][i % 2],
            dt.date(2010, 1 + i % 3, 1),
            nhs_number=f"99900000{i % 7:02d}" if i % 3 else None,
        )
        for i in range(40)
    ]
    records = view(*rows)
    first = exact.link(records)
    assert first.equals(exact.link(records))
    shuffled = exact.link(records.take(pa.array(rng.permutation(records.num_rows))))
    assert shuffled.equals(first)
    # Same clustering up to relabelling, the brief's way of saying it.
    scores = cluster_metrics(first["cluster_id"].to_numpy(), shuffled["cluster_id"].to_numpy())
    assert scores.pairwise_f1 == scores.bcubed_f1 == 1.0
