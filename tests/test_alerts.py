"""Alerts and digests (issue 15): a Karabakh topic over September 2023 sends one spike alert for 19 September by e-mail
(a loopback aiosmtpd server) and by an Apprise webhook (a loopback http.server), one daily digest per day, nothing
twice after a restart, and a message held back while the mail server is down until it is back.

The fast tests backfill the corpus's Karabakh articles up to 22 September (and run `alerts run` as of each day); the
slow one runs `newsradar serve` while 19-21 September are collected from the replay server, on top of the articles
before 19 September, and stops it with SIGTERM and kills it with SIGKILL in the middle of a send.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import email
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import closing
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from collectors.backfill import backfill
from collectors.feedlists import import_feeds
from dashboard.testing import add_articles, free_port
from db import alerts as store
from db import connect, feeds, topics
from db.engine import location
from db.filters import Filters
from db.highlights import top_stories
from newsradar import alerts, config, health, notify
from newsradar.service import children

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KARABAKH = "karabakh OR karabach*"
DAYS = [dt.date(2023, 9, 10) + dt.timedelta(days=i) for i in range(13)]   # 10 to 22 September
SERVED = DAYS[9:12]                                                       # 19 to 21: collected while serve runs
REPO = Path(__file__).resolve().parents[1]


def after(day: dt.date) -> dt.datetime:
    """The end of `day`: when a run "after the day" evaluates."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)


# loopback receivers ---------------------------------------------------------------------------------------------

