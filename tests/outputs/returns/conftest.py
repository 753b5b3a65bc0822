"""The DfE's validation rules, as data-to-insight implements them, in a virtual environment of their own.

Both validators pin pandas below 2, which synthgen's own environment does not want, so the suite builds a second
environment once per machine (a folder in the temporary directory named for the pins) and runs the validators
there through their Python APIs, in a subprocess. Concurrent test workers wait on a lock while one builds it.
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

VALIDATORS = ("csc-validator-be-cin==0.1.13", "csc-validator-be-903==0.1.17")
"""The pinned validators: rule sets cin2022_23 to cin2026_27 and lac2022_23 to lac2026_27."""


def validator_environment() -> Path:
    """The Python of an environment holding both validators, built on first use."""
    digest = hashlib.sha256(" ".join((sys.version, *VALIDATORS)).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"synthgen-validators-{digest}"
    python = home / "bin" / "python"
    done = home / ".complete"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"synthgen-validators-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            venv.create(home, with_pip=True, clear=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *VALIDATORS],
                check=True,
            )
            done.touch()
    return python


@pytest.fixture(scope="session")
def validator_python() -> Path:
    """Path to the Python that can import `cin_validator` and `lac_validator`."""
    return validator_environment()
