"""The sharing evaluation: perfect flags score perfectly, flagging and sharing everything scores badly, every id
space maps to people, and every bad file is one exact line with exit code 2."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthgen import sharing_policy
from synthgen.cli import cli
from synthgen.evaluation import sharing as evaluation
from synthgen.evaluation.sharing_report import sharing_report
from synthgen.evaluation.sharing_truth import Truth, is_child, read_truth
from synthgen.run_folder import open_run


@pytest.fixture(scope="module")
def truth(demo_run: Path) -> Truth:
    return read_truth(open_run(demo_run))


@pytest.fixture(scope="module")
def person_record(demo_run: Path) -> dict[int, str]:
    """Each person's earliest-held linkage-view record id (first by id among those held from before the period): a
    flag citing a record before it was held is from the future and never credited."""
    records = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "person_id", "known_on"])
    records = records.set_column(2, "known_on", pc.fill_null(records["known_on"], pa.scalar(dt.date(1, 1, 1))))
    records = records.sort_by([("known_on", "ascending"), ("record_id", "ascending")])
    out: dict[int, str] = {}
    for record_id, person in zip(records["record_id"].to_pylist(), records["person_id"].to_pylist(), strict=True):
        out.setdefault(person, record_id)
    return out


@pytest.fixture(scope="module")
def record_known(demo_run: Path) -> dict[str, dt.date]:
    """The day each linkage-view record was first held (the period's first day for one held from before it)."""
    records = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "known_on"])
    start = dt.date.fromisoformat(open_run(demo_run).manifest["period"]["start"])
    return {
        r: k or start for r, k in zip(records["record_id"].to_pylist(), records["known_on"].to_pylist(), strict=True)
    }


def _perfect(
    truth: Truth, children: list[int], person_record: dict[int, str], known: dict[str, dt.date] | None = None
) -> pa.Table:
    """Each child flagged on the day its case became visible (or its need's onset, or the period's start, when it
    never became visible), and never before the record it cites was held (`known`)."""
    days = [truth.visible.get(p) or truth.at_risk.get(p) or truth.period[0] for p in children]
    ids = [person_record[p] for p in children]
    if known is not None:
        days = [max(day, known[record]) for day, record in zip(days, ids, strict=True)]
    return pa.table({"record_id": ids, "flagged_at": pa.array(days, pa.date32())})


def test_perfect_flags_score_recall_one_and_no_time_to_flag(
    demo_run: Path, truth: Truth, person_record: dict[int, str], record_known: dict[str, dt.date], tmp_path: Path
) -> None:
    flags = tmp_path / "flags.csv"
    pacsv.write_csv(_perfect(truth, sorted(truth.at_risk), person_record, record_known), flags)
    result = evaluation.evaluate_sharing(demo_run, flags).as_dict()
    assert result["flags_from_the_future"] == 0
    found = result["detection"]
    assert found["children_at_risk"] == len(truth.at_risk) > 50
    assert (found["precision"], found["recall"], found["f1"], found["recall_visible"]) == (1.0, 1.0, 1.0, 1.0)
    timing = result["time_to_flag"]
    assert timing["median_days"] == 0.0 and timing["within_7_days"] == 1.0 and timing["never"] == 0.0
    assert timing["children"] == found["children_at_risk_visible"] > 0.5 * found["children_at_risk"]
    assert all(row["recall"] == 1.0 for row in result["by_concern"])
    assert result["oversharing"] is None


