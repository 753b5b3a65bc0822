"""The DfE's validation rules, as data-to-insight implements them, and liiatools' Annex A cleaner, each in a
virtual environment of its own; and the run of 100,000 people the returns' tests share.

Both validators pin pandas below 2, which synthgen's own environment does not want, so the suite builds a second
environment once per machine (a folder in the temporary directory named for the pins) and runs the validators
there through their Python APIs, in a subprocess. Concurrent test workers wait on a lock while one builds it.
liiatools 0.2.0 gets a third, built the same way: it pins pandas and numpy below 2 too, and its cchardet pin does
not build on Python 3.11, so liiatools is installed without its dependencies and these by name (its Annex A
cleaner never imports cchardet).
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import pytest

import synthgen
from synthgen.run_folder import Run, open_run

VALIDATORS = ("csc-validator-be-cin==0.1.13", "csc-validator-be-903==0.1.17")
"""The pinned validators: rule sets cin2022_23 to cin2026_27 and lac2022_23 to lac2026_27."""


LIIATOOLS = "liiatools==0.2.0"
LIIATOOLS_DEPENDENCIES = (
    "pandas<2",
    "numpy<2",
    "sfdata-stream-parser==0.4.1",
    "xmlschema<2",
    "regex<2023",
    "PyYAML>=6,<7",
    "XlsxWriter>=3.0.3,<4",
    "click>=8.1.2,<9",
    "click-log>=0.4,<0.5",
    "dacite>=1.6,<2",
    "lxml>=4.9.1,<5",
    "more-itertools>=8.12,<9",
    "openpyxl>=3.0.9,<4",
    "python-decouple>=3.8,<4",
    "tablib[cli,xlsx]>=3.2,<4",
    "xlrd>=2.0.1,<3",
)
"""liiatools' own requirements (its wheel's Requires-Dist), less cchardet."""


def _environment(name: str, installs: list[list[str]]) -> Path:
    """The Python of a virtual environment in the temporary directory, named for what it holds and built on
    first use (each of `installs` is one pip install's arguments), under a lock."""
    digest = hashlib.sha256(" ".join((sys.version, *(" ".join(i) for i in installs))).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"synthgen-{name}-{digest}"
    python = home / "bin" / "python"
    done = home / ".complete"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"synthgen-{name}-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            venv.create(home, with_pip=True, clear=True)
            for arguments in installs:
                pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                subprocess.run([*pip, *arguments], check=True)
            done.touch()
    return python


def validator_environment() -> Path:
    """The Python of an environment holding both validators, built on first use."""
    return _environment("validators", [list(VALIDATORS)])


def liiatools_environment() -> Path:
    """The Python of an environment holding liiatools 0.2.0, built on first use."""
    return _environment("liiatools", [list(LIIATOOLS_DEPENDENCIES), ["--no-deps", LIIATOOLS]])


@pytest.fixture(scope="session")
def validator_python() -> Path:
    """Path to the Python that can import `cin_validator` and `lac_validator`."""
    return validator_environment()


@pytest.fixture(scope="session")
def liiatools_python() -> Path:
    """Path to the Python that runs liiatools' Annex A cleaner (`python -m liiatools annex-a cleanfile`)."""
    return liiatools_environment()


@pytest.fixture(scope="session")
def demo_100k(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The demo at 100,000 people, shared by the returns' tests (the issues ask for a run of at least 100,000)."""
    folder = tmp_path_factory.mktemp("returns") / "demo-100k"
    demo = Path(__file__).parents[3] / "scenarios" / "demo.yaml"
    scenario = synthgen.load_scenario(demo, {"population.people": 100_000})
    synthgen.generate(scenario, folder, workers=1, overwrite=True)
    return open_run(folder)
