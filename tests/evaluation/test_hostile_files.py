"""Files a system under test hands over, as spreadsheets and other libraries write them: read when they can be
(a byte-order mark, unsigned ids, timestamps to the nanosecond or in a zone), refused in one exact line when they
cannot (a repeated column, UTF-16 or Latin-1 text, a probability of 1.5, a score of 1e308, a threshold of nan)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import synthgen
from tests.cli_runs import run


@pytest.fixture(scope="module")
def ids(demo_run: Path) -> list[str]:
    return pq.read_table(demo_run / "truth/records.parquet", columns=["record_id"])["record_id"].to_pylist()


def test_a_repeated_column_is_refused(demo_run: Path, tmp_path: Path, ids: list[str]) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"record_id,cluster_id,cluster_id\n{ids[0]},1,2\n", encoding="utf-8")
    assert run("evaluate", "linkage", str(demo_run), str(path)) == (
        2,
        "",
        f"Error: {path}: column cluster_id appears more than once; each column must be named once\n",
    )


def test_text_that_is_not_utf8_is_refused_and_a_byte_order_mark_is_read(
    demo_run: Path, tmp_path: Path, ids: list[str]
) -> None:
    rows = f"record_id,cluster_id\n{ids[0]},1\n{ids[1]},1\n"
    wide = tmp_path / "wide.csv"
    wide.write_bytes(rows.encode("utf-16"))
    assert run("evaluate", "linkage", str(demo_run), str(wide)) == (
        2,
        "",
        f"Error: {wide}: is UTF-16 or UTF-32 text; save the CSV file as UTF-8\n",
    )
    header = tmp_path / "header.csv"
    header.write_bytes(b"record_id,cl\xfcster_id\n" + ids[0].encode() + b",1\n")
    assert run("evaluate", "linkage", str(demo_run), str(header)) == (
        2,
        "",
        f"Error: {header}: its header is not UTF-8 text; save the CSV file as UTF-8\n",
    )
    value = tmp_path / "value.csv"
    value.write_bytes(b"record_id,cluster_id\n" + ids[0].encode() + b",cl\xfcster\n")
    assert run("evaluate", "linkage", str(demo_run), str(value)) == (
        2,
        "",
        f"Error: {value}: column cluster_id holds bytes, not text (a CSV file must be UTF-8)\n",
    )
    marked = tmp_path / "marked.csv"
    marked.write_bytes(rows.encode("utf-8-sig"))
    assert run("evaluate", "linkage", str(demo_run), str(marked))[0] == 0


def test_probabilities_scores_and_thresholds_must_be_numbers_in_range(
    demo_run: Path, tmp_path: Path, ids: list[str]
) -> None:
    def pairs(column: str, values: pa.Array) -> Path:
        path = tmp_path / f"{column}-{values.type}.parquet"
        pq.write_table(pa.table({"record_id_l": ids[:2], "record_id_r": ids[2:4], column: values}), path)
        return path

    over = pairs("match_probability", pa.array([0.5, 1.5]))
    assert run("evaluate", "linkage", str(demo_run), str(over)) == (
        2,
        "",
        f"Error: {over}: match_probability 1.5 is not a probability (from 0 to 1)\n",
    )
    huge = pairs("score", pa.array([1e308, 1.0]))
    assert run("evaluate", "linkage", str(demo_run), str(huge)) == (
        2,
        "",
        f"Error: {huge}: score 1e+308 is not a score (from -1e+12 to 1e+12)\n",
    )
    unsigned = pairs("score", pa.array([2**64 - 1, 3], pa.uint64()))
    assert run("evaluate", "linkage", str(demo_run), str(unsigned))[2].startswith(f"Error: {unsigned}: score 1.8")
    fine = pairs("match_probability", pa.array([0.9, 0.1]))
    for threshold in ("nan", "inf"):
        assert run("evaluate", "linkage", str(demo_run), str(fine), "--threshold", threshold) == (
            2,
            "",
            f"Error: Invalid value for '--threshold': '{threshold}' is not a finite number.\n",
        )
    with pytest.raises(synthgen.ArgumentError) as caught:
        synthgen.evaluate_linkage(demo_run, fine, float("nan"))
    assert str(caught.value) == "threshold must be a finite number, not nan"


def test_timestamps_of_any_unit_or_zone_are_read_as_their_day(demo_run: Path, tmp_path: Path) -> None:
    flags = (
        pq.read_table(demo_run / "agencies/social_care/referrals.parquet", columns=["referral_id"])
        .rename_columns(["record_id"])
        .slice(0, 3)
    )
    when = dt.datetime(2024, 6, 1, 23, 30, 15, 123456)
    scores = []
    for kind in (pa.timestamp("ns"), pa.timestamp("us", "Europe/London"), pa.date32()):
        path = tmp_path / f"flags-{len(scores)}.parquet"
        values = (
            pa.array([when] * 3, pa.timestamp("us")).cast(kind) if kind != pa.date32() else pa.array([when.date()] * 3)
        )
        pq.write_table(flags.append_column("flagged_at", values), path)
        scores.append(synthgen.evaluate_sharing(demo_run, path).detection.flagged_people)
    assert scores[0] == scores[2] and scores[0] > 0


def test_dates_outside_any_run_are_refused(demo_run: Path, tmp_path: Path) -> None:
    flags = (
        pq.read_table(demo_run / "agencies/social_care/referrals.parquet", columns=["referral_id"])
        .rename_columns(["record_id"])
        .slice(0, 1)
    )
    path = tmp_path / "flags.parquet"
    pq.write_table(flags.append_column("flagged_at", pa.array([dt.date(9999, 12, 31)])), path)
    assert run("evaluate", "sharing", str(demo_run), str(path)) == (
        2,
        "",
        f"Error: {path}: column flagged_at holds dates outside 1900-01-01 to 2199-12-31\n",
    )


@pytest.fixture(scope="module")
def responses(demo_run: Path) -> pa.Table:
    """The reference MASH's responses for the demo: a valid file to spoil one way at a time."""
    return synthgen.mash(demo_run, "exact")