def test_a_flag_citing_a_record_before_it_was_held_is_from_the_future(
    demo_run: Path, record_known: dict[str, dt.date], tmp_path: Path
) -> None:
    """The same record flagged the day before and the day it was first held: only the second counts."""
    start = dt.date.fromisoformat(open_run(demo_run).manifest["period"]["start"])
    record = min((r for r, day in record_known.items() if day > start + dt.timedelta(days=30)), key=record_known.get)
    day = record_known[record]
    flags = tmp_path / "flags.csv"
    early = pa.table({"record_id": [record], "flagged_at": pa.array([day - dt.timedelta(days=1)], pa.date32())})
    pacsv.write_csv(early, flags)
    result = evaluation.evaluate_sharing(demo_run, flags).as_dict()
    assert result["flags_from_the_future"] == 1
    assert result["detection"]["flagged_people"] == 0
    on_time = pa.table({"record_id": [record], "flagged_at": pa.array([day], pa.date32())})
    pacsv.write_csv(on_time, flags)
    result = evaluation.evaluate_sharing(demo_run, flags).as_dict()
    assert result["flags_from_the_future"] == 0
    assert result["detection"]["flagged_people"] == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flagging_only_children_at_risk_is_always_precise(
    data: st.DataObject,
    demo_run: Path,
    truth: Truth,
    person_record: dict[int, str],
    record_known: dict[str, dt.date],
    tmp_path: Path,
) -> None:
    children = data.draw(st.lists(st.sampled_from(sorted(truth.at_risk)), min_size=1, unique=True))
    late = data.draw(st.integers(0, 60))
    table = _perfect(truth, children, person_record, record_known)
    table = table.set_column(
        1, "flagged_at", pa.array([d + dt.timedelta(days=late) for d in table["flagged_at"].to_pylist()], pa.date32())
    )
    flags = tmp_path / "subset.parquet"
    pq.write_table(table, flags)
    result = evaluation.score(truth, demo_run, flags).as_dict()
    assert result["detection"]["precision"] == 1.0
    assert result["detection"]["recall"] == pytest.approx(len(children) / len(truth.at_risk))
    visible = [p for p in children if p in truth.visible]
    if visible:
        assert result["time_to_flag"]["median_days"] == late


def _everything(demo_run: Path) -> tuple[pa.Table, pa.Table]:
    """Every record of the linkage view flagged on the day it was first held, and every agency record shared with
    every other agency on the first day, whole, for no stated purpose half the time."""
    view = pq.read_table(demo_run / "linkage/records.parquet", columns=["record_id", "source", "source_record_id"])
    start = dt.date(2024, 4, 1)
    known = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "known_on"])
    held = pc.fill_null(known["known_on"], pa.scalar(start)).take(pc.index_in(view["record_id"], known["record_id"]))
    flags = pa.table({"record_id": view["record_id"], "flagged_at": held})
    rows: dict[str, list[Any]] = {k: [] for k in ("record_id", "fields", "recipient", "shared_at", "case", "purpose")}
    for i, (record_id, source) in enumerate(
        zip(view["source_record_id"].to_pylist(), view["source"].to_pylist(), strict=True)
    ):
        for recipient in sharing_policy.AGENCIES:
            if recipient == source:
                continue
            rows["record_id"].append(record_id)
            rows["fields"].append(";".join(sorted(sharing_policy.AGENCY_FIELDS[source])))
            rows["recipient"].append(recipient)
            rows["shared_at"].append(start)
            rows["case"].append(view["record_id"][i].as_py())
            rows["purpose"].append("safeguarding" if i % 2 else None)
    return flags, pa.table(rows)


