"""Write articles and feed state: exactly once, one transaction per feed or batch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from collectors import tagging


class Article(NamedTuple):
    norm_link: str
    link: str
    title: str
    description: str
    published: str
    date_flag: str | None
    language: str | None
    guid: str | None = None


# The same outlet's story under a second URL (another slug of one article): the same non-empty title, real published
# times (not the time first seen) at most a minute apart. Only within an outlet: wire copies carried by several
# outlets are separate articles. A title the outlet also used on another day within a month ("Live updates",
# "A Closer Look", "More »") is a recurring title: never one story. The second URL becomes another link of the stored
# article (article_links). db/schema.py's migration 11 merged the copies stored before by the same rule.
_CANDIDATES = """
SELECT {column} FROM articles WHERE outlet_id = :outlet
AND published BETWEEN datetime(:published, '-60 seconds') AND datetime(:published, '+60 seconds')
AND title = :title AND date_flag IS NULL AND :title != '' AND :flag IS NULL
"""
# (this test of the matched row reads a month of the outlet's articles: it runs only for a candidate, not per article)
_NOT_RECURRING = """
AND NOT EXISTS (SELECT 1 FROM articles r WHERE r.outlet_id = articles.outlet_id AND r.title = articles.title
                AND (r.published BETWEEN datetime(articles.published, '-30 days')
                                     AND datetime(articles.published, '-1 day', '-1 second')
                     OR r.published BETWEEN datetime(articles.published, '+1 day', '+1 second')
                                        AND datetime(articles.published, '+30 days')))
"""
# a link already stored (as an article's or as another link) is known: the tests above are not even run for it
_UNKNOWN = ("NOT EXISTS (SELECT 1 FROM articles WHERE norm_link = :norm) "
            "AND NOT EXISTS (SELECT 1 FROM article_links WHERE norm_link = :norm)")
_INSERT = """
INSERT INTO articles (norm_link, link, title, description, published, date_flag, first_seen, language, outlet_id)
SELECT :norm, :link, :title, :description, :published, :flag, :seen, :language, :outlet
WHERE {where}
ON CONFLICT (norm_link) DO NOTHING
"""
# three passes over the batch, each in the batch's order: (1) articles without a candidate story; (2) the others as
# links of their story (earlier in this batch or before); (3) those whose candidate was a recurring title
_INSERT_ALONE = _INSERT.format(where=f"{_UNKNOWN} AND NOT EXISTS ({_CANDIDATES.format(column='1')})")
_ADD_LINK = f"""
INSERT INTO article_links (norm_link, link, article_id)
SELECT :norm, :link, kept FROM (SELECT ({_CANDIDATES.format(column="min(id)")} {_NOT_RECURRING}) AS kept
                                WHERE {_UNKNOWN})
WHERE kept IS NOT NULL
ON CONFLICT (norm_link) DO NOTHING
"""
_INSERT_REST = _INSERT.format(where=_UNKNOWN)
# new rows get ids above the previous maximum (rowids are never reused below it)
_INDEX_NEW = ("INSERT INTO articles_fts (rowid, title, description) "
              "SELECT id, fts_text(title), fts_text(description) FROM articles WHERE id > ?")
_LINK_FEED = """
INSERT INTO article_feeds (article_id, feed_id, guid, first_seen)
SELECT id, :feed, :guid, :seen FROM (SELECT id FROM articles WHERE norm_link = :norm
                                     UNION ALL SELECT article_id FROM article_links WHERE norm_link = :norm) LIMIT 1
ON CONFLICT DO NOTHING
"""


def store_articles(conn: sqlite3.Connection, feed_id: int, outlet_id: int | None,
                   articles: Iterable[Article], seen_at: str) -> int:
    """Insert new articles and link every one to the feed; return how many articles were new."""
    return store_rows(conn, [(feed_id, outlet_id, seen_at, a) for a in articles])


def store_rows(conn: sqlite3.Connection, rows: list[tuple[int, int | None, str, Article]], tag: bool = True) -> int:
    """Insert (feed_id, outlet_id, seen_at, article) rows from any feeds, index and tag the new ones
    (`tag=False` leaves that to `newsradar retag`); return how many articles were new."""
    newest = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    params = [{"norm": a.norm_link, "link": a.link, "title": a.title, "description": a.description,
               "published": a.published, "flag": a.date_flag, "seen": seen, "language": a.language,
               "outlet": outlet_id, "feed": feed_id, "guid": a.guid} for feed_id, outlet_id, seen, a in rows]
    new = conn.executemany(_INSERT_ALONE, params).rowcount
    if new < len(params):   # the next passes only for the rows the first did not store (few, in an import)
        stored = {row[0] for row in conn.execute("SELECT norm_link FROM articles WHERE id > ?", (newest,))}
        rest = [p for p in params if p["norm"] not in stored]
        conn.executemany(_ADD_LINK, rest)
        new += conn.executemany(_INSERT_REST, rest).rowcount
    if new:
        conn.execute(_INDEX_NEW, (newest,))
        if tag:
            tagging.tag_new(conn, newest)
    conn.executemany(_LINK_FEED, params)
    return new


def ensure_outlet(conn: sqlite3.Connection, name: str, country: str | None = None,
                  language: str | None = None) -> int:
    """The id of the outlet called `name`, created or given its missing country/language."""
    conn.execute(
        "INSERT INTO outlets (name, country, language) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "country = coalesce(excluded.country, outlets.country), "
        "language = coalesce(excluded.language, outlets.language)",
        (name, country or None, language or None))
    return conn.execute("SELECT id FROM outlets WHERE name = ?", (name,)).fetchone()[0]


def ensure_feed(conn: sqlite3.Connection, url: str, outlet: str | None = None, country: str | None = None,
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
