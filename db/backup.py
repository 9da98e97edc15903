"""An online copy of the database: consistent while the collector writes, verified before it takes FILE's name."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from db.outfile import OutputError, reason, sqlite_write_trouble, staged

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
    """Refuse a FILE that is the database (or one of its side files), a directory, or an existing file without
    --force (a device or FIFO such as /dev/null is written into, so it needs no --force)."""
    if any(_same_file(target, database.with_name(database.name + side)) for side in SIDE_FILES):
        raise BackupError(f"{target} is the database itself; give another file")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if target.is_file() and not force:
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
    with closing(sqlite3.connect(part, isolation_level=None)) as target:
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


def backup(database: str | os.PathLike, target: str | os.PathLike, force: bool = False,
           progress: Callable[[int, int], None] | None = None) -> BackupReport:
    """Copy the database to `target` while others keep writing: built under a private name, checked, renamed.

    A device or FIFO as `target` (SQLite needs a real file to copy into) gets the copy built in a private folder
    beside the database (known writable, and on a disk chosen for it; /tmp is often a small tmpfs), checked,
    then streamed into it. The source holds one read transaction across all the copy's steps: every step sees
    the same snapshot, so writers (in WAL mode they are never blocked by a reader) cannot make SQLite restart
    the copy."""
    database, target = Path(database), Path(target)
    check_target(database, target, force)
    with closing(_open_source(database)) as source, staged(target, scratch=database.parent) as part:
        try:
            _copy(source, part, progress)
            source.execute("COMMIT")
            articles = _verify(part)
        except sqlite3.OperationalError as exc:
            if not sqlite_write_trouble(exc):
                raise
            raise OutputError(f"cannot write {target}: {reason(exc)}") from None
        size = part.stat().st_size
    return BackupReport(target, articles, size)
