"""Benchmark: the dashboard's felt speed end to end in headless Chromium, and (--memory) the server's memory.

    .venv/bin/python bench/dashboard_browser.py          # the full 2023 corpus: $BENCH_DB, /tmp/full.db, or built
    .venv/bin/python bench/dashboard_browser.py --db /tmp/x.db --runs 5
    .venv/bin/python bench/dashboard_browser.py --memory --sessions 5

Felt speed (the default): each run starts `streamlit run` afresh for every page, so that nothing is cached, and
1. first loads: opens each page (coverage, countries, articles, topics, sources, views, and a linked view) in a new
   tab, a new Streamlit session, from `goto` until the page is idle: the script has run and is not running, the app
   is connected, no spinner, skeleton or stale element is left, every Plotly chart is drawn (a map's outlines too)
   and every collection calendar its canvas. Before the timed load the new server serves one other session (the
   Saved views page, timed as "warm-up"), as a running server would have: the Python modules are imported and the
   sidebar's vocabulary is cached; no page's data is.
   "first load": the tab is in the browser that opened the warm-up (the app's scripts in its HTTP cache, as for a
   returning user); "first visit": a new browser context, nothing cached at all (Coverage, Countries, Sources).
2. filter changes: on another fresh server, a sequence of actions a user would take, each with a value that this
   server has never seen (category politics, split by country, a country, a topic, a date range, a page switch, a
   source country, a search), each from the click or key press until the page is idle again.
Prints per page and action the p50 and max of the wall time and of the server's CPU time (all its threads), the
browser's CPU time (Chromium and Playwright: on a shared machine, what the wall time is made of), the most script
runs one action caused (a second run is a rerun the user waits for), and the load average; it never asserts.
Goals: a first load ≤ 1.5 s, a filter change ≤ 1 s. The first "floor" row is Streamlit's own share: the first load of
a one-line Streamlit app served the same way (after one load of its own), which no page of the dashboard can beat. The
second is the dashboard's shell: the Coverage page of a database without articles (navigation, sidebar filters, the
page's "no articles yet" note), so that what a page takes beyond it is the share of its data.

--memory: a filter change's latency (repeated search and country picks) and the server's resident memory with
N browser sessions open (goal < 600 MB).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright
from tables import print_table

from dashboard.serve import streamlit_command
from dashboard.testing import free_port, launch_chromium, load_page, running, runs_of, settle
from db import connect

GOAL_S = 1.5
GOAL_MB = 600
QUERIES = ["karabakh", "inflation", "wildfire*", "ceasefire", "earthquake"]          # Articles: the search box
COUNTRIES = ["AZ", "UA", "FR", "JP", "BR"]                                           # Coverage: added one by one
SESSIONS = [
    {"country": "UA"},
    {"country": "AZ", "from": "2023-09-15", "to": "2023-09-30"},
    {"source": "GB", "lang": "en"},
    {"topic": "Elections", "source": "PL"},
    {"q": "armenia*", "category": "politics"},
    {"country": ["US", "CN"], "from": "2023-11-01"},
    {"outlet": "BBC News"},
    {"lang": "de", "from": "2023-06-01", "to": "2023-06-30"},
]
SETTLE_MS = 120_000  # a first visit at 10× may take long
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def rss_mb(pid: int) -> tuple[float, int]:
    """VmRSS of `pid` and all its descendants, in MB, and how many processes that is (from /proc)."""
    total_kb, seen, todo = 0, 0, [pid]
    while todo and seen < 1000:
        current = todo.pop()
        with suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
            seen += 1
            for task in Path(f"/proc/{current}/task").iterdir():
                with suppress(OSError):
                    todo.extend(int(c) for c in (task / "children").read_text().split())
    return total_kb / 1024, seen


def open_page(tab, url: str) -> float:
    started = time.perf_counter()
    load_page(tab, url, SETTLE_MS)
    seconds = time.perf_counter() - started   # load_page returns once the first run is drawn
    errors = tab.get_by_test_id("stException")
    if errors.count():
        print("  exception on the page:", errors.all_inner_texts())
    return seconds


def wait_changed(tab, selector: str, before: str, timeout_ms: int = 60_000) -> float:
    """Seconds (from now) until the script is idle and the first `selector` element's text differs from `before`."""
    tab.wait_for_function(
        """([idle, selector, before]) => {
            if (!document.querySelector(idle)) return false;
            const el = document.querySelector(selector);
            return el !== null && el.innerText !== before;
        }""", arg=[IDLE, selector, before], timeout=timeout_ms, polling=10)
    return time.perf_counter()


