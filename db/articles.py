"""Articles: storing them exactly once (same-story links, the feeds that carried them), counts and stats."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

from db.engine import POSTGRESQL, Connection, dialect, values_lists
from db.tags import country_array


def newest_id(conn: Connection, alone: bool = False) -> int:
    """The highest article id (0 in an empty database): the articles stored after this moment have higher ones.

    `alone`: and until the caller's transaction ends, only the caller stores, tags or removes articles (an import's
    batch, whose rollups count every article after this id: on PostgreSQL a collector's stored meanwhile would be
    counted twice, by its own triggers and by the batch). Others wait for the batch's commit; SQLite has one writer
    at a time anyway."""
    if alone and dialect(conn) == POSTGRESQL:
        conn.execute("LOCK TABLE articles IN SHARE ROW EXCLUSIVE MODE")
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def large_cache(conn: Connection) -> None:
    """A page cache of 256 MiB for this connection: a bulk load writes the identity index in random order, and a
    large cache saves most of its disk reads."""
    if dialect(conn) != POSTGRESQL:   # PostgreSQL's cache is the server's (shared_buffers)
        conn.execute("PRAGMA cache_size = -262144")


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


def first_published(conn: Connection) -> str | None:
    """When the oldest stored article was published (UTC text), None in an empty database: where the archive begins."""
    return conn.execute("SELECT min(published) FROM articles").fetchone()[0]


def stats(conn: Connection) -> dict[str, Any]:
    """articles, outlets, first and last publication time, and how many articles carry a date flag."""
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    articles, first, last = one("SELECT count(*), min(published), max(published) FROM articles")
    return {"articles": articles, "outlets": one("SELECT count(*) FROM outlets")[0], "first": first, "last": last,
            "flagged": one("SELECT count(*) FROM articles WHERE date_flag IS NOT NULL")[0]}


class Article(NamedTuple):
    norm_link: str
    link: str
    title: str
    description: str
    published: str
    date_flag: str | None
    language: str | None
    guid: str | None = None
    category: str | None = None     # set when the tags were computed before storing (an import); else tag_new's
    search: str | None = None       # PostgreSQL's `search` (index_entry), when computed before storing (an import)
    countries: tuple[str, ...] | None = None   # its countries when tagged before storing (an import; PostgreSQL's row)


# The same outlet's story under a second URL (another slug of one article): the same non-empty title, real published
# times (not the time first seen) at most a minute apart. Only within an outlet: wire copies carried by several
# outlets are separate articles. A title the outlet also used on another day within a month ("Live updates",
# "A Closer Look", "More »") is a recurring title: never one story. The second URL becomes another link of the stored
# article (article_links). migration 11 (db/schema.py) merged the copies stored before by the same rule.
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
INSERT INTO articles (norm_link, link, title, description, published, date_flag, first_seen, language, outlet_id,
                      category{{row_columns}})
SELECT :norm, :link, :title, :description, :published, :flag, :seen, :language, :outlet, :category{{row_values}}
WHERE {where}
ON CONFLICT (norm_link) DO NOTHING
"""
# three passes over the batch, each in the batch's order: (1) articles without a candidate story; (2) the others as
# links of their story (earlier in this batch or before); (3) those whose candidate was a recurring title
_INSERT_ALONE = _INSERT.format(where=f"{_UNKNOWN} AND NOT EXISTS ({_CANDIDATES.format(column='1')})")
_ADD_LINK = f"""
INSERT INTO article_links (norm_link, link, article_id)
SELECT :norm, :link, kept FROM (SELECT ({_CANDIDATES.format(column="min(id)")} {_NOT_RECURRING}) AS kept
                                WHERE {_UNKNOWN}) AS candidate
WHERE kept IS NOT NULL
ON CONFLICT (norm_link) DO NOTHING
"""
_INSERT_REST = _INSERT.format(where=_UNKNOWN)
# the first pass for several hundred rows at once, each a row of VALUES (db.engine.values_lists) in this order
_FIELDS = ("norm", "link", "title", "description", "published", "flag", "seen", "language", "outlet", "category",
           "search", "countries")


class _Inserts(NamedTuple):
    alone: str
    rest: str
    alone_many: str
    fields: tuple[str, ...]


def _inserts(postgres: bool) -> _Inserts:
    """The insert statements of one engine: on PostgreSQL they write `search` and `countries` with the row when
    they were computed before (an import's), where an UPDATE after the insert wrote every row twice, in every index
    of articles."""
    fields = _FIELDS if postgres else _FIELDS[:-2]
    row = {"row_columns": ", search, countries",
           "row_values": ", CAST(:search AS tsvector), CAST(:countries AS text[])"} if postgres else {
        "row_columns": "", "row_values": ""}
    alone, rest = _INSERT_ALONE.format(**row), _INSERT_REST.format(**row)
    many = re.sub(r":(\w+)\b", lambda m: f"v.column{fields.index(m[1]) + 1}", alone).replace(
        "WHERE", "FROM (VALUES {rows}) AS v WHERE", 1)
    return _Inserts(alone, rest, many, fields)


_INSERTS = {False: _inserts(postgres=False), True: _inserts(postgres=True)}
# new rows get ids above the previous maximum (rowids are never reused below it)
_INDEX_NEW = ("INSERT INTO articles_fts (rowid, title, description) "
              "SELECT id, fts_text(title), fts_text(description) FROM articles WHERE id > ?")
