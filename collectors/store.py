"""Write articles and feed state: exactly once, one transaction per feed or batch (the SQL is db.articles')."""

from __future__ import annotations

from collections.abc import Iterable

from collectors import tagging
from db import articles as article_store
from db.articles import Article
from db.engine import Connection
from db.feeds import ensure_feed, ensure_outlet

__all__ = ["Article", "ensure_feed", "ensure_outlet", "store_articles", "store_rows"]


def store_articles(conn: Connection, feed_id: int, outlet_id: int | None,
                   articles: Iterable[Article], seen_at: str) -> int:
    """Insert new articles and link every one to the feed; return how many articles were new."""
    return store_rows(conn, [(feed_id, outlet_id, seen_at, a) for a in articles])


def store_rows(conn: Connection, rows: list[tuple[int, int | None, str, Article]], tag: bool = True) -> int:
    """Insert (feed_id, outlet_id, seen_at, article) rows from any feeds, index and tag the new ones
    (`tag=False` leaves that to `newsradar retag`); return how many articles were new."""
    return article_store.store_rows(conn, rows, tagging.tag_new if tag else None)
