"""The PostgreSQL engine beside SQLite: migrate, load (db copy), copy back, and the page queries on both.

    python bench/postgres.py [SQLITE_DB]

Without SQLITE_DB the bundled 2023 sample (24,788 articles) is backfilled into a temporary SQLite database first;
a given one is only read. A throwaway PostgreSQL cluster (tests/pgcluster.py) is started and stopped. Prints wall
and CPU seconds of each step, and p50/p95 of each query on each engine (the CPU of PostgreSQL's own processes is
not in this process's CPU time)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from pgcluster import Cluster  # noqa: E402

from dashboard.testing import SAMPLE, SAMPLE_OUTLETS  # noqa: E402
from db import connect, topics  # noqa: E402
from db.copy import copy  # noqa: E402
from db.engine import dialect  # noqa: E402
from db.filters import Filters  # noqa: E402

RUNS = 7
FILTERS = {
    "all, newest 50": Filters(),
    "q russia* OR ukrain*": Filters.make(q="russia* OR ukrain*"),
    "q phrase": Filters.make(q='"prime minister"'),
    "q łódź": Filters.make(q="łódź"),
    "country US, week": Filters.make(countries=["US"], date_from="2023-09-20", date_to="2023-09-26"),
    "topic + lang": Filters.make(topics=["Elections"], langs=["en"]),
}


def timed(label: str, step):
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    print(f"{label:<34} {time.perf_counter() - wall:8.2f} s wall {time.process_time() - cpu:8.2f} s CPU", flush=True)
    return result


def page_queries(conn, filters: Filters) -> dict[str, str]:
    where, params = filters.where(dialect=dialect(conn))
    base = f"FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}"
    return {"count": (f"SELECT count(*) {base}", params),
            "newest 50": (f"SELECT a.id, a.title {base} ORDER BY a.published DESC, a.id DESC LIMIT 50", params),
            "per day": (f"SELECT substr(a.published, 1, 10), count(*) {base} GROUP BY 1", params)}


def measure(conn, runs: int = RUNS) -> dict[tuple[str, str], tuple[float, float, int]]:
    out = {}
    for name, filters in FILTERS.items():
        for kind, (sql, params) in page_queries(conn, filters).items():
            times, rows = [], 0
            for _ in range(runs):
                start = time.perf_counter()
                rows = len(conn.execute(sql, params).fetchall())
                times.append(time.perf_counter() - start)
            times.sort()
            out[(name, kind)] = (statistics.median(times) * 1000, times[int(0.95 * (runs - 1) + 0.5)] * 1000, rows)
    return out


def main() -> None:
    from collectors import feedlists
    from collectors.backfill import backfill

    work = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    if len(sys.argv) > 1:
        source_path = Path(sys.argv[1])
    else:
        source_path = work / "sample.db"
        with closing(connect(source_path)) as conn:
            feedlists.import_feeds(conn, feedlists.read_feed_list(SAMPLE_OUTLETS)[0])
            topics.seed_defaults(conn)
            timed("SQLite backfill of the sample", lambda: backfill(conn, [SAMPLE]))
    cluster = Cluster()
    timed("cluster start (initdb, pg_ctl)", cluster.start)
    try:
        cluster.admin("CREATE DATABASE bench")
        url = cluster.url("bench")
        pg = timed("PostgreSQL migrate (empty)", lambda: connect(url))
        sqlite = connect(source_path, readonly=True)
        counts = timed("db copy SQLite -> PostgreSQL", lambda: copy(sqlite, pg))
        print("  " + ", ".join(f"{c.table} {c.target:,}" for c in counts if c.table in ("articles",
                                                                                          "article_countries")))
        pg.execute("VACUUM ANALYZE")
        back = work / "back.db"
        with closing(connect(back)) as again:
            timed("db copy PostgreSQL -> SQLite", lambda: copy(pg, again))
        results = {"sqlite": measure(sqlite), "postgresql": measure(pg)}
        print(f"\n{'query':<42} {'SQLite p50/p95 ms':>20} {'PostgreSQL p50/p95 ms':>24} {'rows':>6}")
        for key in results["sqlite"]:
            s, p = results["sqlite"][key], results["postgresql"][key]
            assert s[2] == p[2] or key[1] == "newest 50", (key, s[2], p[2])
            print(f"{key[0] + ' / ' + key[1]:<42} {s[0]:9.1f} /{s[1]:8.1f} {p[0]:12.1f} /{p[1]:8.1f} {s[2]:>8}")
        sqlite.close()
        pg.close()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
