"""Benchmark the tagging of issue 4 on the full 2023 corpus; prints figures, asserts nothing.

    .venv/bin/python bench/tagging.py [--data DIR] [--limit N]

1. backfill without tagging and with tagging (countries, category, topics) into fresh databases;
2. creating or editing each default topic over the whole corpus;
3. `newsradar tag` throughput on 50,000 JSON lines.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from collectors.backfill import backfill
from collectors.feedlists import import_feeds, read_feed_list
from db import connect, topics, transaction

REPO = Path(__file__).resolve().parents[1]


def fresh_db(tmp: Path, name: str, data: Path):
    conn = connect(tmp / name)
    import_feeds(conn, read_feed_list(data / "outlets-2023.csv")[0])
    topics.seed_defaults(conn)
    return conn


def timed_backfill(tmp: Path, data: Path, archive: Path, tag: bool) -> tuple[float, object]:
    conn = fresh_db(tmp, f"tag-{tag}.db", data)
    started = time.perf_counter()
    report = backfill(conn, [archive], tag=tag)
    return time.perf_counter() - started, conn, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, help="only the first N lines of the corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        archive = args.data / "news-2023.jsonl.gz"
        if args.limit:
            with gzip.open(archive, "rt", encoding="utf-8") as src:
                (tmp / "slice.jsonl").write_text("".join(itertools.islice(src, args.limit)), encoding="utf-8")
            archive = tmp / "slice.jsonl"
        plain_s, plain, report = timed_backfill(tmp, args.data, archive, tag=False)
        tagged_s, conn, _ = timed_backfill(tmp, args.data, archive, tag=True)
        plain.close()
        print(f"backfill of {report.read:,} records ({report.new:,} articles)")
        print(f"  without tagging  {plain_s:7.1f} s")
        print(f"  with tagging     {tagged_s:7.1f} s   (+{tagged_s - plain_s:.1f} s for countries, category, topics)")
        tagged = conn.execute("SELECT count(*) FROM articles WHERE category IS NOT NULL").fetchone()[0]
        pairs = conn.execute("SELECT count(*) FROM article_countries").fetchone()[0]
        print(f"  tagged articles {tagged:,}; article-country pairs {pairs:,}")

        print("\ncreating/editing a topic over the whole database")
        for topic in topics.all_topics(conn):
            started = time.perf_counter()
            with transaction(conn):
                count = topics.save_topic(conn, topic, old_name=topic.name)
            print(f"  {topic.name:<32} {count:>8,} articles  {time.perf_counter() - started:6.2f} s")

        lines = tmp / "tag.jsonl"
        with gzip.open(args.data / "news-2023.jsonl.gz", "rt", encoding="utf-8") as src:
            lines.write_text("".join(itertools.islice(src, 50_000)), encoding="utf-8")
        started = time.perf_counter()
        with lines.open("rb") as stdin:
            out = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(tmp / "tag-True.db"), "tag"],
                                 stdin=stdin, capture_output=True, check=True).stdout
        seconds = time.perf_counter() - started
        count = out.count(b"\n")
        print(f"\nnewsradar tag: {count:,} lines in {seconds:.1f} s = {count / seconds:,.0f} articles/s "
              "(process start included)")


if __name__ == "__main__":
    main()