class Inbox:
    """What the loopback SMTP server received: (recipient, subject, text) per message. It can hold back its reply to
    a message (received: in `messages`) until released, so that the sender can be stopped in the middle of a send."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.holding: str | None = None
        self.held, self.released = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler protocol)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        subject = " ".join(str(message["Subject"]).split())   # unfolded
        for recipient in envelope.rcpt_tos:
            text = message.get_content().replace("\r\n", "\n").rstrip("\n")   # as written, without SMTP's line ends
            self.messages.append((recipient, subject, text))
        if self.holding and self.holding in subject:
            self.held.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    def hold(self, words: str) -> None:
        """Keep the sender of the next message whose subject has `words` waiting for the reply until release()."""
        self.holding = words
        self.held.clear()
        self.released.clear()

    def release(self) -> None:
        self.holding = None
        self.released.set()

    def subjects(self, word: str) -> list[str]:
        return [subject for _, subject, _ in self.messages if word in subject]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    """A loopback endpoint that keeps every JSON body posted to it (what Apprise's json:// sends)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server protocol)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def settings(smtp_port: int, **more: str) -> config.Config:
    # the webhook receiver is on loopback, which only an operator who allows private networks may reach
    return config.load(environ={"NEWSRADAR_ALLOW_PRIVATE": "1", "NEWSRADAR_ALERTS_SMTP_HOST": "127.0.0.1",
                                "NEWSRADAR_ALERTS_SMTP_PORT": str(smtp_port), "NEWSRADAR_ALERTS_SMTP_TLS": "none",
                                "NEWSRADAR_ALERTS_BASE_URL": "https://news.example.org/", **more})


def smtp_env(port: int) -> dict[str, str]:
    return {"NEWSRADAR_ALERTS_SMTP_HOST": "127.0.0.1", "NEWSRADAR_ALERTS_SMTP_PORT": str(port),
            "NEWSRADAR_ALERTS_SMTP_TLS": "none"}


# the corpus's Karabakh articles -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slices(tmp_path_factory) -> dict[str, Path]:
    """The corpus's records naming Karabakh: "before" 10 September, "baseline" before the first day `serve` collects
    from the replay server (the spike rule's 14 days before it), and "all" up to 22 September."""
    folder = tmp_path_factory.mktemp("karabakh")
    wanted = []
    with gzip.open(DATA / "news-2023.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            low = line.lower()
            if ("karabakh" in low or "karabach" in low) and (json.loads(line)["published"] or "") < "2023-09-23":
                wanted.append(line)
    out = {}
    for name, before in (("before", "2023-09-10"), ("baseline", SERVED[0].isoformat()), ("all", "2023-09-23")):
        lines = [line for line in wanted if json.loads(line)["published"] < before]
        out[name] = folder / f"{name}.jsonl"
        out[name].write_text("".join(lines), encoding="utf-8")
    return out


def karabakh_db(path: Path, archive: Path) -> Path:
    with closing(connect(path)) as conn:
        backfill(conn, [archive], tag=False)
        with conn:
            topics.save_topic(conn, topics.Topic("Karabakh", KARABAKH))
    return path


@pytest.fixture(scope="module")
def backfilled(slices, tmp_path_factory) -> Path:
    return karabakh_db(tmp_path_factory.mktemp("kdb") / "karabakh.db", slices["all"])


@pytest.fixture
def db(backfilled, tmp_path) -> Path:
    """A fresh copy of the backfilled database, without rules."""
    copy = tmp_path / "k.db"
    with closing(connect(backfilled)) as source, closing(connect(copy)) as target:
        source.backup(target)
    return copy


def run_days(db: Path, cfg: config.Config, days: list[dt.date], **kwargs) -> list[alerts.RunReport]:
    """`alerts run --once --now` after each day, each on a connection of its own (a restart in between)."""
    reports = []
    for day in days:
        with closing(connect(db)) as conn:
            reports.append(alerts.run_once(conn, cfg, after(day), **kwargs))
    return reports


def newsradar(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsradar", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})}, cwd=REPO)


# spikes -----------------------------------------------------------------------------------------------------------

def test_one_spike_alert_for_19_september_by_email_and_webhook_and_none_again_after_a_restart(db, smtp, webhook):
    hook, posted = webhook
    with closing(connect(db)) as conn:
        store.add_rule(conn, "Karabakh spike", "operator", "topic", "Karabakh", "spike",
                       ["desk@example.org", hook], shared=True)
    cfg = settings(smtp.port)
    run_days(db, cfg, DAYS[:11])                  # 10-20 September
    run_days(db, cfg, DAYS[8:])                   # restarted: 18-22 September again, and on
    assert [to for to, _, _ in smtp.inbox.messages] == ["desk@example.org"]
    _, subject, text = smtp.inbox.messages[0]
    assert "spike in Karabakh on 2023-09-19" in subject
    assert "spiked on Tuesday 2023-09-19" in text and "the mean of the previous 14 days" in text
    assert "Nagorno-Karabakh" in text or "Nagorno Karabakh" in text
    # the largest stories (grouped reports in several outlets), each told by the headline its reports share, with its
    # link, and the outlet that had it first
    assert re.search(r"\n2\. Azerbaijan launches ‘anti-terrorist’ operation in Nagorno-Karabakh\n"
                     r"   https://www\.ft\.com/content/\S+\n"
                     r"   www\.aljazeera\.com, 2023-09-19 10:37 UTC \(first\) — 3 articles in 3 outlets\n", text)
    assert "https://news.example.org/articles?from=2023-09-19&to=2023-09-19&topic=Karabakh" in text
    assert [(p["title"], p["message"]) for p in posted] == [(subject, text)]


def test_the_spike_alert_names_its_top_stories_with_the_outlet_that_had_them_first(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "k", "operator", "query", KARABAKH, "spike", ["desk@example.org"], shared=True)
    run_days(db, settings(smtp.port), [dt.date(2023, 9, 19)])
    text = smtp.inbox.messages[0][2]
    stories = text.split("Top stories:\n", 1)[1].split("\n\n", 1)[0]
    assert stories.startswith("1. ") and stories.count("https://") == 5
    assert "(first)" in stories and "Karabach" in stories


@pytest.mark.parametrize(("sensitivity", "alerted"), [
    ("low", ["2023-09-19"]),
    ("medium", ["2023-09-19"]),
    ("high", ["2023-09-19", "2023-09-20"]),    # a one-day cool-down: the offensive's second day is news again
])
def test_sensitivity_and_cool_down_decide_which_spike_days_alert(db, smtp, sensitivity, alerted):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"],
                       sensitivity=sensitivity)
    run_days(db, settings(smtp.port), DAYS)
    assert [s.split(" on ")[1][:10] for s in smtp.inbox.subjects("spike")] == alerted


# catching up after a gap: a few synthetic "quake" articles a day, on both engines -----------------------------------

def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def quake_days(conn, first: str, last: str, spikes: tuple[str, ...] = ()) -> None:
    """Two quake articles a day from `first` to `last`, and twenty on each day of `spikes` (a spike by any
    sensitivity)."""
    day, end, items = dt.date.fromisoformat(first), dt.date.fromisoformat(last), []
    while day <= end:
        for i in range(20 if day.isoformat() in spikes else 2):
            items.append((f"Quake report {day} number {i}", f"https://quake.example/{day}/{i}", f"{day} 08:{i:02d}:00"))
        day += dt.timedelta(days=1)
    add_articles(conn, "https://quake.example/rss", items, outlet="Quake News")


def spike_rule(conn) -> store.Rule:
    return store.add_rule(conn, "quake", "operator", "query", "quake", "spike", ["desk@example.org"])


def test_a_spike_on_a_day_no_evaluation_ran_on_is_sent_once_when_evaluation_resumes(engine, smtp):
    quake_days(engine, "2023-09-01", "2023-09-29", spikes=("2023-09-25",))
    spike_rule(engine)
    cfg = settings(smtp.port)
    alerts.run_once(engine, cfg, at("2023-09-24"))     # the last evaluation before serve stopped ...
    assert smtp.inbox.messages == []
    alerts.run_once(engine, cfg, at("2023-09-27"))     # ... for all of 25 and 26 September
    alerts.run_once(engine, cfg, at("2023-09-27"))     # the same time again, and a second resume later
    alerts.run_once(engine, cfg, at("2023-09-29"))
    assert smtp.inbox.subjects("spike") == ["newsradar: spike in quake on 2023-09-25 — 20 articles, 10.0× the usual"]
    text = smtp.inbox.messages[0][2]
    assert "spiked on Monday 2023-09-25 (UTC): 20 articles, 10.0×" in text
    assert "Sent late: the rule was not evaluated from 2023-09-24 12:00:00 UTC until 2023-09-27 12:00 UTC." in text
    assert [(d["period"], d["status"]) for d in store.deliveries(engine)] == [("spike:2023-09-25", "sent")]


def test_a_gap_longer_than_the_catch_up_checks_its_last_14_days_and_says_which_it_did_not(engine, smtp):
    quake_days(engine, "2023-07-20", "2023-09-29", spikes=("2023-08-20", "2023-09-25"))
    spike_rule(engine)
    cfg = settings(smtp.port)
    alerts.run_once(engine, cfg, at("2023-08-16"))
    database = location(engine)
    resumed = newsradar(database, "alerts", "run", "--once", "--now", "2023-09-27T12:00:00Z",   # 42 days later
                        env={**smtp_env(smtp.port), "NEWSRADAR_ALERTS_BASE_URL": "https://news.example.org/"})
    assert resumed.returncode == 0, resumed.stderr
    alerts.run_once(engine, cfg, at("2023-09-28"))
    subjects = [subject for _, subject, _ in smtp.inbox.messages]
    assert subjects == ["newsradar: spikes in quake not checked for 2023-08-16 to 2023-09-12",
                        "newsradar: spike in quake on 2023-09-25 — 20 articles, 10.0× the usual"]
    assert "looks back 14 days for spikes, so 2023-08-16 to 2023-09-12 (UTC) were not checked" in (
        smtp.inbox.messages[0][2])
    assert "not evaluated from 2023-08-16 12:00:00 UTC until 2023-09-27 12:00 UTC" in smtp.inbox.messages[0][2]
    assert "q=quake&from=2023-08-16&to=2023-09-12" in smtp.inbox.messages[0][2]
    assert resumed.stderr == ("newsradar: warning: alert rule “quake”: spikes in quake not checked for 2023-08-16 to "
                              "2023-09-12 (evaluation resumed after a gap longer than it catches up; the rule's "
                              "channels are told)\n")
    assert resumed.stdout.startswith("2 new messages")


def test_digests_beyond_the_catch_up_are_named_in_a_message_not_skipped_silently(engine, smtp):
    quake_days(engine, "2023-08-25", "2023-09-20")
    store.add_rule(engine, "daily", "operator", "query", "quake", "daily", ["desk@example.org"])
    cfg = settings(smtp.port)
    alerts.run_once(engine, cfg, at("2023-09-01"))
    report = alerts.run_once(engine, cfg, at("2023-09-20"))      # down from 1 to 19 September
    alerts.run_once(engine, cfg, at("2023-09-20", 13))
    subjects = [subject for _, subject, _ in smtp.inbox.messages]
    assert subjects == ["newsradar: daily digest of quake, 2023-08-31 — 2 articles",
                        "newsradar: daily digests of quake not sent for 2023-09-01 to 2023-09-12",
                        *[f"newsradar: daily digest of quake, 2023-09-{d} — 2 articles" for d in range(13, 20)]]
    assert "sends the digests of the last 7 days it missed, so those of 2023-09-01 to 2023-09-12" in (
        smtp.inbox.messages[1][2])
    assert len(report.problems) == 1 and "not sent for 2023-09-01 to 2023-09-12" in report.problems[0]


def test_new_matches_after_a_gap_come_in_one_message_by_day_and_none_is_lost(engine, smtp):
    store.add_rule(engine, "new", "operator", "query", "quake", "new", ["desk@example.org"])
    cfg = settings(smtp.port)
    # one poll stores the 26th's article before the 25th's (a feed lists the newest first), and the rule is
    # evaluated as of the start of the 26th (alerts.clock = articles): the 26th's article is not news yet
    add_articles(engine, "https://quake.example/rss", [
        ("Quake on the 26th", "https://quake.example/26", "2023-09-26 06:00:00"),
        ("Quake on the 25th", "https://quake.example/25", "2023-09-25 06:00:00")], outlet="Quake News")
    alerts.run_once(engine, cfg, at("2023-09-26", 0))
    quake_days(engine, "2023-09-27", "2023-09-28")
    alerts.run_once(engine, cfg, at("2023-09-29", 0))              # serve was down on the 27th and the 28th
    alerts.run_once(engine, cfg, at("2023-09-30", 0))
    assert [subject for _, subject, _ in smtp.inbox.messages] == ["newsradar: 1 new in quake",
                                                                   "newsradar: 5 new in quake"]
    assert "Quake on the 25th" in smtp.inbox.messages[0][2]
    text = smtp.inbox.messages[1][2]
    assert "Quake on the 26th" in text
    assert "By day published (UTC):\n- 2023-09-26: 1\n- 2023-09-27: 2\n- 2023-09-28: 2" in text


# digests ------------------------------------------------------------------------------------------------------------

def test_a_daily_digest_arrives_once_per_day(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"], skip_empty=False)
    cfg = settings(smtp.port)
    run_days(db, cfg, DAYS)
    run_days(db, cfg, DAYS[5:])                   # the same days again, after a restart
    days = [s.split(", ")[1].split(" ")[0] for s in smtp.inbox.subjects("daily digest")]
    assert days == [d.isoformat() for d in DAYS]
    text = next(t for _, s, t in smtp.inbox.messages if "2023-09-20" in s)
    assert "40 articles (the day before: 24; +16, +67%)" in text and "Terms that rose:" in text


def test_digests_missed_while_serve_was_stopped_arrive_when_it_is_back(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"], skip_empty=False)
        store.add_rule(conn, "weekly", "operator", "topic", "Karabakh", "weekly", ["desk@example.org"],
                       skip_empty=False)
    cfg = settings(smtp.port)
    run_days(db, cfg, [dt.date(2023, 9, 10), dt.date(2023, 9, 11), dt.date(2023, 9, 20)])   # stopped 12-20
    days = [s.split(", ")[1].split(" ")[0] for s in smtp.inbox.subjects("daily digest of")]
    assert days == ["2023-09-10", "2023-09-11", *[d.isoformat() for d in DAYS[4:11]]]   # and 14-20: a week back
    assert smtp.inbox.subjects("not sent") == ["newsradar: daily digests of Karabakh not sent for 2023-09-12 to "
                                               "2023-09-13"]
    assert [s.split(", ")[1].split(" — ")[0] for s in smtp.inbox.subjects("weekly digest")] == [
        "2023-09-04 to 2023-09-10", "2023-09-11 to 2023-09-17"]


def test_an_empty_digest_is_skipped_when_the_rule_says_so(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"])
    reports = run_days(db, settings(smtp.port), DAYS)
    sent = [s.split(", ")[1].split(" ")[0] for s in smtp.inbox.subjects("daily digest")]
    assert sent == ["2023-09-15", "2023-09-17", "2023-09-18", "2023-09-19", "2023-09-20", "2023-09-21"]
    assert sum(r.skipped_empty for r in reports) == len(DAYS) - len(sent)


def test_a_weekly_digest_covers_the_last_whole_week_against_the_one_before(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "weekly", "operator", "topic", "Karabakh", "weekly", ["desk@example.org"])
    run_days(db, settings(smtp.port), DAYS)       # up to Friday 22 September: the week of 11-17 September is whole
    assert smtp.inbox.subjects("weekly") == [
        "newsradar: weekly digest of Karabakh, 2023-09-04 to 2023-09-10 — 3 articles",
        "newsradar: weekly digest of Karabakh, 2023-09-11 to 2023-09-17 — 2 articles"]


# new matches ----------------------------------------------------------------------------------------------------------

def test_new_matches_are_batched_at_most_one_message_per_interval(slices, tmp_path, smtp):
    path = tmp_path / "new.db"
    with closing(connect(path)) as conn:
        store.add_rule(conn, "new", "operator", "query", KARABAKH, "new", ["desk@example.org"])
        backfill(conn, [slices["before"]], tag=False)
        cfg = settings(smtp.port)
        noon = dt.datetime(2023, 9, 23, 12, tzinfo=dt.UTC)
        alerts.run_once(conn, cfg, noon)
        backfill(conn, [slices["all"]], tag=False)
        alerts.run_once(conn, cfg, noon + dt.timedelta(minutes=30))   # the same hour: held for the next batch
        first = len(smtp.inbox.messages)
        alerts.run_once(conn, cfg, noon + dt.timedelta(minutes=61))
        alerts.run_once(conn, cfg, noon + dt.timedelta(minutes=125))  # nothing newer: nothing sent
    subjects = [s for _, s, _ in smtp.inbox.messages]
    assert first == 1 and len(subjects) == 2
    total = int(subjects[1].split()[1])
    assert subjects[0].startswith("newsradar: ") and total > 50
    assert "… and" in smtp.inbox.messages[1][2]


# delivery ------------------------------------------------------------------------------------------------------------

def test_with_the_mail_server_down_the_alert_waits_is_reported_and_is_delivered_once_it_is_back(db, tmp_path):
    server = SmtpServer(free_port())             # not started yet: nothing listens on its port
    with closing(connect(db)) as conn:
        store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"])
    cfg = settings(server.port)
    run_days(db, cfg, [dt.date(2023, 9, 19)])
    with closing(connect(db)) as conn:
        run = health.start_run(conn, pid=1)
        health.beat(conn, run, 2, dt.datetime.now(dt.UTC), 0)
        report = health.report(conn)
    assert report["status"] == "degraded"
    assert "1 alert message(s) not delivered to desk@example.org" in report["reason"]
    assert report["alert_messages"]["undelivered"][0]["period"] == "spike:2023-09-19"
    assert report["alert_messages"]["undelivered"][0]["status"] == "pending"
    run_days(db, cfg, [dt.date(2023, 9, 19)])     # not due yet (backoff): still nothing, and nothing dropped
    server.start()
    try:
        assert run_days(db, cfg, [dt.date(2023, 9, 20)])[0].sent == 0    # still backing off
        result = newsradar(db, "alerts", "run", "--once", "--now", "2023-09-20T00:00:00Z", "--retry-now",
                           env=smtp_env(server.port))
        assert result.returncode == 0, result.stderr
        run_days(db, cfg, [dt.date(2023, 9, 19), dt.date(2023, 9, 20)], retry_now=True)
    finally:
        server.stop()
    assert len(server.inbox.messages) == 1
    assert server.inbox.messages[0][1].startswith("newsradar: spike in Karabakh on 2023-09-19 — 24 articles")
    with closing(connect(db)) as conn:
        assert health.report(conn)["alert_messages"] == {"undelivered": [], "problem": None}


def test_a_stop_ends_the_deliveries_after_the_message_in_hand_and_the_rest_wait(db, smtp):
    cfg = settings(smtp.port)
    with closing(connect(db)) as conn:
        rule = store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike",
                              ["desk@example.org", "b@example.org"])
        alerts.evaluate(conn, cfg, rule, after(dt.date(2023, 9, 19)))
        assert notify.deliver_due(conn, cfg, stop=lambda: len(smtp.inbox.messages) > 0) == (1, 0)   # then SIGTERM
        assert [row["status"] for row in store.deliveries(conn)] == ["pending", "sent"]              # newest first
        assert notify.deliver_due(conn, cfg) == (1, 0)                                               # next start
    assert [to for to, _, _ in smtp.inbox.messages] == ["desk@example.org", "b@example.org"]


def test_with_the_articles_clock_the_rules_see_the_day_of_the_newest_article_with_a_date(db, smtp):
    from collectors.store import Article, ensure_feed, store_articles

    cfg = settings(smtp.port, NEWSRADAR_ALERTS_CLOCK="articles")
    with closing(connect(db)) as conn:
        store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"])
        feed = ensure_feed(conn, "https://undated.example/rss", "Undated")
        undated = Article("https://undated.example/1", "https://undated.example/1", "Karabakh, undated", "",
                          "2026-01-05 10:00:00", "missing", "en")   # first seen then: not the news' own time
        store_articles(conn, feed, None, [undated], "2026-01-05 10:00:00")
        assert alerts.as_of(conn, cfg) == after(dt.date(2023, 9, 20))       # the newest dated article is of the 21st
        alerts.run_once(conn, cfg)                                          # `alerts run --once`, as serve runs it
    assert smtp.inbox.subjects("daily digest") == [
        "newsradar: daily digest of Karabakh, 2023-09-20 — 40 articles"]


def test_with_the_articles_clock_an_empty_database_decides_nothing(conn, smtp):
    with conn:
        topics.save_topic(conn, topics.Topic("Karabakh", KARABAKH))
    store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"], skip_empty=False)
    report = alerts.run_once(conn, settings(smtp.port, NEWSRADAR_ALERTS_CLOCK="articles"))
    assert (report.messages, report.skipped_empty, smtp.inbox.messages) == (0, 0, [])


def test_a_failed_delivery_backs_off_doubling_up_to_an_hour():
    assert [notify.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def test_a_sender_that_died_mid_send_leaves_the_message_uncertain_not_sent_twice(db, smtp):
    with closing(connect(db)) as conn:
        rule = store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"])
        alerts.evaluate(conn, settings(smtp.port), rule, after(dt.date(2023, 9, 19)))
        delivery = store.due_deliveries(conn, dt.datetime.now(dt.UTC))[0]
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        assert store.claim(conn, delivery["id"], long_ago)             # ... and then the process was killed
        assert notify.deliver_due(conn, settings(smtp.port), everything=True) == (0, 0)
        assert health.report(conn)["alert_messages"]["undelivered"][0]["status"] == "uncertain"
    assert smtp.inbox.messages == []


@pytest.mark.parametrize(("url", "shown"), [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://T1JJ3T3L2/…"),
    ("json://user:secret@hooks.example.org/path?token=x", "json://hooks.example.org/…"),
    ("desk@example.org", "desk@example.org"),
])
def test_health_shows_channels_without_their_secrets(url, shown):
    assert health.redacted(url) == shown


# rules ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("channel", "problem"), [
    ("not an address", "neither an e-mail address nor an Apprise URL"),
    ("nonsense://x", "not an Apprise URL that Apprise understands"),
    ("json://127.0.0.1:9/hook", "refused"),
    ("jsons://169.254.169.254/latest", "refused"),
])
def test_a_channel_that_cannot_work_is_refused_when_the_rule_is_added(channel, problem):
    with pytest.raises(ValueError, match=problem):
        notify.check_channel(channel, allow_private=False)


@pytest.mark.parametrize(("args", "message"), [
    (["--topic", "Nope", "--kind", "spike", "--email", "a@example.org"], "no topic called “Nope”"),
    (["--q", "karabakh or x", "--kind", "daily", "--email", "a@example.org"], "lowercase 'or'"),
    (["--topic", "Karabakh", "--kind", "spike"], "at least one channel"),
    (["--topic", "Karabakh", "--kind", "hourly", "--email", "a@example.org"], "invalid choice: 'hourly'"),
    (["--topic", "Karabakh", "--kind", "spike", "--email", "a@"], "neither an e-mail address"),
])
def test_a_bad_rule_is_refused_in_one_line(db, args, message):
    result = newsradar(db, "alerts", "add", "k", *args)
    assert result.returncode == 2 and result.stderr.startswith("newsradar: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_cli_adds_lists_tests_and_removes_a_rule(db, smtp):
    env = smtp_env(smtp.port)
    added = newsradar(db, "alerts", "add", "k", "--topic", "karabakh", "--kind", "spike", "--email", "a@example.org",
                      "--sensitivity", "high", env=env)
    assert added.returncode == 0, added.stderr
    assert "spikes of the topic “Karabakh” (high)" in newsradar(db, "alerts", "list").stdout
    tested = newsradar(db, "alerts", "test", "k", "--now", "2023-09-20T00:00:00Z", env=env)
    assert tested.returncode == 0 and "a@example.org: sent" in tested.stdout
    assert smtp.inbox.subjects("[test]") == [smtp.inbox.messages[0][1]] and "2023-09-19" in smtp.inbox.messages[0][1]
    ran = newsradar(db, "alerts", "run", "--once", "--now", "2023-09-20T00:00:00Z", env=env)
    assert "1 new messages" in ran.stdout and len(smtp.inbox.messages) == 2   # the test did not stand in for it
    assert newsradar(db, "alerts", "remove", "K").returncode == 0
    assert newsradar(db, "alerts", "list").stdout == ""
    bad = newsradar(db, "alerts", "run", "--once", "--now", "yesterday")
    assert bad.returncode == 2 and "--now: 'yesterday' is not an ISO time" in bad.stderr
    looping = newsradar(db, "alerts", "run", "--now", "2023-09-20")
    assert looping.returncode == 2 and "--now and --retry-now go with --once" in looping.stderr


@pytest.mark.parametrize(("shared", "actor", "is_admin", "allowed"), [
    (True, "ann", False, False),     # the team's rule: admins only
    (True, "ada", True, True),
    (False, "ann", False, True),     # her own
    (False, "otto", False, False),   # someone else's
    (False, "ada", True, True),
])
def test_analysts_remove_their_own_rules_and_admins_any(conn, shared, actor, is_admin, allowed):
    with conn:
        topics.save_topic(conn, topics.Topic("Karabakh", KARABAKH))
    store.add_rule(conn, "k", "ann", "topic", "Karabakh", "daily", ["a@example.org"], shared=shared)
    if allowed:
        store.remove_rule(conn, "k", actor, is_admin)
        assert store.list_rules(conn) == []
    else:
        with pytest.raises(store.AlertError, match="only an admin"):
            store.remove_rule(conn, "k", actor, is_admin)


def test_a_rule_follows_a_renamed_topic_and_reports_a_deleted_one(db, smtp):
    with closing(connect(db)) as conn:
        store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"])
        with conn:
            topics.save_topic(conn, topics.Topic("Artsakh", KARABAKH), old_name="Karabakh")
        assert store.get_rule(conn, "k").target_name == "Artsakh"
        topics.remove_topic(conn, "Artsakh")
        report = alerts.run_once(conn, settings(smtp.port), after(dt.date(2023, 9, 19)))
    assert report.problems == ["alert rule “k”: the topic “Karabakh” no longer exists"]
    assert smtp.inbox.messages == []


def test_a_saved_view_rule_watches_the_views_filters_without_its_dates(db, smtp):
    from db import views

    with closing(connect(db)) as conn:
        views.save_view(conn, "Karabakh, August", "ann", Filters.make(q=KARABAKH, date_to="2023-08-31"))
        store.add_rule(conn, "v", "ann", "view", "karabakh, august", "spike", ["desk@example.org"])
    run_days(db, settings(smtp.port), [dt.date(2023, 9, 19)])
    assert smtp.inbox.subjects("spike in Karabakh, August on 2023-09-19")


def test_top_stories_group_identical_headlines_and_name_the_first_outlet(conn):
    from dashboard.testing import add_articles

    day = "2023-09-20 "
    add_articles(conn, "https://a.example/rss", [("Ceasefire in Karabakh", "https://a.example/1", day + "10:00:00")],
                 outlet="A")
    add_articles(conn, "https://b.example/rss", [("CEASEFIRE in Karabakh", "https://b.example/1", day + "09:00:00"),
                                                 ("Other news", "https://b.example/2", day + "11:00:00")], outlet="B")
    start = dt.datetime(2023, 9, 20, tzinfo=dt.UTC)
    stories = top_stories(conn, Filters(), start, start + dt.timedelta(days=1))
    assert [(s.title, s.link, s.articles, s.outlets) for s in stories] == [
        ("CEASEFIRE in Karabakh", "https://b.example/1", 2, 2), ("Other news", "https://b.example/2", 1, 1)]


def test_top_terms_are_words_that_rose_not_words_that_are_always_there():
    before = ["Talks on the Karabakh border", "Karabakh talks go on", "The corridor stays closed in Karabakh"]
    now = ["Azerbaijan launches offensive in Karabakh", "Offensive in Karabakh: Stepanakert shelled",
           "Stepanakert under fire as the offensive goes on", "Karabakh offensive: ceasefire talks"]
    assert alerts.top_terms(now, before)[:2] == ["offensive", "stepanakert"]
    assert "karabakh" not in alerts.top_terms(now, before)


def test_serve_runs_the_alerts_beside_the_collector_and_the_dashboard(tmp_path):
    kids = children(config.load(environ={}), tmp_path / "x.db", 8501)
    assert [k.name for k in kids] == ["collector", "dashboard", "alerts"]
    assert kids[2].command[-2:] == ["alerts", "run"]


# `serve` over the replay server -------------------------------------------------------------------------------------

def karabakh_feeds(replay, records: Path, since: dt.date) -> list:
    """The replay server's feeds that carry Karabakh articles from `since` on (the topic's counts are those of every
    feed; the others would only make the collection longer)."""
    from collectors.feedlists import read_opml

    wanted = {json.loads(line)["feed_url"] for line in records.read_text(encoding="utf-8").splitlines()
              if json.loads(line)["last_seen"] >= since.isoformat()}
    with open(DATA / "outlets-2023.csv", newline="", encoding="utf-8") as fh:   # the replay's /feeds/<row>.xml
        urls = {f"{replay.base}/feeds/{row}.xml" for row, f in enumerate(csv.DictReader(fh)) if f["feed_url"] in wanted}
    return [spec for spec in read_opml(replay.get("/outlets.opml"))[0] if spec.url in urls]


class Served:
    """`newsradar serve` in a process group of its own (the dashboard on a free port), its output in a file."""

    def __init__(self, db: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "newsradar", "--db", str(db), "serve", "--port",
                                          str(free_port()), "--health-port", "0"], env={**os.environ, **env},
                                         stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def kill_group(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *_exc) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_for(what: str, condition, served: Served, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if served.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen; serve said:\n{served.output()[-3000:]}")
        time.sleep(0.1)


def digest_days(inbox: Inbox) -> list[str]:
    return [s.split(", ")[1].split(" ")[0] for s in inbox.subjects("daily digest")]


def collect_day(db: Path, replay, day: dt.date) -> None:
    """The replay moves to `day` and every feed is polled now (`collect --once --force`, beside serve's collector)."""
    replay.set_day(day.isoformat())
    collected = newsradar(db, "collect", "--once", "--force")
    assert collected.returncode == 0 and " 0 failed" in collected.stdout, collected.stdout + collected.stderr


def unpolled(db: Path) -> int:
    """Feeds never polled yet."""
    with closing(connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM feeds WHERE next_fetch_at IS NULL").fetchone()[0]


def delivery_states(db: Path) -> dict[tuple[str, str], str]:
    with closing(connect(db)) as conn:
        return {(row["period"], row["channel"].split(":")[0]): row["status"] for row in store.deliveries(conn)}


@pytest.mark.slow
def test_serve_over_the_replay_server_alerts_once_by_email_and_webhook_across_a_stop_and_a_kill(
        replay, slices, tmp_path, smtp, webhook):
    """`serve` (alerts.clock = articles: the rules see the replayed days) collects 19 September from the replay
    server; the 20th and 21st are polled beside it (the corpus has nothing from 22 to 24 September). Once the 20th is
    in, the 19th is over: its digest, the spike alert by e-mail and its copy to the webhook are due. serve is stopped
    with SIGTERM while the mail server holds its reply to the digest, and its whole process group is killed with
    SIGKILL while it holds the reply to the spike alert: every message arrives once, and what was not sent yet goes
    after the next start."""
    hook, posted = webhook
    inbox = smtp.inbox
    replay.set_day(SERVED[0].isoformat())
    db = karabakh_db(tmp_path / "replay.db", slices["baseline"])
    with closing(connect(db)) as conn:
        for feed in feeds.list_feeds(conn):   # the archive's real feeds: this test polls the replay server only
            feeds.remove(conn, feed["id"])
        import_feeds(conn, karabakh_feeds(replay, slices["all"], SERVED[0]))
    env = {**smtp_env(smtp.port), "NEWSRADAR_ALERTS_CLOCK": "articles", "NEWSRADAR_ALERTS_INTERVAL_S": "5"}

    with Served(db, env, tmp_path / "serve-1.log") as first:
        wait_for("serve's collector polls every feed", lambda: unpolled(db) == 0, first)
        with closing(connect(db)) as conn:   # rules added while serve runs (the CLI's `alerts add` is tested above)
            store.add_rule(conn, "spike", "operator", "topic", "Karabakh", "spike", ["desk@example.org", hook])
            store.add_rule(conn, "daily", "operator", "topic", "Karabakh", "daily", ["desk@example.org"],
                           skip_empty=False)
        wait_for("the digest of the 18th", lambda: digest_days(inbox) == ["2023-09-18"], first)
        inbox.hold("digest of Karabakh, 2023-09-19")
        collect_day(db, replay, SERVED[1])
        wait_for("the digest of the 19th, sent", inbox.held.is_set, first)
        first.proc.send_signal(signal.SIGTERM)                # while the sender waits for the reply
        wait_for("serve passes the SIGTERM on", lambda: "collector stopped cleanly" in first.output(), first)
        inbox.release()
        assert first.proc.wait(timeout=60) == 0, first.output()
    assert delivery_states(db) == {("daily:2023-09-18", "desk@example.org"): "sent",
                                   ("daily:2023-09-19", "desk@example.org"): "sent",   # the one in hand
                                   ("spike:2023-09-19", "desk@example.org"): "pending",
                                   ("spike:2023-09-19", "json"): "pending"}
    assert inbox.subjects("spike") == [] and posted == []

    inbox.hold("spike in Karabakh")
    with Served(db, env, tmp_path / "serve-2.log") as second:
        wait_for("the spike alert, sent", inbox.held.is_set, second)
        second.kill_group()                                   # while the sender waits for the reply
    inbox.release()
    assert posted == []                                       # the webhook's copy was next

    with Served(db, env, tmp_path / "serve-3.log") as third:
        wait_for("the webhook's copy of the spike alert", lambda: len(posted) == 1, third)
        collect_day(db, replay, SERVED[2])
        wait_for("the digest of the 20th", lambda: digest_days(inbox)[-1:] == ["2023-09-20"], third)
        assert third.stop() == 0, third.output()

    spikes = [(to, subject, text) for to, subject, text in inbox.messages if "spike" in subject]
    assert len(spikes) == 1 and spikes[0][1].startswith("newsradar: spike in Karabakh on 2023-09-19 — ")
    assert "Nagorno-Karabakh" in spikes[0][2] or "Nagorno Karabakh" in spikes[0][2]
    assert [(p["title"], p["message"]) for p in posted] == [spikes[0][1:]]
    assert digest_days(inbox) == ["2023-09-18", "2023-09-19", "2023-09-20"]          # once each
    states = delivery_states(db)
    assert states.pop(("spike:2023-09-19", "desk@example.org")) == "sending"   # killed before the reply: not resent
    assert set(states.values()) == {"sent"}


def test_the_mail_server_sign_in_uses_the_configured_user_and_password(db):
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)   # False: the server answers 535

    server = SmtpServer(free_port())
    # PLAIN only: one sign-in per attempt (a client falls back from a refused PLAIN to LOGIN)
    server.controller = Controller(server.inbox, hostname="127.0.0.1", port=server.port, authenticator=authenticator,
                                   auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    server.controller.start()
    delivered = []
    try:
        with closing(connect(db)) as conn:
            store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"])
        for password in ("wrong", "s3cret"):
            cfg = settings(server.port, NEWSRADAR_ALERTS_SMTP_USER="newsradar",
                           NEWSRADAR_ALERTS_SMTP_PASSWORD=password)
            run_days(db, cfg, [dt.date(2023, 9, 19)], retry_now=True)
            delivered.append(len(server.inbox.messages))
    finally:
        server.stop()
    assert sorted(set(logins)) == [("newsradar", "s3cret"), ("newsradar", "wrong")]   # (once per mechanism offered)
    assert delivered == [0, 1]


def test_a_line_break_in_a_subject_adds_no_header(smtp):
    notify.send_email(settings(smtp.port), "desk@example.org", "spike in x\r\nBcc: eve@example.org", "body", "<a@b>")
    assert [(to, subject) for to, subject, _ in smtp.inbox.messages] == [("desk@example.org",
                                                                         "spike in x Bcc: eve@example.org")]


def test_a_waiting_message_goes_by_itself_once_its_backoff_has_passed(db):
    server = SmtpServer(free_port())
    cfg = settings(server.port)
    with closing(connect(db)) as conn:
        rule = store.add_rule(conn, "k", "operator", "topic", "Karabakh", "spike", ["desk@example.org"])
        alerts.evaluate(conn, cfg, rule, after(dt.date(2023, 9, 19)))
        start = dt.datetime.now(dt.UTC)
        assert notify.deliver_due(conn, cfg, lambda: start) == (0, 1)              # the server is down
        server.start()
        try:
            later = [notify.deliver_due(conn, cfg, lambda s=s: start + dt.timedelta(seconds=s)) for s in (30, 61, 600)]
        finally:
            server.stop()
    assert later == [(0, 0), (1, 0), (0, 0)] and len(server.inbox.messages) == 1
