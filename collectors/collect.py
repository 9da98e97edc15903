"""One collection cycle: claim due feeds (leases, so that several collectors share them), fetch them concurrently,
and store each feed in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import socket
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from collectors import schedule, stories
from collectors.fetch import USER_AGENT, FetchResult, fetch, make_client
from collectors.parse import FeedError, ParsedFeed
from collectors.parsepool import parse_in_worker
from collectors.store import ensure_outlet, store_articles
from db import feeds, leases, transaction
from db.engine import SQLITE, Connection, dialect, retry_errors
from db.text import format_utc

# Some servers answer 304 although the feed changed: fetch without validators twice a day.
UNCONDITIONAL_EVERY = dt.timedelta(hours=12)
POLLED_STATUSES = ("active", "failing")
# a body that arrives at the very end of the deadline still gets this long to be parsed
MIN_PARSE_S = 0.5


@dataclass
class CollectorConfig:
    deadline_s: float = 20.0
    max_bytes: int = 15 * 1024 * 1024
    per_host: int = 2
    concurrency: int = 16
    redirect_confirmations: int = 3      # permanent redirects seen in a row before the URL moves
    user_agent: str = USER_AGENT
    # fetch private, loopback and link-local addresses too: the operator's setting, passed in by the caller
    allow_private_networks: bool = False
    # how long a claimed feed stays this collector's without progress: then another collector may take it over
    lease_s: float = leases.LEASE_S
    # this collector's name on its leases; host:pid when empty
    collector_id: str = ""


@dataclass
class FeedOutcome:
    feed_id: int
    url: str
    outcome: str                         # ok | not_modified | error
    error_kind: str | None = None
    error: str | None = None
    items: int = 0
    new_items: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class CycleReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)

    def summary(self) -> str:
        counts = Counter(o.outcome for o in self.outcomes)
        kinds = Counter(o.error_kind for o in self.outcomes if o.error_kind)
        text = (f"{len(self.outcomes)} feeds in {self.seconds:.1f} s: {counts['ok']} ok, "
                f"{counts['not_modified']} not modified, {counts['error']} failed; {self.new_items} new articles")
        if kinds:
            text += " (" + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) + ")"
        return text


def collector_id() -> str:
    """host:pid, the name a collector's leases carry."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def free_dead_leases(conn: Connection) -> int:
    """Give back at once the leases of collectors of this machine that are no longer running (killed); how many
    collectors held them. Only on SQLite, where every collector runs on this machine: on PostgreSQL another machine
    may carry the same host name, and a dead collector's leases run out instead."""
    if dialect(conn) != SQLITE:
        return 0
    host, freed = socket.gethostname(), 0
    for worker in leases.holders(conn):
        name, _, pid = worker.rpartition(":")
        if name == host and pid.isdigit() and not _running(int(pid)):
            freed += bool(leases.release_all(conn, worker))
    return freed


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def due_feeds(conn: Connection, now: dt.datetime, force: bool = False) -> list[sqlite3.Row]:
    """Feeds to poll now: every polled feed when forced, else those whose next fetch time has come."""
    return feeds.due_feeds(conn, POLLED_STATUSES, None if force else format_utc(now))


def _validators(feed: sqlite3.Row, now: dt.datetime) -> tuple[str | None, str | None]:
    last = feed["last_unconditional_at"]
    if not last or dt.datetime.fromisoformat(last).replace(tzinfo=dt.UTC) < now - UNCONDITIONAL_EVERY:
        return None, None
    return feed["etag"], feed["last_modified"]


async def _fetch_feed(client, feed: sqlite3.Row, config: CollectorConfig, host_limits: dict[str, asyncio.Semaphore],
                      now: dt.datetime) -> FetchResult:
    host = urlsplit(feed["url"]).hostname or ""
    limit = host_limits.setdefault(host, asyncio.Semaphore(config.per_host))
    etag, last_modified = _validators(feed, now)
    async with limit:
        return await fetch(client, feed["url"], etag, last_modified,
                           deadline_s=config.deadline_s, max_bytes=config.max_bytes)


@dataclass
class Fetched:
    """One feed's fetch and parse, done off the event loop; stored afterwards by _apply."""
    feed: sqlite3.Row
    result: FetchResult
    parsed: ParsedFeed | None = None
    failure: FeedError | None = None
    body_hash: str | None = None


