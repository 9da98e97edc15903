"""Feeds and outlets: created or filled in, listed, counted, looked up and removed; the fetch log."""

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


def ensure_outlet(conn: Connection, name: str, country: str | None = None,
                  language: str | None = None) -> int:
    """The id of the outlet called `name`, created or given its missing country/language."""
    conn.execute(
        "INSERT INTO outlets (name, country, language) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "country = coalesce(excluded.country, outlets.country), "
        "language = coalesce(excluded.language, outlets.language)",
        (name, country or None, language or None))
    return conn.execute("SELECT id FROM outlets WHERE name = ?", (name,)).fetchone()[0]


def ensure_feed(conn: Connection, url: str, outlet: str | None = None, country: str | None = None,
                language: str | None = None, refused: str | None = None) -> int:
    """The id of the feed at `url`, created if new; outlet, country and language fill in what is known.

    A new feed with a `refused` reason is created disabled (never polled), the reason as its last error."""
    outlet_id = ensure_outlet(conn, outlet, country, language) if outlet else None
    conn.execute(
        "INSERT INTO feeds (url, outlet_id, language, status, last_error_kind, last_error) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (url) DO UPDATE SET "
        "outlet_id = coalesce(excluded.outlet_id, feeds.outlet_id), "
        "language = coalesce(excluded.language, feeds.language)",
        (url, outlet_id, language or None, "disabled" if refused else "active", "refused" if refused else None,
         refused))
    return conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()[0]


def due_feeds(conn: Connection, statuses: tuple[str, ...], due_by: str | None) -> list[sqlite3.Row]:
    """Feeds in `statuses` whose next fetch time (UTC text) has come by `due_by`; every one of them when None."""
    sql = f"SELECT * FROM feeds WHERE status IN ({', '.join('?' * len(statuses))})"
    params: tuple = statuses
    if due_by is not None:
        sql += " AND (next_fetch_at IS NULL OR next_fetch_at <= ?)"
        params += (due_by,)
    return conn.execute(sql + " ORDER BY id", params).fetchall()


def next_fetch(conn: Connection, statuses: tuple[str, ...]) -> str | None:
    """The earliest next fetch time of the feeds in `statuses`: '' when one was never fetched, None when none is."""
    return conn.execute(f"SELECT min(coalesce(next_fetch_at, '')) FROM feeds WHERE status IN "
                        f"({', '.join('?' * len(statuses))})", statuses).fetchone()[0]


def set_outlet(conn: Connection, feed_id: int, outlet_id: int) -> None:
    conn.execute("UPDATE feeds SET outlet_id = ? WHERE id = ?", (outlet_id, feed_id))


def note_redirect(conn: Connection, feed_id: int, target: str | None, seen: int) -> None:
    """The permanent redirect seen `seen` times in a row (None, 0: no redirect)."""
    conn.execute("UPDATE feeds SET redirect_to = ?, redirect_seen = ? WHERE id = ?", (target, seen, feed_id))


def mark_duplicate(conn: Connection, feed_id: int, target: str, seen: int, why: str) -> None:
    """The feed redirects for good to another stored feed: it is no longer polled."""
    conn.execute("UPDATE feeds SET status = 'duplicate', redirect_to = ?, redirect_seen = ?, last_error = ? "
                 "WHERE id = ?", (target, seen, why, feed_id))


def move(conn: Connection, feed_id: int, url: str) -> None:
    """The feed's URL becomes `url` (a confirmed permanent redirect)."""
    conn.execute("UPDATE feeds SET url = ?, redirect_to = NULL, redirect_seen = 0 WHERE id = ?", (url, feed_id))


def record_failure(conn: Connection, feed_id: int, status: str, errors: int, stamp: str, error_kind: str,
                   error: str | None, next_fetch_at: str) -> None:
    """A failed fetch at `stamp`: the feed's status, its count of errors in a row and when to try again."""
    conn.execute(
        "UPDATE feeds SET status = ?, consecutive_errors = ?, last_fetch_at = ?, last_error_kind = ?, "
        "last_error = ?, last_error_at = ?, next_fetch_at = ? WHERE id = ?",
        (status, errors, stamp, error_kind, error, stamp, next_fetch_at, feed_id))


def record_success(conn: Connection, feed_id: int, stamp: str, etag: str | None, last_modified: str | None,
                   body_hash: str | None, unconditional: str | None, interval_s: float, next_fetch_at: str,
                   new_items: int) -> None:
    """A successful fetch at `stamp`: validators and body hash (None keeps the stored ones), the new interval."""
    conn.execute(
        "UPDATE feeds SET status = 'active', consecutive_errors = 0, last_fetch_at = ?, last_success_at = ?, "
        "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), body_hash = coalesce(?, body_hash), "
        "last_unconditional_at = coalesce(?, last_unconditional_at), interval_s = ?, next_fetch_at = ?, "
        "articles_seen = articles_seen + ?, last_new_at = CASE WHEN ? > 0 THEN ? ELSE last_new_at END "
        "WHERE id = ?",
        (stamp, stamp, etag, last_modified, body_hash, unconditional, interval_s, next_fetch_at, new_items,
         new_items, stamp, feed_id))


def known_feeds(conn: Connection) -> dict[str, tuple[int, int | None, str | None]]:
    """{url: (feed id, outlet id, language)} of every feed; the language is the feed's, else its outlet's."""
    return {row[1]: (row[0], row[2], row[3]) for row in conn.execute(
        "SELECT f.id, f.url, f.outlet_id, coalesce(f.language, o.language) "
        "FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id")}


def feed_state(conn: Connection, feed_id: int) -> sqlite3.Row:
    """A feed's outlet_id, language and status."""
    return conn.execute("SELECT outlet_id, language, status FROM feeds WHERE id = ?", (feed_id,)).fetchone()
