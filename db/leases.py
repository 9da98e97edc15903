"""Feed leases: collectors (on one machine or several) claim due feeds, so that no feed is fetched by two at once.

A claim sets claimed_by and claimed_until (now + the lease) on up to `limit` due feeds whose lease is free or has
run out; a collector that dies keeps its feeds no longer than its lease, then another claims them. On PostgreSQL
the candidates are locked with FOR UPDATE SKIP LOCKED, so that claims running at the same moment pass each other
instead of waiting; SQLite runs one writer at a time (BEGIN IMMEDIATE), which makes the same statement atomic.
A feed's state is saved before its lease is released (db/feeds and collectors/collect: never lose)."""

from __future__ import annotations

import datetime as dt

from db.engine import POSTGRESQL, Connection, dialect
from db.schema import transaction

LEASE_S = 300
POLLED_STATUSES = ("active", "failing")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def claim_due(conn: Connection, worker: str, now: dt.datetime, limit: int = 50, lease_s: float = LEASE_S,
              force: bool = False) -> list:
    """Claim up to `limit` feeds that are due at `now` (every polled feed with `force`) and not leased to another
    collector; their rows, soonest due first. Runs in a transaction of its own."""
    stamp = _stamp(now)
    lock = " FOR UPDATE SKIP LOCKED" if dialect(conn) == POSTGRESQL else ""
    # a forced claim takes feeds due or not: '9' sorts after every stored time
    sql = ("UPDATE feeds SET claimed_by = ?, claimed_until = ? WHERE id IN ("
           f"SELECT id FROM feeds WHERE status IN ({', '.join('?' * len(POLLED_STATUSES))}) "
           "AND (next_fetch_at IS NULL OR next_fetch_at <= ?) AND (claimed_until IS NULL OR claimed_until <= ?) "
           f"ORDER BY coalesce(next_fetch_at, ''), id LIMIT ?{lock}) RETURNING *")
    params = (worker, _stamp(now + dt.timedelta(seconds=lease_s)), *POLLED_STATUSES, "9" if force else stamp, stamp,
              limit)
    with transaction(conn):
        rows = conn.execute(sql, params).fetchall()
    return sorted(rows, key=lambda r: (r["next_fetch_at"] or "", r["id"]))


def release(conn: Connection, worker: str, feed_ids: list[int]) -> int:
    """Give back the leases `worker` holds on these feeds (after saving their state); how many it still held."""
    if not feed_ids:
        return 0
    return conn.execute(f"UPDATE feeds SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND id IN "
                        f"({', '.join('?' * len(feed_ids))})", (worker, *feed_ids)).rowcount


def renew(conn: Connection, worker: str, now: dt.datetime, lease_s: float = LEASE_S) -> int:
    """Extend every lease `worker` holds to `now` + `lease_s` (a collector that makes progress keeps its feeds);
    how many it holds."""
    return conn.execute("UPDATE feeds SET claimed_until = ? WHERE claimed_by = ?",
                        (_stamp(now + dt.timedelta(seconds=lease_s)), worker)).rowcount


def release_all(conn: Connection, worker: str) -> int:
    """Give back every lease `worker` holds (at the end of its cycle); how many it held."""
    return conn.execute("UPDATE feeds SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?",
                        (worker,)).rowcount


def holders(conn: Connection) -> list[str]:
    """Every collector that holds a lease (expired or not)."""
    return [row[0] for row in conn.execute("SELECT DISTINCT claimed_by FROM feeds WHERE claimed_by IS NOT NULL")]


def holder(conn: Connection, feed_id: int) -> str | None:
    """Who holds the feed's lease (expired or not), if anyone."""
    row = conn.execute("SELECT claimed_by FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    return row[0] if row else None
