"""Benchmark: backfill the 2023 corpus into a fresh database, then compare with the engine's own loading speed.

    .venv/bin/python bench/backfill.py                 # the whole corpus (about a minute)
    .venv/bin/python bench/backfill.py --limit 20000   # a quick run on the first 20,000 lines
    .venv/bin/python bench/backfill.py --keep /tmp/2023.db
    .venv/bin/python bench/backfill.py --engine sqlite --engine postgresql   # both engines (what `make bench` runs)
    .venv/bin/python bench/backfill.py --stories-cost [--rounds N]   # what grouping into stories adds

Prints figures only; it never asserts a timing. Standard library and newsradar's own code (and the tests'
throwaway PostgreSQL cluster).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from engines import ENGINES, fresh_databases
from runs import what_it_adds
from tables import print_table

from collectors.backfill import backfill
from collectors.feedlists import import_feeds, read_feed_list
from db import connect, topics
from db.engine import POSTGRESQL, Connection, dialect
from db.filters import Filters, where_in

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = "news-2023.jsonl.gz"
OUTLETS = "outlets-2023.csv"
FTS_TERM = "karabakh"
FLOOR_COLUMNS = "norm_link, link, title, description, published, first_seen, language, outlet_id"


def data_dir(arg: str | None) -> Path:
    """The directory holding the corpus: --data may name shared/ or shared/data/."""
    base = Path(arg).resolve() if arg else SHARED
    for candidate in (base, base / "data"):
        if (candidate / CORPUS).is_file() and (candidate / OUTLETS).is_file():
            return candidate
    sys.exit(f"bench/backfill.py: no {CORPUS} and {OUTLETS} in {base} or {base / 'data'} (use --data DIR)")


def limited_copy(corpus: Path, limit: int, dest: Path) -> Path:
    """The first `limit` lines of the corpus as a plain .jsonl file (made before timing starts)."""
    with gzip.open(corpus, "rt", encoding="utf-8", newline="") as src, open(dest, "w", encoding="utf-8",
                                                                              newline="") as out:
        out.writelines(itertools.islice(src, limit))
    return dest


def db_megabytes(conn: Connection, path: Path | None) -> float:
    """Size of the database: the SQLite file after folding the WAL back into it, or PostgreSQL's database."""
    if path is None:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return total / 1e6