def test_flagging_and_sharing_everything_scores_low_precision_and_high_oversharing(
    demo_run: Path, truth: Truth, tmp_path: Path
) -> None:
    flags, disclosures = _everything(demo_run)
    pq.write_table(flags, tmp_path / "flags.parquet")
    pq.write_table(disclosures, tmp_path / "disclosures.parquet")
    result = evaluation.score(truth, demo_run, tmp_path / "flags.parquet", tmp_path / "disclosures.parquet").as_dict()
    assert result["detection"]["recall"] == 1.0 and result["flags_from_the_future"] == 0
    assert result["detection"]["precision"] < 0.02
    shared = result["oversharing"]
    assert shared["disclosures"] == disclosures.num_rows
    assert shared["share_about_people_not_at_risk"] > 0.9
    assert shared["share_recipients_without_purpose"] == pytest.approx(0.5, abs=0.01)
    assert shared["share_fields_outside_policy"] == pytest.approx(0.5, abs=0.01)  # every one with a purpose
    assert shared["people_not_at_risk_disclosed"] > 15_000
    fields = {(r["agency"], r["recipient"], r["field"]) for r in shared["fields_outside_policy_by_pair"]}
    assert ("health", "social_care", "chief_complaint_group") not in fields  # health may tell social care this
    assert ("health", "school", "chief_complaint_group") in fields  # but not a school
    assert ("police", "school", "dash_risk") in fields  # nor police a school the DASH risk


def test_a_police_incident_flags_the_children_in_it(demo_run: Path, truth: Truth, tmp_path: Path) -> None:
    events = pq.read_table(demo_run / "truth/events.parquet").filter(pc.field("table") == "incident_persons")
    counts = events.group_by("record_id").aggregate([("person_id", "count")])
    incident = counts.filter(pc.field("person_id_count") >= 3)["record_id"][0].as_py()
    people = events.filter(pc.field("record_id") == incident)["person_id"].to_pylist()
    day = truth.period[1]
    children = [p for p in people if is_child(truth, [p], [day])[0]]
    pacsv.write_csv(pa.table({"record_id": [incident], "flagged_at": pa.array([day], pa.date32())}), tmp_path / "f.csv")
    result = evaluation.score(truth, demo_run, tmp_path / "f.csv").as_dict()
    assert result["detection"]["flagged_people"] == (len(children) or len(people))


def test_every_id_space_maps_to_its_person(demo_run: Path, truth: Truth, tmp_path: Path) -> None:
    """A child flagged by a linkage id, a register id, an A&E attendance and a social care referral is one child."""
    # an incident's id names everyone in it (test_a_police_incident_flags_the_children_in_it): not one child's
    signals = truth.signals.filter(pc.field("table") != "incident_persons")
    child = signals.filter(pc.field("agency") == "social_care")["person_id"][0].as_py()
    mine = signals.filter(pc.field("person_id") == child)
    records = pq.read_table(demo_run / "truth/records.parquet").filter(pc.field("person_id") == child)
    ids = records["record_id"].to_pylist() + records["source_record_id"].to_pylist() + mine["record_id"].to_pylist()
    day = truth.period[1]
    pacsv.write_csv(
        pa.table({"record_id": ids, "flagged_at": pa.array([day] * len(ids), pa.date32())}), tmp_path / "f.csv"
    )
    assert evaluation.score(truth, demo_run, tmp_path / "f.csv").detection.flagged_people == 1


def test_the_report_is_self_contained_html(demo_run: Path, truth: Truth, tmp_path: Path) -> None:
    flags, disclosures = _everything(demo_run)
    pq.write_table(flags.slice(0, 500), tmp_path / "flags.parquet")
    pq.write_table(disclosures.slice(0, 500), tmp_path / "d.parquet")
    html = sharing_report(
        evaluation.score(truth, demo_run, tmp_path / "flags.parquet", tmp_path / "d.parquet").as_dict()
    )
    assert html.startswith("<!DOCTYPE html>")
    for heading in ("Detection", "Time to flag", "Recall by concern", "Storylines", "Example children", "Over-sharing"):
        assert f"<h2>{heading}</h2>" in html
    assert not re.search(r"<script|<link|src=|https?://", html)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 3
    for svg in svgs:
        ET.fromstring(svg)  # each chart is well-formed XML


