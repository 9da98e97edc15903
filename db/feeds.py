"""Feeds: the list, counts by status, lookup and removal, and the fetch log's newest entry."""

from __future__ import annotations

import sqlite3

from db.engine import Connection


def count(conn: Connection, statuses: tuple[str, ...] | None = None) -> int:
    """Feeds in any of `statuses` (every feed when None)."""
    if statuses is None:
        return conn.execute("SELECT count(*) FROM feeds").fetchone()[0]
    marks = ", ".join("?" * len(statuses))
    return conn.execute(f"SELECT count(*) FROM feeds WHERE status IN ({marks})", statuses).fetchone()[0]


def status_counts(conn: Connection) -> list[tuple[str, int]]:
    """(status, feeds) for every status in use, by status."""
    return [tuple(row) for row in conn.execute("SELECT status, count(*) FROM feeds GROUP BY status ORDER BY status")]


def find(conn: Connection, key: str) -> sqlite3.Row | None:
    """The feed (id, url) whose URL or id is `key`."""
    return conn.execute("SELECT id, url FROM feeds WHERE url = ? OR CAST(id AS TEXT) = ?", (key, key)).fetchone()


def remove(conn: Connection, feed_id: int) -> None:
    """Forget a feed; its articles stay (they were published, and other feeds may carry them too)."""
    conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))


def last_fetch(conn: Connection) -> str | None:
    """When the newest fetch started (UTC text), None before the first."""
    row = conn.execute("SELECT started_at FROM fetch_log ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def id_for_url(conn: Connection, url: str) -> int | None:
    """The id of the feed at `url`."""
    row = conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
    return row[0] if row else None


def outlet_of(conn: Connection, feed_id: int) -> int | None:
    """The outlet id of a feed (None for a feed added by URL alone and not fetched yet)."""
    return conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (feed_id,)).fetchone()[0]


def log_fetch(conn: Connection, feed_id: int, started_at: str, duration_ms: int, http_status: int | None,
              outcome: str, error_kind: str | None = None, error: str | None = None, size: int | None = None,
              items: int | None = None, new_items: int | None = None) -> None:
    """One fetch_log row: a fetch of one feed and what came of it (ok | not_modified | error)."""
    conn.execute(
        "INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, outcome, error_kind, error, bytes, "
        "items, new_items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (feed_id, started_at, duration_ms, http_status, outcome, error_kind, error, size, items, new_items))


def list_feeds(conn: Connection) -> list[sqlite3.Row]:
    """Every feed with its outlet's name and country and its language (the feed's, else the outlet's)."""
    return conn.execute(
        "SELECT f.*, o.name AS outlet, o.country AS country, coalesce(f.language, o.language) AS lang "
        "FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id ORDER BY o.name, f.url").fetchall()
