"""Stories (schema 16): each article's story, read and written for the grouping, and counts of stories.

A story's id is the id of its first article. An article without a row in `article_stories` has not been grouped
(stored before schema 16 and not yet regrouped by `newsradar stories rebuild`): it counts as a story of its own,
which is what `STORY` says in SQL over `articles a` joined by `JOIN_STORY`. collectors/stories.py decides the
grouping; this module only stores and counts it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from db import rollups
from db.engine import POSTGRESQL, dialect, insert_many, values_lists, week_start
from db.filters import Filters, where_in

# the story of article `a` (joined to its row of article_stories by JOIN_STORY): its own id until it is grouped
JOIN_STORY = "LEFT JOIN article_stories s ON s.article_id = a.id"
STORY = "coalesce(s.story_id, a.id)"
MEASURES = ("articles", "stories")
# what the grouping reads of an article
_DOC = ("SELECT a.id, a.published, coalesce(a.language, ''), coalesce(a.outlet_id, 0), a.title, {description} "
        "FROM articles a")


def of_stories(marks: str) -> str:
    """The condition that an article `a` is of one of the stories `marks` (their ids, placeholders or literals, each
    given twice): a member, or an ungrouped article that is a story of its own. A union, not OR: PostgreSQL would scan
    every article for the OR."""
    return (f"a.id IN (SELECT article_id FROM article_stories WHERE story_id IN ({marks}) "
            f"UNION ALL SELECT id FROM articles WHERE id IN ({marks}))")


def _doc_sql(lead: int | None) -> str:
    """_DOC with the whole description, or its first `lead` characters (all that grouping reads of it)."""
    return _DOC.format(description="a.description" if lead is None else f"substr(a.description, 1, {int(lead)})")


DocRow = tuple[int, str, str, int, str, str]   # id, published, language, outlet id, title, description


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor that returns plain tuples: cheaper than rows by name for the many rows grouping reads (PostgreSQL's
    rows are tuples already)."""
    if dialect(conn) == POSTGRESQL:
        return conn
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def count_sql(measure: str) -> str:
    """The SQL aggregate counting `measure` over `articles a`: every article, or each story once."""
    if measure == "articles":
        return "count(*)"
    if measure == "stories":
        return f"count(DISTINCT {STORY})"
    raise ValueError(f"unknown measure {measure!r} (one of {', '.join(MEASURES)})")


def _join(measure: str) -> str:
    return JOIN_STORY if measure == "stories" else ""


# the grouping's reads and writes ---------------------------------------------------------------------------------

def grouped_between(conn: sqlite3.Connection, first: str, last: str) -> list[tuple[int, int]]:
    """(id, story id) of the grouped articles published from `first` to `last` (stored times, inclusive)."""
    return _plain(conn).execute("SELECT a.id, s.story_id FROM articles a JOIN article_stories s ON s.article_id = a.id "
                        "WHERE a.published BETWEEN ? AND ?", (first, last)).fetchall()


def docs(conn: sqlite3.Connection, ids: list[int], lead: int | None = None) -> list[DocRow]:
    """The articles `ids` as grouping reads them (the descriptions cut to `lead` characters, when given)."""
    each = ("SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(? AS json))" if dialect(conn) == POSTGRESQL
            else "SELECT value FROM json_each(?)")
    return _plain(conn).execute(f"{_doc_sql(lead)} WHERE a.id IN ({each})", (json.dumps(ids),)).fetchall()


def article_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def newest_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def ungrouped_after(conn: sqlite3.Connection, after_id: int, lead: int | None = None,
                    until: int | None = None) -> list[DocRow]:
    """The articles stored after article `after_id` (up to article `until`, when given) that have no story yet
    (descriptions cut as by `docs`)."""
    last = 2**63 - 1 if until is None else until
    return _plain(conn).execute(f"{_doc_sql(lead)} WHERE a.id > ? AND a.id <= ? AND a.id NOT IN (SELECT article_id "
                                "FROM article_stories WHERE article_id > ?)", (after_id, last, after_id)).fetchall()


