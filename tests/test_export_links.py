"""Exported links lose their tracking parameters; the stored link keeps what the feed gave."""

from __future__ import annotations

import io

import pytest

from collectors.normalize import clean_link
from dashboard import downloads
from dashboard.testing import add_articles
from db.export import write_csv
from db.filters import Filters


@pytest.mark.parametrize(("link", "clean"), [
    ("https://www.bbc.co.uk/news/world-1?utm_source=rss&utm_medium=feed", "https://www.bbc.co.uk/news/world-1"),
    ("http://Example.com/a?id=7&utm_campaign=x&page=2", "http://Example.com/a?id=7&page=2"),   # order, host kept
    ("https://x.org/a?fbclid=abc#comments", "https://x.org/a#comments"),
    ("https://x.org/a?q=a%20b&gclid=1", "https://x.org/a?q=a%20b"),                             # spelling kept
    ("https://x.org/a?ref=rss&id=1", "https://x.org/a?id=1"),
    ("https://x.org/a?ref=homepage", "https://x.org/a?ref=homepage"),                           # not feed tracking
    ("https://x.org/a", "https://x.org/a"),
])
def test_clean_link_drops_only_tracking_parameters(link, clean):
    assert clean_link(link) == clean


def test_both_exports_give_clean_links_and_the_database_keeps_the_original(conn):
    link = "https://www.bbc.co.uk/news/world-1?id=4&utm_source=rss&utm_medium=feed&at_medium=RSS"
    add_articles(conn, "http://feeds.bbci.co.uk/news/rss.xml", [("Talks resume", link, "2023-09-20 10:00:00")],
                 outlet="BBC News", country="GB")
    out = io.StringIO()
    write_csv(conn, Filters(), out)
    assert "https://www.bbc.co.uk/news/world-1?id=4\r\n" in out.getvalue().replace(",", "\r\n")
    download = downloads.csv_export(conn, Filters()).data.decode("utf-8-sig")
    assert "https://www.bbc.co.uk/news/world-1?id=4," in download and "utm_" not in download
    assert conn.execute("SELECT link FROM articles").fetchone()[0] == link
