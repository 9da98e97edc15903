"""The collector on both engines: a cycle stores what the replayed feeds serve, claims its feeds with leases, leaves
another live collector's feeds alone, takes over a dead one's once its lease ran out, and gives its leases back."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
from contextlib import closing

import pytest

from collectors.collect import CollectorConfig, free_dead_leases, run_cycle, utcnow
from collectors.feedlists import import_feeds, read_feed_list
from collectors.normalize import normalize_link
from db import connect, transaction
from db.leases import claim_due, holder, holders
from db.links import stored_identities

CONFIG = CollectorConfig(deadline_s=20, per_host=8, concurrency=8, allow_private_networks=True, lease_s=60,
                         collector_id="me")


def cycle(conn, **kwargs):
    return asyncio.run(run_cycle(conn, CONFIG, **kwargs))


@pytest.fixture
def feeds(replay, engine, tmp_path) -> list[int]:
    replay.set_day("2023-09-19")
    specs, _ = read_feed_list(replay.opml_file(tmp_path, faults=False))
    assert import_feeds(engine, specs) == 54
    return [r[0] for r in engine.execute("SELECT id FROM feeds ORDER BY id")]


def _fetched(report) -> set[int]:
    return {o.feed_id for o in report.outcomes}


@pytest.mark.slow
def test_a_cycle_stores_exactly_what_was_served_and_gives_its_leases_back(replay, engine, feeds):
    served = {normalize_link(link) for links in replay.served().values() for link in links}
    report = cycle(engine)
    assert _fetched(report) == set(feeds)
    stored = stored_identities(engine)
    assert set(stored) == served and max(stored.values()) == 1
    assert {holder(engine, feed) for feed in feeds} == {None}
    assert cycle(engine).outcomes == []   # nothing due any more


@pytest.mark.slow
def test_feeds_leased_to_a_live_collector_are_left_and_a_dead_ones_taken_over(engine, feeds):
    now = utcnow()
    others = {r["id"] for r in claim_due(engine, "other", now, limit=5, lease_s=600)}
    report = cycle(engine, now=now)
    assert _fetched(report) == set(feeds) - others
    assert {holder(engine, feed) for feed in others} == {"other"}
    later = cycle(engine, now=now + dt.timedelta(seconds=601))   # the other collector died: its leases ran out
    assert _fetched(later) >= others


@pytest.mark.slow
def test_a_forced_cycle_fetches_every_feed_once(engine, feeds):
    first = cycle(engine)
    forced = cycle(engine, force=True)
    assert sorted(o.feed_id for o in forced.outcomes) == sorted(o.feed_id for o in first.outcomes) == feeds
    with transaction(engine):
        assert {holder(engine, feed) for feed in feeds} == {None}


def test_on_sqlite_a_killed_collectors_leases_are_given_back_at_once(conn):
    conn.execute("INSERT INTO feeds (url) VALUES ('https://a.example/rss'), ('https://b.example/rss')")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    claim_due(conn, f"{socket.gethostname()}:{dead.pid}", utcnow(), limit=1)
    claim_due(conn, f"{socket.gethostname()}:{os.getpid()}", utcnow(), limit=1)   # a live one keeps its lease
    claim_due(conn, "elsewhere:1", utcnow(), limit=1)
    assert free_dead_leases(conn) == 1
    assert holders(conn) == [f"{socket.gethostname()}:{os.getpid()}"]


def test_on_postgresql_a_dead_collectors_leases_run_out_instead(pg_url):
    with closing(connect(pg_url)) as conn:
        conn.execute("INSERT INTO feeds (url) VALUES ('https://a.example/rss')")
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        claim_due(conn, f"{socket.gethostname()}:{dead.pid}", utcnow())
        assert free_dead_leases(conn) == 0
        assert holders(conn) == [f"{socket.gethostname()}:{dead.pid}"]
