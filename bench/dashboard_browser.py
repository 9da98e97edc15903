"""Benchmark: the dashboard end to end in headless Chromium — a filter change's latency, and the server's memory.

    .venv/bin/python bench/dashboard_browser.py                       # against /tmp/full.db (the full 2023 corpus)
    .venv/bin/python bench/dashboard_browser.py --db /tmp/x10.db --sessions 5

Starts `streamlit run` as tests/test_browser_dashboard.py does, then
1. on the Articles page, types a new full-text query in the sidebar and presses Enter; on the Coverage page, adds a
   country in the story; each timed from the key press until the app's script is no longer running and the page
   shows the new figure (the count heading, the Articles metric). Every value is new, so nothing is cached.
2. opens N browser contexts (N sessions), each loading Coverage, then Articles and Countries with its own filters,
   and reads the server's resident memory (with its children).
Prints each timing, the max and the RSS; it never asserts. Goals: a filter change ≤ 1.5 s; RSS < 600 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from dashboard.serve import streamlit_command
from dashboard.testing import free_port, launch_chromium, load_page, running, settle

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
    seconds = time.perf_counter() - started - 0.3
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/full.db"))
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"{args.db} is missing (build it as bench/dashboard_queries.py does)")
    with tempfile.TemporaryDirectory(prefix="newsradar-browser-") as tmp:
        log = Path(tmp) / "streamlit.log"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            with running(streamlit_command(port), {**os.environ, "NEWSRADAR_DB": str(args.db)}, log,
                         f"{base}/_stcore/health") as proc:
                measure(proc, base, args.sessions, args.db)
        finally:
            if log.exists() and "Traceback" in log.read_text(errors="replace"):
                print("\nthe server logged a traceback:\n" + log.read_text(errors="replace")[-3000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
