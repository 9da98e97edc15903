"""End to end in headless Chromium: names from feeds and users that look like Markdown or HTML stay text on every
page (widgets, captions, legends, hover and tick labels), and an error the app did not catch shows no traceback.

The outlets, topics, a source country, user names and saved views of the database are hostile; one of them is a
Markdown image on a loopback server that records every request: the browser must never ask for it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import open_page

from dashboard.serve import FLAGS, streamlit_process
from dashboard.testing import add_articles, free_port, running, settle
from db import connect, topics, transaction, users, views
from db.filters import Filters

PASSWORD = "hostile-admin-password"
SCRIPT_MARKUP = ['<a href="http://example.invalid">link</a>', "<b>bold</b>", "<img src=x onerror=alert(1)>",
                 ":red[text]", "$x$"]
# a DOM that a name turned into markup: links, bold, images, handlers, KaTeX, Plotly's bold <tspan> and <a>
FIND_MARKUP = """([port]) => {
  const found = [];
  for (const a of document.querySelectorAll('a')) {
    const href = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
    if (href.startsWith('http://example.invalid') || href.startsWith('http://127.0.0.1:' + port))
      found.push('link ' + href + ' in ' + a.parentElement.outerHTML.slice(0, 300));
  }
  for (const img of document.querySelectorAll('img, image'))
    if ((img.getAttribute('src') || '') === 'x' || (img.getAttribute('src') || '').includes(':' + port))
      found.push('image ' + img.getAttribute('src'));
  if (document.querySelector('[onerror]')) found.push('onerror attribute');
  for (const b of document.querySelectorAll('b, strong'))
    if (b.textContent.trim() === 'bold') found.push('bold element');
  for (const t of document.querySelectorAll('tspan[style*="bold"]')) found.push('bold tspan ' + t.textContent);
  if (document.querySelector('.katex, mjx-container')) found.push('math');
  return found;
}"""
# every text the visitor reads: the page's, and that of the Plotly SVGs (legends, ticks, hover labels)
ALL_TEXT = """() => document.body.innerText + '\\n' +
  [...document.querySelectorAll('svg text')].map(t => t.textContent).join('\\n')"""


# the run after signing in has finished and drawn `charts` Plotly charts, their legends and ticks included
DRAWN = """(charts) => {
  const app = document.querySelector('[data-testid=stApp]');
  const drawn = [...document.querySelectorAll('.nr-chart')]
    .filter(chart => chart.querySelector('.main-svg text'));
  return app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-testid=stSkeleton]')
    && drawn.length === charts;
}"""

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


class ImageServer(ThreadingHTTPServer):
    """A loopback HTTP server that records the path of every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server interface)
                server.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def names(image_server) -> list[str]:
    port = image_server.server_address[1]
    return [f"![x](http://127.0.0.1:{port}/img.png)", f"<img src=http://127.0.0.1:{port}/tag.png>", *SCRIPT_MARKUP]


def build_hostile_db(path: Path, names: list[str]) -> None:
    """One outlet per name (the first with a spike on 15 September), a topic, a user and a saved view per name;
    the outlet of the second name is based in a 'country' that is markup."""
    with closing(connect(path)) as conn:
        for i, name in enumerate(names):
            days = [f"2023-09-{d:02d} 0{i}:00:00" for d in range(1, 15)] + [f"2023-09-15 0{i}:00:00"] * (
                12 if i == 0 else 1)
            add_articles(conn, f"https://feed{i}.example.com/rss.xml",
                         [(f"{name} zqx Azerbaijan {k}", f"https://news{i}.example.com/a/{k}", day)
                          for k, day in enumerate(days)], outlet=name, country="GB")
        with transaction(conn):
            conn.execute("UPDATE outlets SET country = ? WHERE name = ?", ("<b>bold</b>", names[1]))
            for name in names:
                topics.save_topic(conn, topics.Topic(name, "zqx", name))
        users.add_user(conn, names[0], PASSWORD, "admin")
        for name in names[1:]:
            users.add_user(conn, name, PASSWORD, "analyst")
        for name in names:
            views.save_view(conn, name, names[0], Filters.make(outlets=[name]))


