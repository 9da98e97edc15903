"""Fuzzing the archive import: hostile JSON lines, CSV rows and cut gzip files never raise, and every line is
imported, skipped or counted unreadable; the good records among them are all stored."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.backfill import BackfillReport, backfill_file
from db import connect

FEED = "http://feeds.abcnews.com/abcnews/topstories"
SMALL_LINE = 2048   # the line cap, small here so that overlong lines are cheap to make
FUZZ = settings(max_examples=200, deadline=dt.timedelta(seconds=10), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_serial = itertools.count()

ODD_TEXT = st.sampled_from([
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0000-00-00", "2023-02-30", "1e308", "NaN",
    "javascript:alert(1)", "http://[::1", "https://x.example:99999/", "http://127.0.0.1/rss", "http://localhost/",
    "data:text/html,<script>", "\ud800", "\x00", "<!--" * 50, "&#xD800;", "&#99999999999999999999;", "",
    "<script>alert(1)</script>", "feed_url", "https://abcnews.go.com/x?utm_source=rss"])
ANY_TEXT = st.text(max_size=40)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), ANY_TEXT, ODD_TEXT)
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                                         inner, max_size=3),
                     max_leaves=8)
FIELDS = ["feed_url", "link", "title", "description", "published", "first_seen", "language"]

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def good_record() -> tuple[str, dict]:
    link = f"https://abcnews.go.com/fuzz/{next(_serial)}"
    serial = link.rsplit("/", 1)[1]   # a title of its own: one outlet's same title at the same time is one story
    return link, {"feed_url": FEED, "title": f"Fuzz story {serial}", "link": link, "published": "2023-01-01T08:00:00Z"}


def no_newline(data: bytes) -> bytes:
    return data.replace(b"\n", b" ")


# a good record with some fields replaced by odd values, so that most of them get as far as the database
ODD_RECORD = st.builds(lambda good, odd: good[1] | odd, st.builds(good_record),
                       st.dictionaries(st.sampled_from(FIELDS), st.one_of(ODD_TEXT, ANY_TEXT, VALUE), max_size=4))
# JSON's \ud800 escapes decode to lone surrogates, which SQLite cannot store
LONE_SURROGATE = st.builds(lambda good, key, text, cut: good[1] | {key: text[:cut] + "\ud800" + text[cut:]},
                           st.builds(good_record), st.sampled_from(["title", "description", "link", "feed_url"]),
                           st.sampled_from(["", "x", "https://abcnews.go.com/s"]), st.integers(0, 30))
HOSTILE_JSON_LINE = st.one_of(
    LONE_SURROGATE.map(lambda r: json.dumps(r).encode()),
    ODD_RECORD.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    ODD_RECORD.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=120).map(no_newline),
    st.integers(1, 20_000).map(lambda depth: b'{"title": ' + b"[" * depth + b"]" * depth + b"}"),
    st.integers(SMALL_LINE - 40, SMALL_LINE + 40).map(lambda size: json.dumps(
        {"feed_url": FEED, "link": "https://abcnews.go.com/long", "title": "x" * size}).encode()),
    st.binary(min_size=1, max_size=4).map(lambda junk: b'{"title": "bad ' + no_newline(junk) + b'"}'),
)
# a line: a good record (its link remembered) or a hostile line
LINE = st.one_of(st.builds(good_record).map(lambda g: (g[0], json.dumps(g[1]).encode())),
                 HOSTILE_JSON_LINE.map(lambda raw: (None, raw)))


@pytest.fixture(scope="module")
def database():
    with tempfile.TemporaryDirectory(prefix="newsradar-fuzz-") as folder:
        conn = connect(Path(folder) / "fuzz.db")
        yield conn, Path(folder)
        conn.close()


def imported(conn, folder: Path, name: str, data: bytes) -> BackfillReport:
    path = folder / name
    path.write_bytes(data)
    report = BackfillReport()
    backfill_file(conn, path, report, max_line=SMALL_LINE)
    return report


def stored_links(conn, links: list[str]) -> set[str]:
    marks = ", ".join("?" * len(links))
    # an article's own link, or another link of the same story (an odd record may repeat another's title)
    return {row[0] for row in conn.execute(f"SELECT link FROM articles WHERE link IN ({marks}) UNION "
                                           f"SELECT link FROM article_links WHERE link IN ({marks})", links + links)}


@FUZZ
@given(lines=st.lists(LINE, min_size=1, max_size=8))
def test_json_lines_never_raise_and_every_line_is_accounted_for(database, lines):
    conn, folder = database
    first_link, first = good_record()   # a JSON-lines archive starts with a record
    lines = [(first_link, json.dumps(first).encode()), *lines]
    report = imported(conn, folder, "fuzz.jsonl", b"\n".join(raw for _, raw in lines) + b"\n")
    blank = sum(1 for _, raw in lines if not raw.strip())
    assert report.read + blank == len(lines)
    assert report.new + report.skipped + report.bad <= report.read
    good = [link for link, _ in lines if link]
    assert stored_links(conn, good) == set(good)


CSV_FIELD = st.one_of(st.text(max_size=40), ODD_TEXT, st.sampled_from(['"', '""', ",", "\r", "\r\n", '"\n', "\x00"]),
                      st.integers(130_000, 132_000).map(lambda n: "y" * n))


@FUZZ
@given(rows=st.lists(st.one_of(st.none(), st.lists(CSV_FIELD, min_size=1, max_size=5)), min_size=1, max_size=6),
       raw_junk=st.binary(max_size=60))
def test_csv_rows_never_raise(database, rows, raw_junk):
    conn, folder = database
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feed_url", "title", "link", "published"])
    good = []
    for row in rows:
        if row is None:
            link, _ = good_record()
            good.append(link)
            writer.writerow([FEED, "Fuzz story", link, "2023-01-01T08:00:00Z"])
        else:
            out.write(",".join(row) + "\n")   # written raw: unbalanced quotes, CRs and huge fields as they come
    data = out.getvalue().encode("utf-8", "surrogatepass") + no_newline(raw_junk) + b"\n"
    report = imported(conn, folder, "fuzz.csv", data)
    assert report.new + report.skipped + report.bad <= report.read
    assert report.read <= data.count(b"\n")


@settings(FUZZ, max_examples=100)
@given(count=st.integers(1, 300), cut=st.floats(0.0, 1.0), level=st.integers(1, 9))
def test_a_gzip_cut_anywhere_keeps_what_came_before(database, count, cut, level):
    conn, folder = database
    records = [good_record() for _ in range(count)]
    whole = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for _, r in records), compresslevel=level)
    data = whole[: max(int(len(whole) * cut), 10)]   # past the gzip header
    readable = zlib.decompressobj(wbits=31).decompress(data)   # everything before the cut
    report = imported(conn, folder, "cut.jsonl.gz", data)
    complete = readable.count(b"\n")
    assert report.new == complete
    assert stored_links(conn, [link for link, _ in records[:complete]]) == {link for link, _ in records[:complete]}
