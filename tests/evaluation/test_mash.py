"""evaluate mash: a MASH system's partner checks, ratings, decisions, timeliness and shares, scored contact by
contact against the truth."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import synthgen
from synthgen.cli import cli
from synthgen.evaluation.mash import agreement
from synthgen.kernel.dates import one_working_day_deadline
from synthgen.sharing_policy import of_scenario


@cache
def _perfect(run: Path) -> pa.Table:
    """What a perfect MASH answers: every record a perfect check finds, the rating and decision the truth
    supports, an hour after each contact came in; nothing shared."""
    truth = pq.read_table(run / "truth/contacts.parquet", columns=["contact_id", "band", "supported_decision"])
    received = pq.read_table(run / "agencies/social_care/contacts.parquet", columns=["contact_id", "received_at"])
    contacts = truth.join(received, "contact_id").sort_by("contact_id")
    per_contact = pa.table(
        {
            "contact_id": contacts["contact_id"],
            "decided_at": pc.add(contacts["received_at"], pa.scalar(3600, pa.duration("s"))).cast(pa.timestamp("s")),
            "decision": contacts["supported_decision"],
            "rag": contacts["band"],
        }
    )
    found = pq.read_table(run / "truth/contact_records.parquet", columns=["contact_id", "record_id"])
    found = found.group_by(["contact_id", "record_id"]).aggregate([])  # an incident the child and a parent were in
    rows = found.join(per_contact, "contact_id")
    nothing = per_contact.join(found.group_by("contact_id").aggregate([]), "contact_id", join_type="left anti")
    nothing = nothing.append_column("record_id", pa.nulls(nothing.num_rows, pa.string()))
    columns = ["contact_id", "decided_at", "decision", "rag", "record_id"]
    return pa.concat_tables([rows.select(columns), nothing.select(columns)]).sort_by(
        [("contact_id", "ascending"), ("record_id", "ascending")]
    )


def test_a_perfect_mash_scores_one_everywhere(demo_run: Path) -> None:
    scores = synthgen.evaluate_mash(demo_run, _perfect(demo_run))
    assert scores.answered == scores.contacts > 500
    checks = scores.partner_checks
    assert (checks.recall, checks.precision, checks.child_recall, checks.household_recall) == (1.0, 1.0, 1.0, 1.0)
    assert checks.from_the_future == 0
    assert {a.agency for a in checks.agencies} == {"police", "health", "school", "social_care"}
    assert all(a.recall == 1.0 and a.precision == 1.0 and a.expected > 0 for a in checks.agencies)
    assert scores.decisions.weighted_kappa == 1.0 and scores.decisions.agreement == 1.0
    assert scores.rag.weighted_kappa == 1.0
    assert scores.at_risk_missed == []
    assert scores.timeliness.within_one_working_day == 1.0
    for groups in (scores.by_concern, scores.by_source, scores.by_storyline):
        assert groups and all(g.check_recall in (0.0, 1.0) and g.decision_agreement == 1.0 for g in groups)
        assert all(g.check_recall == 1.0 for g in groups if g.check_precision)


def test_linkage_view_ids_count_as_the_agency_record_behind_them(demo_run: Path) -> None:
    """A system working on the linkage view names records by its ids; they score as the agency's own."""
    perfect = _perfect(demo_run)
    aliases = pq.read_table(demo_run / "truth/records.parquet", columns=["record_id", "source_record_id"])
    at = pc.index_in(perfect["record_id"], value_set=aliases["source_record_id"])
    view_ids = pc.coalesce(aliases["record_id"].combine_chunks().take(at), perfect["record_id"])
    assert pc.sum(pc.is_valid(at)).as_py() > 1000
    scores = synthgen.evaluate_mash(demo_run, perfect.set_column(4, "record_id", view_ids))
    assert scores.partner_checks.recall == 1.0 and scores.partner_checks.precision == 1.0


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # an example takes seconds: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(keep=st.floats(0.1, 0.9), seed=st.integers(0, 2**16))
def test_finding_part_of_what_was_there_lowers_recall_never_precision(demo_run: Path, keep: float, seed: int) -> None:
    perfect = _perfect(demo_run)
    dropped = np.random.default_rng(seed).random(perfect.num_rows) > keep
    records = pc.if_else(pa.array(dropped), pa.scalar(None, pa.string()), perfect["record_id"])
    scores = synthgen.evaluate_mash(demo_run, perfect.set_column(4, "record_id", records))
    expected = sum(a.expected for a in scores.partner_checks.agencies)
    assert scores.partner_checks.recall == pytest.approx(pc.count(records).as_py() / expected)
    assert scores.partner_checks.precision == 1.0


