"""Single files written whole or not at all, and result tables written in the format their name asks for.

A command's output (predictions, flags, a JSON score, a report, a return) is written beside its target under a
hidden temporary name, then renamed into place: a reader never sees half a file, and a failed or killed write
leaves nothing that looks finished (a killed writer's temporary file is removed by the next). The folders of a run,
a pack or a return are written the same way (`synthgen.outputs.folders`).

Every command that writes files follows one rule, checked by `claimed` before any work is done: an existing file
is replaced only with `overwrite` (a folder, a symbolic link or a path named twice never), no parent folder is
created, and one writer at a time holds each file (`synthgen.outputs.locks`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError
from synthgen.outputs import locks
from synthgen.outputs.parquet import COMPRESSION

TABLE_SUFFIXES = (".parquet", ".csv")
"""A result table is Parquet, or CSV for people and spreadsheets, chosen by the file's suffix."""


def require_suffix(path: Path, suffixes: tuple[str, ...], message: str) -> None:
    """Refuse, before any work is done, a file whose suffix is not one of `suffixes` (`message` says what it is
    written as, after the path)."""
    if path.suffix.lower() not in suffixes:
        raise SynthgenError(f"{path}: {message}")


def _checked(shown: Path, overwrite: bool) -> Path:
    """`shown` as an absolute path, refused unless a file may be written there."""
    target = Path(os.path.abspath(shown))
    locks.check_name(target, shown)
    if os.path.islink(target):
        raise SynthgenError(f"{shown} is a symbolic link; name the file itself")
    if target.is_dir():
        raise SynthgenError(f"{shown} is a folder; name a file to write")
    if not target.parent.is_dir():
        reason = "is not a folder" if target.parent.exists() else "does not exist"
        raise SynthgenError(f"{shown}: cannot be written, {target.parent} {reason}")
    if target.exists() and not overwrite:
        raise ArgumentError(
            "overwrite", f"{shown} already exists; pass {PLACE} to replace it", as_written="overwrite=True"
        )
    return target


@contextmanager
def claimed(paths: Sequence[str | Path | None], overwrite: bool) -> Iterator[None]:
    """Check that each file of `paths` (None: not asked for) may be written, and hold it for this process until
    the block ends; a killed writer's temporary files beside them are removed."""
    shown = [Path(p) for p in paths if p is not None]
    targets = [_checked(path, overwrite) for path in shown]
    for at, target in enumerate(targets):
        if target in targets[:at]:
            raise SynthgenError(f"{shown[at]} is named twice; each output needs a file of its own")
    with ExitStack() as stack:
        for path, target in sorted(zip(shown, targets, strict=True), key=lambda pair: pair[1]):
            stack.callback(locks.acquire(target, path).release)
            prefix = f"{locks.hidden_name(target)}.partial-"
            for left in target.parent.iterdir():
                if left.name.startswith(prefix) and left.is_file():
                    left.unlink(missing_ok=True)
        yield


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write beside the target (`write` is given the temporary path), then rename: a reader never sees half a
    file, and a failed write leaves nothing behind. The target's folder must exist: none is created."""
    temp = path.parent / f"{locks.hidden_name(path)}.partial-{uuid.uuid4().hex[:8]}"
    try:
        write(temp)
        temp.replace(path)
    except OSError as error:
        raise SynthgenError(f"{path}: cannot be written ({error.strerror or error})") from None
    finally:
        with suppress(OSError):  # (the temporary path may not be a file we can remove)
            temp.unlink(missing_ok=True)


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