def _bad(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_flag_files_are_one_line(demo_run: Path, tmp_path: Path) -> None:
    record = pq.read_table(demo_run / "linkage/records.parquet", columns=["record_id"])["record_id"][0].as_py()
    cases = [
        ("missing.csv", None, "{path}: no such file"),
        ("flags.txt", "record_id,flagged_at\n", "{path}: flags must be a .parquet or .csv file"),
        ("empty.csv", "record_id,flagged_at\n", "{path}: no flags (the file has no rows)"),
        (
            "nocol.csv",
            f"record_id,when\n{record},2024-05-01\n",
            "{path}: missing column flagged_at (flags need record_id and flagged_at (concern optional)); "
            "found: record_id, when",
        ),
        (
            "baddate.csv",
            f"record_id,flagged_at\n{record},yesterday\n",
            "{path}: flagged_at 'yesterday' is not a date (expected YYYY-MM-DD)",
        ),
        (
            "unknown.csv",
            "record_id,flagged_at\nNOSUCHRECORD,2024-05-01\n",
            "{path}: 1 record_id values are not record ids of this run's agency files or linkage view "
            "(e.g. 'NOSUCHRECORD')",
        ),
        ("nullid.csv", "record_id,flagged_at\n,2024-05-01\n", "{path}: column record_id has 1 empty values"),
    ]
    for name, text, message in cases:
        path = tmp_path / name if text is None else _bad(tmp_path, name, text)
        result = CliRunner().invoke(cli, ["evaluate", "sharing", str(demo_run), str(path)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message.format(path=path)}\n")


def test_bad_disclosure_files_are_one_line(demo_run: Path, tmp_path: Path) -> None:
    record = pq.read_table(demo_run / "linkage/records.parquet", columns=["record_id"])["record_id"][0].as_py()
    flags = _bad(tmp_path, "flags.csv", f"record_id,flagged_at\n{record},2024-05-01\n")
    header = "record_id,fields,recipient,shared_at,case,purpose\n"
    cases = [
        (
            f"record_id,fields\n{record},given_name\n",
            "{path}: missing column recipient (disclosures need record_id, fields, recipient, shared_at, case and "
            "purpose); found: record_id, fields",
        ),
        (
            f"{header}{record},given_name,housing,2024-05-01,{record},safeguarding\n",
            "{path}: recipient 'housing' is not an agency (allowed: police, health, school, social_care)",
        ),
        (
            f"{header}{record},given_name,police,2024-05-01,{record},curiosity\n",
            "{path}: purpose 'curiosity' is not allowed (allowed: safeguarding, early_help, or empty for none)",
        ),
        (
            f"{header}{record},given_name,police,2024-13-01,{record},safeguarding\n",
            "{path}: shared_at '2024-13-01' is not a date (expected YYYY-MM-DD)",
        ),
        (
            f"{header}{record},given_name,police,2024-05-01,NOCASE,safeguarding\n",
            "{path}: 1 case values are not record ids of this run's agency files or linkage view (e.g. 'NOCASE')",
        ),
        (
            f'{header}{record}," ; ",police,2024-05-01,{record},safeguarding\n',
            "{path}: every fields entry must list a field name (e.g. given_name;postcode)",
        ),
    ]
    for i, (text, message) in enumerate(cases):
        path = _bad(tmp_path, f"d{i}.csv", text)
        result = CliRunner().invoke(cli, ["evaluate", "sharing", str(demo_run), str(flags), "--disclosures", str(path)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message.format(path=path)}\n")


def test_the_cli_writes_json_and_a_report(
    demo_run: Path, truth: Truth, person_record: dict[int, str], record_known: dict[str, dt.date], tmp_path: Path
) -> None:
    flags = tmp_path / "flags.csv"
    pacsv.write_csv(_perfect(truth, sorted(truth.at_risk), person_record, record_known), flags)
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "sharing",
            str(demo_run),
            str(flags),
            "--json",
            str(tmp_path / "r.json"),
            "--report",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "precision 1.0000  recall 1.0000  f1 1.0000" in result.stdout
    assert (tmp_path / "r.json").exists() and (tmp_path / "r.html").exists()