def _everything(run: Path) -> pa.Table:
    """The worst a system can do: for each contact, every record every agency holds, at any date, about the
    child's household and about anyone who shares the child's family name, each shared with every agency, every
    field, for safeguarding."""
    truth = pq.read_table(run / "truth/contacts.parquet", columns=["contact_id", "person_id", "household_id"])
    people = pq.read_table(run / "truth/people.parquet", columns=["person_id", "household_id", "family_name"])
    events = pq.read_table(run / "truth/events.parquet", columns=["record_id", "person_id"])
    held = pq.read_table(run / "truth/records.parquet", columns=["source_record_id", "person_id"])
    records = pa.concat_tables([events, held.rename_columns(["record_id", "person_id"])]).join(people, "person_id")
    names = truth.join(people.select(["person_id", "family_name"]), "person_id")
    by_name = names.join(records, "family_name").select(["contact_id", "record_id"])
    by_home = truth.join(records, "household_id").select(["contact_id", "record_id"])
    rows = pa.concat_tables([by_name, by_home]).group_by(["contact_id", "record_id"]).aggregate([])
    recipients = pa.array(["police", "health", "school", "social_care"])
    n = rows.num_rows
    rows = pa.table(
        {
            "contact_id": pa.concat_arrays([rows["contact_id"].combine_chunks()] * 4),
            "record_id": pa.concat_arrays([rows["record_id"].combine_chunks()] * 4),
            "shared_with": recipients.take(pa.array(np.repeat(np.arange(4), n))),
        }
    )
    received = pq.read_table(run / "agencies/social_care/contacts.parquet", columns=["contact_id", "received_at"])
    rows = rows.join(received, "contact_id")
    return pa.table(
        {
            "contact_id": rows["contact_id"],
            "decided_at": rows["received_at"],
            "decision": pa.array(["strategy_discussion"] * rows.num_rows),
            "rag": pa.array(["red"] * rows.num_rows),
            "record_id": rows["record_id"],
            "shared_with": rows["shared_with"],
            "shared_fields": pa.array(
                [["given_name", "family_name", "date_of_birth", "address_line", "postcode", "nhs_number"]]
                * rows.num_rows
            ),
            "purpose": pa.array(["safeguarding"] * rows.num_rows),
        }
    )


def test_answering_with_everything_scores_low_precision_and_heavy_over_sharing(demo_run: Path) -> None:
    scores = synthgen.evaluate_mash(demo_run, _everything(demo_run))
    checks, shared = scores.partner_checks, scores.sharing
    assert checks.recall > 0.9  # everything held about the family is in there ...
    assert checks.precision < 0.5  # ... among records about other people of the same name
    assert checks.from_the_future > 0  # and records the hub could not yet have seen
    assert shared.fields_outside_policy > 0 and shared.recipients_without_purpose > 0
    assert shared.fields_outside_policy + shared.recipients_without_purpose > shared.shares / 2
    assert shared.about_people_outside_the_family > shared.shares / 2
    assert scores.decisions.over > 0 and scores.decisions.weighted_kappa < 0.5


def test_weighted_kappa_rewards_near_misses_over_far_ones() -> None:
    labels = ("nfa", "early_help", "referral", "strategy_discussion")
    truth = np.array([0, 1, 2, 3] * 25, np.int64)
    assert agreement(labels, truth, truth).weighted_kappa == 1.0
    near = agreement(labels, truth, np.minimum(truth + 1, 3))
    far = agreement(labels, truth, 3 - truth)
    assert 0.0 < near.weighted_kappa < 1.0
    assert far.weighted_kappa < 0.0 < near.weighted_kappa
    assert near.over == 75 and near.under == 0 and far.under == 50


def test_one_working_day_runs_to_five_on_the_next_working_day() -> None:
    days = np.array(["2024-05-03", "2024-05-04", "2024-05-06"], "datetime64[D]")  # Friday, Saturday, Monday
    assert one_working_day_deadline(days).tolist() == [
        dt.datetime(2024, 5, 6, 17),
        dt.datetime(2024, 5, 7, 17),
        dt.datetime(2024, 5, 7, 17),
    ]


def test_a_share_outside_the_policy_is_counted(demo_run: Path) -> None:
    perfect = _perfect(demo_run)
    policy = of_scenario(synthgen.open_run(demo_run).manifest["scenario"])
    allowed = sorted(policy[("police", "social_care", "safeguarding")])
    row = pc.index(perfect["record_id"], _a_police_record(demo_run, perfect)).as_py()
    share = perfect.slice(row, 1)
    shares = pa.concat_tables(
        [
            share.append_column("shared_with", pa.array(["social_care"]))
            .append_column("shared_fields", pa.array([allowed]))
            .append_column("purpose", pa.array(["safeguarding"])),
            share.append_column("shared_with", pa.array(["social_care"]))
            .append_column("shared_fields", pa.array([[*allowed, "not_a_field_anyone_allows"]]))
            .append_column("purpose", pa.array(["safeguarding"])),
        ]
    )
    scores = synthgen.evaluate_mash(demo_run, shares)
    assert (scores.sharing.shares, scores.sharing.fields_outside_policy) == (2, 1)
    assert scores.sharing.about_people_outside_the_family == 0
    assert scores.sharing.outside[0]["fields"] == ["not_a_field_anyone_allows"]


