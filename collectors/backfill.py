"""Import archives (JSON lines, optionally gzipped, or CSV) through the same normalization and dedupe."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
import multiprocessing
import sqlite3
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from collectors import tagging
from collectors.normalize import clamp_date, format_utc, html_to_text, identify, language_code, parse_iso, resolve_link
from collectors.store import Article, ensure_feed, store_rows
from db import rollups, topics

BATCH = 5000
PARALLEL_FROM_BYTES = 16 * 1024 * 1024


class ArchiveError(ValueError):
    """An archive file that cannot be read at all."""


@dataclass
class BackfillReport:
    read: int = 0
    new: int = 0
    skipped: int = 0                     # records without a usable http(s) link or feed
    bad: int = 0                         # lines that are not JSON objects
    problems: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(message)

    def summary(self) -> str:
        known = self.read - self.new - self.skipped - self.bad
        return (f"{self.read:,} records read, {self.new:,} new articles, {known:,} already stored, "
                f"{self.skipped:,} skipped, {self.bad:,} unreadable")


def _open(path: Path) -> tuple[IO[bytes], IO[str]]:
    """The raw file (for progress) and a text stream over its possibly gzipped content."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return raw, gzip.open(raw, "rt", encoding="utf-8", newline="")  # noqa: SIM115
    return raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _records(stream: IO[str], name: str, report: BackfillReport) -> Iterator[dict]:
    first = stream.readline()
    if not first:
        return
    if first.lstrip().startswith("{"):
        for number, line in itertools.chain([(1, first)], enumerate(stream, 2)):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                report.bad += 1
                report.read += 1
                report.note(f"{name}:{number}: not a JSON object")
                continue
            yield record
        return
    header = next(csv.reader([first]))
    if "link" not in header or "feed_url" not in header:
        raise ArchiveError(f"{name}: neither JSON lines nor a CSV with feed_url and link columns")
    yield from csv.DictReader(stream, fieldnames=header)


def _seen_time(value: str | None, fallback: dt.datetime) -> dt.datetime:
    moment = parse_iso(value)
    return moment if moment else fallback


def _article(record: dict, feed_language: str | None, seen: dt.datetime) -> Article | None:
    found = identify(record.get("link"))
    if not found:
        return None
    link, identity = found
    published, flag = clamp_date(parse_iso(record.get("published")), seen)
    language = language_code(record.get("language")) or feed_language
    return Article(identity, link, html_to_text(record.get("title")),
                   html_to_text(record.get("description")), published, flag, language, None)


class _Feeds:
    """Feed ids by URL, creating unknown feeds with their host as outlet."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.known: dict[str, tuple[int, int | None, str | None]] = {}
        for row in conn.execute("SELECT f.id, f.url, f.outlet_id, coalesce(f.language, o.language) "
                                "FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id"):
            self.known[row[1]] = (row[0], row[2], row[3])

    def get(self, url: str) -> tuple[int, int | None, str | None] | None:
        found = self.known.get(url)
        if found is None and resolve_link(url):
            feed_id = ensure_feed(self.conn, url, urlsplit(url).hostname)
            row = self.conn.execute("SELECT outlet_id, language FROM feeds WHERE id = ?", (feed_id,)).fetchone()
            found = self.known[url] = (feed_id, row[0], row[1])
        return found


def backfill_file(conn: sqlite3.Connection, path: Path, report: BackfillReport, progress: bool = False,
                  batch: int = BATCH, tag: bool = True, tagger: Executor | None = None) -> None:
    """Import one archive in transactions of `batch` records; a crash loses at most the batch in flight.

    With a `tagger` process pool, countries and categories of batch N are computed there while batch
    N+1 is parsed and stored here, and written with the next commit."""
    try:
        raw, stream = _open(path)
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror}") from exc
    bar = _progress_bar(path, progress)
    now = dt.datetime.now(dt.UTC)
    feeds = _Feeds(conn)
    pending: list[tuple[int, int | None, str, Article]] = []
    tagging_jobs: list[Future] = []
    last_pos = 0
    # the identity index is written in random order: a large page cache saves most of the disk reads
    conn.execute("PRAGMA cache_size = -262144")

    def flush(wait: bool) -> None:
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
        with rollups.bulk_load(conn):
            report.new += store_rows(conn, pending, tag=False)
            pending.clear()
            rollups.add_articles(conn, newest)
            if tag:
                topics.apply_to_new(conn, newest)
                rollups.add_topics(conn, newest)
                rows = tagging.rows_after(conn, newest)
                if tagger is None:
                    write_tags(tagging.compute_tags(rows))
                elif rows:
                    tagging_jobs.append(tagger.submit(tagging.compute_tags, rows))
                while tagging_jobs and (wait or tagging_jobs[0].done()):
                    write_tags(tagging_jobs.pop(0).result())
        conn.execute("COMMIT")

    def write_tags(tags: tagging.Tags) -> None:
        tagging.write_tags(conn, tags)
        ids = [article_id for _, article_id in tags[0]]
        if ids:
            rollups.add_countries(conn, min(ids), max(ids))

    with raw, stream:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for record in _records(stream, path.name, report):
                report.read += 1
                feed = feeds.get(str(record.get("feed_url") or ""))
                seen = _seen_time(record.get("first_seen"), now)
                article = _article(record, feed[2] if feed else None, seen) if feed else None
                if article is None:
                    report.skipped += 1
                    continue
                pending.append((feed[0], feed[1], format_utc(seen), article))
                if len(pending) >= batch:
                    flush(wait=len(tagging_jobs) > 1)   # at most one batch tagged ahead
                    conn.execute("BEGIN IMMEDIATE")
                    if bar is not None:
                        pos = raw.tell()
                        bar.update(pos - last_pos)
                        last_pos = pos
            flush(wait=True)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if bar is not None:
                bar.close()


def _progress_bar(path: Path, progress: bool):
    if not (progress and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, leave=False)


def backfill(conn: sqlite3.Connection, paths: list[Path], progress: bool = False, tag: bool = True) -> BackfillReport:
    """Import archives; tags are computed in a second process (the machine's other core) alongside."""
    report = BackfillReport()
    if tag:
        tagging.tag_untagged(conn)
    # a second process costs a second or two to start: worth it for large archives only
    parallel = tag and sum(Path(p).stat().st_size for p in paths if Path(p).exists()) > PARALLEL_FROM_BYTES
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) if parallel else nullcontext() as pool:
        for path in paths:
            backfill_file(conn, Path(path), report, progress, tag=tag, tagger=pool)
    return report
