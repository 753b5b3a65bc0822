"""Single files written whole or not at all, and result tables written in the format their name asks for.

A command's output (predictions, flags, a JSON score, a report, a return) is written beside its target under a
hidden temporary name, then renamed into place: a reader never sees half a file, and a failed write leaves
nothing behind, not even the temporary file. The folders of a run, a pack or a return are written the same way
(`synthgen.outputs.folders`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen.errors import SynthgenError
from synthgen.outputs.parquet import COMPRESSION

TABLE_SUFFIXES = (".parquet", ".csv")
"""A result table is Parquet, or CSV for people and spreadsheets, chosen by the file's suffix."""


def require_suffix(path: Path, suffixes: tuple[str, ...], message: str) -> None:
    """Refuse, before any work is done, a file whose suffix is not one of `suffixes` (`message` says what it is
    written as, after the path)."""
    if path.suffix.lower() not in suffixes:
        raise SynthgenError(f"{path}: {message}")


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write beside the target (`write` is given the temporary path), then rename: a reader never sees half a
    file, and a failed write leaves nothing behind."""
    temp = path.parent / f".{path.name}.partial"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temp)
        temp.replace(path)
    except OSError as error:
        with suppress(OSError):  # (the temporary path may not be a file we can remove)
            temp.unlink(missing_ok=True)
        raise SynthgenError(f"{path}: cannot be written ({error.strerror or error})") from None


def write_text(path: Path, text: str) -> None:
    """A UTF-8 text file (JSON, an HTML report), written whole."""
    write_atomically(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """A file of given bytes (an XML return), written whole."""
    write_atomically(path, lambda temp: temp.write_bytes(data))


def write_table(path: Path, table: pa.Table) -> None:
    """A result table as CSV when the name ends in .csv, otherwise Parquet (compressed as a run's files are)."""
    if path.suffix.lower() == ".csv":
        write_atomically(path, lambda temp: pacsv.write_csv(table, temp))
    else:
        write_atomically(path, lambda temp: pq.write_table(table, temp, compression=COMPRESSION))
