"""Benchmark: the dashboard's queries per page, uncached, over typical filter combinations.

    .venv/bin/python bench/dashboard_queries.py                           # builds the demo and the full 2023 database
    .venv/bin/python bench/dashboard_queries.py --demo /tmp/dash.db --full /tmp/full.db    # or reuses existing ones
    .venv/bin/python bench/dashboard_queries.py --runs 3 --skip-full
    .venv/bin/python bench/dashboard_queries.py --skip-full --demo /tmp/full.db --clock cpu  # CPU time: a busy machine
    .venv/bin/python bench/dashboard_queries.py --skip-full --demo /tmp/full.db --engine postgresql  # both engines
    .venv/bin/python bench/dashboard_queries.py --skip-full --demo /tmp/full.db --pg-url postgresql://…/big
    .venv/bin/python bench/dashboard_queries.py --skip-full --demo /tmp/full.db --clock cpu --runs 4 --minimums

Each database is measured on SQLite and, with --engine postgresql (what `make bench` runs), on PostgreSQL too: a
throwaway cluster (tests/pgcluster.py) into which `db copy` moves it (the 477k corpus: about 4–7 minutes), or the
database at --pg-url, already loaded. On PostgreSQL the server's own CPU is not this process's: use the wall clock.

Each page visit runs the same dashboard.queries calls as the page, each SQL query on a fresh read-only connection as
the app does, with nothing cached beforehand (a first visit with these filters; within the visit each aggregate is
computed once, as the app's cache does) but the collection of all outlets (its gaps and active ranges), which the
app computes when it starts and keeps renewed. Prints p50/p95 per page and count (the sidebar's Count: articles, or
each story once; --count for one of them) over every filter combination × run; it never asserts a timing. The goal
is p95 ≤ 150 ms at 477k articles. A database without the topics the filter sets name (one built by bench/backfill.py
--keep) is refused: their views would be empty, and fast. On a machine whose speed drifts from minute to minute,
compare two versions with --minimums (each filter set's fastest run), running them alternately.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

from engines import fresh_databases
from tables import percentiles, print_table

from collectors.backfill import backfill
from collectors.feedlists import import_feeds, read_feed_list
from dashboard import collection, queries
from db import connect, topics
from db.filters import Filters

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GOAL_MS = 150.0
ARTICLES_PER_PAGE = 50   # dashboard/state.py ARTICLES_PER_PAGE (not imported: it loads Streamlit)


def filter_sets(last: dt.date) -> dict[str, Filters]:
    """Typical views, dated relative to the newest article."""
    two_weeks, month = (last - dt.timedelta(days=13)).isoformat(), (last - dt.timedelta(days=29)).isoformat()
    return {
        "everything": Filters(),
        "last 2 weeks": Filters.make(date_from=two_weeks),
        "country UA": Filters.make(countries=["UA"]),
        "country AZ, 2 weeks": Filters.make(countries=["AZ"], date_from=two_weeks, date_to=last.isoformat()),
        "countries US+CN, month": Filters.make(countries=["US", "CN"], date_from=month),
        "topic Russia–Ukraine war": Filters.make(topics=["Russia–Ukraine war"]),
        "topic Elections, source PL": Filters.make(topics=["Elections"], source_countries=["PL"]),
        "q karabakh OR armenia*": Filters.make(q="karabakh OR armenia*"),
        "q inflation, lang en": Filters.make(q="inflation", langs=["en"]),
        "source GB, lang en": Filters.make(source_countries=["GB"], langs=["en"]),
        "2 outlets, month": Filters.make(outlets=["BBC News", "The Guardian"], date_from=month),
        "category politics, month": Filters.make(categories=["politics"], date_from=month),
        "category sport": Filters.make(categories=["sport"]),
    }


def call(path: Path, function: Callable, *args, **kwargs) -> object:
    """One query as the app runs it: a fresh read-only connection."""
    with closing(queries.open_db(path)) as conn:
        return function(conn, *args, **kwargs)


def visit_fetch(path: Path) -> queries.Fetch:
    """What the app's cache gives one first page visit: each aggregate computed once, on its own connection."""
    memo: dict[tuple, object] = {}

    def fetch(aggregate: Callable, *args, **kwargs):
        key = (aggregate, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = call(path, aggregate, *args, **kwargs)
        return memo[key]
    return fetch


_WARMED: dict[tuple[str, tuple[str, ...]], object] = {}


def collection_of(path: Path | str, f: Filters) -> object:
    """queries.collection as a page gets it from the app's cache: the ones of no outlet, source country or language
    filter and of each single language are computed when the app starts (dashboard/state.py, warm_default_views)
    and renewed in the background; any other is computed on the visit."""
    scope = (f.outlets, f.source_countries, f.langs)
    if f.outlets or f.source_countries or len(f.langs) > 1:
        return call(path, queries.collection, *scope)
    key = (str(path), f.langs)
    if key not in _WARMED:
        _WARMED[key] = call(path, queries.collection, *scope)
    return _WARMED[key]


def _coverage_and_before(fetch: queries.Fetch, f: Filters, controls: dict, count: queries.Count) -> tuple:
    """The chart's series and, for its spikes, its lines before the dates shown (as the Coverage page)."""
    series = queries.coverage(fetch, f, **controls, count=count)
    before = {k: v for k, v in controls.items() if k != "top_n"}
    return series, queries.coverage_before(fetch, f, series, **before, count=count)


def page_visits(path: Path, f: Filters, count: queries.Count = "articles") -> dict[str, Callable[[], object]]:
    """Each page's queries for the filters `f`, with the page's default controls (sidebar choices included), counting
    articles or stories (the sidebar's Count; the Topics and Sources pages count neither, so only with articles)."""
    def coverage(**controls):
        fetch = visit_fetch(path)
        collected = collection_of(path, f)
        reach = queries.spike_reach(f, controls.get("bucket", "day"), controls.get("split", "none"))   # as the page
        return (call(path, queries.filter_choices), queries.headline(fetch, f, controls.get("split", "none"), count,
                                                                     reach),
                _coverage_and_before(fetch, f, controls, count),
                call(path, queries.outage_days, f), collection.gap_days(collected, f),
                collection.range_note(collected, f, controls.get("split", "none")))

    def countries():
        fetch = visit_fetch(path)
        return (call(path, queries.filter_choices), queries.country_counts(fetch, f, count),
                queries.cover_grid(fetch, f, count=count))

    def articles(page: int = 1):
        fetch = visit_fetch(path)
        total = queries.count_articles(fetch, f)
        if count == "stories":   # one row per story, a page of them (as the Articles page)
            return (call(path, queries.filter_choices), queries.count_matches(fetch, f, count, articles=total),
                    call(path, queries.told_story_rows, f, page, ARTICLES_PER_PAGE, total))
        return call(path, queries.filter_choices), call(path, queries.article_page, f, page, total=total)

    visits = {
        "coverage": coverage,
        "coverage, week × country, share": lambda: coverage(bucket="week", split="country", normalized=True),
        "coverage, outlet, share": lambda: coverage(split="outlet", normalized=True),
        "countries": countries,
        "articles": articles,
        "articles, page 20": lambda: articles(20),
    }
    if count == "articles":
        visits["topics"] = lambda: (call(path, queries.filter_choices), call(path, queries.topics_table),
                                    call(path, queries.query_preview, "karabakh OR armenia*"))
        visits["sources"] = lambda: (call(path, queries.filter_choices), call(path, queries.sources_table))
    return visits


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def server_cpu(data: Path) -> float:
    """CPU seconds spent so far by a local PostgreSQL cluster (its data folder `data`): the postmaster, its live
    server processes, and the ones it has reaped (parallel workers, closed connections), from /proc."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:   # a process that just ended
            continue
        if stat.parent.name == str(postmaster):
            ticks += sum(int(v) for v in fields[11:15])     # utime, stime, cutime, cstime
        elif fields[1] == str(postmaster):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _minimums(samples: dict[tuple[str, str], list[tuple[float, str]]]) -> list[list[object]]:
    """Per page and count: the median and max over the filter sets of each set's fastest visit, and the set of the
    max."""
    rows = []
    for (page, count), values in samples.items():
        fastest: dict[str, float] = {}
        for ms, name in values:
            fastest[name] = min(ms, fastest.get(name, ms))
        slowest = max(fastest, key=fastest.__getitem__)
        rows.append([page, count, round(statistics.median(fastest.values()), 1), round(fastest[slowest], 1), slowest])
    return rows


def measure(path: Path | str, runs: int, detail: bool = False, clock: str = "wall",
            server: Path | None = None, counts: tuple[str, ...] = ("articles",),
            minimums: bool = False) -> list[list[object]]:
    """Rows of the report for one database: page, count (articles or stories), p50, p95, max, slowest filter set.

    clock "cpu": this process's CPU time (the queries run in it), which other work on a shared machine barely moves;
    it leaves out waiting for the disk. On PostgreSQL, `server` (the local cluster's data folder) adds the server's
    CPU time (server_cpu) to this process's."""
    now = CLOCKS[clock]
    if clock == "cpu" and server is not None:
        now = lambda: time.process_time() + server_cpu(server)  # noqa: E731
    missing = _missing_topics(path)
    if missing:   # the filter sets of a topic would time an empty view
        raise SystemExit(f"{_label(path)} has no topic {', '.join(map(repr, missing))}: add the default topics "
                         "first (newsradar --db DB seed)")
    with closing(queries.open_db(path)) as conn:
        last = queries.last_day(conn) or dt.date.today()
        articles = queries.count_articles(conn, Filters())
    for language in {(), *((lang,) for f in filter_sets(last).values() for lang in f.langs)}:
        collection_of(path, Filters(langs=language))   # what the app computes when it starts
    samples: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for _ in range(runs):
        for name, f in filter_sets(last).items():
            for count in counts:
                for page, visit in page_visits(path, f, count).items():
                    start = now()
                    visit()
                    samples.setdefault((page, count), []).append(((now() - start) * 1000, name))
    if minimums:
        print_table(f"{_label(path)}: each filter set's fastest of {runs} runs, ms: its median and max over the filter "
                    "sets (steadier than p95 on a busy machine: compare two versions with this, run alternately)",
                    ["page", "count", "median", "max", "slowest filter set"], _minimums(samples))
    if detail:
        names = list(filter_sets(last))
        table = [[name, *(round(statistics.median(v for v, n in samples[key] if n == name), 1) for key in samples)]
                 for name in names]
        print_table(f"{_label(path)}: median ms per filter set and page", ["filter set",
                    *(f"{page} [{count}]" for page, count in samples)], table)
    rows = []
    for (page, count), values in samples.items():
        p50, p95, top = percentiles(v for v, _ in values)
        slowest = max(values)[1]
        rows.append([page, count, round(p50, 1), round(p95, 1), round(top, 1), slowest,
                     "yes" if p95 <= GOAL_MS else "NO"])
    print(f"\n{_label(path)}: {articles:,} articles, rollups: {'yes' if _has_rollups(path) else 'no'}, "
          f"{len(filter_sets(last))} filter sets × {runs} runs, {clock} clock")
    return rows


def _label(path: Path | str) -> str:
    """A database as the report names it (a PostgreSQL URL without its user)."""
    return path.name if isinstance(path, Path) else "PostgreSQL " + str(path).rsplit("@", 1)[-1]


def _missing_topics(path: Path | str) -> list[str]:
    """The topics the filter sets name that the database does not have."""
    named = {t for f in filter_sets(dt.date.today()).values() for t in f.topics}
    with closing(queries.open_db(path)) as conn:
        return sorted(named - set(queries.topics_table(conn)["name"]))


def _has_rollups(path: Path | str) -> bool:
    with closing(queries.open_db(path)) as conn:
        return queries.has_rollups(conn)


def build_demo(path: Path) -> Path:
    """What `newsradar demo` builds."""
    from newsradar.cli import main as cli

    cli(["--db", str(path), "demo"])
    return path


def build_full(path: Path) -> Path:
    """The 2023 corpus: its outlets, every article, the default topics."""
    conn = connect(path)
    import_feeds(conn, read_feed_list(SHARED / "outlets-2023.csv")[0])
    topics.seed_defaults(conn)
    started = time.perf_counter()
    print(backfill(conn, [SHARED / "news-2023.jsonl.gz"]).summary(), f"in {time.perf_counter() - started:.0f} s")
    conn.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, help="an existing demo database (default: build one)")
    parser.add_argument("--full", type=Path, help="an existing full-corpus database (default: build one)")
    parser.add_argument("--skip-full", action="store_true", help="only the demo database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--detail", action="store_true", help="also the median of every filter set on every page")
    parser.add_argument("--minimums", action="store_true",
                        help="also each filter set's fastest run: the median and max of those per page")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall time, or CPU time (steadier when other work shares the machine)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], action="append",
                        help="measure on this engine (repeat for both; default: SQLite, or both with --pg-url)")
    parser.add_argument("--count", choices=list(queries.COUNTS), action="append",
                        help="count articles or stories, as the sidebar's Count (repeat for both; default both)")
    parser.add_argument("--pg-url", help="a PostgreSQL database already holding the (one) measured database")
    parser.add_argument("--pg-data", type=Path, help="the local data folder of --pg-url's cluster: --clock cpu then "
                        "counts the server's CPU too")
    args = parser.parse_args(argv)
    engines = args.engine or (["sqlite", "postgresql"] if args.pg_url else ["sqlite"])
    with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as tmp_name:
        tmp = Path(tmp_name)
        targets = [args.demo or build_demo(tmp / "demo.db")]
        if not args.skip_full:
            targets.append(args.full or build_full(tmp / "full.db"))
        with postgres_copies(targets if "postgresql" in engines else [], args.pg_url) as copies:
            for path in targets:
                connect(path).close()  # bring an older database up to the current schema (migration 3: rollups)
                for target in ([path] if "sqlite" in engines else []) + copies.get(path, []):
                    rows = measure(target, args.runs, args.detail, args.clock,
                                   None if isinstance(target, Path) else args.pg_data,
                                   tuple(args.count or queries.COUNTS), args.minimums)
                    print_table(f"{_label(target)}: dashboard queries per page visit, ms "
                                f"(goal: p95 ≤ {GOAL_MS:.0f} ms)",
                                ["page", "count", "p50", "p95", "max", "slowest filter set", "p95 ok"], rows)
    return 0


@contextlib.contextmanager
def postgres_copies(paths: list[Path], url: str | None) -> Iterator[dict[Path, list[str]]]:
    """Each SQLite database's PostgreSQL twin: `url` (already loaded) for the single one, else a database of a
    throwaway cluster filled by `db copy` (the cluster is stopped and removed afterwards)."""
    if not paths or url:
        yield {path: [url] for path in paths if url}
        return
    from db.copy import copy

    with fresh_databases("postgresql", Path(tempfile.gettempdir())) as new_database:
        copies = {}
        for n, path in enumerate(paths):
            copies[path] = [str(new_database(f"bench{n}"))]
            started, cpu = time.perf_counter(), time.process_time()
            with closing(connect(path, readonly=True)) as source, closing(connect(copies[path][0])) as target:
                copy(source, target)
                target.execute("VACUUM ANALYZE")
            print(f"db copy {path} → PostgreSQL: {time.perf_counter() - started:.0f} s wall, "
                  f"{time.process_time() - cpu:.0f} s CPU (this process)", flush=True)
        yield copies


if __name__ == "__main__":
    sys.exit(main())