def in_order(conn: sqlite3.Connection, after: tuple[str, int], limit: int) -> list[DocRow]:
    """The next `limit` articles in order of publication after (published, id) `after`."""
    return _plain(conn).execute(f"{_doc_sql(None)} WHERE (a.published, a.id) > (?, ?) ORDER BY a.published, a.id "
                                "LIMIT ?", (*after, limit)).fetchall()


def set_stories(conn: sqlite3.Connection, stories: Iterable[tuple[int, int]]) -> None:
    """Write (article id, story id) pairs (within the caller's transaction). The stories' repeats (migration 18)
    are recounted once per story here, not once per article by the triggers, and the newly grouped articles' rows of
    shared_stories are written for the whole batch (migration 20)."""
    pairs = list(dict(stories).items())   # one story per article: the last given, as row by row
    # an article alone in its new story has no repeats to count there (most articles of an import)
    changed = {story for article, story in pairs if story != article}
    grouped: set[int] = set()     # articles with a story already: their row's update trigger keeps shared_stories
    for start in range(0, len(pairs), 500):
        ids = [article for article, _ in pairs[start:start + 500]]
        for article, story in _plain(conn).execute(
                f"SELECT article_id, story_id FROM article_stories WHERE article_id IN ({', '.join('?' * len(ids))})",
                ids):
            grouped.add(article)
            changed.add(story)
    with rollups.within_bulk_load(conn):
        insert_many(conn, "INSERT INTO article_stories (article_id, story_id)", pairs,
                    "ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id")
        share(conn, [(article, story) for article, story in pairs if story != article and article not in grouped])
        rollups.recount_stories(conn, changed)


def share(conn: sqlite3.Connection, pairs: list[tuple[int, int]]) -> None:
    """Within a bulk load: the shared_stories rows of articles newly grouped with others (article id, story id), and
    of their stories' first articles; what the row trigger does for each article, once per batch (the trigger
    rewrote the first article's row once per member)."""
    week = week_start("a.published", dialect(conn))
    for values, params in values_lists(pairs):
        given = f"WITH p (article_id, story_id) AS (VALUES {values}) "
        conn.execute(given + "DELETE FROM shared_stories WHERE article_id IN "
                     "(SELECT article_id FROM p UNION SELECT story_id FROM p)", params)
        conn.execute(given + "INSERT INTO shared_stories (article_id, story_id, day, week, month, outlet_id, language, "
                     f"category) SELECT a.id, m.story_id, substr(a.published, 1, 10), {week}, "
                     "substr(a.published, 1, 7) || '-01', a.outlet_id, a.language, a.category "
                     "FROM (SELECT article_id, story_id FROM p UNION SELECT story_id, story_id FROM p) AS m "
                     "JOIN articles a ON a.id = m.article_id", params)


def clear(conn: sqlite3.Connection) -> int:
    """Ungroup every article (before regrouping them all); return how many articles there are."""
    with rollups.within_bulk_load(conn):
        conn.execute("DELETE FROM article_stories")
        conn.execute("DELETE FROM story_repeat_days")   # first: each repeat's trigger then finds no row to lower
        conn.execute("DELETE FROM story_repeats")
    return article_count(conn)


# counts --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    stories: int
    shared: int            # stories of two or more articles
    in_shared: int         # the articles of those stories
    largest: int
    ungrouped: int         # articles not grouped (stored before schema 16, not regrouped)


def summary(conn: sqlite3.Connection) -> Summary:
    stories, shared, in_shared, largest = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n) FILTER (WHERE n > 1), 0), "
        f"coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM articles a {JOIN_STORY} GROUP BY {STORY}) AS per_story"
    ).fetchone()
    ungrouped = article_count(conn) - conn.execute("SELECT count(*) FROM article_stories").fetchone()[0]
    return Summary(stories, shared, in_shared, largest, ungrouped)


