"""The links of an article: the URL it was stored under and every other URL of the same story (article_links)."""

from __future__ import annotations

import sqlite3
from collections import Counter


def article_for(conn: sqlite3.Connection, identity: str) -> int | None:
    """The id of the article stored under the link identity (collectors.normalize.identify), by any of its URLs."""
    row = conn.execute("SELECT id FROM articles WHERE norm_link = ? UNION ALL "
                       "SELECT article_id FROM article_links WHERE norm_link = ? LIMIT 1",
                       (identity, identity)).fetchone()
    return row[0] if row else None


def stored_identities(conn: sqlite3.Connection) -> Counter[str]:
    """How many times each link identity is stored: as an article's own link or as another link of its story
    (1 everywhere when nothing is lost and nothing duplicated)."""
    return Counter(row[0] for row in conn.execute("SELECT norm_link FROM articles UNION ALL "
                                                  "SELECT norm_link FROM article_links"))


def other_links(conn: sqlite3.Connection, article_id: int) -> list[str]:
    """The article's other URLs, as the feeds gave them, in the order of their identities."""
    return [row[0] for row in conn.execute("SELECT link FROM article_links WHERE article_id = ? ORDER BY norm_link",
                                           (article_id,))]
