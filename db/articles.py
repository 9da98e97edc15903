"""Articles: counts and the facts about them that the CLI and the health report print."""

from __future__ import annotations

from typing import Any

from db.engine import Connection


def count(conn: Connection) -> int:
    """Every stored article, counted row by row (exact even before the rollups are built)."""
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def total(conn: Connection) -> int:
    """Every stored article, from the daily rollup: the same number as count() without reading every article."""
    return conn.execute("SELECT coalesce(sum(n), 0) FROM daily_articles").fetchone()[0]


def last_stored(conn: Connection) -> str | None:
    """When the newest article was first stored (UTC text), None in an empty database."""
    row = conn.execute("SELECT first_seen FROM articles ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def stats(conn: Connection) -> dict[str, Any]:
    """articles, outlets, first and last publication time, and how many articles carry a date flag."""
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    articles, first, last = one("SELECT count(*), min(published), max(published) FROM articles")
    return {"articles": articles, "outlets": one("SELECT count(*) FROM outlets")[0], "first": first, "last": last,
            "flagged": one("SELECT count(*) FROM articles WHERE date_flag IS NOT NULL")[0]}
