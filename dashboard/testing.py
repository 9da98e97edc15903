"""Small real databases for the dashboard's tests, screenshots and benchmark, built through the collector's code."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import os
import socket
import subprocess
import time
import urllib.request
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from collectors import feedlists
from collectors.backfill import backfill
from collectors.normalize import identify
from collectors.store import Article, ensure_feed, store_articles
from db import connect, feeds, topics, transaction
from db.engine import Connection

DATA = Path(feedlists.__file__).parent / "data"
SAMPLE = DATA / "sample-2023.jsonl.gz"             # 24,788 articles, 13 Sept – 2 Oct 2023 (what `newsradar demo` loads)
SAMPLE_OUTLETS = DATA / "sample-outlets.csv"


def build_sample_db(path: str | os.PathLike, every: int = 40) -> Path:
    """A database of every `every`-th article of the bundled sample, its feeds and the default topics."""
    path = Path(path)
    conn = connect(path)
    try:
        feedlists.import_feeds(conn, feedlists.read_feed_list(SAMPLE_OUTLETS)[0])
        topics.seed_defaults(conn)
        subset = path.with_name(path.name + ".jsonl")
        with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines, open(subset, "w", encoding="utf-8") as out:
            out.writelines(itertools.islice(lines, 0, None, every))
        backfill(conn, [subset])
        subset.unlink()
    finally:
        conn.close()
    return path


def add_articles(conn: Connection, feed_url: str, items: Iterable[tuple[str, str, str]],
                 outlet: str | None = None, country: str | None = None, language: str = "en") -> int:
    """Store (title, link, published 'YYYY-MM-DD HH:MM:SS') articles of one feed as the collector would."""
    feed_id = ensure_feed(conn, feed_url, outlet, country, language)
    outlet_id = feeds.outlet_of(conn, feed_id)
    articles = []
    for title, link, published in items:
        resolved = identify(link)
        if resolved is None:
            continue
        articles.append(Article(resolved[1], resolved[0], title, "", published, None, language))
    seen = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with transaction(conn):
        return store_articles(conn, feed_id, outlet_id, articles, seen)


def log_fetches(conn: Connection, feed_url: str, day: str, outcomes: Iterable[str]) -> None:
    """fetch_log rows of one feed on one day ('ok', 'not_modified' or 'error'), as a collection cycle writes them."""
    feed_id = feeds.id_for_url(conn, feed_url)
    with transaction(conn):
        for hour, outcome in enumerate(outcomes):
            failed = outcome == "error"
            feeds.log_fetch(conn, feed_id, f"{day} {hour:02d}:00:00", 100, None if failed else 200, outcome,
                            "timeout" if failed else None, "timed out" if failed else None)


def recording_fetch(conn: Connection) -> tuple[Callable, list[tuple[Callable, tuple, dict]]]:
    """A dashboard.queries Fetch on `conn` that answers each distinct call once, as the app's cache does, and the
    list of those calls (aggregate, args, kwargs) in the order they were first made."""
    memo: dict[tuple, object] = {}
    calls: list[tuple[Callable, tuple, dict]] = []

    def fetch(aggregate: Callable, *args: object, **kwargs: object) -> object:
        key = (aggregate, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            calls.append((aggregate, args, kwargs))
            memo[key] = aggregate(conn, *args, **kwargs)
        return memo[key]
    return fetch, calls


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Poll `url` until it answers 200; RuntimeError with the log if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, ready_url: str) -> Iterator[subprocess.Popen]:
    """`command` running with its output in `log` until the block ends (SIGTERM, then SIGKILL after 15 s)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(ready_url, proc, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# the browser: Debian's chromium driven by Playwright (the browser tests and bench/dashboard_browser.py)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch_chromium(pw):
    """CHROMIUM, headless, from a running sync_playwright() `pw`."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def settle(tab, timeout_ms: int = 60_000) -> None:
    """Wait for the rerun an interaction started in a Playwright tab (if any) to finish, as Streamlit's e2e tests do.
    A guess, as the rerun may start later than the second it waits for it: where the interaction is known to rerun
    the script, `one_run` waits for that run itself."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with suppress(PlaywrightTimeout):
        tab.wait_for_selector("[data-testid=stApp][data-test-script-state=running]", timeout=1000)
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
    tab.wait_for_timeout(300)


class ScriptRuns:
    """The script runs of a Playwright tab, counted from the server's own messages: each run starts with a
    new_session message and ends with script_finished. Attach it before the tab opens the app (`runs_of` does).

    The app root's data-test-script-state attribute is no counter: a run that ends within one frame of the browser
    (a filter change on a small database or with a warm cache) never shows "running" there, so a wait for the next
    "running" waited for a run that had already finished (the benchmark then reported a page that never settled)."""

    def __init__(self, tab) -> None:
        self.started = self.finished = 0
        self._abandoned = 0          # runs of a page left before they finished: they never will
        self._rerun_next = False     # a run stopped for a rerun: its rerun's new_session is on its way
        self._last: deque[str] = deque(maxlen=12)   # the kinds of the last messages: said when a wait times out
        tab.on("websocket", self._socket)

    def _socket(self, socket) -> None:
        socket.on("framereceived", self._frame)
        socket.on("close", self._closed)

    def _closed(self, _socket) -> None:
        self._abandoned, self._rerun_next = self.started - self.finished, False

    def _frame(self, payload: str | bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        self._last.append(f"{kind}:{message.script_finished}" if kind == "script_finished" else str(kind))
        if kind == "new_session":
            self.started += 1
            self._rerun_next = False
        elif kind == "script_finished":
            self.finished += 1
            self._rerun_next = message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN

    @property
    def running(self) -> bool:
        return self.started > self.finished + self._abandoned or self._rerun_next

    def wait_finished(self, tab, count: int, timeout_ms: int = 60_000) -> None:
        """Wait until `count` runs have finished (or were left with their page) and none is running (TimeoutError
        from Playwright otherwise)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + timeout_ms / 1000
        while self.finished + self._abandoned < count or self.running:
            if time.monotonic() > deadline:
                raise PlaywrightTimeout(f"{count} script runs not finished after {timeout_ms} ms "
                                        f"(started {self.started}, finished {self.finished}, left "
                                        f"{self._abandoned}; at {tab.url}; the last messages: "
                                        f"{', '.join(self._last)})")
            tab.wait_for_timeout(10)   # Playwright delivers the socket's frames while it waits


_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def runs_of(tab) -> ScriptRuns:
    """The tab's counter of script runs, attached on first use (which must come before the tab opens the app)."""
    if tab not in _RUNS:
        _RUNS[tab] = ScriptRuns(tab)
    return _RUNS[tab]


# the app shows what its last run sent: connected, not running, no spinner, nothing stale (charts may still be
# drawing: a test that looks at one waits for it, as the old notRunning wait did not either)
DRAWN = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return !document.querySelector('[data-testid=stSpinner], [data-testid=stSkeleton], [data-stale=true]');
}"""


def drawn(tab, runs: int, timeout_ms: int = 60_000) -> None:
    """Wait until the tab's script has finished `runs` runs, none is going on, and the page shows the last one."""
    runs_of(tab).wait_finished(tab, runs, timeout_ms)
    tab.wait_for_function(DRAWN, timeout=timeout_ms, polling=20)


@contextmanager
def one_run(tab, timeout_ms: int = 60_000) -> Iterator[None]:
    """The block's action reruns the script (a filter change, a click, Back): after it, wait until that run has
    finished and the page is drawn, however late the run starts."""
    before = runs_of(tab).started
    yield
    drawn(tab, before + 1, timeout_ms)


def choose(tab, combobox, option) -> None:
    """Open a select box (a Playwright locator) and pick the option named `option` (a string or a pattern), waiting
    for the run it starts. A click that lands while the page is still being drawn can leave the list closed: the box
    is clicked again, up to three times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = tab.get_by_role("option", name=option)
    for attempt in range(3):
        combobox.click()
        try:
            wanted.first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    with one_run(tab):
        wanted.first.click()


def load_page(tab, url: str, timeout_ms: int = 60_000) -> None:
    """Open `url` in a Playwright tab, wait until the app has connected (up to 60 s) and its first run has finished
    and is drawn (up to `timeout_ms`)."""
    with one_run(tab, timeout_ms):
        tab.goto(url)
        tab.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000)