ARTICLES_HEADING = "[data-testid=stMain] [data-testid=stHeading] h3"
METRIC = "[data-testid=stMetricValue]"


def text_of(tab, selector: str) -> str:
    return tab.evaluate("s => { const el = document.querySelector(s); return el ? el.innerText : ''; }", selector)


def time_search_box(tab, base: str) -> list[tuple[str, float, str]]:
    print(f"Articles page opened in {open_page(tab, base + '/articles'):.2f} s: {text_of(tab, ARTICLES_HEADING)!r}")
    box = tab.get_by_test_id("stSidebar").get_by_role("textbox", name="Search titles and descriptions")
    results = []
    for value in QUERIES:
        before = text_of(tab, ARTICLES_HEADING)
        box.fill(value)
        started = time.perf_counter()
        box.press("Enter")
        try:
            seconds = wait_changed(tab, ARTICLES_HEADING, before) - started
        except PlaywrightTimeout:
            seconds = float("nan")
        results.append((f"q={value}", seconds, text_of(tab, ARTICLES_HEADING)))
        settle(tab, SETTLE_MS)
    return results


def time_country_pick(tab, base: str) -> list[tuple[str, float, str]]:
    print(f"Coverage page opened in {open_page(tab, base + '/'):.2f} s: Articles = {text_of(tab, METRIC)!r}")
    picker = tab.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Countries in the story")
    results, chosen = [], []
    for code in COUNTRIES:
        before = text_of(tab, METRIC)
        field = picker.locator("input")
        field.click()
        field.fill(code)
        tab.get_by_role("option", name=code, exact=True).wait_for(timeout=10_000)
        started = time.perf_counter()
        field.press("Enter")
        chosen.append(code)
        try:
            seconds = wait_changed(tab, METRIC, before) - started
        except PlaywrightTimeout:
            seconds = float("nan")
        results.append((f"country={'+'.join(chosen)}", seconds, f"Articles {text_of(tab, METRIC)}"))
        tab.keyboard.press("Escape")
        settle(tab, SETTLE_MS)
    return results


