"""Acceptance: hostile feeds (invalid character references, huge fields, 100,000 items, markup in titles) neither
stop nor stall a collection cycle over the 54 replay feeds, and every good article is stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port
from hostile import GOOD_ITEMS, hostile_feeds

from collectors import collect
from collectors.collect import CollectorConfig, run_cycle
from collectors.feedlists import FeedSpec, import_feeds, read_feed_list
from collectors.normalize import TITLE_MAX, normalize_link
from collectors.parse import MAX_ITEMS, FeedError
from collectors.parsepool import parse_in_worker
from db import connect
from db.links import stored_identities
from newsradar.cli import main

DEADLINE_S = 10.0
CONFIG = CollectorConfig(deadline_s=DEADLINE_S, per_host=8, concurrency=32, allow_private_networks=True)
FEEDS = hostile_feeds()
TAG = r"<[/!?]?[A-Za-z][^<>]*>"


class FeedServer:
    """Serves `bodies` (name: bytes) at /NAME.xml from a loopback server in its own process, as a remote site would
    (a server thread in the test's process would take the GIL from the collector)."""

    def __init__(self, bodies: dict[str, bytes], folder: Path):
        for name, body in bodies.items():
            (folder / f"{name}.xml").write_bytes(body)
        port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                                      str(folder), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "svg.xml", timeout=5).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the feed server did not start")

    def specs(self, names) -> list[FeedSpec]:
        return [FeedSpec(f"{self.base}{name}.xml", f"Outlet {name}", None, "en") for name in names]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    server = FeedServer({**FEEDS, "raises": FEEDS["svg"]}, tmp_path_factory.mktemp("hostile-feeds"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hostile_cycle(replay, hostile_server, tmp_path_factory):
    """One cycle over the 54 replay feeds and the hostile ones: (db, outcomes by hostile name, seconds, served)."""
    tmp = tmp_path_factory.mktemp("hostile")
    conn = connect(tmp / "hostile.db")
    replay.set_day("2023-09-21")
    specs, _ = read_feed_list(replay.opml_file(tmp, faults=False))
    import_feeds(conn, specs + hostile_server.specs(FEEDS))
    served = replay.served()
    started = time.monotonic()
    report = asyncio.run(run_cycle(conn, CONFIG, force=True))
    seconds = time.monotonic() - started
    print(f"\ncycle over {len(report.outcomes)} feeds: {seconds:.2f} s; {report.summary()}")
    outcomes = {o.url[len(hostile_server.base):-4]: o for o in report.outcomes if o.url.startswith(hostile_server.base)}
    yield tmp / "hostile.db", conn, outcomes, seconds, served
    conn.close()


def titles_of(conn, name: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT a.title FROM articles a JOIN article_feeds af ON af.article_id = a.id "
        "JOIN feeds f ON f.id = af.feed_id WHERE f.url LIKE ? ORDER BY a.id", (f"%/{name}.xml",))]


def test_no_hostile_feed_holds_the_cycle(hostile_cycle):
    # The figure itself (acceptance 3: within the deadline plus a second; 3.0 s on an idle machine) is printed
    # by the fixture (run with -s). Tests assert no timings; this bound only separates "bounded by the deadline"
    # from the unbounded costs these feeds had: 25 s for the long date, 45 s for the escaped comments, hours
    # for a 1 MB field.
    *_, seconds, _ = hostile_cycle
    assert seconds < DEADLINE_S + 15


def test_every_article_the_replay_feeds_served_is_stored(hostile_cycle):
    _, conn, _, _, served = hostile_cycle
    stored = set(stored_identities(conn))
    wanted = {normalize_link(link) for links in served.values() for link in links}
    assert len(wanted) > 500 and wanted <= stored
    failing = conn.execute("SELECT url, last_error FROM feeds WHERE status != 'active'").fetchall()
    assert [tuple(r) for r in failing] == []


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_each_hostile_feed_is_collected_with_its_good_items(hostile_cycle, name):
    _, conn, outcomes, _, _ = hostile_cycle
    assert (outcomes[name].outcome, outcomes[name].error_kind) == ("ok", None), outcomes[name].error
    titles = titles_of(conn, name)
    good = MAX_ITEMS if name == "manyitems" else GOOD_ITEMS
    assert sum(t.startswith("Story ") for t in titles) >= good
    assert max(len(t) for t in titles) <= TITLE_MAX


@pytest.mark.parametrize(("name", "title"), [("surrogate", "Broken \ufffd title"), ("overflow", "Huge \ufffd ref"),
                                             ("longdate", "Long date")])
def test_the_bad_item_itself_is_kept_readable(hostile_cycle, name, title):
    _, conn, _, _, _ = hostile_cycle
    assert title in titles_of(conn, name)


def test_an_unreadable_date_is_stored_as_first_seen_and_flagged(hostile_cycle):
    _, conn, _, _, _ = hostile_cycle
    flag = conn.execute("SELECT date_flag FROM articles WHERE title = 'Long date'").fetchone()[0]
    assert flag == "missing"


def test_a_feed_over_the_item_cap_is_cut_with_a_note_in_the_fetch_log(hostile_cycle):
    _, conn, _, _, _ = hostile_cycle
    assert len(titles_of(conn, "manyitems")) == MAX_ITEMS
    note = conn.execute("SELECT l.error FROM fetch_log l JOIN feeds f ON f.id = l.feed_id "
                        "WHERE f.url LIKE '%/manyitems.xml'").fetchone()[0]
    assert f"more than {MAX_ITEMS:,} items" in note


def test_no_markup_is_stored_from_triple_escaped_script(hostile_cycle):
    _, conn, _, _, _ = hostile_cycle
    titles = titles_of(conn, "svg")
    assert len(titles) == GOOD_ITEMS + 1
    assert [t for t in titles if re.search(TAG, t) or "script" in t or "onload" in t] == []


def test_feeds_list_shows_every_hostile_feed_active(hostile_cycle, capsys):
    db_path, *_ = hostile_cycle
    assert main(["--db", str(db_path), "feeds", "list"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "/faults/" not in line]
    assert len(lines) == 54 + len(FEEDS)
    assert all(" active " in line for line in lines), [line for line in lines if " active " not in line]


# a feed that raises anything: recorded as malformed, backed off; the cycle goes on ---------------------------

@pytest.fixture
def raising_cycle(hostile_server, tmp_path, monkeypatch):
    """A cycle over three good feeds and one whose parse raises something no one expected."""
    real = collect.parse_in_worker

    async def parse(body, seen, content_type, url, language, timeout_s):
        if "raises" in url:
            raise RuntimeError("the parser met something new")
        return await real(body, seen, content_type, url, language, timeout_s)

    monkeypatch.setattr(collect, "parse_in_worker", parse)
    db_path = tmp_path / "raise.db"
    conn = connect(db_path)
    import_feeds(conn, hostile_server.specs(["surrogate", "raises", "longdate", "svg"]))
    report = asyncio.run(run_cycle(conn, CONFIG, force=True))
    yield db_path, conn, report
    conn.close()


def test_a_feed_that_raises_is_marked_malformed_with_its_reason(raising_cycle):
    _, conn, _ = raising_cycle
    row = conn.execute("SELECT * FROM feeds WHERE url LIKE '%/raises.xml'").fetchone()
    assert (row["status"], row["last_error_kind"]) == ("failing", "malformed")
    assert "RuntimeError: the parser met something new" in row["last_error"]
    log = conn.execute("SELECT outcome, error_kind, error FROM fetch_log WHERE feed_id = ?", (row["id"],)).fetchone()
    assert (log["outcome"], log["error_kind"]) == ("error", "malformed") and "something new" in log["error"]


def test_a_feed_that_raises_is_backed_off(raising_cycle):
    _, conn, _ = raising_cycle
    row = conn.execute("SELECT next_fetch_at FROM feeds WHERE url LIKE '%/raises.xml'").fetchone()
    assert row[0] > collect.format_utc(collect.utcnow())
    again = asyncio.run(run_cycle(conn, CONFIG))
    assert [o.url for o in again.outcomes if "raises" in o.url] == []


def test_the_other_feeds_of_the_cycle_are_collected(raising_cycle):
    _, conn, report = raising_cycle
    assert sorted(o.outcome for o in report.outcomes) == ["error", "ok", "ok", "ok"]
    for name in ("surrogate", "longdate", "svg"):
        assert len(titles_of(conn, name)) == GOOD_ITEMS + 1


def test_feeds_list_shows_the_malformed_feed_and_its_reason(raising_cycle, capsys):
    db_path, *_ = raising_cycle
    assert main(["--db", str(db_path), "feeds", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "raises.xml" in line)
    assert "failing" in line and "[malformed: RuntimeError: the parser met something new]" in line


def test_a_parse_that_overruns_its_time_is_stopped_as_a_timeout():
    with pytest.raises(FeedError) as caught:
        asyncio.run(parse_in_worker(FEEDS["manyitems"] * 3, dt.datetime.now(dt.UTC), None, None, None, 0.001))
    assert caught.value.kind == "timeout" and "deadline" in str(caught.value)


@pytest.mark.parametrize("given_up", ["over its time", "the collector stopping"])
def test_a_parse_given_up_leaves_no_traceback_in_the_log(caplog, given_up):
    async def parse() -> None:
        body = FEEDS["manyitems"] * 40
        if given_up == "over its time":
            with pytest.raises(FeedError, match="deadline"):
                await parse_in_worker(body, dt.datetime.now(dt.UTC), None, None, None, 0.3)
        else:
            task = asyncio.create_task(parse_in_worker(body, dt.datetime.now(dt.UTC), None, None, None, 30))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):   # still parsing when stopped
                await task
        await asyncio.sleep(0.5)   # the waiting thread sees the killed worker's pipe close

    asyncio.run(parse())
    gc.collect()   # asyncio reports an error no one retrieved when its future is collected
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text


def test_a_parse_in_a_worker_gives_the_same_articles():
    seen = dt.datetime(2023, 9, 21, tzinfo=dt.UTC)
    parsed = asyncio.run(parse_in_worker(FEEDS["surrogate"], seen, None, None, None, 30))
    assert len(parsed.articles) == GOOD_ITEMS + 1 and parsed.title == "surrogate"
