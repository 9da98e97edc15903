"""Output files the user names: devices, FIFOs and links written in place, files built under a private name and renamed.

A regular FILE (or a new one) is built in a fresh folder made by mkdtemp beside it (created exclusively, with an
unpredictable name, mode 0700, so nobody can plant a link at any name inside), then renamed onto FILE: a crash or
an error never leaves FILE half-written, and the previous FILE stays as it was. Anything else the user names
(/dev/null, /dev/stdout, a FIFO, a terminal) is opened and written as it is, never unlinked, renamed or replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOENT: "no such file or folder",
    errno.EPIPE: "the reading end of the pipe was closed",
    errno.ENXIO: "nothing is there to write to (a socket, or a device without its driver)",
    errno.EIO: "input/output error",
    errno.ENAMETOOLONG: "the name is too long",
}
# SQLite's primary result codes for the same troubles (sqlite3.Error.sqlite_errorcode & 0xff)
_SQLITE_WORDS = {13: _WORDS[errno.ENOSPC], 8: _WORDS[errno.EROFS], 3: _WORDS[errno.EACCES], 10: _WORDS[errno.EIO],
                 14: "cannot create the file"}


class OutputError(Exception):
    """An output that was not written; the message is one line: cannot write PATH: why, in words."""


def reason(exc: OSError | sqlite3.Error) -> str:
    """Why a write failed, in words (no errno numbers, no traceback)."""
    if isinstance(exc, sqlite3.Error):
        return _SQLITE_WORDS.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF, str(exc))
    return _WORDS.get(exc.errno, (exc.strerror or str(exc)).lower())


def sqlite_write_trouble(exc: sqlite3.Error) -> bool:
    """The SQLite error is about writing (full disk, read-only, permission, I/O), not about the data."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_WORDS


def _refuse(target: Path, why: str) -> OutputError:
    return OutputError(f"cannot write {target}: {why}")


def _planted(target: Path, st: os.stat_result) -> bool:
    """A link, FIFO or device put by another user into a shared sticky folder such as /tmp (the rule of Linux's
    protected_symlinks and protected_fifos, which are off on some machines): root must not write through it."""
    folder = os.stat(target.parent)
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    return bool(shared) and st.st_uid not in (os.geteuid(), folder.st_uid)


def in_place(target: Path) -> bool:
    """True when `target` exists and is not a regular file (device, FIFO, terminal, link): it is written as it is.

    Raises OutputError for a folder, a link to nothing, and anything planted in a shared folder."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _refuse(target, reason(exc)) from None
    if stat.S_ISREG(st.st_mode):
        return False
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(target, "it is a folder; give a file name")
    if _planted(target, st):
        raise _refuse(target, f"it is owned by another user in the shared folder {target.parent}")
    if stat.S_ISLNK(st.st_mode) and not target.exists():
        raise _refuse(target, "it is a link to nothing")
    if target.is_dir():
        raise _refuse(target, "it is a link to a folder; give a file name")
    return True


def _open_in_place(target: Path) -> int:
    """The target opened for writing as it is; O_TRUNC matters only for a linked regular file (as `>` would)."""
    return os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_NOCTTY)


def _make_folder(target: Path, near: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=near))
    except FileNotFoundError:
        raise _refuse(target, f"there is no folder {near}") from None
    except OSError as exc:
        where = "" if near == target.parent else f" (a temporary copy in {near} first)"
        raise _refuse(target, reason(exc) + where) from None


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _deliver(built: Path, target: Path) -> None:
    """The finished file onto `target`: streamed into a device or FIFO, else renamed (durably) onto it."""
    if in_place(target):
        with open(built, "rb") as source, open(_open_in_place(target), "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return
    _fsync(built)
    os.replace(built, target)
    _fsync(target.parent)  # a crash right after must not bring back the old FILE, or none


@contextmanager
def staged(target: str | os.PathLike, scratch: str | os.PathLike | None = None) -> Iterator[Path]:
    """A path to build the output at; when the block ends without error it becomes `target`.

    The path lies in a private folder beside `target`, or in `scratch` (default: the system's temporary folder)
    when `target` is a device or FIFO, which cannot be renamed onto: the file is then streamed into it. Side
    files (SQLite's journals) stay in that folder, which is removed whatever happens. Errors writing become
    OutputError."""
    target = Path(target)
    near = Path(scratch or tempfile.gettempdir()) if in_place(target) else target.parent
    folder = _make_folder(target, near)
    try:
        yield folder / target.name
        _deliver(folder / target.name, target)
    except OSError as exc:
        raise _refuse(target, reason(exc)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def open_output(target: str | os.PathLike, encoding: str = "utf-8", newline: str | None = None) -> Iterator[TextIO]:
    """`target` opened for writing text: in place if it is a device or FIFO, else built aside and renamed on."""
    target = Path(target)
    try:
        if in_place(target):
            with open(_open_in_place(target), "w", encoding=encoding, newline=newline) as out:
                yield out
            return
        with staged(target) as path, open(path, "x", encoding=encoding, newline=newline) as out:
            yield out
    except OSError as exc:
        raise _refuse(target, reason(exc)) from None