def run_sessions(browser, base: str, n: int) -> list:
    """N open browser contexts (sessions), each having visited three pages; the caller closes them (or the browser)."""
    contexts = []
    for i in range(n):
        query = urlencode(SESSIONS[i % len(SESSIONS)], doseq=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        tab = context.new_page()
        coverage = open_page(tab, f"{base}/?{query}")
        articles = open_page(tab, f"{base}/articles?{query}")
        shown = re.sub(r"\s+", " ", text_of(tab, ARTICLES_HEADING))
        countries = open_page(tab, f"{base}/countries?{query}")
        print(f"  session {i + 1}: {query:<40} coverage {coverage:.2f} s, articles {articles:.2f} s ({shown}), "
              f"countries {countries:.2f} s")
    return contexts


def measure(proc: subprocess.Popen, base: str, sessions: int, db: Path) -> None:
    """The filter changes, then `sessions` sessions, with the server's memory after each."""
    mb, procs = rss_mb(proc.pid)
    print(f"server {base} on {db}: RSS at start {mb:.0f} MB ({procs} process(es))")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            timings = time_search_box(tab, base) + time_country_pick(tab, base)
            context.close()
            print(f"\nfilter change, end to end (goal ≤ {GOAL_S} s):")
            for label, seconds, shown in timings:
                print(f"  {label:<28} {seconds:6.2f} s   {shown}")
            worst = max(s for _, s, _ in timings)
            print(f"  max {worst:.2f} s: {'ok' if worst <= GOAL_S else 'OVER the goal'}")
            mb, procs = rss_mb(proc.pid)
            print(f"\nRSS after the filter changes: {mb:.0f} MB ({procs} process(es))")
            print(f"\n{sessions} sessions (Coverage, then Articles and Countries, each its own filters):")
            contexts = run_sessions(browser, base, sessions)
            mb, procs = rss_mb(proc.pid)
            print(f"RSS with {sessions} sessions open: {mb:.0f} MB ({procs} process(es)) "
                  f"(goal < {GOAL_MB} MB: {'ok' if mb < GOAL_MB else 'OVER'})")
            for context in contexts:
                context.close()
        finally:
            browser.close()



# felt speed ------------------------------------------------------------------------------------------------------

FIRST_LOAD_S, FILTER_CHANGE_S = 1.5, 1.0
PAGES = {"coverage": "/", "countries": "/countries", "articles": "/articles", "topics": "/topics",
         "sources": "/sources", "views": "/views",
         "coverage, link: politics by country": "/?category=politics&split=country"}
WARM_UP = "/views"
VISITS = ("coverage", "countries", "sources")   # also timed as a first visit: a browser with nothing cached
# the page drawn: the script's runs are counted from the server's messages (dashboard.testing.ScriptRuns), not
# from the app root's state, which never shows "running" for a run shorter than a frame
IDLE_PAGE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSpinner], [data-testid=stSkeleton], [data-stale=true]')) return false;
  for (const chart of document.querySelectorAll('.nr-chart')) {
    if (chart.dataset.drawn !== 'true') return false;   // Plotly.react has resolved: a map's outlines drawn too
  }
  for (const calendar of document.querySelectorAll('.nr-calendar')) {
    if (!calendar.querySelector('canvas')) return false;
  }
  return true;
}"""
# why a page is not idle (printed when a step times out)
NOT_IDLE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return {connection: app && app.getAttribute('data-test-connection-state'),
          script: app && app.getAttribute('data-test-script-state'), url: location.href,
          busy: document.querySelectorAll('[data-testid=stSpinner], [data-testid=stSkeleton]').length,
          stale: document.querySelectorAll('[data-stale=true]').length,
          undrawn: [...document.querySelectorAll('.nr-chart')].filter(c => c.dataset.drawn !== 'true').length};
}"""
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads, and its children it has waited for), from /proc."""
    with suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / CLOCK_TICK
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and every process below it."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += cpu_seconds(current)
        todo.extend(children(current))
    return total


def browser_cpu(server: int) -> float:
    """CPU seconds of this benchmark's other children: Playwright's driver and Chromium with its renderers."""
    return sum(tree_cpu(child) for child in children(os.getpid()) if child != server)


def until_idle(tab, after: int, timeout_ms: int = SETTLE_MS) -> float:
    """perf_counter() when the script has run more than `after` times, no run is going on and the page is idle
    (and stays so for 0.4 s: a rerun that starts right after, as a bound widget may cause, is waited for too)."""
    runs = runs_of(tab)
    while True:
        runs.wait_finished(tab, after + 1, timeout_ms)
        tab.wait_for_function(IDLE_PAGE, timeout=timeout_ms, polling=10)
        done, seen = time.perf_counter(), runs.started
        tab.wait_for_timeout(400)
        if runs.started == seen == runs.finished and tab.evaluate(IDLE_PAGE):
            return done


Sample = tuple[float, float, float, int]   # wall, server CPU, browser CPU seconds; the script's runs


class Timed:
    """Wall and CPU seconds and script runs of each timed step, by (kind, label)."""

    def __init__(self, pid: int, samples: dict[tuple[str, str], list[Sample]]):
        self.pid, self.samples = pid, samples

    def step(self, tab, kind: str, label: str, act: Callable[[], None], after: int | None = None) -> None:
        """Time `act` until the page is idle after one more script run than `after` (default: the runs so far;
        a caller whose preparation may already start the run, as typing a whole date does, counts before it)."""
        runs = runs_of(tab)
        after, started = runs.started if after is None else after, time.perf_counter()
        cpu, browser = tree_cpu(self.pid), browser_cpu(self.pid)
        act()
        try:
            wall = until_idle(tab, after) - started
        except PlaywrightTimeout:
            wall = float("nan")
            print(f"  {label}: not idle after {SETTLE_MS / 1000:.0f} s: {tab.evaluate(NOT_IDLE)}, script runs "
                  f"started {runs.started}, finished {runs.finished} ({after} before the action)", flush=True)
        self.samples.setdefault((kind, label), []).append(
            (wall, tree_cpu(self.pid) - cpu, browser_cpu(self.pid) - browser, runs.started - after))
        errors = tab.get_by_test_id("stException")
        if errors.count():
            print(f"  {label}: exception on the page:", errors.all_inner_texts())


def new_tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def first_load(timer: Timed, browser, base: str, kind: str, label: str, path: str, context=None) -> None:
    """Time opening `path` in a new tab: a new Streamlit session. In `context` (a browser that has been to the
    dashboard before: its static files cached), else in a new context (a first visit: nothing cached)."""
    own = context is None
    if own:
        context, tab = new_tab(browser)
    else:
        tab = context.new_page()
    try:
        timer.step(tab, kind, label, lambda: tab.goto(base + path))
    finally:
        (context if own else tab).close()


def sidebar_pick(tab, widget: str, label: str, option: str) -> Callable[[], None]:
    """Type into the sidebar multiselect `widget` until `option` is offered; the returned action clicks it."""
    field = tab.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=widget).locator("input")
    field.click()
    field.fill(label)
    choice = tab.get_by_role("option", name=option, exact=True)
    choice.wait_for(timeout=10_000)
    return choice.click


def close_popups(tab) -> None:
    tab.keyboard.press("Escape")
    tab.wait_for_timeout(200)


def date_action(tab, widget: str, day: str) -> Callable[[], None]:
    """Type `day` (YYYY-MM-DD) into the date field `widget`; the returned action commits it (Escape: the field
    takes its value when it loses focus, not on Enter)."""
    tab.get_by_role("spinbutton", name=f"year, {widget}").click()
    tab.keyboard.type(day.replace("-", ""), delay=20)
    return lambda: tab.keyboard.press("Escape")


def split_action(tab, option: str) -> Callable[[], None]:
    tab.get_by_test_id("stSelectbox").filter(has_text="Split by").click()
    choice = tab.get_by_role("option", name=option, exact=True)
    choice.wait_for(timeout=10_000)
    return choice.click


def nav_action(tab, page: str) -> Callable[[], None]:
    return tab.get_by_role("link", name=page, exact=True).first.click


def search_action(tab, value: str) -> Callable[[], None]:
    box = tab.get_by_test_id("stSidebar").get_by_role("textbox", name="Search titles and descriptions")
    box.fill(value)
    return lambda: box.press("Enter")


def filter_changes(timer: Timed, context, base: str) -> None:
    """A user's session on a fresh server: every step asks for filters this server has not computed yet."""
    tab = context.new_page()
    try:
        timer.step(tab, "first load", "coverage (filter session)", lambda: tab.goto(base + "/"))
        steps = [
            ("coverage", "category politics", lambda: sidebar_pick(tab, "Category", "Politics", "Politics")),
            ("coverage", "split by country", lambda: split_action(tab, "country")),
            ("coverage", "+ country Azerbaijan", lambda: sidebar_pick(tab, "Countries in the story", "Azerb",
                                                                       "Azerbaijan")),
            ("coverage", "+ topic Elections", lambda: sidebar_pick(tab, "Topics", "Elections", "Elections")),
            ("coverage", "from 2023-09-01", lambda: date_action(tab, "From", "2023-09-01")),
            ("coverage", "to 2023-10-31", lambda: date_action(tab, "To", "2023-10-31")),
            ("countries", "open Countries (same filters)", lambda: nav_action(tab, "Countries")),
            ("countries", "+ source country Poland", lambda: sidebar_pick(tab, "Source countries", "Polan", "Poland")),
            ("articles", "open Articles (same filters)", lambda: nav_action(tab, "Articles")),
            ("articles", "search ceasefire", lambda: search_action(tab, "ceasefire")),
        ]
        for page, label, prepare in steps:
            try:
                after = runs_of(tab).started
                timer.step(tab, "filter change", f"{page}: {label}", prepare(), after)
            except PlaywrightError as exc:   # a widget that moved: the other steps are still measured
                print(f"  {page}: {label}: could not be done: {str(exc).splitlines()[0]}")
            close_popups(tab)
    finally:
        tab.close()


