"""Read-only PostgreSQL connections kept open between the dashboard's queries.

The dashboard opens a short-lived connection per aggregate (db.aggregates.open_db): free for a SQLite file, about
10 ms for PostgreSQL (a TCP connection, authentication and a server process each time), and a page runs 5–10 of
them. Closing one of these puts it back for the next query of any thread; one that broke, or was left inside a
transaction, is closed for good."""

from __future__ import annotations

import queue

import psycopg

from db.postgres.connection import PgConnection

MAX_IDLE = 8   # per database: the dashboard's threads rarely run more queries at once
_IDLE: dict[str, queue.LifoQueue] = {}


class PooledConnection(PgConnection):
    """A read-only connection whose close() keeps it for the next open_readonly of the same URL."""

    def close(self) -> None:
        raw = self.raw
        if raw.closed or raw.broken or self.in_transaction:
            raw.close()
            return
        try:
            _IDLE.setdefault(self.url, queue.LifoQueue(MAX_IDLE)).put_nowait(raw)
        except queue.Full:
            raw.close()


def open_readonly(url: str) -> PgConnection:
    """An idle connection to `url` that still answers, else a new read-only one (its schema left as it is)."""
    idle = _IDLE.setdefault(url, queue.LifoQueue(MAX_IDLE))
    while True:
        try:
            raw = idle.get_nowait()
        except queue.Empty:
            break
        try:
            raw.execute("SELECT 1")   # a server restarted since: this one is gone, try the next
            return PooledConnection(raw, url)
        except psycopg.Error:
            raw.close()
    from db.schema import connect  # its checks: a database newer than this newsradar is refused

    return PooledConnection(connect(url, readonly=True).raw, url)
