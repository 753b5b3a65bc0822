"""The reference MASH: agency files only, records held by the contact's day, a stated rule, decisions within one
working day, and only the shares the policy allows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import synthgen
from synthgen import reference_checks, reference_mash, sharing_policy, tables
from synthgen.errors import SynthgenError
from synthgen.kernel.dates import one_working_day_deadline
from synthgen.run_folder import open_run


@pytest.fixture(scope="module")
def answered(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mash") / "responses.parquet"
    reference_mash.mash(demo_run, out=out)
    return out


@pytest.fixture(scope="module")
def responses(answered: Path) -> pa.Table:
    return pq.read_table(answered)


@pytest.fixture(scope="module")
def scores(demo_run: Path, answered: Path) -> synthgen.MashScores:
    return synthgen.evaluate_mash(demo_run, answered)


def _without_truth(run: Path, copy: Path) -> Path:
    """A copy of the run with its truth/ folder deleted (the manifest still lists the truth's files)."""
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("truth"))
    return copy


def test_the_reference_mash_never_reads_the_truth(demo_run: Path, answered: Path, tmp_path: Path) -> None:
    """The same bytes from a copy of the run whose truth/ is gone, which the scorer itself refuses to open."""
    copy = _without_truth(demo_run, tmp_path / "no-truth")
    with pytest.raises(SynthgenError, match=r"incomplete run, missing truth/"):
        open_run(copy)
    reference_mash.mash(copy, out=tmp_path / "responses.parquet")
    assert (tmp_path / "responses.parquet").read_bytes() == answered.read_bytes()


def test_a_run_without_its_agency_files_is_still_refused(demo_run: Path, tmp_path: Path) -> None:
    copy = _without_truth(demo_run, tmp_path / "no-truth")
    (copy / "agencies" / "police" / "persons.parquet").unlink()
    with pytest.raises(SynthgenError, match=r"^.*: incomplete run, missing agencies/police/persons.parquet$"):
        reference_mash.mash(copy)