async def _fetch_and_parse(client, feed: sqlite3.Row, config: CollectorConfig,
                           host_limits: dict[str, asyncio.Semaphore], now: dt.datetime) -> Fetched:
    """Fetch and parse one feed within its deadline; whatever goes wrong is the feed's failure, not the cycle's."""
    got = Fetched(feed, FetchResult(url=feed["url"]))
    try:
        got.result = result = await _fetch_feed(client, feed, config, host_limits, now)
        if not (result.ok and result.status == 200):
            return got
        got.body_hash = hashlib.sha256(result.body).hexdigest()
        if got.body_hash != feed["body_hash"]:
            left = max(MIN_PARSE_S, config.deadline_s - result.elapsed_ms / 1000)
            got.parsed = await parse_in_worker(result.body, utcnow(), result.headers.get("content-type"),
                                               result.url, feed["language"], left)
    except FeedError as exc:
        got.failure = exc
    except Exception as exc:  # noqa: BLE001 (one feed must never stop the cycle)
        got.failure = FeedError("malformed", f"{type(exc).__name__}: {str(exc)[:200]}")
    return got


def _outlet_for(conn: Connection, feed: sqlite3.Row, parsed: ParsedFeed) -> int:
    """The feed's outlet; a feed added by URL alone takes its channel title (or host) as outlet."""
    if feed["outlet_id"]:
        return feed["outlet_id"]
    name = parsed.title or urlsplit(feed["url"]).hostname or feed["url"]
    outlet_id = ensure_outlet(conn, name, None, parsed.language)
    feeds.set_outlet(conn, feed["id"], outlet_id)
    return outlet_id


def _record_redirect(conn: Connection, feed: sqlite3.Row, result: FetchResult,
                     config: CollectorConfig) -> str | None:
    """Track permanent redirects; move the feed's URL once one is confirmed. Returns a note if it moved."""
    target = result.permanent_redirect
    if not target:
        feeds.note_redirect(conn, feed["id"], None, 0)
        return None
    seen = feed["redirect_seen"] + 1 if feed["redirect_to"] == target else 1
    if seen < config.redirect_confirmations:
        feeds.note_redirect(conn, feed["id"], target, seen)
        return None
    other = feeds.id_for_url(conn, target)
    if other is not None:
        feeds.mark_duplicate(conn, feed["id"], target, seen, f"permanently redirects to feed {other} ({target})")
        return f"duplicate of feed {other}"
    feeds.move(conn, feed["id"], target)
    return f"moved to {target}"


def _apply(conn: Connection, got: Fetched, config: CollectorConfig, now: dt.datetime,
           started: str) -> FeedOutcome:
    """Store what one fetch brought and the feed's new state, all in one transaction."""
    feed, result, parsed, body_hash = got.feed, got.result, got.parsed, got.body_hash
    outcome = FeedOutcome(feed["id"], feed["url"], "ok")
    stamp = format_utc(now)
    if got.failure is not None:
        outcome.error_kind, outcome.error = got.failure.kind, str(got.failure)
    elif not result.ok:
        outcome.error_kind, outcome.error = result.error_kind, result.error
    elif parsed is None:
        outcome.outcome = "not_modified"
    if outcome.error_kind:
        outcome.outcome = "error"
    with transaction(conn):
        if parsed is not None:
            outlet_id = _outlet_for(conn, feed, parsed)
            outcome.items = len(parsed.articles)
            outcome.new_items = store_articles(conn, feed["id"], outlet_id, parsed.articles, stamp)
            outcome.warnings = parsed.warnings + (
                [f"{parsed.skipped} items without an http(s) link skipped"] if parsed.skipped else [])
        _update_feed(conn, feed, result, outcome, now, body_hash)
        if outcome.error_kind != "gone" and result.status is not None:
            note = _record_redirect(conn, feed, result, config)
            if note:
                outcome.warnings.append(note)
        feeds.log_fetch(conn, feed["id"], started, result.elapsed_ms, result.status, outcome.outcome,
                        outcome.error_kind, "; ".join(filter(None, [outcome.error, *outcome.warnings])) or None,
                        len(result.body), outcome.items, outcome.new_items)
    return outcome


STORE_ATTEMPTS = 5


def _store(conn: Connection, got: Fetched, config: CollectorConfig, started: str) -> FeedOutcome:
    """_apply, and when storing what the feed brought fails (a value the database refuses), the feed's failure.
    A transaction PostgreSQL gave up for another collector's (a deadlock) is run again."""
    attempt = 1
    while True:
        try:
            return _apply(conn, got, config, utcnow(), started)
        except retry_errors():
            if attempt == STORE_ATTEMPTS:
                raise
            attempt += 1
        except sqlite3.OperationalError:  # a locked, read-only or full database is no fault of the feed
            raise
        except Exception as exc:  # noqa: BLE001 (the transaction rolled back; record why, and go on)
            got.parsed = None
            got.failure = FeedError("malformed",
                                    f"could not store the items: {type(exc).__name__}: {str(exc)[:200]}")
            return _apply(conn, got, config, utcnow(), started)


