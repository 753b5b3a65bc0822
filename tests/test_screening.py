"""The reference screening method: agency files only, flags where two agencies' concerns meet within the window,
and only the disclosures the policy allows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen import screening, sharing_policy, tables
from synthgen.errors import SynthgenError
from synthgen.evaluation.sharing import evaluate_sharing


@pytest.fixture(scope="module")
def screened(demo_run: Path) -> screening.Screened:
    return screening.screen(demo_run)


def test_screening_never_reads_the_truth(demo_run: Path, screened: screening.Screened, tmp_path: Path) -> None:
    """The same flags and disclosures from a copy of the run with the truth taken away."""
    copy = tmp_path / "no-truth"
    shutil.copytree(demo_run, copy, ignore=shutil.ignore_patterns("truth"))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["tables"] = [t for t in manifest["tables"] if not t["path"].startswith("truth/")]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    again = screening.screen(copy)
    assert again.flags.equals(screened.flags)
    assert again.disclosures.equals(screened.disclosures)


def test_flags_are_linkage_records_in_the_period_one_per_child(demo_run: Path, screened: screening.Screened) -> None:
    flags = screened.flags
    assert flags.num_rows > 50
    view = pq.read_table(demo_run / "linkage/records.parquet", columns=["record_id"])["record_id"]
    assert set(flags["record_id"].to_pylist()) <= set(view.to_pylist())
    days = flags["flagged_at"].to_numpy().astype("datetime64[D]")
    assert (days >= np.datetime64("2024-04-01")).all() and (days <= np.datetime64("2025-03-31")).all()
    assert all("+" in concern for concern in flags["concern"].to_pylist())


def test_the_screen_finds_most_visible_children_at_risk_and_shares_within_the_policy(
    demo_run: Path, screened: screening.Screened, tmp_path: Path
) -> None:
    pacsv.write_csv(screened.flags, tmp_path / "flags.csv")
    pacsv.write_csv(screened.disclosures, tmp_path / "disclosures.csv")
    result = evaluate_sharing(demo_run, tmp_path / "flags.csv", tmp_path / "disclosures.csv").as_dict()
    assert result["detection"]["recall_visible"] > 0.7
    assert result["detection"]["precision"] > 0.15
    shared = result["oversharing"]
    assert shared["disclosures"] == screened.disclosures.num_rows > 0
    assert shared["fields_outside_policy"] == 0 and shared["recipients_without_purpose"] == 0
    # the screen reads year-end files, but acts on a concern only from the day its agency had entered it and held
    # the child's record (the dates the files show): no flag cites a record before its agency held it
    known = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "known_on"])
    flags = screened.flags.join(known, "record_id", join_type="left outer")
    early = flags.filter(pc.fill_null(pc.less(flags["flagged_at"], flags["known_on"]), False))
    assert result["flags_from_the_future"] == early.num_rows == 0


def test_a_narrower_window_flags_fewer_children_no_earlier(demo_run: Path, screened: screening.Screened) -> None:
    narrow = screening.screen(demo_run, window=7)
    assert narrow.flags.num_rows < screened.flags.num_rows


def test_a_policy_that_shares_nothing_with_schools_discloses_nothing_to_them(demo_run: Path) -> None:
    rules = [r.model_dump() for r in sharing_policy.default_rules()]
    for rule in rules:
        rule["recipients"] = [r for r in rule["recipients"] if r != "school"]
    rules = [rule for rule in rules if rule["recipients"]]
    result = screening.screen(demo_run, policy=rules)
    assert "school" not in set(result.disclosures["recipient"].to_pylist())
    assert result.disclosures.num_rows > 0


def test_a_negative_window_is_refused(demo_run: Path) -> None:
    with pytest.raises(SynthgenError, match=r"^window must be 0 days or more$"):
        screening.screen(demo_run, window=-1)


def _brute_force(cluster: list[int], agency: list[int], day: list[int], window: int) -> dict[int, int]:
    """cluster -> the first day a signal follows another agency's signal within the window."""
    out: dict[int, int] = {}
    for i in range(len(cluster)):
        for j in range(len(cluster)):
            if cluster[i] == cluster[j] and agency[i] != agency[j] and 0 <= day[i] - day[j] <= window:
                out[cluster[i]] = min(out.get(cluster[i], day[i]), day[i])
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 200)), max_size=30),
    st.integers(0, 60),
)
def test_first_flags_match_a_brute_force_search(rows: list[tuple[int, int, int]], window: int) -> None:
    cluster = np.array([c for c, _, _ in rows], dtype=np.int64)
    agency = np.array([a for _, a, _ in rows], dtype=np.int64)
    day = np.array([d for _, _, d in rows], dtype=np.int64)
    signal, other, flagged = screening._first_flags(cluster, agency, day, window)
    got = {int(c): int(day[s]) for c, s in zip(flagged, signal, strict=True)}
    assert got == _brute_force(cluster.tolist(), agency.tolist(), day.tolist(), window)
    assert (agency[signal] != agency[other]).all()
    assert (cluster[signal] == cluster[other]).all()
    assert ((day[signal] - day[other] >= 0) & (day[signal] - day[other] <= window)).all()


def test_an_event_is_named_by_the_registrys_id_column(demo_run: Path) -> None:
    """Screening learns an event's id column and each agency's register from the table registry (it imports no
    generator module); those ids are the ones truth/signals uses for the table's signals."""
    assert screening.PERSON_TABLES == {
        "police": "persons",
        "health": "gp_registrations",
        "school": "pupils",
        "social_care": "children",
    }
    signals = pq.read_table(demo_run / "truth/signals.parquet", columns=["agency", "table", "record_id"])
    for name in screening.signals.RULES:
        agency, table = name.split("/")
        column = tables.agency_table(agency, table).id_column
        assert column is not None, name
        ids = set(pq.read_table(demo_run / "agencies" / f"{name}.parquet", columns=[column])[column].to_pylist())
        named = signals.filter(pc.and_(pc.equal(signals["agency"], agency), pc.equal(signals["table"], table)))
        assert named.num_rows and set(named["record_id"].to_pylist()) <= ids, name


def test_the_screen_writes_what_it_returns(demo_run: Path, screened: screening.Screened, tmp_path: Path) -> None:
    again = screening.screen(demo_run, out=tmp_path / "flags.parquet", disclosures=tmp_path / "shared.csv")
    assert pq.read_table(tmp_path / "flags.parquet").equals(again.flags) and again.flags.equals(screened.flags)
    assert pacsv.read_csv(tmp_path / "shared.csv").num_rows == screened.disclosures.num_rows
