"""Acceptance: each misbehaving feed is handled as its kind deserves; good feeds never suffer."""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from collectors.collect import CollectorConfig, due_feeds, next_due_in, run_cycle, utcnow
from collectors.feedlists import import_feeds, read_feed_list, read_opml
from collectors.fetch import fetch, make_client

DEADLINE_S = 10.0
CONFIG = CollectorConfig(deadline_s=DEADLINE_S, per_host=8, concurrency=32, allow_private_networks=True)


@pytest.fixture(scope="module")
def fault_cycle(replay, tmp_path_factory):
    """One cycle over the 54 good feeds and the 10 fault feeds, and the database it filled."""
    from db import connect

    tmp = tmp_path_factory.mktemp("faults")
    conn = connect(tmp / "faults.db")
    replay.set_day("2023-09-20")
    specs, _ = read_feed_list(replay.opml_file(tmp))
    import_feeds(conn, specs)
    started = time.monotonic()
    report = asyncio.run(run_cycle(conn, CONFIG, force=True))
    seconds = time.monotonic() - started
    by_kind = {o.url.rsplit("/", 1)[1][:-4]: o for o in report.outcomes if "/faults/" in o.url}
    yield conn, report, by_kind, seconds
    conn.close()


@pytest.mark.slow
def test_every_good_feed_is_collected(fault_cycle):
    conn, report, _, _ = fault_cycle
    good = [o for o in report.outcomes if "/feeds/" in o.url]
    assert len(good) == 54
    assert [o for o in good if o.outcome != "ok"] == []
    assert sum(o.new_items for o in good) > 500


def test_the_cycle_is_bounded_by_the_deadline_not_the_slowest_server(fault_cycle):
    _, _, by_kind, seconds = fault_cycle
    assert by_kind["timeout"].error_kind == "timeout"
    assert seconds < DEADLINE_S + 15  # the timeout fault would hold a naive collector 120 s


@pytest.mark.parametrize("kind, outcome, error_kind", [
    ("slow", "ok", None),
    ("timeout", "error", "timeout"),
    ("http500", "error", "http"),
    ("html", "error", "not_a_feed"),
    ("empty", "error", "not_a_feed"),
    ("huge", "error", "too_large"),
    ("gone", "error", "gone"),
    ("redirect", "ok", None),
    ("wrong-encoding", "ok", None),
])
def test_fault_outcome(fault_cycle, kind, outcome, error_kind):
    _, _, by_kind, _ = fault_cycle
    assert (by_kind[kind].outcome, by_kind[kind].error_kind) == (outcome, error_kind), by_kind[kind].error


def test_failures_are_recorded_on_the_feed_with_their_time(fault_cycle):
    conn, *_ = fault_cycle
    rows = conn.execute("SELECT url, status, last_error_kind, last_error, last_error_at FROM feeds "
                        "WHERE url LIKE '%/faults/%' AND last_error_kind IS NOT NULL").fetchall()
    assert {r["url"].rsplit("/", 1)[1] for r in rows} >= {"timeout.xml", "http500.xml", "html.xml", "empty.xml",
                                                            "huge.xml", "gone.xml"}
    assert all(r["last_error"] and r["last_error_at"] for r in rows)
    logged = conn.execute("SELECT count(*) FROM fetch_log WHERE outcome = 'error'").fetchone()[0]
    assert logged == len(rows)


def test_malformed_feed_is_recovered_or_rejected_with_a_reason(fault_cycle):
    _, _, by_kind, _ = fault_cycle
    malformed = by_kind["malformed"]
    if malformed.outcome == "ok":
        assert malformed.items > 0 and any("malformed" in w for w in malformed.warnings)
    else:
        assert malformed.error_kind == "malformed" and malformed.error


def test_wrong_encoding_is_read_without_mojibake(fault_cycle):
    conn, _, by_kind, _ = fault_cycle
    assert any("encoding" in w for w in by_kind["wrong-encoding"].warnings)
    titles = [r[0] for r in conn.execute(
        "SELECT a.title FROM articles a JOIN article_feeds af ON af.article_id = a.id "
        "JOIN feeds f ON f.id = af.feed_id WHERE f.url LIKE '%wrong-encoding%'")]
    assert titles and not [t for t in titles if "Ã" in t or "â€" in t]


def test_huge_body_is_refused_without_reading_it(fault_cycle):
    conn, _, by_kind, _ = fault_cycle
    assert "cap" in by_kind["huge"].error
    read = conn.execute("SELECT bytes FROM fetch_log l JOIN feeds f ON f.id = l.feed_id "
                        "WHERE f.url LIKE '%huge%'").fetchone()[0]
    assert read == 0


def test_gone_feed_is_not_polled_again(fault_cycle):
    conn, *_ = fault_cycle
    status = conn.execute("SELECT status FROM feeds WHERE url LIKE '%/faults/gone.xml'").fetchone()[0]
    assert status == "gone"
    assert not [f for f in due_feeds(conn, utcnow(), force=True) if f["url"].endswith("gone.xml")]


@pytest.mark.parametrize("target_known", [False, True])
def test_permanent_redirect_moves_the_feed_after_repeated_sightings(replay, conn, target_known):
    replay.set_day("2023-09-20")
    wanted = ("/faults/redirect.xml", "/feeds/0.xml") if target_known else ("/faults/redirect.xml",)
    import_feeds(conn, [s for s in read_opml(replay.get("/outlets.opml"))[0] if s.url.endswith(wanted)])
    redirecting = conn.execute("SELECT id FROM feeds WHERE url LIKE '%redirect.xml'").fetchone()[0]
    for n in range(1, CONFIG.redirect_confirmations + 1):
        report = asyncio.run(run_cycle(conn, CONFIG, force=True))
        assert {o.outcome for o in report.outcomes} <= {"ok", "not_modified"}
        feed = conn.execute("SELECT url, status FROM feeds WHERE id = ?", (redirecting,)).fetchone()
        moved = n == CONFIG.redirect_confirmations
        if target_known:
            # the address it moved to is a feed we have already: it becomes that feed's duplicate, not polled
            assert feed["status"] == ("duplicate" if moved else "active")
        else:
            assert feed["url"].endswith("/feeds/0.xml" if moved else "/faults/redirect.xml")
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0


class _Chunked(BaseHTTPRequestHandler):
    """A feed with no Content-Length that never ends: the cap must stop the read."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<!--" + b"x" * 65536 + b"-->"
        try:
            for _ in range(2000):  # 130 MB if nobody stops reading
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_streamed_body_is_cut_at_the_cap():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chunked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async def go():
            async with make_client(allow_private=True) as client:
                return await fetch(client, f"http://127.0.0.1:{server.server_port}/feed.xml",
                                   deadline_s=20, max_bytes=1024 * 1024)

        result = asyncio.run(go())
    finally:
        server.shutdown()
    assert result.error_kind == "too_large" and result.body == b""


class _TooMany(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(429)
        self.send_header("Retry-After", "7200")
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_retry_after_is_honoured(conn):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TooMany)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        import_feeds(conn, read_opml(f'<opml><body><outline text="T" xmlUrl="http://127.0.0.1:{server.server_port}'
                                     f'/rss"/></body></opml>'.encode())[0])
        report = asyncio.run(run_cycle(conn, CONFIG, force=True))
    finally:
        server.shutdown()
    assert report.outcomes[0].error == "HTTP 429"
    assert 7100 < next_due_in(conn, utcnow()) <= 7200
