"""Benchmark the tagging of issue 4 on the full 2023 corpus; prints figures, asserts nothing.

    .venv/bin/python bench/tagging.py [--data DIR] [--limit N] [--rounds N] [--mixed FILE] [--tag-only]

1. `newsradar backfill` without tagging (--no-tag) and with tagging (countries, category, topics) into fresh
   databases, each a fresh process as a user runs it, the two alternating for --rounds rounds (default 2);
2. creating or editing each default topic over the whole corpus;
3. `newsradar tag` throughput on 50,000 JSON lines of the corpus, and on 100,000 lines in 24 languages (or FILE,
   --mixed), by wall clock and by CPU time of all its processes (the machine may be shared: CPU time is steadier).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from collectors.feedlists import import_feeds, read_feed_list
from db import connect, topics, transaction

REPO = Path(__file__).resolve().parents[1]


def fresh_db(tmp: Path, name: str, data: Path):
    conn = connect(tmp / name)
    import_feeds(conn, read_feed_list(data / "outlets-2023.csv")[0])
    topics.seed_defaults(conn)
    return conn


def timed_backfill(tmp: Path, data: Path, archive: Path, tag: bool) -> float:
    """Seconds of `newsradar backfill` into a fresh database (feeds and default topics in it), process start
    included."""
    db = tmp / f"tag-{tag}.db"
    for path in tmp.glob(f"{db.name}*"):
        path.unlink()
    fresh_db(tmp, db.name, data).close()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsradar", "--db", str(db), "backfill", str(archive),
                    *([] if tag else ["--no-tag"])], check=True, capture_output=True)
    return time.perf_counter() - started


def tag_throughput(db: Path, lines: Path) -> str:
    """`newsradar tag` on a file of JSON lines, process start included: lines per second by wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with lines.open("rb") as stdin:
        out = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(db), "tag"],
                             stdin=stdin, capture_output=True, check=True).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    count = out.count(b"\n")
    return (f"{count:,} lines: {wall:.1f} s wall = {count / wall:,.0f} articles/s; "
            f"{cpu:.1f} s CPU = {count / cpu:,.0f} articles/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, help="only the first N lines of the corpus")
    parser.add_argument("--rounds", type=int, default=2, help="backfills without and with tagging, in turn")
    parser.add_argument("--mixed", type=Path, help="JSON lines in many languages to time `newsradar tag` on")
    parser.add_argument("--tag-only", action="store_true", help="only the `newsradar tag` figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.tag_only:
            fresh_db(tmp, "tag-True.db", args.data).close()
            tag_figures(tmp, args.data, args.mixed)
            return
        archive = args.data / "news-2023.jsonl.gz"
        if args.limit:
            with gzip.open(archive, "rt", encoding="utf-8") as src:
                (tmp / "slice.jsonl").write_text("".join(itertools.islice(src, args.limit)), encoding="utf-8")
            archive = tmp / "slice.jsonl"
        print(f"newsradar backfill {archive.name}, a fresh process and database each time")
        added = []
        for round_ in range(1, args.rounds + 1):
            plain_s = timed_backfill(tmp, args.data, archive, tag=False)
            tagged_s = timed_backfill(tmp, args.data, archive, tag=True)
            added.append(tagged_s - plain_s)
            print(f"  round {round_}: without tagging {plain_s:6.1f} s, with tagging {tagged_s:6.1f} s   "
                  f"(+{tagged_s - plain_s:.1f} s for countries, category, topics)")
        print(f"  tagging adds {statistics.median(added):.1f} s (median of {len(added)} rounds)")
        conn = connect(tmp / "tag-True.db")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        tagged = conn.execute("SELECT count(*) FROM articles WHERE category IS NOT NULL").fetchone()[0]
        pairs = conn.execute("SELECT count(*) FROM article_countries").fetchone()[0]
        print(f"  articles {articles:,}, tagged {tagged:,}; article-country pairs {pairs:,}")

        print("\ncreating/editing a topic over the whole database")
        for topic in topics.all_topics(conn):
            started = time.perf_counter()
            with transaction(conn):
                count = topics.save_topic(conn, topic, old_name=topic.name)
            print(f"  {topic.name:<32} {count:>8,} articles  {time.perf_counter() - started:6.2f} s")

        conn.close()
        tag_figures(tmp, args.data, args.mixed)


def mixed_lines(data: Path, path: Path, count: int = 100_000, other_share: float = 0.31) -> Path:
    """JSON lines in 24 languages: the 2023 corpus (English, Polish) and, for 31% of the lines (the default feeds'
    share in other languages), the hand-labelled items of the 22 other languages in turn; shuffled, seed 1."""
    sets = [data / "multilingual-devset.jsonl", REPO / "tests" / "data" / "multilingual-extra.jsonl"]
    other = [json.loads(line) for p in sets for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    other = [json.dumps({"title": r["title"], "description": r.get("description") or "", "language": r["language"]},
                        ensure_ascii=False) + "\n" for r in other if r.get("language") not in ("en", "pl")]
    n_other = int(count * other_share)
    with gzip.open(data / "news-2023.jsonl.gz", "rt", encoding="utf-8") as src:
        lines = list(itertools.islice(src, count - n_other)) + list(itertools.islice(itertools.cycle(other), n_other))
    random.Random(1).shuffle(lines)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def tag_figures(tmp: Path, data: Path, mixed: Path | None) -> None:
    lines = tmp / "tag.jsonl"
    with gzip.open(data / "news-2023.jsonl.gz", "rt", encoding="utf-8") as src:
        lines.write_text("".join(itertools.islice(src, 50_000)), encoding="utf-8")
    mixed = mixed or mixed_lines(data, tmp / "mixed.jsonl")
    print(f"\nnewsradar tag (process start included; {len(os.sched_getaffinity(0))} CPUs)")
    print(f"  corpus (en, pl)  {tag_throughput(tmp / 'tag-True.db', lines)}")
    print(f"  mixed languages  {tag_throughput(tmp / 'tag-True.db', mixed)}")


if __name__ == "__main__":
    main()
