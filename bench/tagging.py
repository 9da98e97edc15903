"""Benchmark the tagging of issue 4 on the full 2023 corpus; prints figures, asserts nothing.

    .venv/bin/python bench/tagging.py [--data DIR] [--limit N] [--rounds N] [--mixed FILE] [--tag-only]

1. `newsradar backfill` without tagging (--no-tag) and with tagging (countries, category, topics) into fresh
   databases, each a fresh process as a user runs it, the two alternating for --rounds rounds
   (default 2; bench/runs.py);
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runs import fresh_db, what_it_adds

from db import connect, topics, transaction

REPO = Path(__file__).resolve().parents[1]


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
            fresh_db(tmp, "with.db", args.data).close()
            tag_figures(tmp, args.data, args.mixed)
            return
        archive = args.data / "news-2023.jsonl.gz"
        if args.limit:
            with gzip.open(archive, "rt", encoding="utf-8") as src:
                (tmp / "slice.jsonl").write_text("".join(itertools.islice(src, args.limit)), encoding="utf-8")
            archive = tmp / "slice.jsonl"
        print(f"newsradar backfill {archive.name}, a fresh process and database each time")
        what_it_adds(tmp, args.data, archive, args.rounds, "--no-tag", "tags (countries, category, topics)")
        conn = connect(tmp / "with.db")
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
    print(f"  corpus (en, pl)  {tag_throughput(tmp / 'with.db', lines)}")
    print(f"  mixed languages  {tag_throughput(tmp / 'with.db', mixed)}")


if __name__ == "__main__":
    main()