# Streamlit's own share of a first load: a one-line app served with the dashboard's flags (no data, no widgets)
FLOOR_APP = 'import streamlit as st\nst.title("Hello")\n'
FLOOR = "floor: a one-line Streamlit app"
# the dashboard's own shell: its navigation, sidebar and page script over a database with no articles (Coverage then
# says so and draws nothing): what a first load costs before any data, so the rows above it are the data's share
SHELL = "floor: the dashboard on an empty database"


@contextmanager
def fresh_server(db: Path, tmp: Path, floor: bool = False) -> Iterator[tuple[subprocess.Popen, str]]:
    log, port = tmp / "streamlit.log", free_port()
    base = f"http://127.0.0.1:{port}"
    command = streamlit_command(port)
    if floor:
        (tmp / "floor").mkdir(exist_ok=True)
        (tmp / "floor" / "app.py").write_text(FLOOR_APP)
        command[command.index("run") + 1] = str(tmp / "floor" / "app.py")
    try:
        with running(command, {**os.environ, "NEWSRADAR_DB": str(db)}, log, f"{base}/_stcore/health") as proc:
            yield proc, base
    finally:
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            print("\nthe server logged a traceback:\n" + log.read_text(errors="replace")[-3000:])


def felt_speed(db: Path, runs: int, tmp: Path) -> dict[tuple[str, str], list[Sample]]:
    samples: dict[tuple[str, str], list[Sample]] = {}
    empty = tmp / "empty.db"
    connect(empty).close()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for run in range(runs):
                plans = [("floor", FLOOR, "/"), ("floor", SHELL, "/"),
                         *(("first load", label, path) for label, path in PAGES.items()),
                         *(("first visit", label, path) for label, path in PAGES.items() if label in VISITS),
                         ("filter changes", "", "")]
                for kind, label, path in plans:
                    served = empty if label == SHELL else db
                    with fresh_server(served, tmp, floor=label == FLOOR) as (proc, base):
                        timer = Timed(proc.pid, samples)
                        context, _ = new_tab(browser)
                        if kind == "floor":   # warmed by one load of its own, as the pages by Saved views
                            first_load(Timed(proc.pid, {}), browser, base, kind, label, path, context)
                        else:
                            first_load(timer, browser, base, "warm-up", "server start → first page (Saved views)",
                                       WARM_UP, context)
                        if kind == "filter changes":
                            filter_changes(timer, context, base)
                        elif kind in ("first load", "floor"):
                            first_load(timer, browser, base, kind, label, path, context)
                        else:
                            first_load(timer, browser, base, "first visit", label, path)
                        context.close()
                print(f"run {run + 1} of {runs} done (load average {os.getloadavg()[0]:.1f})", flush=True)
        finally:
            browser.close()
    return samples