@pytest.fixture(scope="module")
def server(names, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    build_hostile_db(folder / "hostile.db", names)
    port = free_port()
    command, env = streamlit_process(port, None, {**os.environ, "NEWSRADAR_AUTH_MODE": "password",
                                                  "NEWSRADAR_CONFIG": str(folder / "absent.toml")},
                                     folder / "hostile.db")
    base = f"http://127.0.0.1:{port}"
    with running(command, env, folder / "streamlit.log", f"{base}/_stcore/health"):
        yield base


def visit(tab, base: str, path: str, admin: str, port: int, charts: int) -> str:
    """Open a page signed in (a new page load is a new session), wait for its charts; return all its text."""
    open_page(tab, base, path)
    if tab.get_by_role("button", name="Sign in").count():
        tab.get_by_role("textbox", name="Name").fill(admin)
        tab.get_by_role("textbox", name="Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        settle(tab)
    tab.wait_for_function(DRAWN, arg=charts, timeout=60_000)
    assert tab.get_by_test_id("stException").count() == 0
    assert tab.evaluate(FIND_MARKUP, [port]) == []
    return tab.evaluate(ALL_TEXT).replace("\u2060", "")   # the invisible word joiner that stops autolinks


def options(tab, widget) -> list[str]:
    """The options a selectbox or multiselect lists when opened (closed again afterwards), once the widget has stopped
    moving (a table above it that sizes itself to its rows moves it down as it draws: a click then lands beside it)."""
    widget.scroll_into_view_if_needed()
    box = None
    while box != (box := widget.bounding_box()):
        tab.wait_for_timeout(250)
    widget.click()
    tab.get_by_role("option").first.wait_for(timeout=10_000)
    texts = tab.get_by_role("option").all_inner_texts()
    tab.keyboard.press("Escape")
    return texts


@pytest.mark.parametrize(("path", "where", "charts"), [("/?split=outlet", "legend and spike note", 1),
                                                       ("/?split=topic", "legend", 1),
                                                       ("/countries", "map and who-covers-whom ticks", 2),
                                                       ("/articles?q=zqx", "article table", 0),
                                                       ("/topics", "topic picker", 0),
                                                       ("/sources", "table and calendar", 0),
                                                       ("/views", "saved views", 0),
                                                       ("/users", "user picker", 0)])
def test_hostile_names_stay_text(server, page, names, image_server, path, where, charts, tmp_path):
    port = image_server.server_address[1]
    text = visit(page, server, path, names[0], port, charts)
    assert f"Signed in as {names[0]} (admin)" in text
    if path.startswith("/?split"):
        for name in names:
            assert name in text, (name, where)
        if path.endswith("outlet"):
            assert f"2023-09-15 ({names[0]}), 12.0×" in text     # the spike note under the chart
            page.screenshot(path=str(tmp_path / "coverage-hostile.png"), full_page=True)
        assert set(names) <= set(options(page, page.get_by_test_id("stMultiSelect").filter(has_text="Outlets")))
    elif path == "/countries":
        assert "<b>bold</b>" in text
    elif path.startswith("/articles"):
        page.get_by_test_id("stDataFrame").first.wait_for()
    elif path == "/topics":
        listed = options(page, page.get_by_test_id("stSelectbox").filter(has_text="Create or edit"))
        assert set(names) <= set(listed)
    elif path == "/sources":   # the collection calendar is a canvas: its names are drawn, and hovered as text
        canvas = page.locator(".nr-calendar canvas")
        canvas.wait_for()
        assert canvas.get_attribute("aria-label").startswith(f"Collection calendar: {len(names)} outlets, ")
        hovered = []
        for row in range(len(names)):    # each outlet's last day (22 px of day labels, 18 px per outlet)
            canvas.hover(position={"x": canvas.bounding_box()["width"] - 2, "y": 22 + 18 * row + 9})
            hovered.append(page.locator(".nr-calendar-tip").inner_text())
            assert page.evaluate(FIND_MARKUP, [port]) == []
        assert sorted(tip.split(" · 2023-09-15: ")[0] for tip in hovered) == sorted(names), hovered
    elif path == "/views":
        for name in names:
            assert name in text
    elif path == "/users":
        assert sorted(options(page, page.get_by_test_id("stSelectbox").filter(has_text="User"))) == sorted(names)
    assert page.evaluate(FIND_MARKUP, [port]) == []
    assert image_server.requests == []


def test_an_uncaught_error_shows_no_traceback_in_production(page, tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import streamlit as st\nst.title('broken')\nraise RuntimeError('zqx secret detail')\n")
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), *FLAGS, "--server.port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(command, dict(os.environ), tmp_path / "streamlit.log", f"{base}/_stcore/health"):
        page.goto(base)
        page.get_by_test_id("stException").wait_for(timeout=60_000)
        text = page.locator("body").inner_text()
    assert "zqx secret detail" not in text and str(tmp_path) not in text and "Traceback" not in text
    assert "RuntimeError" not in text and "broken.py" not in text
