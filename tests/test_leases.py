"""Feed leases: two collectors never hold the same feed; a dead collector's feeds are taken over after its lease."""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import closing

from db import connect, transaction
from db.leases import claim_due, holder, release

NOW = dt.datetime(2023, 9, 20, 12, 0, tzinfo=dt.UTC)


def _feeds(conn, n: int, due: str = "2023-09-20 11:00:00") -> None:
    with transaction(conn):
        for i in range(1, n + 1):
            conn.execute("INSERT INTO feeds (id, url, next_fetch_at) VALUES (?, ?, ?)", (i, f"https://f{i}.example/",
                                                                                        due))


def _ids(rows) -> set[int]:
    return {r["id"] for r in rows}


def test_claims_do_not_overlap(engine):
    _feeds(engine, 10)
    first, second = claim_due(engine, "a", NOW, limit=6), claim_due(engine, "b", NOW, limit=6)
    assert len(first) == 6 and len(second) == 4
    assert not _ids(first) & _ids(second)
    assert claim_due(engine, "c", NOW) == []
    assert holder(engine, first[0]["id"]) == "a"


def test_feeds_not_yet_due_or_not_polled_are_not_claimed(engine):
    _feeds(engine, 3, due="2023-09-20 13:00:00")
    engine.execute("UPDATE feeds SET next_fetch_at = NULL, status = 'gone' WHERE id = 1")
    assert claim_due(engine, "a", NOW) == []
    assert _ids(claim_due(engine, "a", NOW + dt.timedelta(hours=2))) == {2, 3}


def test_expired_lease_is_taken_over(engine):
    _feeds(engine, 3)
    claim_due(engine, "dead", NOW, lease_s=300)
    assert claim_due(engine, "alive", NOW + dt.timedelta(seconds=299)) == []
    taken = claim_due(engine, "alive", NOW + dt.timedelta(seconds=300))
    assert _ids(taken) == {1, 2, 3}
    assert {holder(engine, i) for i in (1, 2, 3)} == {"alive"}


def test_released_feeds_can_be_claimed_again_and_others_leases_stay(engine):
    _feeds(engine, 4)
    mine = claim_due(engine, "a", NOW, limit=2)
    claim_due(engine, "b", NOW, limit=2)
    assert release(engine, "a", [r["id"] for r in mine] + [3, 4]) == 2
    assert _ids(claim_due(engine, "c", NOW)) == _ids(mine)


def test_concurrent_collectors_never_claim_the_same_feed(pg_url):
    """Eight collectors, each on its own connection, claim three feeds at a time at once until none is left."""
    with closing(connect(pg_url)) as conn:
        _feeds(conn, 200)
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(8)

    def collector(name: str) -> None:
        with closing(connect(pg_url)) as conn:
            start.wait(timeout=60)
            mine = claimed.setdefault(name, [])
            while rows := claim_due(conn, name, NOW, limit=3):
                mine.extend(r["id"] for r in rows)

    threads = [threading.Thread(target=collector, args=(f"c{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    every = [feed for ids in claimed.values() for feed in ids]
    assert sorted(every) == list(range(1, 201))
    assert sum(1 for ids in claimed.values() if ids) > 1


def test_a_claim_in_progress_is_skipped_not_waited_for(pg_url):
    """While one collector's claim holds its rows locked (its transaction still open), another claims other feeds
    at once instead of waiting for it."""
    with closing(connect(pg_url)) as one, closing(connect(pg_url)) as other:
        _feeds(one, 4)
        one.execute("BEGIN")
        one.execute("SELECT id FROM feeds WHERE id IN (1, 2) FOR UPDATE")
        other.execute("SET lock_timeout = '5s'")
        assert _ids(claim_due(other, "b", NOW)) == {3, 4}
        one.execute("ROLLBACK")
