"""What the Topics and Sources pages change in the database: topics, feeds, feed lists (no Streamlit here)."""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass

from collectors import feedlists, netguard
from db import connect, transaction
from db import topics as topic_store


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str


def save_topic(path: str | os.PathLike, topic: topic_store.Topic, old_name: str | None = None) -> Outcome:
    """Create a topic (or replace `old_name`) and apply it to every stored article."""
    try:
        with closing(connect(path)) as conn, transaction(conn):
            count = topic_store.save_topic(conn, topic, old_name=old_name)
    except topic_store.TopicError as exc:
        return Outcome(False, str(exc).split("\n")[0])
    verb = "Created" if old_name is None else "Saved"
    return Outcome(True, f"{verb} the topic “{topic.name}”: {count:,} articles match.")


def delete_topic(path: str | os.PathLike, name: str) -> Outcome:
    """Delete a topic (its articles stay)."""
    try:
        with closing(connect(path)) as conn, transaction(conn):
            topic_store.remove_topic(conn, name)
    except topic_store.TopicError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"Deleted the topic “{name}”.")


def add_feed(path: str | os.PathLike, url: str, outlet: str = "", country: str = "", language: str = "",
             allow_private: bool | None = None) -> Outcome:
    """Add one feed (or fill in the outlet, country and language of a known one); private addresses refused."""
    spec = feedlists._spec(url, outlet, country, language)
    if spec is None:
        return Outcome(False, f"{url.strip() or 'An empty URL'} is not an http(s) URL.")
    try:
        netguard.check_url(spec.url, allow_private)
    except netguard.Refused as exc:
        return Outcome(False, f"Refused {spec.url}: {exc}.")
    with closing(connect(path)) as conn:
        new = feedlists.import_feeds(conn, [spec])
    return Outcome(True, f"{'Added' if new else 'Updated'} {spec.url}; the collector polls it on its next cycle.")


def read_feed_list(data: bytes) -> tuple[list[feedlists.FeedSpec], int]:
    """Feeds of an uploaded OPML (entity tricks refused) or CSV file, and how many entries were skipped."""
    return feedlists.parse_feed_list(data)


def import_feed_list(path: str | os.PathLike, specs: list[feedlists.FeedSpec],
                     allow_private: bool | None = None) -> Outcome:
    """Add the feeds of a parsed feed list, all but those at private addresses."""
    specs, refused = feedlists.screen_feeds(specs, allow_private)
    with closing(connect(path)) as conn:
        new = feedlists.import_feeds(conn, specs)
    text = f"Imported {len(specs):,} feeds: {new:,} new, {len(specs) - new:,} already known."
    if refused:
        text += f" Refused {len(refused):,}: " + " — ".join(refused[:5]) + (" — …" if len(refused) > 5 else "")
    return Outcome(bool(specs) or not refused, text)
