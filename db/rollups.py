"""Daily rollups (schema migrations 3, 7, 22, 23 and 25) updated a batch at a time, for bulk imports.

Outside a bulk load, triggers keep the rollups exact row by row. Inside `bulk_load`, the insert
triggers stand aside and the importer calls the add_* functions once per batch instead (after writing
the batch's topics, add_topics; after its countries, add_countries). The topic × country rollup counts a
pair of tags of one article with whichever of the two is written second, as its triggers do. The statements name
their conflict keys, as PostgreSQL requires, and run unchanged on both engines."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from db.engine import dialect, week_start
from db.schema import RECOUNTING, REPEAT_CELL, REPEATS_INSERT, REPEATS_INSERT_ONE_LANGUAGE


@contextmanager
def bulk_load(conn: sqlite3.Connection, flag: int = 1, after_id: int | None = None) -> Iterator[None]:
    """Within the caller's transaction: row triggers off for this connection only (the flag is never committed);
    flag RECOUNTING: only story_repeats' (recount_stories). `after_id`, the newest article before an import's batch:
    the feed links of the articles after it are left to add_feed_links (the others' trigger counts them)."""
    conn.execute("INSERT INTO bulk_load (flag, after_id) VALUES (?, ?)", (flag, after_id))
    try:
        yield
    finally:
        conn.execute("DELETE FROM bulk_load WHERE flag = ?", (flag,))


@contextmanager
def within_bulk_load(conn: sqlite3.Connection) -> Iterator[None]:
    """bulk_load, unless the caller is in one already (whose flag must outlive this)."""
    if conn.execute("SELECT 1 FROM bulk_load").fetchone():
        yield
        return
    with bulk_load(conn):
        yield


def _upsert(table: str, keys: str) -> str:
    """The ON CONFLICT clause that adds a batch's counts to the rows already there."""
    return f"ON CONFLICT ({keys}) DO UPDATE SET n = {table}.n + excluded.n"


def add_articles(conn: sqlite3.Connection, after_id: int) -> None:
    conn.execute("INSERT INTO daily_articles (day, outlet_id, language, n) "
                 "SELECT substr(published, 1, 10), coalesce(outlet_id, 0), coalesce(language, ''), count(*) "
                 "FROM articles WHERE id > ? GROUP BY 1, 2, 3 " + _upsert("daily_articles", "day, outlet_id, language"),
                 (after_id,))
    conn.execute("INSERT INTO daily_categories (category, day, outlet_id, language, n) "
                 "SELECT coalesce(category, ''), substr(published, 1, 10), coalesce(outlet_id, 0), "
                 "coalesce(language, ''), count(*) FROM articles WHERE id > ? GROUP BY 1, 2, 3, 4 "
                 + _upsert("daily_categories", "category, day, outlet_id, language"), (after_id,))


def add_feed_links(conn: sqlite3.Connection, after_id: int) -> None:
    """Count the feed links of the articles after `after_id`, all stored by this batch (under bulk_load(after_id))."""
    conn.execute("INSERT INTO daily_feeds (day, feed_id, n) "
                 "SELECT substr(a.published, 1, 10), af.feed_id, count(*) FROM article_feeds af "
                 "JOIN articles a ON a.id = af.article_id WHERE af.article_id > ? GROUP BY 1, 2 "
                 + _upsert("daily_feeds", "day, feed_id"), (after_id,))


def add_countries(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
    """Count the article_countries rows of articles first_id..last_id (all written by this batch)."""
    conn.execute("INSERT INTO daily_countries (day, country, outlet_id, language, n) "
                 "SELECT substr(a.published, 1, 10), c.country, coalesce(a.outlet_id, 0), coalesce(a.language, ''), "
                 "count(*) FROM article_countries c JOIN articles a ON a.id = c.article_id "
                 "WHERE c.article_id BETWEEN ? AND ? GROUP BY 1, 2, 3, 4 "
                 + _upsert("daily_countries", "day, country, outlet_id, language"), (first_id, last_id))
    _add_topic_countries(conn, "article_id BETWEEN ? AND ?", (first_id, last_id))
    conn.execute("INSERT INTO daily_category_countries (category, day, country, outlet_id, language, n) "
                 "SELECT category, day, country, outlet_id, language, count(*) FROM category_countries "
                 "WHERE article_id BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5 "
                 + _upsert("daily_category_countries", "category, day, country, outlet_id, language"),
                 (first_id, last_id))
    recount_stories(conn, {row[0] for row in conn.execute(
        "SELECT story_id FROM shared_stories WHERE article_id BETWEEN ? AND ?", (first_id, last_id))})
    conn.execute("INSERT INTO daily_country_pairs (country, day, mentioned, outlet_id, language, n) "
                 "SELECT country, day, mentioned, outlet_id, language, count(*) FROM country_pairs "
                 "WHERE article_id BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5 "
                 + _upsert("daily_country_pairs", "country, day, mentioned, outlet_id, language"), (first_id, last_id))


def add_topics(conn: sqlite3.Connection, after_id: int) -> None:
    conn.execute("INSERT INTO daily_topics (day, topic_id, outlet_id, language, n) "
                 "SELECT substr(a.published, 1, 10), t.topic_id, coalesce(a.outlet_id, 0), coalesce(a.language, ''), "
                 "count(*) FROM article_topics t JOIN articles a ON a.id = t.article_id "
                 "WHERE t.article_id > ? GROUP BY 1, 2, 3, 4 "
                 + _upsert("daily_topics", "day, topic_id, outlet_id, language"), (after_id,))
    _add_topic_countries(conn, "article_id > ?", (after_id,))


def _add_topic_countries(conn: sqlite3.Connection, articles: str, params: tuple) -> None:
    """Count the (topic, country) pairs of the articles matching `articles` (on their countries), whose topics or
    countries were just written (the other tag of each pair was written before, or is not there yet and counts it)."""
    conn.execute("INSERT INTO daily_topic_countries (topic_id, day, country, outlet_id, language, n) "
                 "SELECT topic_id, day, country, outlet_id, language, count(*) FROM topic_country_pairs "
                 f"WHERE {articles} GROUP BY 1, 2, 3, 4, 5 "
                 + _upsert("daily_topic_countries", "topic_id, day, country, outlet_id, language"), params)


# a story's repeats (migration 18), recomputed whole from its articles, their countries and outlets
_CHUNK = 500


def recount_stories(conn: sqlite3.Connection, stories: set[int]) -> None:
    """Recount the repeats of these stories (whose articles, stories or countries a bulk load changed: its row
    triggers stood aside), a few hundred at a time, and their cells of story_repeat_days with two statements per
    chunk (the repeats leaving, the repeats arriving) while story_repeats' row triggers stand aside (migration 21)."""
    ids = sorted(stories)
    if not ids:
        return
    with bulk_load(conn, RECOUNTING):
        for start in range(0, len(ids), _CHUNK):
            chunk = tuple(ids[start:start + _CHUNK])
            # a list of values, not a subquery: SQLite pushes only the former down into story_cells' five branches,
            # and a subquery made every batch of an import scan all the stories and countries stored so far
            condition = f"story_id IN ({', '.join('?' * len(chunk))})"
            _count_repeat_days(conn, condition, chunk, -1)
            conn.execute(f"DELETE FROM story_repeat_days WHERE n = 0 AND ({REPEAT_CELL}) IN "
                         f"(SELECT {REPEAT_CELL} FROM story_repeats WHERE {condition})", chunk)
            conn.execute(f"DELETE FROM story_repeats WHERE {condition}", chunk)
            several = _in_several_languages(conn, condition, chunk)
            for insert, stories in ((REPEATS_INSERT_ONE_LANGUAGE, [s for s in chunk if s not in several]),
                                    (REPEATS_INSERT, sorted(several))):
                if stories:
                    conn.execute(insert.format(stories=f"story_id IN ({', '.join('?' * len(stories))})"), stories)
            _count_repeat_days(conn, condition, chunk, 1)


def _in_several_languages(conn: sqlite3.Connection, condition: str, params: tuple) -> set[int]:
    """The stories matching `condition` whose articles are in more than one language (a few in a hundred)."""
    return {row[0] for row in conn.execute(
        f"SELECT story_id FROM shared_stories WHERE {condition} GROUP BY story_id "
        "HAVING min(coalesce(language, '')) < max(coalesce(language, ''))", params)}


def _count_repeat_days(conn: sqlite3.Connection, condition: str, params: tuple, sign: int) -> None:
    """Add (sign 1) or take away (-1) the story_repeats rows of the stories matching `condition` in story_repeat_days
    (a cell taken away always has its row there: it was added with the same rows)."""
    week = week_start("day", dialect(conn))
    conn.execute(f"INSERT INTO story_repeat_days ({REPEAT_CELL}, week, month, n) "
                 f"SELECT {REPEAT_CELL}, {week}, substr(day, 1, 7) || '-01', {sign} * count(*) FROM story_repeats "
                 f"WHERE {condition} GROUP BY {REPEAT_CELL} " + _upsert("story_repeat_days", REPEAT_CELL), params)
