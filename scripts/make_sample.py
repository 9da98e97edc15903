"""Make the small bundled sample of the 2023 news archive.

Reads ``news-2023.jsonl.gz`` and ``outlets-2023.csv`` from the shared data folder
(default ``<repo>/../shared/data``) and writes:

* ``collectors/data/sample-2023.jsonl.gz``: every article whose ``first_seen`` lies in a
  window around the September 2023 Karabakh offensive (19-20 Sept 2023). The window
  starts as 2023-09-10 .. 2023-10-05 and shrinks by one day at each end until the
  gzip file is at most 4.5 MB. Lines are copied unchanged (same fields, same order)
  and gzip is written with mtime=0, so the output is reproducible byte for byte.
* ``collectors/data/sample-outlets.csv``: the rows of ``outlets-2023.csv`` for the
  feeds that occur in the sample.

Run from anywhere (standard library only):

    python scripts/make_sample.py [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIELDS = (
    "feed_url",
    "title",
    "description",
    "link",
    "published",
    "language",
    "first_seen",
    "last_seen",
)
WIDEST = (date(2023, 9, 10), date(2023, 10, 5))
OFFENSIVE = (date(2023, 9, 19), date(2023, 9, 20))
MAX_BYTES = 4_500_000
SAMPLE_NAME = "sample-2023.jsonl.gz"
OUTLETS_NAME = "sample-outlets.csv"

Article = tuple[date, str, str]  # (first_seen, feed_url, raw JSON line)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="folder holding news-2023.jsonl.gz and outlets-2023.csv",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "collectors" / "data",
        help="folder to write the sample into",
    )
    return parser.parse_args(argv)


def read_articles(path: Path, first: date, last: date) -> list[Article]:
    """Return the articles first seen between first and last (inclusive), in file order."""
    articles: list[Article] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            if tuple(record) != FIELDS:
                raise ValueError(f"{path}:{number}: unexpected fields {list(record)}")
            seen = date.fromisoformat(record["first_seen"][:10])
            if first <= seen <= last:
                raw = line if line.endswith("\n") else line + "\n"
                articles.append((seen, record["feed_url"], raw))
    return articles


def compress(lines: list[str]) -> bytes:
    """Gzip the lines reproducibly (no file name, mtime 0, level 9)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        for line in lines:
            out.write(line.encode("utf-8"))
    return buffer.getvalue()


def fit_window(articles: list[Article]) -> tuple[date, date, list[Article], bytes]:
    """Shrink the window one day at each end until the gzip fits in MAX_BYTES."""
    first, last = WIDEST
    while first <= OFFENSIVE[0] and OFFENSIVE[1] <= last:
        chosen = [a for a in articles if first <= a[0] <= last]
        blob = compress([a[2] for a in chosen])
        if len(blob) <= MAX_BYTES:
            return first, last, chosen, blob
        first, last = first + timedelta(days=1), last - timedelta(days=1)
    raise SystemExit("no window around the offensive fits the size limit")


def write_outlets(source: Path, target: Path, feeds: set[str]) -> int:
    """Copy the outlet rows of the given feeds; fail if a feed has no row."""
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        rows = [row for row in reader if row["feed_url"] in feeds]
    missing = feeds - {row["feed_url"] for row in rows}
    if missing:
        raise SystemExit(f"feeds missing from {source}: {sorted(missing)}")
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Build the sample and its outlet list, and print what was written."""
    args = parse_args(argv)
    articles = read_articles(args.data / "news-2023.jsonl.gz", *WIDEST)
    first, last, chosen, blob = fit_window(articles)
    args.out.mkdir(parents=True, exist_ok=True)
    sample = args.out / SAMPLE_NAME
    sample.write_bytes(blob)
    feeds = {a[1] for a in chosen}
    outlets = write_outlets(args.data / "outlets-2023.csv", args.out / OUTLETS_NAME, feeds)
    print(
        f"window {first}..{last}: {len(chosen)} articles, {len(blob)} bytes -> {sample}; "
        f"{outlets} feeds -> {args.out / OUTLETS_NAME}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
