"""Import archives (JSON lines, optionally gzipped, or CSV) through the same normalization and dedupe."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import itertools
import json
import multiprocessing
import os
import re
import sys
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import urlsplit

from collectors import netguard, stories, tagging
from collectors.normalize import clamp_date, format_utc, html_to_text, identify, language_code, parse_iso, resolve_link
from collectors.store import Article, ensure_feed, store_rows
from db import articles, rollups, topics
from db import feeds as feed_store
from db import tags as tag_store
from db.engine import Connection, dialect, location
from db.schema import begin, commit, rollback

BATCH = 5000
PARALLEL_FROM_BYTES = 16 * 1024 * 1024
# the story grouper's results are written a batch or two after it was asked: it yields the CPU to the process that
# stores the rows (the import's critical path)
GROUPER_NICE = 10
# A news record is a few kilobytes; a longer line is skipped without being held in memory.
MAX_LINE = 1024 * 1024
SHOWN_PROBLEMS = 10
_BOM = codecs.BOM_UTF8
_SURROGATE = re.compile("[\ud800-\udfff]")
_BARE_CR = re.compile("(?<=\r)(?!\n)")


class ArchiveError(ValueError):
    """An archive file that cannot be read at all."""


@dataclass
class BackfillReport:
    """Counts of one import; every unreadable or skipped record as `file:line: reason`, the first few kept and
    all of them written to `sink` when there is one (the CLI's --report FILE)."""

    read: int = 0
    new: int = 0
    skipped: int = 0                     # records without a usable http(s) link or feed
    bad: int = 0                         # unreadable records: not UTF-8, not JSON, overlong, broken CSV…
    problems: list[str] = field(default_factory=list)    # the first SHOWN_PROBLEMS unreadable ones
    feeds_refused: int = 0               # new feeds at private addresses, created disabled
    refused_shown: list[str] = field(default_factory=list)   # the first SHOWN_PROBLEMS of them
    sink: TextIO | None = None

    def unreadable(self, name: str, line: int, reason: str) -> None:
        self.read += 1
        self.bad += 1
        message = f"{name}:{line}: {reason}"
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(message)
        self._write(f"{message}\n")

    def skip(self, name: str, line: int, reason: str) -> None:
        self.skipped += 1
        self._write(f"{name}:{line}: skipped: {reason}\n")

    def refuse_feed(self, url: str, reason: str) -> None:
        self.feeds_refused += 1
        if len(self.refused_shown) < SHOWN_PROBLEMS:
            self.refused_shown.append(f"{url}: {reason}")
        self._write(f"feed not polled: {url}: {reason}\n")

    def _write(self, line: str) -> None:
        if self.sink is not None:
            self.sink.write(line)

    def summary(self) -> str:
        known = self.read - self.new - self.skipped - self.bad
        return (f"{self.read:,} records read, {self.new:,} new articles, {known:,} already stored, "
                f"{self.skipped:,} skipped, {self.bad:,} unreadable")


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """The raw file (for progress) and a byte stream over its possibly gzipped content."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, raw


# (line number, the line's bytes or None, why it was not read); lines end at b"\n" only, as JSON lines do
Line = tuple[int, bytes | None, str]


def _lines(stream: IO[bytes], limit: int = MAX_LINE) -> Iterator[Line]:
    """The lines of `stream`, none held longer than `limit` bytes; a truncated or corrupt gzip ends the lines
    with one last entry saying so."""
    number = 0
    try:
        while line := stream.readline(limit):
            number += 1
            if len(line) == limit and not line.endswith(b"\n"):
                while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                    pass
                yield number, None, f"longer than {limit // 1024:,} KB"
                continue
            yield number, line, ""
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        yield number + 1, None, f"the archive ends early or is corrupt here ({exc}); nothing after it was read"


def _decode_problem(exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1})"


def _records(stream: IO[bytes], name: str, report: BackfillReport,
             max_line: int = MAX_LINE) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each readable record; unreadable ones are counted in `report`."""
    lines = _lines(stream, max_line)
    for number, first, reason in lines:
        if first is None:
            report.unreadable(name, number, reason)
            continue
        if number == 1:
            first = first.removeprefix(_BOM)
        if not first.strip():
            continue
        head = (number, first, reason)
        if first.lstrip().startswith(b"{"):
            yield from _json_records(itertools.chain([head], lines), name, report)
        else:
            yield from _csv_records(head, lines, name, report)
        return


def _json_records(lines: Iterator[Line], name: str, report: BackfillReport) -> Iterator[tuple[int, dict]]:
    for number, line, reason in lines:
        if line is None:
            report.unreadable(name, number, reason)
            continue
        try:
            text = line.decode("utf-8")
            record = json.loads(text)
        except UnicodeDecodeError as exc:
            report.unreadable(name, number, _decode_problem(exc))
            continue
        except ValueError as exc:
            if line.strip():
                report.unreadable(name, number, f"not JSON ({exc})")
            continue
        except RecursionError:
            report.unreadable(name, number, "JSON nested too deeply")
            continue
        if not isinstance(record, dict):
            report.unreadable(name, number, "not a JSON object")
            continue
        if "\\u" in text:  # an escaped lone surrogate (\ud800) decodes to text SQLite cannot store
            record = {key: _valid_text(value) for key, value in record.items()}
        yield number, record


def _valid_text(value: object) -> object:
    """Text with lone surrogates replaced by U+FFFD; other values as they are."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def _csv_records(head: Line, lines: Iterator[Line], name: str,
                 report: BackfillReport) -> Iterator[tuple[int, dict]]:
    """Rows of a CSV archive as dicts keyed by its header; rows with oversized fields are counted unreadable."""
    first_line: list[int] = []

    def texts() -> Iterator[str]:
        for number, line, reason in itertools.chain([head], lines):
            if line is None:
                report.unreadable(name, number, reason)
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                report.unreadable(name, number, _decode_problem(exc))
                continue
            # old Mac line ends: the csv module takes a bare CR for a line end, as it comes, one at a time
            for piece in filter(None, _BARE_CR.split(text)) if "\r" in text.rstrip("\r\n") else [text]:
                if not first_line:
                    first_line.append(number)
                yield piece

    reader = csv.reader(texts())
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    if "link" not in header or "feed_url" not in header:
        raise ArchiveError(f"{name}: neither JSON lines nor a UTF-8 CSV with feed_url and link columns")
    while True:
        first_line.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.unreadable(name, first_line[0] if first_line else 0, f"not a CSV row ({exc})")
            continue
        if row:
            yield first_line[0], dict(zip(header, row, strict=False))


def _seen_time(value: str | None, now: dt.datetime) -> dt.datetime:
    """When the record was first seen; `now` for a missing, implausible or future time."""
    moment = parse_iso(value)
    return moment if moment and moment <= now else now


def _article(record: dict, feed_language: str | None, seen: dt.datetime) -> Article | None:
    found = identify(record.get("link"))
    if not found:
        return None
    link, identity = found
    published, flag = clamp_date(parse_iso(record.get("published")), seen)
    language = language_code(record.get("language")) or feed_language
    return Article(identity, link, html_to_text(_scalar(record.get("title"))),
                   html_to_text(_scalar(record.get("description"))), published, flag, language, None)


def _scalar(value: object) -> str | None:
    """Text of a string or number; None for lists, objects and the like (not text a record's field holds)."""
    return str(value) if isinstance(value, str | int | float) else None


class _Feeds:
    """Feed ids by URL, creating unknown feeds with their host as outlet.

    A new feed at an address newsradar may not fetch (judged without DNS, see netguard.offline_refusal) is
    created disabled, so it is never polled; its articles are still imported."""

    def __init__(self, conn: Connection, report: BackfillReport, allow_private: bool):
        self.conn = conn
        self.report = report
        self.allow_private = allow_private
        self.known = feed_store.known_feeds(conn)

    def get(self, url: object) -> tuple[int, int | None, str | None] | None:
        if not isinstance(url, str):
            return None
        found = self.known.get(url)
        if found is None and resolve_link(url):
            refused = None if self.allow_private else netguard.offline_refusal(url)
            feed_id = ensure_feed(self.conn, url, urlsplit(url).hostname, refused=refused)
            row = feed_store.feed_state(self.conn, feed_id)
            if refused and row[2] == "disabled":
                self.report.refuse_feed(url, refused)
            found = self.known[url] = (feed_id, row[0], row[1])
        return found


def backfill_file(conn: Connection, path: Path, report: BackfillReport, progress: bool = False,
                  batch: int = BATCH, tag: bool = True, tagger: Executor | None = None,
                  allow_private: bool = False, max_line: int = MAX_LINE, grouper: Executor | None = None,
                  group_stories: bool = True) -> None:
    """Import one archive in transactions of `batch` records; a crash loses at most the batches in flight.

    The new articles of a batch are tagged before they are stored (in the `tagger` process pool, when there is
    one, while the next batch is read), so that each is written once, with its language, category and countries,
    before its story groups it; with a `grouper` pool (one process), the stories of a batch are computed there
    and written with a later commit."""
    try:
        raw, stream = _open(path)
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror}") from exc
    bar = _progress_bar(path, progress)
    now = dt.datetime.now(dt.UTC)
    feeds = _Feeds(conn, report, allow_private)
    pending: list[_Row] = []
    # batches read and sent to the tagger, stored in order: at most one tagged ahead of the one being stored
    waiting: deque[tuple[list[_Row], _Tagging | None]] = deque()
    # keeps the recent articles tokenized from batch to batch, here or in the grouper's process (which opens the
    # database itself: not one in memory)
    database = location(conn)
    story_grouper = (stories.Background(conn, database, grouper) if grouper is not None and database
                     else stories.Grouper())
    background = isinstance(story_grouper, stories.Background)
    last_pos = 0
    articles.large_cache(conn)

    def send(rows: list[_Row]) -> None:
        waiting.append((rows, _tag_new_rows(conn, rows, tagger) if tag else None))

    def flush() -> None:
        rows, tags = waiting.popleft()
        newest = articles.newest_id(conn, alone=True)
        with rollups.bulk_load(conn, after_id=newest):
            if tags is None:
                report.new += store_rows(conn, rows, tag=False)
                rollups.add_articles(conn, newest)
            else:
                report.new += _store_tagged(conn, rows, tags, newest)
            rollups.add_feed_links(conn, newest)
            if group_stories and background:
                story_grouper.write(wait=False)
            elif group_stories:
                stories.assign_new(conn, newest, story_grouper)
        commit(conn)
        if group_stories and background:
            story_grouper.submit(newest)    # committed: the worker can read them

    with raw, stream:
        begin(conn)
        try:
            for number, record in _records(stream, path.name, report, max_line):
                report.read += 1
                feed = feeds.get(record.get("feed_url"))
                if feed is None:
                    report.skip(path.name, number, "no http(s) feed_url")
                    continue
                seen = _seen_time(record.get("first_seen"), now)
                article = _article(record, feed[2], seen)
                if article is None:
                    report.skip(path.name, number, "no http(s) link")
                    continue
                pending.append((feed[0], feed[1], format_utc(seen), article))
                if len(pending) >= batch:
                    send(pending)
                    pending = []
                    if len(waiting) > 1:
                        flush()
                        begin(conn)
                    if bar is not None:
                        pos = raw.tell()
                        bar.update(pos - last_pos)
                        last_pos = pos
            send(pending)
            while waiting:
                flush()
                begin(conn)
            if group_stories and background:
                story_grouper.write(wait=True)
            commit(conn)
        except BaseException:
            rollback(conn)
            raise
        finally:
            if bar is not None:
                bar.close()


_Row = tuple[int, int | None, str, Article]      # feed id, outlet id, first seen, the article


# the tags of articles by link, and their text-index entries where the engine takes them computed before storing
_Tags = tuple[dict[str, tagging.Tagged], dict[str, str]]


@dataclass
class _Tagging:
    """The tags of a batch's articles not stored yet, by link, being computed; the topics they are matched with."""

    tags: Future[_Tags]
    topics: list[tuple[int, str, str]]


def _tag_new_rows(conn: Connection, rows: list[_Row], tagger: Executor | None) -> _Tagging:
    """The tags of the articles of `rows` not stored yet: computed in `tagger`, or here and now."""
    known = articles.known_links(conn, [r[3].norm_link for r in rows])
    fresh: dict[str, Article] = {}
    versions: dict[str, set[tuple[str, str, str | None]]] = {}
    for *_, article in rows:
        if article.norm_link not in known:
            fresh.setdefault(article.norm_link, article)
            versions.setdefault(article.norm_link, set()).add((article.title, article.description, article.language))
    # a link whose records in the batch differ: which one is stored is the store's to decide (the first unless it is
    # another URL of a stored story), so it is tagged and indexed after storing, from the stored row (_store_tagged)
    fresh = {link: article for link, article in fresh.items() if len(versions[link]) == 1}
    texts = [(a.title, a.description, a.language) for a in fresh.values()]
    matched = topics.compiled_topics(conn)   # matched in memory on both engines (topics.apply_matched)
    queries = [(topic_id, fts) for topic_id, _, fts in matched]
    if tagger is not None:
        return _Tagging(tagger.submit(_tags_by_link, list(fresh), texts, queries, dialect(conn)), matched)
    done: Future[_Tags] = Future()
    done.set_result(_tags_by_link(list(fresh), texts, queries, dialect(conn)))
    return _Tagging(done, matched)


def _tags_by_link(links: list[str], texts: list[tuple[str, str, str | None]], queries: list[tuple[int, str]],
                  engine: str | None) -> _Tags:
    """The tags of the texts, and (on PostgreSQL, in the tagger's process too: 60 µs an article) their index entries
    for the `engine` (none without one)."""
    entries = ((link, articles.index_entry(engine, title, description))
               for link, (title, description, _) in zip(links, texts, strict=True))
    return (dict(zip(links, tagging.tag_texts(texts, queries), strict=True)),
            {link: entry for link, entry in entries if entry is not None})


def _store_tagged(conn: Connection, rows: list[_Row], batch: _Tagging, newest: int) -> int:
    """Store `rows` with the language and category of their tags, then their countries and topics and the
    rollups of all three (in a bulk load); return how many articles were new."""
    tags, entries = batch.tags.result()
    tagged = [(feed, outlet, seen, a._replace(language=tags[a.norm_link][0].code, category=tags[a.norm_link][1],
                                              search=entries.get(a.norm_link), countries=tuple(tags[a.norm_link][2]))
               if a.norm_link in tags else a) for feed, outlet, seen, a in rows]
    new = store_rows(conn, tagged, tag=False)
    rollups.add_articles(conn, newest)
    if not new:
        return 0
    ids = articles.ids_after(conn, newest)
    # stored without tags: a link whose records in the batch differ, or one known when the batch was sent to the
    # tagger and deleted since (rare); tagged here from the stored row (store_rows indexed them from it)
    by_id = {article_id: link for link, article_id in ids.items() if link not in tags}
    stored = [row for row in tag_store.rows_after(conn, newest) if row[0] in by_id] if by_id else []
    missed = [by_id[row[0]] for row in stored]
    if missed:
        tags = tags | _tags_by_link(missed, [row[1:] for row in stored],
                                    [(topic_id, fts) for topic_id, _, fts in batch.topics], None)[0]
    tagging.write_tags(conn, ([(tags[link][1], ids[link]) for link in missed],
                              [(article_id, code) for link, article_id in ids.items() for code in tags[link][2]],
                              [(tags[link][0].code, ids[link]) for link in missed]))
    tagging.note_tagger(conn)
    rollups.add_countries(conn, newest + 1, max(ids.values()))
    topics.apply_matched(conn, newest, [(topic_id, article_id) for link, article_id in ids.items()
                                        for topic_id in tags[link][3]], batch.topics)
    rollups.add_topics(conn, newest)
    return new


def _progress_bar(path: Path, progress: bool):
    if not (progress and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, leave=False)


def backfill(conn: Connection, paths: list[Path], progress: bool = False, tag: bool = True,
             allow_private: bool = False, sink: TextIO | None = None, group_stories: bool = True) -> BackfillReport:
    """Import archives; tags are computed in a second process (the machine's other core) alongside.

    Feeds at private addresses are created disabled unless `allow_private` (the operator's setting);
    `sink` receives every unreadable or skipped record as a `file:line: reason` line. Without `group_stories` (for
    measuring what grouping costs) the articles get no story until `newsradar stories rebuild`."""
    report = BackfillReport(sink=sink)
    if tag:
        tagging.tag_untagged(conn)
    # a second process costs a second or two to start: worth it for large archives only
    big = sum(Path(p).stat().st_size for p in paths if Path(p).exists()) > PARALLEL_FROM_BYTES
    parallel = tag and big
    with _pool(parallel) as pool, _pool(big and group_stories, nice=GROUPER_NICE) as grouper:
        for path in paths:
            backfill_file(conn, Path(path), report, progress, tag=tag, tagger=pool, allow_private=allow_private,
                          grouper=grouper, group_stories=group_stories)
    return report


def _pool(wanted: bool, nice: int = 0) -> ProcessPoolExecutor | nullcontext:
    """A one-process pool (started fresh, not forked from a process holding a database connection) when `wanted`,
    its process `nice` steps below this one's priority."""
    if not wanted:
        return nullcontext()
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=os.nice,
                               initargs=(nice,))
