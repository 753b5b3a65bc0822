"""The command line: a thin layer whose errors are one exact line each, exit code 2, no traceback."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from synthgen.cli import cli
from synthgen.linkage import DEFAULT_METHOD, METHODS
from tests.cli_runs import run

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_generate_writes_a_complete_run(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, stdout, stderr = run("generate", str(write_scenario()), "-o", str(out), "--quiet")
    assert (code, stdout, stderr) == (0, "", "")
    assert (out / "manifest.json").exists()
    assert (out / "agencies" / "health" / "gp_registrations.parquet").exists()


def test_generate_summary_names_every_table(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    code, stdout, _ = run("generate", str(write_scenario()), "-o", str(tmp_path / "run"), "--people", "500")
    assert code == 0
    assert stdout.startswith(f"Wrote {tmp_path / 'run'}: 500 residents\n")
    assert "truth/records.parquet" in stdout


def test_existing_run_needs_overwrite(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    scenario, out = str(write_scenario()), str(tmp_path / "run")
    assert run("generate", scenario, "-o", out, "--quiet")[0] == 0
    assert run("generate", scenario, "-o", out, "--quiet") == (
        2,
        "",
        f"Error: {out} already exists; pass --overwrite to replace it\n",
    )
    assert run("generate", scenario, "-o", out, "--quiet", "--overwrite")[0] == 0


def test_a_folder_that_is_not_a_run_is_never_replaced(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.txt").write_text("years of work")
    code, _, stderr = run("generate", str(write_scenario()), "-o", str(tmp_path / "precious"), "--overwrite")
    assert code == 2
    assert stderr == f"Error: {tmp_path / 'precious'} is a folder that is not a synthgen run; refusing to replace it\n"
    assert (tmp_path / "precious" / "thesis.txt").read_text() == "years of work"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "Error: Invalid value for '--people': 0 is not in the range x>=1.\n"),
        (["--workers", "0"], "Error: Invalid value for '--workers': 0 is not in the range 1<=x<=256.\n"),
        (["--seed", "abc"], "Error: Invalid value for '--seed': 'abc' is not a valid integer.\n"),
        (["--colour"], "Error: No such option '--colour'. Did you mean '--out'?\n"),
    ],
)
def test_bad_options_are_one_line(
    write_scenario: Callable[..., Path], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "run"
    assert run("generate", str(write_scenario()), "-o", str(out), *args) == (2, "", message)
    assert not out.exists()


def test_bad_scenario_writes_nothing(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    path = write_scenario(people=-5)
    out = tmp_path / "run"
    assert run("generate", str(path), "-o", str(out)) == (
        2,
        "",
        f"Error: {path}:5: population.people: must be greater than 0\n",
    )
    assert list(tmp_path.iterdir()) == [path]


def test_validate(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario()
    assert run("validate", str(path)) == (0, f"{path}: valid (2,000 people, Rotherham, seed 7)\n", "")
    missing = str(path.parent / "missing.yaml")
    assert run("validate", missing) == (2, "", f"Error: {missing}: scenario file not found\n")


def test_unknown_command() -> None:
    assert run("generat") == (2, "", "Error: No such command 'generat'. Did you mean 'generate'?\n")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and "Example: synthgen " in command.help
    assert re.search(rf"`synthgen {name}\b", README), f"README.md does not document `synthgen {name}`"


def test_link_refuses_a_bad_suffix_and_an_unwritable_file(write_scenario: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run("generate", str(write_scenario()), "-o", str(out), "--people", "500", "--quiet")[0] == 0
    bad = tmp_path / "clusters.txt"
    assert run("link", str(out), "--method", "exact", "-o", str(bad)) == (
        2,
        "",
        f"Error: {bad}: predictions are written as .parquet or .csv\n",
    )
    blocked = tmp_path / "clusters.parquet"
    blocked.mkdir()  # a folder where the file would go
    assert run("link", str(out), "--method", "exact", "-o", str(blocked)) == (
        2,
        "",
        f"Error: {blocked} is a folder; name a file to write\n",
    )
    assert blocked.is_dir() and not any(blocked.iterdir())
    code, stdout, _ = run("link", str(out), "--method", "exact", "-o", str(tmp_path / "clusters.csv"))
    assert code == 0 and stdout.startswith(f"Wrote {tmp_path / 'clusters.csv'}: ")


def test_screen_then_evaluate_sharing(demo_run: Path, tmp_path: Path) -> None:
    flags, shared = tmp_path / "flags.csv", tmp_path / "disclosures.parquet"
    code, stdout, stderr = run("screen", str(demo_run), "-o", str(flags), "--disclosures", str(shared))
    assert (code, stderr) == (0, "")
    assert re.fullmatch(
        rf"Wrote {re.escape(str(flags))}: [\d,]+ children flagged \(fellegi-sunter, 90-day window\)\n"
        rf"Wrote {re.escape(str(shared))}: [\d,]+ disclosures\n",
        stdout,
    )
    code, stdout, stderr = run("evaluate", "sharing", str(demo_run), str(flags), "--disclosures", str(shared))
    assert (code, stderr) == (0, "")
    assert "0 with fields outside the policy, 0 to recipients without a purpose" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "-1"], "Error: Invalid value for '--window': -1 is not in the range 0<=x<=3660.\n"),
        (
            ["--method", "guess"],
            "Error: Invalid value for '--method': 'guess' is not one of 'exact', 'fellegi-sunter'.\n",
        ),
    ],
)
def test_screen_bad_options_are_one_line(demo_run: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "flags.csv"
    assert run("screen", str(demo_run), "-o", str(out), *args) == (2, "", message)
    assert not out.exists()


def test_screen_refuses_a_bad_suffix_and_a_folder_that_is_not_a_run(demo_run: Path, tmp_path: Path) -> None:
    bad = tmp_path / "flags.txt"
    assert run("screen", str(demo_run), "-o", str(bad)) == (
        2,
        "",
        f"Error: {bad}: screening results are written as .parquet or .csv\n",
    )
    assert run("screen", str(tmp_path), "-o", str(tmp_path / "f.csv")) == (
        2,
        "",
        f"Error: {tmp_path}: not a synthgen run (no manifest.json; was the run interrupted?)\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_mash_then_evaluate_mash(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "responses.csv"
    code, stdout, stderr = run("mash", str(demo_run), "-o", str(out), "--method", "exact")
    assert (code, stderr) == (0, "")
    assert re.fullmatch(
        rf"Wrote {re.escape(str(out))}: [\d,]+ contacts answered, [\d,]+ records found \(exact\); decisions: "
        r"nfa [\d,]+, information_advice [\d,]+, early_help [\d,]+, referral [\d,]+, strategy_discussion [\d,]+\n",
        stdout,
    )
    code, stdout, stderr = run("evaluate", "mash", str(demo_run), str(out))
    assert (code, stderr) == (0, "")
    assert "from the future 0\n" in stdout
    assert "0 with fields outside the policy, 0 to recipients without a purpose" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "{tmp}/r.csv", "--method", "guess"],
            "Error: Invalid value for '--method': 'guess' is not one of 'exact', 'fellegi-sunter'.\n",
        ),
        (["-o", "{tmp}/r.txt"], "Error: {tmp}/r.txt: responses are written as .parquet or .csv\n"),
        ([], "Error: Missing option '-o' / '--out'.\n"),
    ],
)
def test_mash_bad_options_are_one_line(demo_run: Path, tmp_path: Path, args: list[str], message: str) -> None:
    argv = [arg.format(tmp=tmp_path) for arg in args]
    assert run("mash", str(demo_run), *argv) == (2, "", message.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_mash_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    assert run("mash", str(tmp_path), "-o", str(tmp_path / "r.csv")) == (
        2,
        "",
        f"Error: {tmp_path}: not a synthgen run (no manifest.json; was the run interrupted?)\n",
    )
    assert run("mash", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r.csv")) == (
        2,
        "",
        f"Error: {tmp_path / 'nowhere'}: no such run folder\n",
    )
    assert list(tmp_path.iterdir()) == []


def _help_lines(path: str) -> list[str]:
    result = CliRunner().invoke(cli, [*path.split(), "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def _parse(argv: list[str]) -> click.Command:
    """The command an example names, after click has parsed its options and arguments (nothing is run)."""
    command: click.Command = cli
    args = list(argv)
    while isinstance(command, click.Group):
        name, *args = args
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"no command {name!r}"
        command = found
    with command.make_context(command.name or "", args):
        pass
    return command


@pytest.mark.parametrize(("name", "command"), [("", cli), *_commands(cli)])
def test_every_help_example_is_one_line_that_parses(name: str, command: click.Command) -> None:
    """Copied from --help at 80 columns, the example is a whole command: click does not rewrap it."""
    examples = [line.strip() for line in _help_lines(name) if line.strip().startswith("Example: ")]
    assert len(examples) == 1, examples
    assert examples[0] in [line.strip() for line in (command.help or "").splitlines()], "rewrapped by click"
    argv = shlex.split(examples[0].removeprefix("Example: "))
    assert argv[0] == "synthgen"
    parsed = _parse(argv[1:])
    assert parsed is command or isinstance(command, click.Group)


@pytest.mark.parametrize("name", ["link", "screen", "mash"])
def test_method_choices_are_the_linkers_registry(name: str) -> None:
    option = next(p for p in cli.commands[name].params if p.name == "method")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == list(METHODS)
    assert option.default == DEFAULT_METHOD


def test_an_argument_error_names_the_option(demo_run: Path, tmp_path: Path) -> None:
    """The library says `plant_errors`; the command line says which option that is."""
    code, _, stderr = run("export", "ssda903", str(demo_run), "-o", str(tmp_path / "903"), "--plant-errors", "99999")
    assert code == 2
    assert stderr.startswith("Error: --plant-errors: 99999 is more than this return can hold (")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--cadence", "hourly"],
            "Error: Invalid value for '--cadence': 'hourly' is not one of 'daily', 'weekly'.\n",
        ),
        (
            ["--format", "xml"],
            "Error: Invalid value for '--format': 'xml' is not one of 'parquet', 'csv', 'dfe-api'.\n",
        ),
        (
            ["--format", "dfe-api", "--dfe-api-mode", "weekly"],
            "Error: Invalid value for '--dfe-api-mode': 'weekly' is not one of 'deltas', 'snapshot'.\n",
        ),
        (["--dfe-api-mode", "snapshot"], "Error: --dfe-api-mode goes with format dfe-api only, not 'parquet'\n"),
        (
            ["--format", "dfe-api", "--dfe-api-mode", "deltas", "--snapshot-on", "2024-06-30"],
            "Error: --dfe-api-mode deltas cannot go with a snapshot day: a snapshot is every child\n",
        ),
        (
            ["--format", "dfe-api", "--snapshot-on", "2025-04-01"],
            "Error: --snapshot-on 2025-04-01 is outside the run's period, 2024-04-01 to 2025-03-31\n",
        ),
        (["--snapshot-on", "2024-13-01"], "Error: --snapshot-on must be a date (YYYY-MM-DD), not '2024-13-01'\n"),
        (["--snapshot-on", "1/6/2024"], "Error: --snapshot-on must be a date (YYYY-MM-DD), not '1/6/2024'\n"),
        (
            ["--snapshot-on", "2025-04-01"],
            "Error: --snapshot-on 2025-04-01 is outside the run's period, 2024-04-01 to 2025-03-31\n",
        ),
    ],
)
def test_feed_bad_options_are_one_line_and_write_nothing(
    demo_run: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    assert run("feed", str(demo_run), "-o", str(tmp_path / "feed"), *args) == (2, "", message)
    assert list(tmp_path.iterdir()) == []


def test_feed_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    assert run("feed", str(tmp_path / "nowhere"), "-o", str(tmp_path / "feed")) == (
        2,
        "",
        f"Error: {tmp_path / 'nowhere'}: no such run folder\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_feed_dfe_api_writes_a_json_array_per_day_and_says_what(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "dfe"
    code, stdout, stderr = run("feed", str(demo_run), "-o", str(out), "--format", "dfe-api", "--cadence", "weekly")
    assert (code, stderr) == (0, "")
    manifest = json.loads((out / "feed.json").read_text())
    files = sorted((out / "social_care" / "dfe_api").iterdir())
    assert [f.name for f in files] == [f"{f['day']}.json" for f in manifest["files"]] and len(files) > 40
    payloads = sum(len(json.loads(f.read_text())) for f in files)
    size = sum(f.stat().st_size for f in files)
    assert stdout == (
        f"Wrote {out}: {len(files)} DfE API payload files (deltas), {payloads:,} child payloads, 0 purged, "
        f"{size:,} bytes\n"
    )
    code, stdout, _ = run(
        "feed", str(demo_run), "-o", str(out), "--format", "dfe-api", "--snapshot-on", "2024-06-30", "--overwrite"
    )
    assert code == 0 and stdout.startswith(f"Wrote {out}: 1 DfE API payload files (snapshot), ")
    assert [f.name for f in (out / "social_care" / "dfe_api").iterdir()] == ["2024-06-30.json"]


def test_feed_writes_then_replaces_only_a_feed_and_never_a_users_files(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "feed"
    code, stdout, stderr = run("feed", str(demo_run), "-o", str(out), "--cadence", "weekly", "--format", "csv")
    assert (code, stderr) == (0, "")
    assert stdout.startswith(f"Wrote {out}: 53 weekly batches\n  agencies/police/persons ")
    assert (out / "feed.json").exists() and list(out.glob("agencies/police/2024-04-07/persons.csv"))
    assert [p.name for p in tmp_path.iterdir()] == ["feed"]  # the temporary folder was renamed into place
    assert run("feed", str(demo_run), "-o", str(out)) == (
        2,
        "",
        f"Error: {out} already exists; pass --overwrite to replace it\n",
    )
    code, stdout, _ = run("feed", str(demo_run), "-o", str(out), "--snapshot-on", "2024-06-30", "--overwrite")
    assert (code, stdout) == (0, f"Wrote {out}: every table as it stood on 2024-06-30\n")
    assert (out / "agencies" / "police" / "persons.parquet").exists() and not list(out.glob("agencies/*/2024-*"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert run("feed", str(demo_run), "-o", str(mine), "--overwrite") == (
        2,
        "",
        f"Error: {mine} is a folder that is not a synthgen feed; refusing to replace it\n",
    )
    assert (mine / "notes.txt").read_text() == "keep me"
    in_the_way = tmp_path / "file"
    in_the_way.write_text("mine")
    assert run("feed", str(demo_run), "-o", str(in_the_way), "--overwrite") == (
        2,
        "",
        f"Error: {in_the_way}: a file is in the way; a feed is a folder\n",
    )
    assert in_the_way.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed", "file", "mine"]
