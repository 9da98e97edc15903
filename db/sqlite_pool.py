"""Read-only SQLite connections kept open between the dashboard's queries.

The dashboard opens a short-lived connection per aggregate (db.aggregates.open_db), and a page runs 5–10 of them.
Opening one costs 2–4 ms: SQLite reads and parses the whole schema (its tables, views and triggers) on a
connection's first statement. Closing one of these keeps it for the next query of any thread on the same file; one
left inside a transaction, or whose file was replaced or removed since, is closed for good. Each statement outside
a transaction reads the newest commit, so a kept connection sees what a new one would."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

MAX_IDLE = 8   # over all files: a test session opens hundreds of databases, a dashboard one or two
_IDLE: list[PooledConnection] = []
_LOCK = threading.Lock()

_Key = tuple[str, tuple[int, int] | None]


def _key(path: str | os.PathLike) -> _Key:
    """The file's resolved path and identity (device, inode): a file replaced at the same path is another file."""
    resolved = str(Path(path).resolve())
    try:
        found = os.stat(resolved)
    except OSError:
        return resolved, None
    return resolved, (found.st_dev, found.st_ino)


class PooledConnection(sqlite3.Connection):
    """A read-only connection whose close() keeps it for the next open_readonly of the same file."""

    key: _Key
    idle: bool = False

    def close(self) -> None:
        if self.idle:
            return
        # not pooled yet (connect refusing the file: a newer schema), in a transaction, or the file replaced
        if not hasattr(self, "key") or self.in_transaction or _key(self.key[0]) != self.key:
            super().close()
            return
        self.idle = True
        with _LOCK:
            _IDLE.append(self)
            evicted = _IDLE.pop(0) if len(_IDLE) > MAX_IDLE else None
        if evicted is not None:
            sqlite3.Connection.close(evicted)


def open_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    """An idle read-only connection to the file at `path`, else a new one."""
    key = _key(path)
    with _LOCK:
        for index in range(len(_IDLE) - 1, -1, -1):
            if _IDLE[index].key == key:
                conn = _IDLE.pop(index)
                conn.idle = False
                return conn
    from db.schema import connect  # its checks: a database newer than this newsradar is refused

    conn = connect(path, readonly=True, factory=PooledConnection)
    conn.key = key
    return conn
