"""Folders written whole or not at all, and never at the cost of anything of the user's.

Everything goes to a hidden temporary folder beside the destination, renamed into place only when complete, so an
interrupted or failed write never leaves anything that looks like a finished run or pack. Replacing an older
folder is one atomic exchange of the two (Linux's `renameat2`), so a kill at any moment leaves the old folder or the
new one in place, never neither; elsewhere two renames, with the old folder put back by the next writer if a kill
fell between them. What a killed writer leaves beside the destination is removed by the next one.

The one rule for every command that writes a folder (`generate`, `export training`, `export ssda903`):
- an existing folder is replaced only with `overwrite`, and only if synthgen wrote it: it holds synthgen's marker
  (`MARKER`, naming what it is and every file written) and nothing else. A folder holding anything synthgen did
  not write (a note, a nested run, a file of the same name as one of ours) is refused whole, untouched;
- an empty folder is simply used;
- nothing is written inside a folder synthgen wrote (a run inside a run), and no parent folder is created;
- one writer at a time (`synthgen.outputs.locks`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen import __version__
from synthgen.arguments import PLACE, ArgumentError
from synthgen.errors import SynthgenError
from synthgen.outputs import locks

MARKER = ".synthgen.json"
"""Written last into every folder synthgen writes: what it is and every file and folder in it."""


@dataclass(frozen=True)
class Kind:
    """What a folder synthgen writes is: its name in the marker, how messages name it, and the file an older
    synthgen (before the marker) left in it, to say why such a folder is refused."""

    name: str
    what: str
    legacy: str


RUN = Kind("run", "a synthgen run", "manifest.json")
TRAINING_PACK = Kind("training-pack", "a training pack", "index.html")
SSDA903 = Kind("ssda903", "an SSDA903 return", "header.csv")
FEED = Kind("feed", "a synthgen feed", "feed.json")
SERIES = Kind("cluster-series", "a series of cluster files", "series.json")
KINDS = {kind.name: kind for kind in (RUN, TRAINING_PACK, SSDA903, FEED, SERIES)}


@dataclass(frozen=True)
class _Writing:
    target: Path
    kind: Kind
    lock: locks.Lock


_writing: dict[Path, _Writing] = {}
"""Each temporary folder handed out by `prepare`, with its destination and lock, until `cleanup`."""


def prepare(out: str | Path, overwrite: bool, kind: Kind) -> Path:
    """The (new, empty) temporary folder to write `out` into, after checking that `out` may be written and locking
    it; `put_in_place` then puts it at `out` and `cleanup` (always, in a `finally`) removes what is left."""
    shown = Path(out)
    target = _target(shown)
    lock = locks.acquire(target, shown)
    temp = target.parent / f"{locks.hidden_name(target)}.partial-{uuid.uuid4().hex[:8]}"
    try:
        _recover(target)
        _check_replaceable(target, shown, overwrite, kind)
        _writing[temp] = _Writing(target, kind, lock)
        try:
            temp.mkdir()
        except OSError as error:
            raise SynthgenError(f"{shown}: cannot be written ({error.strerror})") from None
    except BaseException:  # a Ctrl-C too: nothing of this writer is left
        cleanup(temp)
        lock.release()
        raise
    return temp


def put_in_place(temp: Path, out: str | Path) -> None:
    """Mark the finished folder as synthgen's and put it at `out`, exchanging it with an older one (which is then
    at `temp`, for `cleanup` to remove)."""
    writing = _writing[temp]
    _write_marker(temp, writing.kind)
    try:
        if not os.path.lexists(writing.target):
            _rename(temp, writing.target, _RENAME_NOREPLACE)
        elif not _rename(temp, writing.target, _RENAME_EXCHANGE):
            # no atomic exchange here: old aside, new in, old where the new was (put back by `_recover` after a kill)
            old = writing.target.parent / f"{locks.hidden_name(writing.target)}.old-{uuid.uuid4().hex[:8]}"
            os.rename(writing.target, old)
            os.rename(temp, writing.target)
            os.rename(old, temp)
    except OSError as error:
        raise SynthgenError(f"{out}: cannot be put in place ({error.strerror})") from None


def cleanup(temp: Path) -> None:
    """Remove the temporary folder (an unfinished folder, or the old one exchanged out) and release the lock."""
    writing = _writing.pop(temp, None)
    try:
        if os.path.lexists(temp):
            remove_tree(temp)
    finally:
        if writing is not None:
            writing.lock.release()


def remove_tree(path: Path) -> None:
    """Remove a folder synthgen wrote, its read-only parts too (a user may have protected an old run)."""

    def writable_then_retry(function: Callable[..., Any], name: str, _: object) -> None:
        parent = os.path.dirname(name)
        try:
            os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
            function(name)
        except OSError:
            pass  # left for the next writer's clean-up

    shutil.rmtree(path, onerror=writable_then_retry)


# ------------------------------------------------------------------------------------------------ the checks


def _target(shown: Path) -> Path:
    """`shown` as an absolute path, refused if no folder can be written there."""
    if not str(shown).strip():
        raise SynthgenError("the output folder is not named")
    target = Path(os.path.abspath(shown))
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise SynthgenError(f"{shown} holds the current folder; choose a folder beside it")
    locks.check_name(target, shown)
    parent = target.parent
    if not parent.is_dir():
        reason = "is not a folder" if parent.exists() else "does not exist"
        raise SynthgenError(f"{shown}: cannot be written, {parent} {reason}")
    for folder in target.parents:
        if (folder / MARKER).is_file():
            raise SynthgenError(
                f"{shown} is inside {folder}, which is {_marked_kind(folder)}; write it outside that folder"
            )
    if os.path.islink(target):
        raise SynthgenError(f"{shown} is a symbolic link; name the folder it points to")
    return target


def _check_replaceable(target: Path, shown: Path, overwrite: bool, kind: Kind) -> None:
    """Refuse to replace `target` unless it is empty, or is `kind` as synthgen wrote it and `overwrite` is given."""
    if not target.exists():
        return
    if not target.is_dir():
        raise SynthgenError(f"{shown} is a file, not {kind.what}; refusing to replace it")
    try:
        if not any(target.iterdir()):
            return
    except OSError as error:
        raise SynthgenError(f"{shown}: cannot be read ({error.strerror})") from None
    marker = read_marker(target)
    if marker is None:
        if (target / kind.legacy).exists():
            raise SynthgenError(
                f"{shown} has no {MARKER} (written by an older synthgen?), so what in it is synthgen's cannot be "
                "told; refusing to replace it (remove it yourself)"
            )
        raise SynthgenError(f"{shown} is a folder that is not {kind.what}; refusing to replace it")
    if marker["synthgen"] != kind.name:
        raise SynthgenError(f"{shown} is {_marked_kind(target)}, not {kind.what}; refusing to replace it")
    if not overwrite:
        raise ArgumentError(
            "overwrite", f"{shown} already exists; pass {PLACE} to replace it", as_written="overwrite=True"
        )
    foreign = _foreign(target, marker)
    if foreign is not None:
        raise SynthgenError(f"{shown} holds {foreign}, which synthgen did not write; refusing to replace it")
    for folder, _, _ in os.walk(target):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SynthgenError(f"{shown} cannot be replaced: {folder} is read-only")


def _foreign(target: Path, marker: dict[str, Any]) -> str | None:
    """The first thing in `target` (relative, `/`-separated) that the marker does not list, if any."""
    files, folders = set(marker["files"]), set(marker["folders"])
    for folder, subfolders, names in os.walk(target):
        relative = Path(folder).relative_to(target)
        for name in sorted(subfolders):
            path = (relative / name).as_posix()
            if path not in folders or os.path.islink(os.path.join(folder, name)):
                return f"{path}/"
        for name in sorted(names):
            path = (relative / name).as_posix()
            if path not in files and path != MARKER:
                return path
    return None


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a folder synthgen wrote, or None if it has none (or one not of synthgen's making)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("synthgen") not in KINDS:
        return None
    if not all(isinstance(marker.get(key), list) for key in ("files", "folders")):
        return None
    return marker


def _marked_kind(folder: Path) -> str:
    marker = read_marker(folder)
    return KINDS[marker["synthgen"]].what if marker else "a folder synthgen wrote"


def _write_marker(folder: Path, kind: Kind) -> None:
    """List every file and folder written (sorted, so the same run gives the same bytes)."""
    files, folders = [], []
    for parent, subfolders, names in os.walk(folder):
        relative = Path(parent).relative_to(folder)
        folders += [(relative / name).as_posix() for name in subfolders]
        files += [(relative / name).as_posix() for name in names]
    marker = {"synthgen": kind.name, "version": __version__, "folders": sorted(folders), "files": sorted(files)}
    (folder / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- what a killed writer left behind


def _recover(target: Path) -> None:
    """Put back an old folder a kill left aside between two renames (where there is no atomic exchange), and
    remove the temporary folders of writers that were killed (the lock says none is still running)."""
    prefix = locks.hidden_name(target)
    left = sorted(p for p in target.parent.iterdir() if p.name.startswith((f"{prefix}.partial-", f"{prefix}.old-")))
    old = [p for p in left if p.name.startswith(f"{prefix}.old-")]
    if old and not os.path.lexists(target):
        os.rename(old[0], target)
        left.remove(old[0])
    for path in left:
        remove_tree(path) if path.is_dir() and not path.is_symlink() else path.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------- renameat2 (Linux)

_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc: Any = None


def _rename(source: Path, target: Path, flags: int) -> bool:
    """`renameat2(source, target, flags)`: True if done; False where the system cannot (then the caller falls back);
    an OSError for a real failure. Without renameat2, a no-replace rename is a plain rename (the lock keeps other
    synthgen writers away)."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        except OSError:
            _libc = False
    function = getattr(_libc, "renameat2", None) if _libc else None
    if function is not None:
        if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
            return True
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system
            raise OSError(errno, os.strerror(errno), str(target))
    if flags == _RENAME_NOREPLACE:
        os.rename(source, target)
        return True
    return False
