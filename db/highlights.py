"""What a period's coverage was about: its top stories, for alerts and digests.

A story is the grouped story (db/stories.py, schema 16) once the database has any: the matching articles of the period
grouped by story, ranked by how many outlets and articles carried it, each with the outlet that had it first among
them. A database whose articles were never grouped falls back to grouping by folded headline (SQLite only).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from db.engine import POSTGRESQL, dialect, has_table
from db.filters import Filters, where_in
from db.stories import JOIN_STORY, STORY
from db.text import fold, format_utc


@dataclass(frozen=True)
class TopStory:
    title: str
    link: str            # the first outlet's article (newsradar.alerts tells the story by its typical headline)
    outlet: str          # the outlet that had it first
    published: str       # when that outlet had it, UTC
    articles: int
    outlets: int
    story: int | None = None   # its story (None where the headlines are grouped by their folded text)


def top_stories(conn: sqlite3.Connection, filters: Filters, start: dt.datetime, end: dt.datetime,
                limit: int = 5) -> list[TopStory]:
    """The most-covered headlines among the matching articles published in [start, end)."""
    grouped = has_table(conn, "article_stories") and conn.execute("SELECT 1 FROM article_stories LIMIT 1").fetchone()
    if not grouped and dialect(conn) == POSTGRESQL:   # no fold() in SQL there: the headlines are grouped here
        return _top_stories_folded_here(conn, filters, start, end, limit)
    where, params = where_in(conn, filters)
    story, join = (STORY, JOIN_STORY) if grouped else ("fold(a.title)", "")
    rows = conn.execute(
        "WITH m AS (SELECT a.id, a.title, a.link, coalesce(o.name, '') AS outlet, a.outlet_id, a.published,"
        f"  {story} AS story FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id {join}"
        f"  WHERE {where} AND a.title != '' AND a.published >= ? AND a.published < ?),"
        " sizes AS (SELECT story, count(*) AS articles, count(DISTINCT outlet_id) AS outlets FROM m GROUP BY story),"
        " firsts AS (SELECT m.*, row_number() OVER (PARTITION BY story ORDER BY published, id) AS nth FROM m)"
        f" SELECT f.title, f.link, f.outlet, f.published, s.articles, s.outlets, {'f.story' if grouped else 'NULL'}"
        " FROM firsts f JOIN sizes s USING (story)"
        " WHERE f.nth = 1 ORDER BY s.outlets DESC, s.articles DESC, f.published, f.id LIMIT ?",
        [*params, format_utc(start), format_utc(end), limit]).fetchall()
    return [TopStory(*row) for row in rows]


def _top_stories_folded_here(conn: sqlite3.Connection, filters: Filters, start: dt.datetime, end: dt.datetime,
                             limit: int) -> list[TopStory]:
    """top_stories where the database has no `fold` function (PostgreSQL): the period's matching articles are read
    oldest first and grouped by db.text.fold here, ranked as the SQL above ranks them."""
    where, params = where_in(conn, filters)
    rows = conn.execute(
        "SELECT a.title, a.link, coalesce(o.name, '') AS outlet, a.published, a.outlet_id, a.id FROM articles a "
        f"LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where} AND a.title != '' AND a.published >= ? "
        "AND a.published < ? ORDER BY a.published, a.id", [*params, format_utc(start), format_utc(end)]).fetchall()
    first: dict[str, tuple] = {}
    sizes: dict[str, list] = {}
    for row in rows:
        story = fold(row[0])
        first.setdefault(story, row)
        articles_outlets = sizes.setdefault(story, [0, set()])
        articles_outlets[0] += 1
        articles_outlets[1].add(row[4])
    ranked = sorted(first, key=lambda s: (-len(sizes[s][1] - {None}), -sizes[s][0], first[s][3], first[s][5]))
    return [TopStory(*first[s][:4], sizes[s][0], len(sizes[s][1] - {None})) for s in ranked[:limit]]
