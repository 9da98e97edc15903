"""The links of an article: the URL it was stored under, every other URL of the same story (article_links), and
the tracking parameters that no link keeps."""

from __future__ import annotations

import sqlite3
from collections import Counter
from urllib.parse import parse_qsl, urlsplit, urlunsplit

_TRACKING_EXACT = {
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga",
    "ito", "traffic_source", "cmp", "cmpid", "ocid", "mod", "smid", "partner", "rss", "feature",
    "ref_src", "ref_url", "src", "cid", "sr_share", "spm",
}
_TRACKING_PREFIXES = ("utm_", "ns_", "at_", "pk_", "mtm_", "ga_", "hsa_", "oly_")
_FEEDISH_VALUES = {"rss", "feed", "rss2", "atom", "feeds", "rssfeed"}


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


def is_tracking(key: str, value: str) -> bool:
    """A query parameter that says where a reader came from, not which page: utm_*, fbclid, ?source=rss …"""
    k = key.lower()
    if k in _TRACKING_EXACT or k.startswith(_TRACKING_PREFIXES):
        return True
    return k in ("source", "ref", "from") and value.lower() in _FEEDISH_VALUES


def clean_link(link: str) -> str:
    """`link` without its tracking parameters (utm_*, fbclid, …: those that identity ignores), everything else as it
    was: scheme, host, path, the other parameters in their order and spelling, the fragment."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return link
    if not parts.query:
        return link
    kept = [raw for raw in parts.query.split("&") if raw and not any(
        is_tracking(k, v) for k, v in parse_qsl(raw, keep_blank_values=True))]
    return urlunsplit(parts._replace(query="&".join(kept)))