def test_responses_are_read_as_every_other_file(demo_run: Path, tmp_path: Path, responses: pa.Table) -> None:
    first = responses.slice(0, 1).to_pylist()[0]
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(
        f"contact_id,decided_at,decision,decision\n{first['contact_id']},2024-06-03 10:00,nfa,nfa\n", encoding="utf-8"
    )
    assert run("evaluate", "mash", str(demo_run), str(repeated)) == (
        2,
        "",
        f"Error: {repeated}: column decision appears more than once; each column must be named once\n",
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"contact_id,decided_at,decision\n" + first["contact_id"].encode() + b",2024-06-03,n\xe9\n")
    assert run("evaluate", "mash", str(demo_run), str(latin)) == (
        2,
        "",
        f"Error: {latin}: column decision holds bytes, not text (a CSV file must be UTF-8)\n",
    )
    wide = tmp_path / "wide.csv"
    wide.write_bytes(f"contact_id,decided_at,decision\n{first['contact_id']},2024-06-03 10:00,nfa\n".encode("utf-16"))
    assert run("evaluate", "mash", str(demo_run), str(wide)) == (
        2,
        "",
        f"Error: {wide}: is UTF-16 or UTF-32 text; save the CSV file as UTF-8\n",
    )
    odd = tmp_path / "odd.csv"
    odd.write_text(
        f'contact_id,decided_at,decision\n{first["contact_id"]},2024-06-03 10:00,"nfa\nor not"\n', encoding="utf-8"
    )
    assert run("evaluate", "mash", str(demo_run), str(odd)) == (
        2,
        "",
        f"Error: {odd}: decision 'nfa\\nor not' is not allowed "
        "(allowed: nfa, information_advice, early_help, referral, strategy_discussion)\n",
    )


def test_decision_times_of_any_unit_or_zone_are_read_and_out_of_range_refused(
    demo_run: Path, tmp_path: Path, responses: pa.Table
) -> None:
    seconds = responses["decided_at"].combine_chunks().cast(pa.timestamp("s")).cast(pa.int64()).to_numpy()
    at = responses.schema.get_field_index("decided_at")
    scores = []
    for values in (
        # fractions of a second no unit of seconds holds, which the reader drops
        pa.array(seconds * 1_000_000_000 + 123_456_789).cast(pa.timestamp("ns")),
        pa.array(seconds * 1_000_000 + 123_456).cast(pa.timestamp("us", "UTC")),
        pa.array(seconds).cast(pa.timestamp("s")).cast(pa.string()),
    ):
        path = tmp_path / f"responses-{len(scores)}.parquet"
        pq.write_table(responses.set_column(at, "decided_at", values), path)
        scores.append(synthgen.evaluate_mash(demo_run, path).timeliness.within_one_working_day)
    assert scores[0] == scores[1] == scores[2] > 0
    path = tmp_path / "far.parquet"
    far = pa.array([dt.datetime(1, 1, 1)] * responses.num_rows, pa.timestamp("s"))
    pq.write_table(responses.set_column(at, "decided_at", far), path)
    assert run("evaluate", "mash", str(demo_run), str(path)) == (
        2,
        "",
        f"Error: {path}: column decided_at holds times outside 1900-01-01 to 2199-12-31\n",
    )
    assert list(tmp_path.glob("*.json")) == []


def test_shared_fields_must_be_names(demo_run: Path, tmp_path: Path, responses: pa.Table) -> None:
    at = responses.schema.get_field_index("shared_fields")
    numbers = pa.array([[1]] * responses.num_rows, pa.list_(pa.int64()))
    path = tmp_path / "fields.parquet"
    pq.write_table(responses.set_column(at, "shared_fields", numbers), path)
    assert run("evaluate", "mash", str(demo_run), str(path)) == (
        2,
        "",
        f"Error: {path}: column shared_fields must hold lists of field names, found list<element: int64>\n",
    )


def test_a_mash_that_found_nothing_is_scored(demo_run: Path, tmp_path: Path, responses: pa.Table) -> None:
    path = tmp_path / "nothing.csv"
    nothing = responses.select(["contact_id", "decided_at", "decision"])
    pacsv.write_csv(nothing, path)
    result = synthgen.evaluate_mash(demo_run, path, json_path=tmp_path / "nothing.json")
    assert result.answered > 0 and result.partner_checks.recall == 0.0
    assert (tmp_path / "nothing.json").exists()


def test_parquet_text_that_is_not_utf8_is_refused(demo_run: Path, tmp_path: Path, responses: pa.Table) -> None:
    ids = pa.array([b"\xb0" + row.encode() for row in responses["contact_id"].to_pylist()], pa.binary())
    broken = pa.Array.from_buffers(pa.string(), len(ids), ids.buffers())  # Parquet does not check its strings
    path = tmp_path / "broken.parquet"
    pq.write_table(responses.set_column(0, "contact_id", broken), path)
    assert run("evaluate", "mash", str(demo_run), str(path)) == (
        2,
        "",
        f"Error: {path}: holds values that are not what their type says "
        "(Column 0: In chunk 0: Invalid: Invalid UTF8 sequence at string index 0)\n",
    )
