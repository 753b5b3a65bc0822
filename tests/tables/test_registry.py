"""The table registry: every file a run writes is declared, every declared column is written as declared, and the
data dictionary users read is the registry's."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgen import open_run, signals, tables
from synthgen.tables import dictionary

ROOT = Path(__file__).resolve().parents[2]


def _written_type(kind: pa.DataType) -> pa.DataType:
    """The type a declared column comes back as from Parquet (seconds are stored as milliseconds; lists name
    their items 'element')."""
    if pa.types.is_timestamp(kind) and kind.unit == "s":
        return pa.timestamp("ms")
    if pa.types.is_list(kind):
        return pa.list_(pa.field("element", _written_type(kind.value_type)))
    return kind


def test_every_file_a_run_writes_is_declared_with_exactly_its_columns(demo_run: Path) -> None:
    run = open_run(demo_run)
    written = set(run.tables)
    declared = {t.path for t in tables.all_tables()}
    assert written == declared  # the demo (every agency, --pairs) writes every table there is
    for path in sorted(written):
        schema = pq.read_schema(demo_run / f"{path}.parquet")
        table = tables.table(path)
        assert schema.names == table.column_names, path
        for column in table.columns:
            field = schema.field(column.name)
            assert field.type.equals(_written_type(column.type)), (path, column.name, field.type)
            assert field.metadata[tables.DESCRIPTION].decode() == column.description, (path, column.name)


def test_every_table_and_column_says_what_it_holds() -> None:
    paths = [t.path for t in tables.all_tables()]
    assert len(paths) == len(set(paths))
    codes = [t.code for t in tables.all_tables() if t.code is not None]
    assert len(codes) == len(set(codes)), "two tables share a place in the record-id space"
    for table in tables.all_tables():
        assert table.description.strip(), table.path
        names = table.column_names
        assert len(names) == len(set(names)), table.path
        for column in table.columns:
            assert column.description.strip(), (table.path, column.name)
        for name in (table.id_column, table.event_date):
            assert name is None or name in names, (table.path, name)
        if table.person is not None:
            person = table.person
            assert {person.given_name, person.family_name, person.date_of_birth, person.sex} <= set(names)
            assert table.code is not None, table.path
        assert not table.ends_at_death or table.event_date or table.path == "agencies/police/incident_persons"


def test_the_signal_rules_read_declared_tables() -> None:
    for key in signals.RULES:
        agency, name = key.split("/")
        assert tables.agency_table(agency, name).agency == agency


def test_the_data_dictionary_is_current() -> None:
    """docs/tables.md is generated from the registry: regenerate it with the command it names."""
    assert (ROOT / "docs" / "tables.md").read_text(encoding="utf-8") == dictionary.markdown(), (
        f"docs/tables.md is out of date: run `{dictionary.REGENERATE}`"
    )


@pytest.mark.parametrize("table", tables.all_tables(), ids=lambda t: t.path)
def test_the_dictionary_lists_every_column(table: tables.Table) -> None:
    records = {record["path"]: record for record in dictionary.as_records()}
    assert [c["name"] for c in records[table.path]["columns"]] == table.column_names
    assert f"### `{table.path}`" in dictionary.markdown()


def test_the_readme_lists_every_table_as_the_registry_declares_it() -> None:
    """README's output layout is generated from the registry: regenerate it with dictionary.listing()."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = readme.index(dictionary.LISTING_BEGIN), readme.index(dictionary.LISTING_END)
    assert readme[begin : end + len(dictionary.LISTING_END)] == dictionary.listing()


def test_the_tables_command_prints_the_dictionary() -> None:
    from click.testing import CliRunner

    from synthgen.cli import cli

    runner = CliRunner()
    as_json = runner.invoke(cli, ["tables", "--json"])
    assert as_json.exit_code == 0
    assert [record["path"] for record in json.loads(as_json.output)] == [t.path for t in tables.all_tables()]
    assert runner.invoke(cli, ["tables", "--markdown"]).output == dictionary.markdown()
    plain = runner.invoke(cli, ["tables"]).output
    assert all(f"{t.path}: " in plain for t in tables.all_tables())