def _update_feed(conn: Connection, feed: sqlite3.Row, result: FetchResult, outcome: FeedOutcome,
                 now: dt.datetime, body_hash: str | None) -> None:
    stamp = format_utc(now)
    if outcome.error_kind:
        errors = feed["consecutive_errors"] + 1
        status = "gone" if outcome.error_kind == "gone" else "failing"
        delay = schedule.error_delay(errors, result.retry_after_s)
        feeds.record_failure(conn, feed["id"], status, errors, stamp, outcome.error_kind, outcome.error,
                             format_utc(now + dt.timedelta(seconds=delay)))
        return
    interval = schedule.next_interval(feed["interval_s"], outcome.items, outcome.new_items)
    unconditional = None if any(_validators(feed, now)) else stamp
    feeds.record_success(conn, feed["id"], stamp, result.headers.get("etag"), result.headers.get("last-modified"),
                         body_hash, unconditional, interval,
                         format_utc(now + dt.timedelta(seconds=schedule.jitter(interval))), outcome.new_items)


async def run_cycle(conn: Connection, config: CollectorConfig | None = None, force: bool = False,
                    now: dt.datetime | None = None) -> CycleReport:
    """Poll the due feeds (all polled ones with `force`); each feed is stored as soon as it arrives."""
    config = config or CollectorConfig()
    now = now or utcnow()
    worker = config.collector_id or collector_id()
    report = CycleReport()
    loop = asyncio.get_running_loop()
    started = loop.time()
    newest = stories.newest_id(conn)
    host_limits: dict[str, asyncio.Semaphore] = {}
    free_dead_leases(conn)

    def clock() -> dt.datetime:   # `now`, moved on as the cycle runs: the time of the leases
        return now + dt.timedelta(seconds=loop.time() - started)

    async with make_client(config.concurrency, config.user_agent, config.allow_private_networks) as client:
        keeper = asyncio.ensure_future(_keep_leases(conn, worker, clock, config.lease_s))
        try:
            await _claimed_batches(conn, client, config, worker, clock, force, host_limits, report)
        finally:   # a cancelled cycle gives its feeds back too (one not saved is due again: another takes it)
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            leases.release_all(conn, worker)
    with transaction(conn):   # the cycle's new articles, grouped together: the one story of several feeds' copies
        stories.assign_new(conn, newest)
    report.seconds = loop.time() - started
    return report


async def _keep_leases(conn: Connection, worker: str, clock, lease_s: float) -> None:
    """Renew this collector's leases three times a lease while it runs, also while a slow batch is being fetched:
    only a collector that stopped (killed, hung outside the event loop) loses its feeds."""
    while True:
        await asyncio.sleep(lease_s / 3)
        leases.renew(conn, worker, clock(), lease_s)


async def _claimed_batches(conn: Connection, client, config: CollectorConfig, worker: str, clock, force: bool,
                           host_limits: dict[str, asyncio.Semaphore], report: CycleReport) -> None:
    """Keep `config.concurrency` claimed feeds in flight until no due feed is left; a fetched feed is stored with its
    state, then every lease held is renewed. The stored feeds stay leased until the cycle ends, so that a forced
    cycle fetches each once."""
    done: set[int] = set()
    pending: set[asyncio.Future] = set()
    try:
        while True:
            room = config.concurrency - len(pending)
            if room > 0:
                claimed = leases.claim_due(conn, worker, clock(), room, config.lease_s, force)
                batch = [feed for feed in claimed if feed["id"] not in done]   # not a lease of ours that ran out
                done.update(feed["id"] for feed in batch)
                pending.update(asyncio.ensure_future(_fetch_and_parse(client, feed, config, host_limits, clock()))
                               for feed in batch)
            if not pending:
                return
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                report.outcomes.append(_store(conn, task.result(), config, format_utc(clock())))
                leases.renew(conn, worker, clock(), config.lease_s)
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def next_due_in(conn: Connection, now: dt.datetime) -> float | None:
    """Seconds until the next feed is due (0 if one is overdue), None when no feed is polled."""
    first = feeds.next_fetch(conn, POLLED_STATUSES)
    if first is None:
        return None
    if not first:
        return 0.0
    due = dt.datetime.fromisoformat(first).replace(tzinfo=dt.UTC)
    return max(0.0, (due - now).total_seconds())


async def run_forever(conn: Connection, config: CollectorConfig, stop: asyncio.Event,
                      log=print, max_sleep_s: float = 60.0) -> None:
    """Run cycles on the feeds' schedules until `stop` is set; a cycle in flight is cancelled between feeds."""
    while not stop.is_set():
        cycle = asyncio.ensure_future(run_cycle(conn, config))
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({cycle, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if cycle not in done:
            cycle.cancel()
            await asyncio.gather(cycle, return_exceptions=True)
            break
        stopper.cancel()
        report = cycle.result()
        if report.outcomes:
            log(f"[{format_utc(utcnow())}] {report.summary()}")
        wait = next_due_in(conn, utcnow())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(max_sleep_s, wait if wait is not None else max_sleep_s))
