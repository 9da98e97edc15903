"""Acceptance: collecting the replayed 2023 feeds day by day stores exactly what they served."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from collectors.collect import CollectorConfig, run_cycle
from collectors.feedlists import import_feeds, read_feed_list, read_opml
from collectors.normalize import normalize_link
from db.links import stored_identities

DAYS = [(dt.date(2023, 9, 18) + dt.timedelta(days=i)).isoformat() for i in range(5)]
CONFIG = CollectorConfig(deadline_s=20, per_host=8, concurrency=16, allow_private_networks=True)

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def cycle(conn, force=True):
    return asyncio.run(run_cycle(conn, CONFIG, force=force))


@pytest.fixture
def good_feeds(replay, conn, tmp_path):
    specs, _ = read_feed_list(replay.opml_file(tmp_path, faults=False))
    assert import_feeds(conn, specs) == 54
    return {s.url: s for s in specs}


def test_five_days_store_exactly_what_was_served(replay, conn, good_feeds):
    served_links: set[str] = set()
    outlets_of_link: dict[str, set[tuple[str, str]]] = {}
    for day in DAYS:
        replay.set_day(day)
        for feed_url, links in replay.served().items():
            spec = good_feeds[feed_url]
            for link in links:
                served_links.add(link)
                outlets_of_link.setdefault(normalize_link(link), set()).add((spec.outlet, spec.country))
        report = cycle(conn)
        assert [o for o in report.outcomes if o.outcome == "error"] == []

    rows = conn.execute("SELECT a.norm_link, a.link, o.name, o.country FROM articles a "
                        "JOIN outlets o ON o.id = a.outlet_id").fetchall()
    stored = stored_identities(conn)   # an outlet's second URL of a story is kept as another link
    assert stored.most_common(1)[0][1] == 1, "an article stored twice"
    assert set(stored) == {normalize_link(link) for link in served_links}, "missing or extra articles"
    assert {r["link"] for r in rows} <= served_links
    for r in rows:
        assert (r["name"], r["country"]) in outlets_of_link[r["norm_link"]]
    assert len(rows) > 5000  # the five days are a real slice, not an empty one


def test_same_day_again_stores_nothing_and_mostly_gets_304(replay, conn, good_feeds):
    replay.set_day("2023-09-25")
    first = cycle(conn)
    assert first.new_items > 500
    before = replay.stats()
    again = cycle(conn)
    after = replay.stats()
    assert again.new_items == 0
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == first.new_items
    not_modified = sum(o.outcome == "not_modified" for o in again.outcomes)
    assert not_modified >= 0.9 * len(again.outcomes)
    assert after["not_modified"] - before["not_modified"] == not_modified


def test_next_day_brings_only_the_new_items(replay, conn, good_feeds):
    replay.set_day("2023-09-26")
    cycle(conn)
    links_day1 = set(stored_identities(conn))
    articles_day1 = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    replay.set_day("2023-09-27")
    served_day2 = {normalize_link(link) for links in replay.served().values() for link in links}
    report = cycle(conn)
    # every new link is stored (a second URL of a stored story as its other link), and nothing else
    assert set(stored_identities(conn)) - links_day1 == served_day2 - links_day1
    assert report.new_items == conn.execute("SELECT count(*) FROM articles").fetchone()[0] - articles_day1 > 500
    linked = conn.execute("SELECT count(*) FROM article_feeds").fetchone()[0]
    assert linked >= conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_opml_gives_outlet_country_and_language(replay, tmp_path):
    specs, skipped = read_opml(replay.opml_file(tmp_path).read_bytes())
    good = [s for s in specs if "/feeds/" in s.url]
    assert skipped == 0 and len(good) == 54
    assert {s.country for s in good} >= {"GB", "US", "PL"}
    assert all(s.outlet and s.language for s in good)