def report(samples: dict[tuple[str, str], list[Sample]], runs: int) -> None:
    rows = []
    for (kind, label), values in samples.items():
        walls, cpus, browsers, reruns = ([v[i] for v in values] for i in range(4))
        goal = {"first load": FIRST_LOAD_S, "first visit": FIRST_LOAD_S, "filter change": FILTER_CHANGE_S}.get(kind)
        top = max(walls)
        verdict = "-" if goal is None else ("ok" if top <= goal else "OVER")
        rows.append([kind, label, round(statistics.median(walls), 2), round(top, 2),
                     round(statistics.median(cpus), 2), round(max(cpus), 2), round(statistics.median(browsers), 2),
                     max(reruns), goal, verdict])
    print_table(f"felt speed, seconds from the action to an idle page ({runs} runs; CPU seconds of the server, and "
                "of the browser with Playwright)",
                ["kind", "page: action", "wall p50", "wall max", "server cpu p50", "server cpu max", "browser cpu p50",
                 "runs", "goal", "max ok"], rows)


def default_db(tmp: Path) -> Path:
    """$BENCH_DB, else /tmp/full.db if it exists, else the full 2023 corpus built into `tmp`."""
    named = os.environ.get("BENCH_DB")
    if named:
        return Path(named)
    if Path("/tmp/full.db").exists():
        return Path("/tmp/full.db")
    from dashboard_queries import build_full

    return build_full(tmp / "full.db")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="the database (default: $BENCH_DB, /tmp/full.db, or built)")
    parser.add_argument("--runs", type=int, default=3, help="felt speed: fresh servers per page and action")
    parser.add_argument("--memory", action="store_true", help="the memory benchmark instead of the felt speed")
    parser.add_argument("--sessions", type=int, default=5, help="--memory: browser sessions to open")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsradar-browser-") as tmp_name:
        tmp = Path(tmp_name)
        db = args.db or default_db(tmp)
        if not db.exists():
            raise SystemExit(f"{db} is missing (build it with `newsradar --db {db} backfill FILE`)")
        connect(db).close()   # an older database is brought up to the current schema before anything is timed
        print(f"{db}: load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        if args.memory:
            with fresh_server(db, tmp) as (proc, base):
                measure(proc, base, args.sessions, db)
        else:
            started = time.perf_counter()
            report(felt_speed(db, args.runs, tmp), args.runs)
            print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
                  f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