def daily_counts(conn: sqlite3.Connection, filters: Filters, measure: str = "articles") -> list[tuple[str, int]]:
    """(day, count) of the filtered articles per day of publication (UTC), counting every article or each story
    once a day (a story reported over two days counts on each)."""
    where, params = where_in(conn, filters)
    return _plain(conn).execute(f"SELECT substr(a.published, 1, 10) AS day, {count_sql(measure)} FROM articles a "
                        f"LEFT JOIN outlets o ON o.id = a.outlet_id {_join(measure)} WHERE {where} "
                        "GROUP BY day ORDER BY day",
                        params).fetchall()


def total(conn: sqlite3.Connection, filters: Filters, measure: str = "articles") -> int:
    """How many articles, or stories, the filters match."""
    where, params = where_in(conn, filters)
    return conn.execute(f"SELECT {count_sql(measure)} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                        f"{_join(measure)} WHERE {where}", params).fetchone()[0]


@dataclass(frozen=True)
class StoryRow:
    story: int
    first_published: str
    first_outlet: str | None     # the outlet that had it first
    title: str                   # the first article's title (the Articles page shows its typical headline instead)
    link: str
    articles: int
    outlets: list[str]
    headlines: list[tuple[str, str]] = field(default_factory=list)   # the matching members' (title, link)


def story_page(conn: sqlite3.Connection, filters: Filters, limit: int = 50, offset: int = 0) -> list[StoryRow]:
    """One row per story of the filtered articles, newest story first (by its first filtered article): what the
    Articles page can show when counting stories."""
    where, params = where_in(conn, filters)
    outlets = ("CAST(json_agg(DISTINCT outlet) AS text)" if dialect(conn) == POSTGRESQL
               else "json_group_array(DISTINCT outlet)")
    rows = conn.execute(
        f"WITH hit AS (SELECT a.id, a.published, a.title, a.link, o.name AS outlet, {STORY} AS story "
        f"             FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id {JOIN_STORY} WHERE {where}), "
        "first AS (SELECT story, min(published) AS published, count(*) AS n, "
        f"                 {outlets} AS outlets FROM hit GROUP BY story) "
        "SELECT f.story, f.published, h.outlet, h.title, h.link, f.n, f.outlets FROM first f "
        "JOIN hit h ON h.id = (SELECT id FROM hit WHERE story = f.story ORDER BY published, id LIMIT 1) "
        "ORDER BY f.published DESC, f.story DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
    return [StoryRow(r[0], r[1], r[2], r[3], r[4], r[5], [o for o in json.loads(r[6]) if o is not None])
            for r in rows]


def members(conn: sqlite3.Connection, story: int) -> list[tuple[int, str, str | None, str, str]]:
    """(id, published, outlet, title, link) of every article of a story, in order of publication."""
    return conn.execute("SELECT a.id, a.published, o.name, a.title, a.link FROM articles a "
                        "LEFT JOIN outlets o ON o.id = a.outlet_id "
                        f"WHERE {of_stories('?')} ORDER BY a.published, a.id", (story, story)).fetchall()


# scoring (scripts/score_stories.py) ----------------------------------------------------------------------------

def all_stories(conn: sqlite3.Connection) -> dict[int, int]:
    return dict(_plain(conn).execute(f"SELECT a.id, {STORY} FROM articles a {JOIN_STORY}"))


def ids_by_identity(conn: sqlite3.Connection) -> dict[str, int]:
    """Every link identity (an article's own or another link of it) and its article's id."""
    return dict(_plain(conn).execute("SELECT norm_link, id FROM articles UNION ALL SELECT norm_link, article_id "
                             "FROM article_links"))


def all_docs(conn: sqlite3.Connection) -> list[DocRow]:
    return _plain(conn).execute(_doc_sql(None)).fetchall()
