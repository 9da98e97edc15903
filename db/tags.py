"""Tags written and read: countries in the story, category, corrected language; the tagger record; topic matching
of loose text through the same FTS5 engine as the database."""

from __future__ import annotations

import sqlite3

from db.engine import Connection
from db.search import fts_table, fts_text

Row = tuple[int, str, str, str | None]                 # id, title, description, language
# (category, id) and (id, country) pairs, and (language, id) of the articles whose language the check changed
Tags = tuple[list[tuple[str, int]], list[tuple[int, str]], list[tuple[str | None, int]]]


def rows_after(conn: Connection, after_id: int, limit: int = -1) -> list[Row]:
    """The articles with ids above `after_id` (at most `limit`, -1: all), in id order, as the tagger reads them."""
    # no LIMIT for all of them: PostgreSQL refuses SQLite's LIMIT -1
    bound, params = ("", (after_id,)) if limit < 0 else (" LIMIT ?", (after_id, limit))
    return [tuple(r) for r in conn.execute("SELECT id, title, description, language FROM articles WHERE id > ? "
                                           "ORDER BY id" + bound, params)]


def untagged_rows(conn: Connection) -> list[Row]:
    """The articles without a category (an import stopped between storing and tagging)."""
    return [tuple(r) for r in conn.execute(
        "SELECT id, title, description, language FROM articles WHERE category IS NULL")]


def write(conn: Connection, tags: Tags) -> None:
    """Store computed tags: corrected languages, categories and country pairs (in the caller's transaction)."""
    categories, pairs, languages = tags
    # first, so that the rollups count the article's countries under its corrected language
    conn.executemany("UPDATE articles SET language = ? WHERE id = ?", languages)
    conn.executemany("UPDATE articles SET category = ? WHERE id = ?", categories)
    conn.executemany("INSERT INTO article_countries (article_id, country) VALUES (?, ?) "
                     "ON CONFLICT DO NOTHING", pairs)


def clear_countries(conn: Connection, after_id: int, last_id: int) -> None:
    """Forget the countries of the articles with ids in (after_id, last_id], before they are tagged again."""
    conn.execute("DELETE FROM article_countries WHERE article_id > ? AND article_id <= ?", (after_id, last_id))


def note_tagger(conn: Connection, fingerprint: str, retagged_all: bool = False) -> None:
    """Record the tagger `fingerprint`: when an empty database gets its first tags, or after every article was
    retagged."""
    # `since` takes the column's default, the current UTC time (excluded.since too, on a retag)
    action = "UPDATE SET fingerprint = excluded.fingerprint, since = excluded.since" if retagged_all else "NOTHING"
    conn.execute(f"INSERT INTO tagger (id, fingerprint) VALUES (1, ?) ON CONFLICT (id) DO {action}", (fingerprint,))


def stored_tagger(conn: Connection) -> tuple[str, str] | None:
    """(fingerprint, since) of the tagger that made the stored tags, None before the first tags."""
    row = conn.execute("SELECT fingerprint, since FROM tagger").fetchone()
    return (row[0], row[1]) if row else None


def topic_matches(texts: list[tuple[str, str]], queries: list[tuple[str, str]]) -> list[list[str]]:
    """Names of the topics each (title, description) matches: `queries` are (name, compiled FTS5 expression), run
    over a throwaway in-memory index built as the database's is."""
    memory = sqlite3.connect(":memory:")
    memory.execute(fts_table("t"))
    memory.executemany("INSERT INTO t (rowid, title, description) VALUES (?, ?, ?)",
                       [(i, fts_text(title), fts_text(description)) for i, (title, description) in enumerate(texts)])
    matched: list[list[str]] = [[] for _ in texts]
    for name, fts in queries:
        for (rowid,) in memory.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts,)):
            matched[rowid].append(name)
    memory.close()
    return matched