def raw_floor(source: Connection, target: Path | str) -> tuple[int, float]:
    """Seconds to load the stored article rows into a fresh db in one transaction, as fast as the engine loads:
    one executemany on SQLite (its FTS triggers on), a COPY on PostgreSQL (with each row's `search` tsvector, its
    GIN index kept, and its countries); the same schema, rollup triggers on."""
    postgres = dialect(source) == POSTGRESQL
    columns = FLOOR_COLUMNS + (", search, countries" if postgres else "")
    rows = source.execute(f"SELECT {columns} FROM articles ORDER BY id").fetchall()
    outlets = source.execute("SELECT id, name, country, language FROM outlets").fetchall()
    with closing(connect(target)) as floor:   # same schema, FTS triggers included, same pragmas
        floor.executemany("INSERT INTO outlets (id, name, country, language) VALUES (?, ?, ?, ?)", outlets)
        started = time.perf_counter()
        if postgres:
            with floor.raw.transaction(), floor.raw.cursor().copy(f"COPY articles ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(row))
        else:
            marks = ", ".join("?" * len(columns.split(",")))
            floor.execute("BEGIN IMMEDIATE")
            floor.executemany(f"INSERT INTO articles ({columns}) VALUES ({marks})", rows)
            floor.execute("COMMIT")
        seconds = time.perf_counter() - started
        stored = floor.execute("SELECT count(*) FROM articles").fetchone()[0]
    return stored, seconds


def search_count(conn: Connection, query: str) -> int:
    where, params = where_in(conn, Filters.make(q=query), False)
    return conn.execute(f"SELECT count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}",
                        params).fetchone()[0]


def measure(engine: str, source: Path, outlets_csv: Path, tmp: Path, keep: Path | None) -> None:
    """Import the archive twice into a fresh database of `engine`, then the raw floor; print the figures."""
    with fresh_databases(engine, tmp) as new_database:
        target, floor_target = new_database("backfill"), new_database("floor")
        db_file = target if isinstance(target, Path) else None
        conn = connect(target)
        specs, skipped_specs = read_feed_list(outlets_csv)
        new_feeds = import_feeds(conn, specs)
        topics.seed_defaults(conn)   # as a first start does: the import tags the default topics too
        print(f"\n{ENGINES[engine]}: feeds imported from {outlets_csv.name}: {new_feeds} new of {len(specs)} listed"
              + (f", {skipped_specs} skipped" if skipped_specs else ""), flush=True)

        started = time.perf_counter()
        first = backfill(conn, [source])
        first_s = time.perf_counter() - started
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        links = conn.execute("SELECT count(*) FROM article_feeds").fetchone()[0]
        size_mb = db_megabytes(conn, db_file)

        started = time.perf_counter()
        second = backfill(conn, [source])
        second_s = time.perf_counter() - started

        like = conn.execute("SELECT count(*) FROM articles WHERE lower(title) LIKE ? OR lower(description) LIKE ?",
                            (f"%{FTS_TERM}%", f"%{FTS_TERM}%")).fetchone()[0]
        checks = [[f"search '{FTS_TERM}' (articles)", f"{search_count(conn, FTS_TERM):,}"],
                  [f"'{FTS_TERM}' in lower(title/description) by LIKE, for comparison", f"{like:,}"]]
        if db_file is not None:
            checks.insert(0, ["PRAGMA integrity_check",
                              "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())])
        floor_rows, floor_s = raw_floor(conn, floor_target)
        conn.close()
        if keep and db_file is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(db_file, keep)

    name = ENGINES[engine]
    print_table(f"{name}, first run: import into the empty database", ["measure", "value"], [
        ["records read", first.read],
        ["articles stored (new)", first.new],
        ["already stored (duplicates in the corpus)", first.read - first.new - first.skipped - first.bad],
        ["skipped (no usable link or feed)", first.skipped],
        ["unreadable lines", first.bad],
        ["articles in the db", articles],
        ["article-feed links in the db", links],
        ["seconds", round(first_s, 2)],
        ["records read / s", round(first.read / first_s) if first_s else 0],
        ["articles stored / s", round(first.new / first_s) if first_s else 0],
        ["db size, MB" + (" (after WAL checkpoint)" if db_file else ""), round(size_mb, 1)],
    ])
    for problem in first.problems:
        print(f"  problem: {problem}")

    print_table(f"{name}, second run: the same import again (nothing new)", ["measure", "value"], [
        ["records read", second.read],
        ["articles stored (new)", second.new],
        ["seconds", round(second_s, 2)],
        ["records read / s", round(second.read / second_s) if second_s else 0],
    ])
    print_table(f"{name}, checks", ["check", "result"], checks)
    print_table(f"{name}, raw floor: stored rows into a fresh db, one transaction, "
                + ("COPY, search tsvector and GIN index included" if db_file is None else
                   "one executemany, FTS triggers on"), ["measure", "value"], [
                    ["rows loaded", floor_rows],
                    ["seconds", round(floor_s, 2)],
                    ["rows / s", round(floor_rows / floor_s) if floor_s else 0],
                    ["backfill seconds / floor seconds", round(first_s / floor_s, 1) if floor_s else 0.0],
                ])
    print("  (the floor writes articles and their text index only; backfill also reads and normalizes the archive,\n"
          "   tags them, links every record to its feed in article_feeds, groups stories and commits every 5,000 "
          "records)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", metavar="DIR", help=f"shared/ (or shared/data/) holding {CORPUS} and {OUTLETS} "
                        f"(default: {SHARED})")
    parser.add_argument("--limit", type=int, metavar="N", help="import only the first N lines of the corpus")
    parser.add_argument("--engine", choices=list(ENGINES), action="append",
                        help="import into this engine (repeat for both; default: SQLite); PostgreSQL in a throwaway "
                             "cluster (tests/pgcluster.py)")
    parser.add_argument("--keep", metavar="PATH", help="keep the SQLite database built by the first run at PATH")
    parser.add_argument("--stories-cost", action="store_true",
                        help="also `newsradar backfill` without (--no-stories) and with stories, a fresh process and "
                             "SQLite database each, in turn: what stories add")
    parser.add_argument("--rounds", type=int, default=2, help="--stories-cost: rounds without and with stories")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    keep = Path(args.keep).resolve() if args.keep else None
    if keep and keep.exists():
        parser.error(f"--keep {keep}: already exists; the benchmark only writes a new file")
    if keep and "sqlite" not in (args.engine or ["sqlite"]):
        parser.error("--keep keeps the SQLite database: add --engine sqlite")

    data = data_dir(args.data)
    corpus, outlets_csv = data / CORPUS, data / OUTLETS
    print("newsradar backfill benchmark")
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}")
    print(f"corpus {corpus} ({corpus.stat().st_size / 1e6:,.1f} MB gzipped)"
          + (f", first {args.limit:,} lines only" if args.limit else ", all lines"))

    with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as tmp_name:
        tmp = Path(tmp_name)
        source = limited_copy(corpus, args.limit, tmp / "corpus.jsonl") if args.limit else corpus
        for engine in dict.fromkeys(args.engine or ["sqlite"]):
            measure(engine, source, outlets_csv, tmp, keep)
        if args.stories_cost:
            print(f"\nstories: `newsradar backfill {source.name}` with tags, without and with grouping into stories")
            (tmp / "runs").mkdir()
            what_it_adds(tmp / "runs", data, source, args.rounds, "--no-stories", "stories")
    if keep:
        print(f"\nSQLite database kept at {keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