# each (norm_link, feed, guid, seen) row of VALUES, several hundred per statement (db.engine.values_lists)
_LINK_FEEDS = """
INSERT INTO article_feeds (article_id, feed_id, guid, first_seen)
SELECT known.id, known.feed, known.guid, known.seen FROM (
    SELECT (SELECT id FROM articles WHERE norm_link = v.column1
            UNION ALL SELECT article_id FROM article_links WHERE norm_link = v.column1 LIMIT 1) AS id,
           v.column2 AS feed, v.column3 AS guid, v.column4 AS seen
    FROM (VALUES {rows}) AS v) AS known
WHERE known.id IS NOT NULL
ON CONFLICT DO NOTHING
"""


def known_links(conn: Connection, norm_links: list[str]) -> set[str]:
    """Those of `norm_links` stored already, as an article's link or as another link of one."""
    known: set[str] = set()
    for start in range(0, len(norm_links), 500):
        chunk = norm_links[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        known.update(row[0] for row in conn.execute(
            f"SELECT norm_link FROM articles WHERE norm_link IN ({marks}) "
            f"UNION ALL SELECT norm_link FROM article_links WHERE norm_link IN ({marks})", chunk + chunk))
    return known


def ids_after(conn: Connection, after_id: int) -> dict[str, int]:
    """The ids of the articles stored after `after_id`, by link."""
    return {row[0]: row[1] for row in conn.execute("SELECT norm_link, id FROM articles WHERE id > ?", (after_id,))}


def index_entry(engine: str | None, title: str, description: str) -> str | None:
    """An article's entry in the text index when the engine (db.engine.dialect's name of it) takes one computed
    before storing: PostgreSQL's `search` tsvector (Article.search); None on SQLite, whose FTS5 rows are written
    from the stored text, and without an engine."""
    if engine != POSTGRESQL:
        return None
    from db.postgres.text import tsvector

    return tsvector(title, description)


def _index_new(conn: Connection, after_id: int) -> None:
    """The text index of the articles just stored: SQLite's FTS5 table, PostgreSQL's `search` tsvector (of the rows
    stored without one)."""
    if dialect(conn) == POSTGRESQL:
        from db.postgres.text import index_new

        index_new(conn, after_id)
    else:
        conn.execute(_INDEX_NEW, (after_id,))


def store_rows(conn: Connection, rows: list[tuple[int, int | None, str, Article]],
               on_new: Callable[[Connection, int], None] | None = None) -> int:
    """Insert (feed_id, outlet_id, seen_at, article) rows from any feeds and index the new ones; return how many
    articles were new. `on_new(conn, after_id)` runs (the tagger) after the new rows are indexed, before the rows
    are linked to their feeds."""
    newest = newest_id(conn)
    inserts = _INSERTS[dialect(conn) == POSTGRESQL]
    params = [{"norm": a.norm_link, "link": a.link, "title": a.title, "description": a.description,
               "published": a.published, "flag": a.date_flag, "seen": seen, "language": a.language,
               "outlet": outlet_id, "feed": feed_id, "guid": a.guid, "category": a.category, "search": a.search or "",
               "countries": country_array(a.countries)}
              for feed_id, outlet_id, seen, a in rows]
    new = _insert_alone(conn, params, inserts)
    if new < len(params):
        # the next passes only for the rows neither stored before nor by the first pass (few, in an import; a poll
        # of a feed's known items has none): on PostgreSQL each costs a statement (3 ms), even for a known link
        known = known_links(conn, [p["norm"] for p in params])
        rest = [p for p in params if p["norm"] not in known]
        conn.executemany(_ADD_LINK, rest)
        new += conn.executemany(inserts.rest, rest).rowcount
    if new:
        _index_new(conn, newest)
        if on_new is not None:
            on_new(conn, newest)
    _link_feeds(conn, [(p["norm"], p["feed"], p["guid"], p["seen"]) for p in params])
    return new


def _insert_alone(conn: Connection, params: list[dict[str, Any]], inserts: _Inserts) -> int:
    """The first pass (_INSERT_ALONE) over a batch; return how many rows it stored.

    Several hundred rows per statement (db.engine.values_lists) where that stores the same as row by row: a statement
    tests each of its rows against the articles stored before it, so it takes only rows that share neither their link
    nor their outlet and title with another row of the batch. Those (the copies within a batch) follow one by one,
    in the batch's order, each tested against the rows stored before it."""
    links = Counter(p["norm"] for p in params)
    titles = Counter((p["outlet"], p["title"]) for p in params)
    copied = [links[p["norm"]] > 1 or titles[(p["outlet"], p["title"])] > 1 for p in params]
    alone = [p for p, copy in zip(params, copied, strict=True) if not copy]
    rest = [p for p, copy in zip(params, copied, strict=True) if copy]
    new = 0
    for values, flat in values_lists([tuple(p[field] for field in inserts.fields) for p in alone]):
        new += conn.execute(inserts.alone_many.format(rows=values), flat).rowcount
    return new + (conn.executemany(inserts.alone, rest).rowcount if rest else 0)


def _link_feeds(conn: Connection, rows: list[tuple[str, int | None, str | None, str]]) -> None:
    """Link each stored article (by its link or another link of it) to the feed that carried it; the first row of
    an article and feed counts."""
    for values, params in values_lists(rows):
        conn.execute(_LINK_FEEDS.format(rows=values), params)