def test_the_same_run_gives_the_same_bytes(demo_run: Path, answered: Path, tmp_path: Path) -> None:
    reference_mash.mash(demo_run, out=tmp_path / "again.parquet")
    assert (tmp_path / "again.parquet").read_bytes() == answered.read_bytes()
    reference_mash.mash(demo_run, "exact", out=tmp_path / "a.csv")
    reference_mash.mash(demo_run, "exact", out=tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_it_answers_every_contact_and_reads_cleanly(scores: synthgen.MashScores, responses: pa.Table) -> None:
    assert scores.answered == scores.contacts > 1000
    assert responses.column_names == [
        "contact_id",
        "decided_at",
        "decision",
        "rag",
        "record_id",
        "shared_with",
        "shared_fields",
        "purpose",
    ]
    pairs = responses.filter(pc.is_valid(responses["record_id"])).group_by(["contact_id", "record_id"])
    assert pairs.aggregate([]).num_rows == responses.num_rows - responses["record_id"].null_count
    by_contact = responses.group_by("contact_id").aggregate([("record_id", "count"), ([], "count_all")])
    nothing = by_contact.filter(pc.equal(by_contact["record_id_count"], 0))
    assert nothing.num_rows > 0 and pc.all(pc.equal(nothing["count_all"], 1)).as_py()


def test_it_finds_only_what_was_held_by_the_day_and_most_of_it(scores: synthgen.MashScores) -> None:
    checks = scores.partner_checks
    assert checks.from_the_future == 0
    assert checks.recall > 0.85 and checks.precision > 0.9
    assert {a.agency for a in checks.agencies} == set(tables.AGENCIES)


def test_it_shares_only_what_the_policy_allows(scores: synthgen.MashScores, responses: pa.Table) -> None:
    shared = scores.sharing
    assert shared.shares > 1000
    assert shared.fields_outside_policy == 0 and shared.recipients_without_purpose == 0
    shares = responses.filter(pc.is_valid(responses["shared_with"]))
    assert set(shares["shared_with"].to_pylist()) == {"social_care"}
    purpose = {"referral": "safeguarding", "strategy_discussion": "safeguarding", "early_help": "early_help"}
    for row in shares.select(["decision", "purpose"]).to_pylist():
        assert purpose[row["decision"]] == row["purpose"]


def test_it_never_shares_social_cares_own_records_with_itself(demo_run: Path, responses: pa.Table) -> None:
    own = set()
    for table in tables.of_agency("social_care"):
        if (demo_run / table.file).exists():
            own |= set(pq.read_table(demo_run / table.file, columns=[table.id_column or "record_id"])[0].to_pylist())
    shared = responses.filter(pc.is_valid(responses["shared_with"]))["record_id"].to_pylist()
    assert not own & set(shared)


def test_a_policy_without_early_help_shares_nothing_for_it(demo_run: Path, tmp_path: Path) -> None:
    copy = _without_truth(demo_run, tmp_path / "run")
    manifest = json.loads((copy / "manifest.json").read_text())
    rules = [rule.model_dump() for rule in sharing_policy.default_rules() if rule.purpose != "early_help"]
    manifest["scenario"]["sharing"] = {"rules": rules}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    shared = reference_mash.mash(copy)
    purposes = set(shared.filter(pc.is_valid(shared["shared_with"]))["purpose"].to_pylist())
    assert purposes == {"safeguarding"}


def test_it_finds_no_front_door_record(demo_run: Path, responses: pa.Table) -> None:
    """Earlier contacts, their subjects, partner checks, early help and the flows beside the front door are not
    partners' records: truth/contact_records never lists them."""
    front = set()
    for path in reference_checks.FRONT_DOOR:
        entry = tables.table(path)
        if (demo_run / entry.file).exists():
            front |= set(pq.read_table(demo_run / entry.file, columns=[entry.id_column or "record_id"])[0].to_pylist())
    assert not front & set(responses["record_id"].drop_null().to_pylist())
    listed = pq.read_table(demo_run / "truth/contact_records.parquet", columns=["agency", "table"])
    checked = {(t.agency, t.name) for t in reference_checks.checked_tables()}
    assert set(zip(listed["agency"].to_pylist(), listed["table"].to_pylist(), strict=True)) <= checked


def test_each_record_is_dated_as_the_truth_dates_it(demo_run: Path) -> None:
    """From the files alone, every record's first day with its agency is the truth's known_on, but for duplicate
    police nominals no incident names (the force's files cannot date them: the check never finds those)."""
    run = open_run(demo_run)
    files = reference_checks.AgencyFiles(run)
    held = reference_checks.holdings(files, reference_checks.Linked(run, "fellegi-sunter"))
    events = pq.read_table(demo_run / "truth/events.parquet", columns=["table", "record_id", "known_on"])
    records = pq.read_table(demo_run / "truth/records.parquet", columns=["table", "source_record_id", "known_on"])
    truth = pa.concat_tables([events, records.rename_columns(["table", "record_id", "known_on"])])
    first = truth.group_by(["table", "record_id"]).aggregate([("known_on", "min")])
    key = pc.binary_join_element_wise(first["table"], first["record_id"], "|")
    mine = pc.binary_join_element_wise(pa.array(held.table.astype(str)), held.record_id, "|")
    at = pc.index_in(mine, value_set=key)
    assert at.null_count == 0
    expected = first["known_on_min"].combine_chunks().take(at).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    same = (np.isnat(expected) & np.isnat(held.held)) | (expected == held.held)
    undated = held.held == reference_checks.NEVER
    assert (same | undated).all()
    assert set(held.table[undated].tolist()) <= {"persons"}
    assert undated.sum() < 0.05 * (held.table == "persons").sum()  # duplicates are a few per cent of nominals


def test_the_rule_as_stated(demo_run: Path, responses: pa.Table) -> None:
    contacts = pq.read_table(
        demo_run / "agencies/social_care/contacts.parquet", columns=["contact_id", "concern", "source"]
    )
    decided = responses.group_by("contact_id", use_threads=False).aggregate([("decision", "first"), ("rag", "first")])
    rows = decided.join(contacts, "contact_id").to_pylist()
    allowed = {
        "red": {"strategy_discussion"},
        "amber": {"referral", "early_help"},
        "green": {"nfa", "information_advice"},
    }
    for row in rows:
        assert row["decision_first"] in allowed[row["rag_first"]]
        if row["rag_first"] == "green":
            public = row["source"] in reference_mash.PUBLIC
            assert row["decision_first"] == ("nfa" if public else "information_advice")
        if row["rag_first"] == "amber":
            assert row["concern"] not in reference_mash.NOT_SAFEGUARDING
    counts = {rag: sum(1 for row in rows if row["rag_first"] == rag) for rag in reference_mash.RAGS}
    assert all(count > 50 for count in counts.values()), counts


@pytest.mark.parametrize(
    ("received", "decided"),
    [
        ("2024-06-03T10:00:00", "2024-06-03T14:00:00"),  # Monday morning: that afternoon
        ("2024-06-03T13:00:00", "2024-06-03T17:00:00"),
        ("2024-06-03T15:30:00", "2024-06-04T11:30:00"),  # Monday afternoon: Tuesday morning
        ("2024-06-03T17:00:00", "2024-06-04T13:00:00"),  # after hours: the next working day by 13:00
        ("2024-06-03T07:15:00", "2024-06-03T13:00:00"),  # before hours: from 09:00
        ("2024-06-07T16:00:00", "2024-06-10T12:00:00"),  # Friday afternoon: Monday morning
        ("2024-06-08T11:00:00", "2024-06-10T13:00:00"),  # Saturday: Monday
        ("2024-06-09T23:59:59", "2024-06-10T13:00:00"),  # Sunday night: Monday
    ],
)
def test_it_decides_four_working_hours_after(received: str, decided: str) -> None:
    got = reference_mash.decided_at(np.array([received], dtype="datetime64[s]"))
    assert got[0] == np.datetime64(decided, "s")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3 * 365 * 86400))
def test_every_decision_is_within_one_working_day(offset: int) -> None:
    received = np.array([np.datetime64("2024-01-01T00:00:00", "s") + np.timedelta64(offset, "s")])
    decided = reference_mash.decided_at(received)
    assert received[0] < decided[0] <= one_working_day_deadline(received)[0]
    assert np.is_busday(decided.astype("datetime64[D]"))[0]
    hour = (decided[0] - decided.astype("datetime64[D]")[0]).astype(np.int64) / 3600
    assert reference_mash.OFFICE_OPENS < hour <= reference_mash.OFFICE_CLOSES


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-2, 6), max_size=25), st.lists(st.integers(-2, 6), max_size=25))
def test_pairs_are_every_equal_pair(left: list[int], right: list[int]) -> None:
    i, j = reference_checks.pairs(np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))
    expected = [(a, b) for a in range(len(left)) for b in range(len(right)) if left[a] == right[b] >= 0]
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == expected


def test_a_bad_method_or_suffix_is_refused(demo_run: Path, tmp_path: Path) -> None:
    with pytest.raises(
        synthgen.ArgumentError, match=r"^method: 'x' is not a linkage method \(exact, fellegi-sunter\)$"
    ):
        reference_mash.mash(demo_run, "x")
    with pytest.raises(SynthgenError, match=r"responses are written as \.parquet or \.csv$"):
        reference_mash.mash(demo_run, out=tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []
