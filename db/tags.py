"""Tags written and read: countries in the story, category, corrected language; the tagger record; topic matching
of loose text through the same FTS5 engine as the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

import ahocorasick

from db.engine import POSTGRESQL, Connection, dialect, insert_many
from db.search import first_words, fts_table, fts_text

Key = TypeVar("Key")
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


_CATEGORY_AND_COUNTRIES = """
UPDATE articles SET category = ?, countries = (
    SELECT array_agg(code ORDER BY code COLLATE "C")
    FROM (SELECT DISTINCT unnest(coalesce(countries, '{}') || CAST(? AS text[])) AS code) AS codes)
WHERE id = ?
"""


def write(conn: Connection, tags: Tags) -> None:
    """Store computed tags: corrected languages, categories and country pairs (in the caller's transaction)."""
    categories, pairs, languages = tags
    # first, so that the rollups count the article's countries under its corrected language
    conn.executemany("UPDATE articles SET language = ? WHERE id = ?", languages)
    if dialect(conn) == POSTGRESQL:
        # the row's copy of its countries (migration 35) with its category: one more write of the row, not two (the
        # triggers then find them kept). What it keeps is what article_countries holds after the insert below: the
        # countries it has and these (a retag has taken the ones it no longer finds away first)
        found = countries_by_article(pairs)
        conn.executemany(_CATEGORY_AND_COUNTRIES, [(category, country_array(found.get(article_id)), article_id)
                                                   for category, article_id in categories])
    else:
        conn.executemany("UPDATE articles SET category = ? WHERE id = ?", categories)
    insert_many(conn, "INSERT INTO article_countries (article_id, country)", pairs, "ON CONFLICT DO NOTHING")


def countries_by_article(pairs: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    """(article id, country) pairs as each article's countries, sorted."""
    found: dict[int, list[str]] = {}
    for article_id, code in pairs:
        found.setdefault(article_id, []).append(code)
    return {article_id: sorted(codes) for article_id, codes in found.items()}


def country_array(codes: Iterable[str] | None) -> str | None:
    """Country codes as PostgreSQL's text[] literal of an article's row (migration 35), sorted as its triggers keep
    them; None (NULL) for none."""
    return "{" + ",".join(sorted(set(codes))) + "}" if codes else None


def keep_only_countries(conn: Connection, ids: list[int], pairs: list[tuple[int, str]]) -> None:
    """Before `pairs` are written for the articles `ids` (a batch, read in id order): forget their countries that
    `pairs` no longer has. Rows that stay are not touched, so a retag that changes little fires few triggers (each
    country row's triggers recount its story's repeats). Only these articles: one a collector stored meanwhile with
    an id among theirs (PostgreSQL hands ids out before the rows commit) keeps its countries."""
    if not ids:
        return
    batch, keep = set(ids), set(pairs)
    stale = [(row[0], row[1]) for row in conn.execute(
        "SELECT article_id, country FROM article_countries WHERE article_id >= ? AND article_id <= ?",
        (min(ids), max(ids))) if row[0] in batch and (row[0], row[1]) not in keep]
    conn.executemany("DELETE FROM article_countries WHERE article_id = ? AND country = ?", stale)


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


def topic_matches(texts: list[tuple[str, str]], queries: list[tuple[Key, str]]) -> list[list[Key]]:
    """Names (or ids) of the topics each (title, description) matches: `queries` are (name or id, compiled FTS5
    expression), run over a throwaway in-memory index built as the database's is. Only the texts that hold the first
    word of some phrase of some query go into the index: most match no topic, and indexing them cost more than the
    queries."""
    matched: list[list[Key]] = [[] for _ in texts]
    words = _first_words(tuple(fts for _, fts in queries))
    indexed = [(i, fts_text(title), fts_text(description)) for i, (title, description) in enumerate(texts)]
    rows = [row for row in indexed if _holds_any(words, row[1]) or _holds_any(words, row[2])]
    if not rows:
        return matched
    memory = sqlite3.connect(":memory:")
    memory.execute(fts_table("t"))
    memory.executemany("INSERT INTO t (rowid, title, description) VALUES (?, ?, ?)", rows)
    for name, fts in queries:
        for (rowid,) in memory.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts,)):
            matched[rowid].append(name)
    memory.close()
    return matched


@lru_cache(maxsize=8)
def _first_words(expressions: tuple[str, ...]) -> ahocorasick.Automaton | None:
    """One automaton of the first words of the expressions' phrases (db.search.first_words): a word -> (its
    length, whether it is only ever a whole word)."""
    whole: dict[str, bool] = {}
    for word, prefix in (pair for fts in expressions for pair in first_words(fts)):
        whole[word] = whole.get(word, True) and not prefix
    if not whole:
        return None
    automaton = ahocorasick.Automaton()
    for word, only_whole in whole.items():
        automaton.add_word(word, (len(word), only_whole))
    automaton.make_automaton()
    return automaton


def _holds_any(words: ahocorasick.Automaton | None, text: str) -> bool:
    """Whether a word is in the text as the tokenizer may cut it: not after a letter or digit, and not before one
    unless a prefix. (Its word characters also include marks and private-use letters: next to one of those a word
    is let through, which is safe.)"""
    if words is None:
        return False
    last = len(text) - 1
    for end, (length, only_whole) in words.iter(text):
        start = end - length + 1
        if (not start or not text[start - 1].isalnum()) and not (only_whole and end < last and text[end + 1].isalnum()):
            return True
    return False
