"""Hostile archives and feed lists: one bad record costs that record, counted with its line number; files that
cannot be read at all give one error line; private feed URLs are never polled; exports open safely."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from collectors.backfill import MAX_LINE, SHOWN_PROBLEMS
from collectors.collect import due_feeds, utcnow
from collectors.store import ensure_feed
from db import connect
from newsradar.cli import main

FEED = "http://feeds.abcnews.com/abcnews/topstories"
GOOD = 6   # good records around the bad one


def record(n: int, **changes) -> dict:
    base = {"feed_url": FEED, "title": f"Story {n}", "description": f"About story {n}.",
            "link": f"https://abcnews.go.com/International/story-{n}", "published": "2023-01-01 08:00:00+00:00",
            "language": "en-US", "first_seen": "2023-01-01"}
    return base | changes


def line(n: int, **changes) -> bytes:
    return json.dumps(record(n, **changes), ensure_ascii=False).encode() + b"\n"


def good_links(numbers) -> set[str]:
    return {f"https://abcnews.go.com/International/story-{n}" for n in numbers}


def stored(db: Path) -> dict[str, tuple]:
    conn = connect(db)
    try:
        return {row[0]: tuple(row[1:]) for row in conn.execute(
            "SELECT link, title, published, date_flag, first_seen FROM articles")}
    finally:
        conn.close()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def with_bad_line(bad: bytes) -> bytes:
    """Good records 1-3, the bad line as line 4, good records 5-7."""
    return b"".join(line(n) for n in (1, 2, 3)) + bad + b"".join(line(n) for n in (5, 6, 7))


# finding 1: one unreadable record among good ones ---------------------------------------------------------------

BAD_LINES: dict[str, tuple[Callable[[], bytes], str]] = {
    "undecodable-byte": (lambda: line(4).replace(b"Story 4", b"Story \xff4"), "not UTF-8 (byte 0xff"),
    "lone-continuation-byte": (lambda: line(4).replace(b"Story 4", b"Story \x804"), "not UTF-8 (byte 0x80"),
    "deep-nesting": (lambda: b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "JSON nested too deeply"),
    "overlong-line": (lambda: line(4, description="x" * (MAX_LINE + 10)), "longer than 1,024 KB"),
    "not-json": (lambda: b'{"feed_url": "http://x", \n', "not JSON"),
    "json-array": (lambda: b"[1, 2, 3]\n", "not a JSON object"),
    "huge-number": (lambda: b'{"title": ' + b"9" * 5000 + b"}\n", "not JSON"),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_one_unreadable_json_line_is_counted_and_the_rest_imported(tmp_path, capsys, case):
    make, reason = BAD_LINES[case]
    archive = tmp_path / "archive.jsonl"
    archive.write_bytes(with_bad_line(make()))
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "Traceback" not in err
    assert "7 records read, 6 new articles, 0 already stored, 0 skipped, 1 unreadable" in out
    assert f"unreadable archive.jsonl:4: {reason}" in out
    assert set(stored(tmp_path / "x.db")) == good_links([1, 2, 3, 5, 6, 7])


@pytest.mark.parametrize("case", ["undecodable-byte", "overlong-line", "deep-nesting"])
def test_a_rerun_ends_with_exactly_the_same_articles(tmp_path, capsys, case):
    archive = tmp_path / "archive.jsonl"
    archive.write_bytes(with_bad_line(BAD_LINES[case][0]()))
    run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    first = stored(tmp_path / "x.db")
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "0 new articles, 6 already stored, 0 skipped, 1 unreadable" in out
    assert stored(tmp_path / "x.db") == first


def test_csv_row_with_an_oversized_field_is_counted_and_the_rest_imported(tmp_path, capsys):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feed_url", "title", "link", "published"])
    for n in range(1, 8):
        title = "x" * 200_000 if n == 4 else f"Story {n}"   # the csv module's limit is 128 KB
        writer.writerow([FEED, title, f"https://abcnews.go.com/International/story-{n}", "2023-01-01T08:00:00Z"])
    archive = tmp_path / "archive.csv"
    archive.write_text(out.getvalue(), encoding="utf-8")
    code, printed, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "Traceback" not in err
    assert "1 unreadable" in printed and "unreadable archive.csv:5: not a CSV row (field larger than" in printed
    assert set(stored(tmp_path / "x.db")) == good_links([1, 2, 3, 5, 6, 7])


def test_csv_row_with_a_bad_byte_is_counted_and_the_rest_imported(tmp_path, capsys):
    rows = [b"feed_url,title,link\n"] + [
        f"{FEED},Story {n},https://abcnews.go.com/International/story-{n}\n".encode() for n in range(1, 5)]
    rows[2] = rows[2].replace(b"Story", b"St\xe9ry")   # Latin-1 in a UTF-8 file: line 3
    archive = tmp_path / "archive.csv"
    archive.write_bytes(b"".join(rows))
    code, printed, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "unreadable archive.csv:3: not UTF-8 (byte 0xe9 at column" in printed
    assert set(stored(tmp_path / "x.db")) == good_links([1, 3, 4])


def test_truncated_gzip_keeps_every_record_before_the_cut_and_says_where(tmp_path, capsys):
    whole = gzip.compress(b"".join(line(n) for n in range(1, 3001)))
    archive = tmp_path / "cut.jsonl.gz"
    archive.write_bytes(whole[: len(whole) // 2])
    readable = zlib.decompressobj(wbits=31).decompress(archive.read_bytes())   # all the data before the cut
    complete = readable.count(b"\n")
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "Traceback" not in err
    assert f"{complete:,} new articles" in out
    assert f"unreadable cut.jsonl.gz:{complete + 1}: the archive ends early or is corrupt here" in out
    assert set(stored(tmp_path / "x.db")) == good_links(range(1, complete + 1))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and f"0 new articles, {complete:,} already stored" in out


@pytest.mark.parametrize("published", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01",
                                       "9999-12-31", "1066-10-14T09:00:00Z"])
@pytest.mark.parametrize("first_seen", ["2023-01-01", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00"])
def test_dates_out_of_range_are_stored_as_missing(tmp_path, capsys, published, first_seen):
    archive = tmp_path / "dates.jsonl"
    archive.write_bytes(line(1) + line(2, published=published, first_seen=first_seen) + line(3))
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "Traceback" not in err and "3 new articles" in out
    articles = stored(tmp_path / "x.db")
    _, published_at, flag, seen = articles["https://abcnews.go.com/International/story-2"]
    assert flag == "missing" and published_at == seen and "2000" < seen < "3000"


def test_the_cli_names_the_first_problems_and_report_file_lists_every_one(tmp_path, capsys):
    bad = SHOWN_PROBLEMS + 5
    archive = tmp_path / "many.jsonl"
    archive.write_bytes(b"".join(line(n) if n % 2 else b"{broken\n" for n in range(1, 2 * bad + 2)))
    before = set(os.listdir(tmp_path))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and f"{bad} unreadable" in out
    assert out.count("unreadable many.jsonl:") == SHOWN_PROBLEMS and "… and 5 more unreadable (--report FILE" in out
    assert set(os.listdir(tmp_path)) - before <= {"x.db", "x.db-wal", "x.db-shm"}   # no report unless asked for
    report = tmp_path / "problems.txt"
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive), "--report", str(report))
    assert code == 0 and f"listed in {report}" in out
    listed = report.read_text(encoding="utf-8").splitlines()
    assert [entry.split(":")[1] for entry in listed] == [str(n) for n in range(2, 2 * bad + 2, 2)]
    assert all(entry.startswith("many.jsonl:") and "not JSON" in entry for entry in listed)


def test_report_lists_skipped_records_with_their_reason(tmp_path, capsys):
    archive = tmp_path / "odd.jsonl"
    archive.write_bytes(line(1) + line(2, link="javascript:alert(1)") + line(3, feed_url="ftp://x.example/") + line(4))
    report = tmp_path / "report.txt"
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive), "--report", str(report))
    assert code == 0 and "2 skipped" in out
    assert report.read_text().splitlines() == ["odd.jsonl:2: skipped: no http(s) link",
                                               "odd.jsonl:3: skipped: no http(s) feed_url"]


def test_report_in_a_missing_folder_is_one_error_and_imports_nothing(tmp_path, capsys):
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(line(1))
    code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive), "--report",
                       str(tmp_path / "no" / "r.txt"))
    assert code == 2 and err.startswith("newsradar: error: ") and len(err.splitlines()) == 1
    assert stored(tmp_path / "x.db") == {}


# finding 2: feed URLs at private addresses are not polled ------------------------------------------------------

PRIVATE_FEEDS = ["http://127.0.0.1:8080/rss", "http://2130706433/rss", "http://[::1]/rss",
                 "http://10.0.0.5/rss", "http://192.168.1.1/rss", "http://169.254.169.254/latest/meta-data",
                 "http://[::ffff:127.0.0.1]/rss", "http://localhost/rss", "http://intranet/rss",
                 "http://printer.local/rss", "http://wiki.internal/rss"]


def feed_status(db: Path) -> dict[str, tuple]:
    conn = connect(db)
    try:
        return {row[0]: (row[1], row[2]) for row in conn.execute("SELECT url, status, last_error_kind FROM feeds")}
    finally:
        conn.close()


@pytest.mark.parametrize("url", PRIVATE_FEEDS)
def test_private_feed_url_creates_a_disabled_feed_and_keeps_the_article(tmp_path, capsys, monkeypatch, url):
    monkeypatch.delenv("NEWSRADAR_ALLOW_PRIVATE")
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(line(1) + line(2, feed_url=url))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "2 new articles" in out
    assert f"feed not polled (created disabled): {url}: " in out and "allow_private_networks" in out
    assert feed_status(tmp_path / "x.db") == {FEED: ("active", None), url: ("disabled", "refused")}
    assert set(stored(tmp_path / "x.db")) == good_links([1, 2])
    conn = connect(tmp_path / "x.db")
    assert [feed["url"] for feed in due_feeds(conn, utcnow(), force=True)] == [FEED]   # never polled
    conn.close()


def test_private_feed_url_is_polled_when_private_networks_are_allowed(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEWSRADAR_ALLOW_PRIVATE", "1")
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(line(1, feed_url="http://127.0.0.1:8080/rss"))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "not polled" not in out
    assert feed_status(tmp_path / "x.db") == {"http://127.0.0.1:8080/rss": ("active", None)}


def test_a_feed_already_added_keeps_its_status(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEWSRADAR_ALLOW_PRIVATE", "1")
    run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "add", "http://127.0.0.1:8080/rss")
    monkeypatch.delenv("NEWSRADAR_ALLOW_PRIVATE")
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(line(1, feed_url="http://127.0.0.1:8080/rss"))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "1 new articles" in out
    assert feed_status(tmp_path / "x.db") == {"http://127.0.0.1:8080/rss": ("active", None)}


# finding 3: feeds export is formula-safe ----------------------------------------------------------------------

@pytest.mark.parametrize("outlet", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_feeds_export_csv_neutralizes_formulas(tmp_path, capsys, outlet):
    run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "add", "https://news.example.org/rss", f"--outlet={outlet}")
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "export", "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][:2] == ["https://news.example.org/rss", "'" + outlet]


def test_feeds_export_csv_neutralizes_tabs_and_carriage_returns_from_backfilled_hosts(tmp_path, capsys):
    conn = connect(tmp_path / "x.db")
    ensure_feed(conn, "https://a.example.org/rss", "\tTab")
    ensure_feed(conn, "https://b.example.org/rss", "\rCR")
    conn.close()
    exported = tmp_path / "feeds.csv"
    code, _, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "export", "-o", str(exported))
    assert code == 0
    with open(exported, encoding="utf-8", newline="") as rows:
        assert [row[1] for row in csv.reader(rows)] == ["outlet", "'\tTab", "'\rCR"]


# finding 4: one error line for files that cannot be read ------------------------------------------------------

def test_topics_import_of_a_non_utf8_file_is_one_error_and_keeps_the_topics(tmp_path, capsys):
    db = str(tmp_path / "x.db")
    run(capsys, "--db", db, "topics", "add", "Karabakh", "karabakh")
    path = tmp_path / "topics.toml"
    path.write_bytes('[[topic]]\nname = "Zaż"\nquery = "x"\n'.encode("iso-8859-2"))
    code, out, err = run(capsys, "--db", db, "topics", "import", str(path))
    assert code == 2 and out == ""
    assert err == f"newsradar: error: {path}: not UTF-8 text (byte 0xbf at offset 20); nothing imported\n"
    code, out, _ = run(capsys, "--db", db, "topics", "list")
    assert "Karabakh" in out and "Zaż" not in out


def oversized_feed_list(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.csv"
    path.write_text("feed_url,outlet\nhttps://one.example/rss,One\n"
                    f"https://two.example/rss,{'x' * 200_000}\n", encoding="utf-8")
    return path


def test_feeds_import_of_a_csv_with_an_oversized_field_is_one_error_and_imports_nothing(tmp_path, capsys):
    db = str(tmp_path / "x.db")
    run(capsys, "--db", db, "feeds", "add", "https://kept.example/rss")
    path = oversized_feed_list(tmp_path)
    code, out, err = run(capsys, "--db", db, "feeds", "import", str(path))
    assert code == 2 and out == ""
    assert err == (f"newsradar: error: {path}: not a readable CSV: line 3: field larger than field limit "
                   "(131072)\n")
    assert set(feed_status(tmp_path / "x.db")) == {"https://kept.example/rss"}


def test_sources_upload_of_a_csv_with_an_oversized_field_shows_one_error(tmp_path, monkeypatch):
    from conftest import no_errors, plain, run_app

    from dashboard.testing import build_sample_db

    db = build_sample_db(tmp_path / "upload.db", every=400)
    before = set(feed_status(db))
    at = no_errors(run_app(db, monkeypatch, "sources"))
    at.file_uploader(key="feed_file").upload("feeds.csv", oversized_feed_list(tmp_path).read_bytes(),
                                             "text/csv").run()
    shown = plain(no_errors(at).error[0])
    assert shown.startswith("Cannot import this file: not a readable CSV: line 3: field larger than field limit")
    assert "import_feeds" not in [button.key for button in at.button]
    assert set(feed_status(db)) == before


def test_nothing_is_left_behind_by_the_error_paths(tmp_path, capsys):
    # the database's own files only: no report, no partial export
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(b"\xff\xfe not an archive\n")
    code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 2 and err == ("newsradar: error: a.jsonl: neither JSON lines nor a UTF-8 CSV with feed_url and "
                                 "link columns\n")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("x.db")) == ["a.jsonl"]
    assert sqlite3.connect(tmp_path / "x.db").execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_many_private_feed_urls_are_summed_up_not_listed(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NEWSRADAR_ALLOW_PRIVATE")
    archive = tmp_path / "a.jsonl"
    archive.write_bytes(b"".join(line(n, feed_url=f"http://10.0.0.{n}/rss") for n in range(1, SHOWN_PROBLEMS + 4)))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and f"{SHOWN_PROBLEMS + 3} new articles" in out
    assert out.count("feed not polled (created disabled): http://10.0.0.") == SHOWN_PROBLEMS
    assert "… and 3 more feeds not polled" in out
    assert {status for status, _ in feed_status(tmp_path / "x.db").values()} == {"disabled"}


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_csv_archive_with_any_line_ending_is_imported(tmp_path, capsys, ending):
    rows = ["feed_url,title,link"] + [f"{FEED},\"Story {n},\rwith a CR\",https://abcnews.go.com/International/story-{n}"
                                      for n in range(1, 4)]
    archive = tmp_path / "archive.csv"
    archive.write_bytes(ending.join(rows).encode() + ending.encode())
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(archive))
    assert code == 0 and "3 records read, 3 new articles, 0 already stored, 0 skipped, 0 unreadable" in out
    assert {title for title, *_ in stored(tmp_path / "x.db").values()} == {f"Story {n}, with a CR" for n in (1, 2, 3)}
