"""Load test: 8 dashboard sessions keep querying while the collector imports the whole 2023 corpus.

    .venv/bin/python bench/load.py                         # full corpus into a fresh /tmp/load.db
    .venv/bin/python bench/load.py --archive collectors/data/sample-2023.jsonl.gz --sessions 8

`newsradar backfill` runs as its own process (the import the collector does); meanwhile each session, a thread,
visits the dashboard's pages (bench/dashboard_queries.py's page visits: every query on a fresh read-only connection, as
the app runs them, nothing cached) with filter sets in turn, until the import ends. Prints the visits, the errors
("database is locked" counted apart), p50/p95/max latency per page, and whether the stored articles are exactly
the distinct links of the archive. tests/test_load.py runs the same on the bundled sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import dashboard_queries
from tables import percentiles, print_table

from collectors.feedlists import import_feeds, read_feed_list
from collectors.normalize import identify
from db import connect, links, topics

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FIRST_DAY = dt.date(2023, 1, 1)


@dataclass
class LoadReport:
    visits: dict[str, list[float]] = field(default_factory=dict)      # page: latencies in ms
    locked: int = 0
    errors: Counter = field(default_factory=Counter)
    import_s: float = 0.0
    import_status: int | None = None
    stored: Counter = field(default_factory=Counter)                  # norm_link: times stored
    expected: set[str] = field(default_factory=set)

    @property
    def lost(self) -> int:
        return len(self.expected - set(self.stored))

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.stored.values() if n > 1)

    def rows(self) -> list[list[object]]:
        """page, visits, p50, p95, max (ms); the last row for every page together."""
        every = [v for values in self.visits.values() for v in values]
        return [[page, len(v), *(round(ms, 1) for ms in percentiles(v))]
                for page, v in [*self.visits.items(), ("all pages", every)] if v]


def prepare(db: Path, outlets: Path) -> None:
    """An empty database with the corpus's feeds and the default topics, as before a first import."""
    with closing(connect(db)) as conn:
        import_feeds(conn, read_feed_list(outlets)[0])
        topics.seed_defaults(conn)


def session(db: Path, done: threading.Event, report: LoadReport, lock: threading.Lock, offset: int) -> None:
    """One analyst: page after page, filter set after filter set, until the import is over."""
    sets = list(dashboard_queries.filter_sets(dt.date(2023, 12, 31)).values())
    step = offset
    while not done.is_set():
        visits = dashboard_queries.page_visits(db, sets[step % len(sets)])
        for page, visit in visits.items():
            start = time.perf_counter()
            try:
                visit()
            except Exception as exc:  # noqa: BLE001 - every failure is counted and printed, none stops the load
                with lock:
                    report.locked += isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
                    report.errors[f"{type(exc).__name__}: {exc}"] += 1
                continue
            with lock:
                report.visits.setdefault(page, []).append((time.perf_counter() - start) * 1000)
        step += 1


def distinct_links(archive: Path) -> set[str]:
    """What the import must store: the identities of the archive's absolute http(s) links (a record whose link
    is "/" or javascript: is no article, and the import counts it as skipped)."""
    opener = gzip.open if archive.suffix == ".gz" else open
    with opener(archive, "rt", encoding="utf-8") as lines:
        found = (identify(json.loads(line).get("link")) for line in lines if line.strip())
        return {pair[1] for pair in found if pair}


def run_load(db: Path, archive: Path, outlets: Path, sessions: int = 8) -> LoadReport:
    """Import `archive` with `newsradar backfill` while `sessions` threads query; the report of both."""
    prepare(db, outlets)
    report, lock, done = LoadReport(), threading.Lock(), threading.Event()
    threads = [threading.Thread(target=session, args=(db, done, report, lock, i), daemon=True)
               for i in range(sessions)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    importer = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(db), "backfill", str(archive)],
                              capture_output=True, text=True)
    report.import_s, report.import_status = time.perf_counter() - started, importer.returncode
    done.set()
    for thread in threads:
        thread.join()
    if importer.returncode:
        report.errors[f"backfill exited with {importer.returncode}: {importer.stderr.strip()[-500:]}"] += 1
    with closing(connect(db, readonly=True)) as conn:
        report.stored = links.stored_identities(conn)
    report.expected = distinct_links(archive)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=SHARED / "news-2023.jsonl.gz")
    parser.add_argument("--outlets", type=Path, default=SHARED / "outlets-2023.csv")
    parser.add_argument("--db", type=Path, default=Path("/tmp/load.db"))
    parser.add_argument("--sessions", type=int, default=8)
    args = parser.parse_args(argv)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    report = run_load(args.db, args.archive, args.outlets, args.sessions)
    print(f"\nimport of {args.archive.name}: {report.import_s:.1f} s (exit {report.import_status}) "
          f"while {args.sessions} sessions queried")
    print_table("page visits during the import (ms)", ["page", "visits", "p50", "p95", "max"],
                                report.rows())
    print(f"'database is locked' errors: {report.locked}; other errors: {sum(report.errors.values()) - report.locked}")
    for message, count in report.errors.most_common(5):
        print(f"  {count} × {message[:200]}")
    print(f"articles: {sum(report.stored.values()):,} stored, {len(report.expected):,} expected, "
          f"{report.lost:,} lost, {report.duplicated:,} duplicated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