def _a_police_record(run: Path, perfect: pa.Table) -> str:
    expected = pq.read_table(run / "truth/contact_records.parquet", columns=["agency", "record_id"])
    police = expected.filter(pc.equal(expected["agency"], "police"))["record_id"]
    return str(police.filter(pc.is_in(police, value_set=perfect["record_id"]))[0].as_py())


def test_the_report_is_one_self_contained_page_with_worked_examples(demo_run: Path, tmp_path: Path) -> None:
    responses = _perfect(demo_run)
    path = tmp_path / "responses.parquet"
    pq.write_table(responses, path)
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "mash",
            str(demo_run),
            str(path),
            "--report",
            str(tmp_path / "r.html"),
            "--json",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "partner checks: recall 1.0000  precision 1.0000" in result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert html.count("<svg") >= 3 and "Worked examples" in html
    assert "What a perfect partner check found that day" in html
    assert '"partner_checks"' in (tmp_path / "s.json").read_text(encoding="utf-8")


def _csv(tmp_path: Path, table: pa.Table, name: str = "r.csv") -> Path:
    path = tmp_path / name
    pacsv.write_csv(table, path)
    return path


def _bad(run: Path, path: Path) -> str:
    result = CliRunner().invoke(cli, ["evaluate", "mash", str(run), str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_bad_responses_files_get_one_line_and_exit_2(demo_run: Path, tmp_path: Path) -> None:
    perfect = _perfect(demo_run).slice(0, 50)
    some = perfect.filter(perfect["record_id"].is_valid())
    cases = {
        "missing": perfect.drop_columns(["decision"]),
        "contact": perfect.set_column(0, "contact_id", pa.array(["NOTACONTACT"] * 50)),
        "decision": perfect.set_column(2, "decision", pa.array(["maybe"] * 50)),
        "rag": perfect.set_column(3, "rag", pa.array(["purple"] * 50)),
        "time": perfect.set_column(1, "decided_at", pa.array(["yesterday"] * 50)),
        "record": some.set_column(4, "record_id", pa.array(["NOSUCHRECORD"] * some.num_rows)),
        "disagree": pa.concat_tables(
            [
                perfect.slice(0, 1),
                perfect.slice(0, 1).set_column(
                    1, "decided_at", pa.array([dt.datetime(2020, 1, 1, 9)], pa.timestamp("s"))
                ),
            ]
        ),
        "purpose": some.append_column("shared_with", pa.array(["police"] * some.num_rows)).append_column(
            "shared_fields", pa.array(["given_name"] * some.num_rows)
        ),
    }
    messages = {name: _bad(demo_run, _csv(tmp_path, table, f"{name}.csv")) for name, table in cases.items()}
    assert messages["missing"].startswith(f"Error: {tmp_path / 'missing.csv'}: missing column decision (expected ")
    assert "contact_id 'NOTACONTACT' is not a contact of this run" in messages["contact"]
    assert "decision 'maybe' is not allowed (allowed: nfa, information_advice, early_help" in messages["decision"]
    assert "rag 'purple' is not allowed (allowed: green, amber, red)" in messages["rag"]
    assert "decided_at 'yesterday' is not a time" in messages["time"]
    assert "record_id values are not record ids of this run's agency files or linkage view" in messages["record"]
    assert "the rows of a contact give different decisions" in messages["disagree"]
    assert "every share needs a purpose (allowed: safeguarding, early_help)" in messages["purpose"]
    (tmp_path / "latin1.csv").write_bytes("contact_id,decided_at,decision\n\xe9t\xe9,x,y\n".encode("latin-1"))
    assert _bad(demo_run, tmp_path / "latin1.csv").startswith(f"Error: {tmp_path / 'latin1.csv'}: ")
    (tmp_path / "empty.csv").write_text("contact_id,decided_at,decision\n", encoding="utf-8")
    assert (
        _bad(demo_run, tmp_path / "empty.csv")
        == f"Error: {tmp_path / 'empty.csv'}: no responses (the file has no rows)"
    )
    assert _bad(demo_run, tmp_path / "absent.parquet") == f"Error: {tmp_path / 'absent.parquet'}: no such file"


def test_a_run_without_a_front_door_is_one_line(write_scenario: object, tmp_path: Path) -> None:
    scenario = write_scenario(people=600)  # type: ignore[operator]
    text = Path(scenario).read_text(encoding="utf-8") + "front_door:\n  enabled: false\n"
    Path(scenario).write_text(text, encoding="utf-8")
    run = tmp_path / "run"
    synthgen.generate(synthgen.load_scenario(scenario), run)
    responses = _csv(tmp_path, pa.table({"contact_id": ["x"], "decided_at": ["2024-05-01 10:00"], "decision": ["nfa"]}))
    assert _bad(run, responses) == (
        f"Error: {run}: this run has no front door (generate it with front_door.enabled: true)"
    )
