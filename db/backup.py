"""An online copy of the database: consistent while the collector writes, verified before it takes FILE's name."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 1024  # 4 MiB at SQLite's default page size: progress is reported, and the GIL freed, per step
SIDE_FILES = ("", "-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup that was not made; the message says why in one line."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    articles: int
    size: int

    def summary(self) -> str:
        return f"backup {self.path}: {self.articles:,} articles, {self.size / 1e6:,.1f} MB, integrity ok"


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))


def check_target(database: Path, target: Path, force: bool) -> None:
    """Refuse a FILE that is the database (or one of its side files), a directory, or exists without --force."""
    if any(_same_file(target, database.with_name(database.name + side)) for side in SIDE_FILES):
        raise BackupError(f"{target} is the database itself; give another file")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent} for the backup")
    if not os.access(target.parent, os.W_OK):
        raise BackupError(f"cannot write in {target.parent}")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; use --force to replace it")


def _open_source(database: Path) -> sqlite3.Connection:
    """The database opened for reading without creating it (mode=rw: a WAL reader may need to write -shm)."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    conn = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None,
                           timeout=30.0)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"{database} is not a database ({exc})") from None
    return conn


def _copy(source: sqlite3.Connection, part: Path, progress: Callable[[int, int], None] | None) -> None:
    """Page-by-page copy of the source's snapshot into `part`, then a self-contained rollback-journal file."""
    try:
        target = sqlite3.connect(part, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot write {part}: {exc}") from None
    with closing(target):
        source.backup(target, pages=PAGES_PER_STEP,
                      progress=(lambda _status, left, total: progress(total - left, total)) if progress else None)
        # the copy's header still says WAL; as one plain file it can be moved, mailed or restored as is
        # (newsradar's connect() turns WAL on again when the copy is opened as a database)
        target.execute("PRAGMA journal_mode = DELETE")


def _verify(part: Path) -> int:
    """integrity_check of the copy, and its number of articles."""
    with closing(sqlite3.connect(part.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the copy failed its integrity check: {problems[0]}")
        has_articles = conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'articles'").fetchone()
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0] if has_articles else 0


def _remove(part: Path) -> None:
    for side in SIDE_FILES:
        part.with_name(part.name + side).unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (a crash right after must not bring back the old FILE or none)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(database: str | os.PathLike, target: str | os.PathLike, force: bool = False,
           progress: Callable[[int, int], None] | None = None) -> BackupReport:
    """Copy the database to `target` while others keep writing: written as `target`.part, checked, renamed.

    The source holds one read transaction across all the copy's steps: every step sees the same snapshot,
    so writers (in WAL mode they are never blocked by a reader) cannot make SQLite restart the copy."""
    database, target = Path(database), Path(target)
    check_target(database, target, force)
    part = target.with_name(target.name + ".part")
    _remove(part)  # the leftovers of an interrupted backup
    try:
        with closing(_open_source(database)) as source:
            _copy(source, part, progress)
            source.execute("COMMIT")
        articles = _verify(part)
        part.replace(target)
    except BaseException:
        _remove(part)
        raise
    _sync_directory(target.parent)
    return BackupReport(target, articles, target.stat().st_size)
