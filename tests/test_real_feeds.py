"""Acceptance: every real-world feed file in shared/data/feeds parses into clean articles over HTTP."""

from __future__ import annotations

import asyncio
import csv
import functools
import re
import threading
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from collectors.collect import CollectorConfig, run_cycle
from collectors.feedlists import FeedSpec, import_feeds
from db import connect
from db.links import other_links

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "feeds"
INDEX = list(csv.DictReader((FEEDS / "INDEX.csv").open(encoding="utf-8")))
MOJIBAKE = re.compile("Ã.|â€|Å.|Ð[\u0080-\u00bf]|\ufffd")
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")


ITEM = re.compile(r"<(item|entry)[\s>].*?</\1>", re.S)
# in the order a reader takes them: <link>, Atom link href, guid, enclosure
ITEM_LINKS = [re.compile(p) for p in (r"<link>\s*(?:<!\[CDATA\[)?([^<\]]+)", r"<link[^>]*href=\"([^\"]+)",
                                      r"<guid[^>]*>([^<]+)", r"<enclosure[^>]*url=\"([^\"]+)")]


def distinct_items(raw: bytes) -> tuple[int, int]:
    """Items in the raw file, and how many distinct links they carry (a feed may repeat an item)."""
    text = raw.decode("utf-8", errors="replace")
    items = [m.group(0) for m in ITEM.finditer(text)]
    links = set()
    for item in items:
        found = next((m.group(1) for p in ITEM_LINKS if (m := p.search(item))), item)
        links.add(unescape(found).strip())
    return len(items), len(links)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """All feed files served over loopback HTTP and collected in one cycle."""
    handler = functools.partial(_Quiet, directory=str(FEEDS))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    conn = connect(tmp_path_factory.mktemp("real") / "real.db")
    try:
        import_feeds(conn, [FeedSpec(base + row["file"], row["outlet"], row["country"] or None,
                                     row["language"]) for row in INDEX])
        report = asyncio.run(run_cycle(conn, CollectorConfig(per_host=8, allow_private_networks=True), force=True))
        yield conn, {o.url[len(base):]: o for o in report.outcomes}
    finally:
        server.shutdown()
        conn.close()


def articles_of(conn, name: str):
    return conn.execute("SELECT a.* FROM articles a JOIN article_feeds af ON af.article_id = a.id "
                        "JOIN feeds f ON f.id = af.feed_id WHERE f.url LIKE ?", ("%/" + name,)).fetchall()


@pytest.mark.parametrize("name", [row["file"] for row in INDEX])
def test_feed_file_parses_into_clean_articles(collected, name):
    conn, outcomes = collected
    outcome = outcomes[name]
    assert outcome.outcome == "ok", outcome.error
    items, links = distinct_items((FEEDS / name).read_bytes())
    assert outcome.items == items
    rows = articles_of(conn, name)
    # an item that repeats another's title and time under a second URL is that article's other link
    others = sum(len(other_links(conn, row["id"])) for row in rows)
    assert len(rows) + others == links
    for row in rows:
        assert row["title"] or row["description"]
        assert not MOJIBAKE.search(row["title"] + row["description"]), row["title"]
        assert not TAG.search(row["title"]), row["title"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["published"])
        assert row["date_flag"] in (None, "missing")
        assert row["link"].startswith(("http://", "https://"))


def test_dates_are_utc(collected):
    conn, _ = collected
    # uol-noticias says 'Seg, 24 Set 2018 19:42:40 -0300' (Portuguese, UTC-3)
    row = conn.execute("SELECT published FROM articles WHERE published LIKE '2018-09-24 22:42:40'").fetchone()
    assert row is not None


def test_latin1_feed_keeps_its_accents(collected):
    conn, _ = collected
    titles = " ".join(r["title"] for r in articles_of(conn, "jornal-de-noticias.xml"))
    assert re.search("[ãçéõá]", titles)
