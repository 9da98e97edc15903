"""Shared fixtures: the replay server (started once per session) and fresh databases."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from html import unescape
from pathlib import Path

import pytest
from pgcluster import Cluster

from collectors.feedlists import read_opml
from dashboard.testing import add_articles, build_sample_db, free_port, launch_chromium, load_page
from db import connect, users

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
REPLAY = SHARED / "tools" / "replay_server.py"
APP = REPO / "dashboard" / "app.py"
SECRET_TITLE = "Zqxsecret headline about Azerbaijan"
TEAM = (("ada", "admin"), ("ann", "analyst"), ("otto", "analyst"))   # passwords: "<name>-password"


class Replay:
    """A running replay_server.py with --faults, and helpers to steer and read it."""

    def __init__(self, base: str):
        self.base = base

    def set_day(self, day: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.base}/_clock?day={day}", method="POST"), timeout=10)

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.read()

    def stats(self) -> dict:
        return json.loads(self.get("/_stats"))

    def opml_file(self, tmp_path: Path, faults: bool = True) -> Path:
        """The server's OPML, without the fault feeds unless asked."""
        data = self.get("/outlets.opml")
        if not faults:
            data = re.sub(rb'<outline type="rss" text="fault [^>]*/>\n', b"", data)
        path = tmp_path / "feeds.opml"
        path.write_bytes(data)
        return path

    def served(self) -> dict[str, set[str]]:
        """Raw links each good feed serves today, read straight from the XML (not through newsradar)."""
        specs, _ = read_opml(self.get("/outlets.opml"))
        out = {}
        for spec in specs:
            if "/feeds/" in spec.url:
                body = self.get(spec.url[len(self.base):]).decode("utf-8")
                out[spec.url] = {unescape(m) for m in re.findall(r"<link>([^<]*)</link>", body)[1:]}
        return out


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with long tests (marked slow) first, each file's tests in their order: make test runs one process per
    CPU with whole files (pytest-xdist), and a long file started last would keep the others waiting."""
    long_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in long_files)


@pytest.fixture(scope="session")
def replay() -> Replay:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(REPLAY), "--port", str(port), "--faults", "--day", "2023-09-18"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    server = Replay(base)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                server.stats()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"replay server did not start: {proc.stdout.read().decode()}") from None
                time.sleep(0.3)
        yield server
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newsradar.db"


@pytest.fixture
def conn(db_path: Path):
    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the session (tests/pg.py); a cluster that cannot start fails the tests
    that need it, with the reason, never skips them."""
    cluster = Cluster()
    try:
        cluster.start()
        cluster.make_template()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of its own, dropped after the test (the cluster stays small)."""
    url = pg_cluster.fresh()
    yield url
    pg_cluster.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, db_path: Path):
    """A connected, migrated, empty database on each engine: a test that takes it runs on both."""
    connection = connect(request.getfixturevalue("pg_url") if request.param == "postgresql" else db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def sample_slice(tmp_path_factory) -> Callable[[int], Path]:
    """The first N records of the bundled 2023 sample as a gzipped archive of their own (made once for each N)."""
    made: dict[int, Path] = {}

    def first(records: int) -> Path:
        if records not in made:
            path = tmp_path_factory.mktemp("slice") / f"first-{records}.jsonl.gz"
            with gzip.open(REPO / "collectors" / "data" / "sample-2023.jsonl.gz", "rt", encoding="utf-8") as source, \
                    gzip.open(path, "wt", encoding="utf-8") as target:
                target.writelines(itertools.islice(source, records))
            made[records] = path
        return made[records]
    return first


@pytest.fixture
def clock(monkeypatch):
    """The clock of sign-in failures (db.users), moved by hand: now[0] seconds."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(users, "_now", lambda: now[0])
    return now


@pytest.fixture(autouse=True, scope="session")
def _private_allowed_for_shared_fixtures():
    # the tests' feed servers are on loopback, which a hosted instance refuses by default; set for the whole
    # session, as module- and session-scoped fixtures (test_faults' collection cycle) poll loopback servers too
    # (a test's own monkeypatch.delenv is undone back to this value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSRADAR_ALLOW_PRIVATE", "1")
        yield


@pytest.fixture(autouse=True)
def _main_module_restored():
    # Streamlit's AppTest installs the app script as __main__ and leaves it there; the collector's parse workers
    # re-run __main__ (multiprocessing's rule), so every later parse would import Streamlit and run the app
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    # a test that forgets --db must not touch the user's real database
    monkeypatch.setenv("NEWSRADAR_DB", str(tmp_path / "default.db"))
    # no settings file but the test's own (the CLI's --config also sets this variable for the children it starts)
    monkeypatch.setenv("NEWSRADAR_CONFIG", str(tmp_path / "absent-newsradar.toml"))


# the browser: Debian's chromium driven by Playwright (make test installs both) ---------------------------------

@pytest.fixture(scope="module")   # not longer: Playwright's event loop would stop asyncio.run in later tests
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab; any JavaScript dialog (alert, confirm) fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    context.close()
    assert dialogs == [], f"a dialog opened: {dialogs}"


def open_page(tab, base: str, path: str) -> None:
    """Load a page of the app, wait for its script to finish, and fail on any exception box."""
    load_page(tab, base + path)
    assert tab.get_by_test_id("stException").count() == 0, tab.get_by_test_id("stException").all_inner_texts()


# the app: streamlit.testing.v1.AppTest on real databases -------------------------------------------------------

def run_app(db: Path, monkeypatch, page: str = "coverage", params: dict | None = None, **settings: str):
    """The app on `page` against `db`, with settings as NEWSRADAR_<KEY> variables (auth_mode="password"), run once."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NEWSRADAR_DB", str(db))
    for key, value in settings.items():
        monkeypatch.setenv(f"NEWSRADAR_{key.upper()}", value)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(element) -> str:
    """An alert's text as shown: the markdown escapes and invisible word joiners that keep feed and user text inert
    removed."""
    return re.sub(r"\\(.)", r"\1", element.value).replace("\u2060", "")


@pytest.fixture(scope="module")
def team_sample(tmp_path_factory) -> Path:
    """A small database with a secret headline and the TEAM's accounts."""
    path = build_sample_db(tmp_path_factory.mktemp("team") / "team.db", every=200)
    with closing(connect(path)) as conn:
        add_articles(conn, "http://feeds.bbci.co.uk/news/rss.xml",
                     [(SECRET_TITLE, "https://www.bbc.co.uk/news/zqx1", "2023-09-20 10:00:00")])
        for name, role in TEAM:
            users.add_user(conn, name, f"{name}-password", role)
    return path


def shaded_days(fig, color: str | None = None) -> dict[str, float]:
    """The days a coverage figure shades (dashboard.figures.shade_days), in `color` (#rrggbb) or any: ISO day →
    opacity."""
    from dashboard.figures import SHADE

    found = {}
    for trace in (trace for trace in fig.data if trace.name == SHADE):
        *rgb, alpha = (float(part) for part in trace.fillcolor[5:-1].split(","))   # "rgba(107,107,107,0.10)"
        if color in (None, "#" + "".join(f"{int(v):02x}" for v in rgb)):
            found.update(dict.fromkeys(trace.x[::5], alpha))
    return found
