"""The newsradar command, run in-process (and as a real process for the error paths)."""

from __future__ import annotations

import csv
import functools
import io
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import db
from db import feeds as db_feeds
from newsradar.cli import main

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OUTLETS_2023 = SHARED_DATA / "outlets-2023.csv"
FEED = "http://feeds.abcnews.com/abcnews/topstories"


def record(n: int, **changes) -> dict:
    """A line of an archive, in the format of /work/shared/data/news-2023.jsonl.gz."""
    base = {"feed_url": FEED, "title": f"Story {n}", "description": f"About story {n}.",
            "link": f"https://abcnews.go.com/International/story-{n}", "published": f"2023-01-01 0{n}:00:00+00:00",
            "language": "en-US", "first_seen": "2023-01-01", "last_seen": "2023-01-01"}
    return base | changes


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", [
        record(1),
        record(2, title="Zażółć gęślą jaźń", language="pl"),
        record(3, title='Comma, "quote"', description="=1+1"),
    ])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# error paths: one line on stderr, no traceback, non-zero exit -------------------------------------------------

def newer_db(tmp_path: Path) -> Path:
    path = tmp_path / "newer.db"
    conn = db.connect(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    return path


def not_a_db(tmp_path: Path) -> Path:
    path = tmp_path / "text.db"
    path.write_text("this is a text file, not a database\n" * 200)
    return path


def not_a_feed_list(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\nmilk\neggs\n")
    return path


# each case: (arguments after --db given the tmp dir, the db file to use, text the message must contain)
ERROR_CASES: dict[str, tuple[Callable[[Path], list[str]], Callable[[Path], Path], str]] = {
    "export-bad-from": (lambda t: ["export", "-o", str(t / "out.csv"), "--from", "2023-13-01"],
                        lambda t: t / "x.db", "from"),
    "export-from-after-to": (lambda t: ["export", "-o", str(t / "out.csv"), "--from", "2023-09-21",
                                        "--to", "2023-09-20"], lambda t: t / "x.db", "after"),
    "export-bad-q": (lambda t: ["export", "-o", str(t / "out.csv"), "--q", "karabakh AND ("],
                     lambda t: t / "x.db", "full-text query"),
    "backfill-missing-file": (lambda t: ["backfill", str(t / "missing.jsonl")], lambda t: t / "x.db",
                              "missing.jsonl"),
    "feeds-import-not-a-list": (lambda t: ["feeds", "import", str(not_a_feed_list(t))], lambda t: t / "x.db",
                                "feed_url"),
    "feeds-import-missing-file": (lambda t: ["feeds", "import", str(t / "nope.opml")], lambda t: t / "x.db",
                                  "nope.opml"),
    "feeds-remove-unknown": (lambda t: ["feeds", "remove", "https://unknown.example.com/rss"],
                             lambda t: t / "x.db", "unknown.example.com"),
    "feeds-add-javascript": (lambda t: ["feeds", "add", "javascript:alert(1)"], lambda t: t / "x.db",
                             "javascript:alert(1)"),
    "newer-schema": (lambda t: ["stats"], newer_db, "newer"),
    "not-a-database": (lambda t: ["stats"], not_a_db, "not a newsradar database"),
}


def assert_one_error_line(code: int, err: str, needle: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("newsradar: ")
    assert needle in lines[0]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_in_process(tmp_path: Path, capsys, case: str) -> None:
    argv, database, needle = ERROR_CASES[case]
    code, _, err = run(capsys, "--db", str(database(tmp_path)), *argv(tmp_path))
    assert_one_error_line(code, err, needle)


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_as_a_process(tmp_path: Path, case: str) -> None:
    argv, database, needle = ERROR_CASES[case]
    done = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(database(tmp_path)), *argv(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert_one_error_line(done.returncode, done.stderr, needle)


def test_installed_script_reports_error(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("newsradar")
    done = subprocess.run([str(script), "--db", str(tmp_path / "x.db"), "export", "-o", "-", "--from", "nope"],
                          capture_output=True, text=True, timeout=60)
    assert_one_error_line(done.returncode, done.stderr, "from")


def test_failed_export_leaves_no_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.csv"
    code, _, _ = run(capsys, "--db", str(tmp_path / "x.db"), "export", "-o", str(out), "--q", "karabakh AND (")
    assert code != 0
    assert list(tmp_path.glob("out.csv*")) == []


def test_failed_export_to_stdout_writes_nothing(tmp_path: Path, capsys) -> None:
    # `newsradar export -o - --q 'bad (' > out.csv` must not leave a CSV that looks like an empty result
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "export", "-o", "-", "--q", "karabakh AND (")
    assert code != 0
    assert err.startswith("newsradar: ")
    assert out == ""


def test_newer_database_left_untouched(tmp_path: Path, capsys) -> None:
    path = newer_db(tmp_path)
    run(capsys, "--db", str(path), "feeds", "add", "https://a.example.com/rss")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION + 1
    assert conn.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"link": 123},
        {"title": ["not", "text"]},
        {"published": 1695200000},
        {"link": "https://abcnews.go.com:99999/x"},
    ],
    ids=["numeric-link", "list-title", "numeric-published", "bad-port"],
)
def test_backfill_odd_record_does_not_crash(tmp_path: Path, capsys, bad: dict) -> None:
    # One odd record in a large archive must not abort the import with a traceback.
    path = write_jsonl(tmp_path / "odd.jsonl", [record(1, **bad), record(2)])
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(path))
    assert code == 0, err
    conn = db.connect(tmp_path / "x.db")
    assert "https://abcnews.go.com/International/story-2" in {r[0] for r in conn.execute("SELECT link FROM articles")}


# feeds --------------------------------------------------------------------------------------------------------

def test_feeds_import_shared_outlets_then_list(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", str(OUTLETS_2023))
    assert code == 0
    assert "54 feeds, 54 new" in out
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 54
    assert any("ABC News" in line and FEED in line and " US " in line for line in lines)


def test_feeds_import_twice_adds_nothing(tmp_path: Path, capsys) -> None:
    run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", str(OUTLETS_2023))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", str(OUTLETS_2023))
    assert code == 0
    assert "54 feeds, 0 new" in out


@pytest.fixture
def list_server():
    """The shared outlets list served over loopback HTTP, as a team's feed list on an intranet would be."""
    handler = functools.partial(_Quiet, directory=str(OUTLETS_2023.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_feeds_import_takes_an_address(tmp_path: Path, capsys, list_server) -> None:
    url = f"{list_server}/{OUTLETS_2023.name}"
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", url)
    assert code == 0, err
    assert f"{url}: 54 feeds, 54 new" in out


@pytest.mark.parametrize(("name", "private", "says"), [
    ("missing.csv", "1", "HTTP 404"),
    ("outlets-2023.csv", "0", "is a loopback address"),   # fetched like a feed: private addresses refused
])
def test_feeds_import_of_an_address_that_cannot_be_read_imports_nothing(tmp_path: Path, capsys, monkeypatch,
                                                                       list_server, name, private, says) -> None:
    monkeypatch.setenv("NEWSRADAR_ALLOW_PRIVATE", private)
    code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", f"{list_server}/{name}")
    assert code == 2 and err.startswith("newsradar: error: cannot fetch") and says in err
    assert len(err.strip().splitlines()) == 1
    assert listed(tmp_path / "x.db") == []


def listed(path: Path) -> list[tuple]:
    conn = db.connect(path)
    return sorted((r["url"], r["outlet"], r["country"], r["lang"]) for r in db_feeds.list_feeds(conn))


@pytest.mark.parametrize("name", ["feeds.opml", "feeds.csv"])
def test_feeds_export_import_round_trip(tmp_path: Path, capsys, name: str) -> None:
    run(capsys, "--db", str(tmp_path / "a.db"), "feeds", "import", str(OUTLETS_2023))
    code, out, _ = run(capsys, "--db", str(tmp_path / "a.db"), "feeds", "export", "-o", str(tmp_path / name))
    assert code == 0
    assert "54 feeds written" in out
    if name.endswith(".opml"):
        assert (tmp_path / name).read_text(encoding="utf-8").startswith("<?xml")
    code, out, _ = run(capsys, "--db", str(tmp_path / "b.db"), "feeds", "import", str(tmp_path / name))
    assert code == 0
    assert "54 new" in out
    assert listed(tmp_path / "b.db") == listed(tmp_path / "a.db")
    assert len(listed(tmp_path / "b.db")) == 54


def test_feeds_export_to_stdout_is_csv(tmp_path: Path, capsys) -> None:
    run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", str(OUTLETS_2023))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "export")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 54
    assert {"feed_url": FEED, "outlet": "ABC News", "country": "US", "language": "en"} in rows


def test_feeds_add_and_remove(tmp_path: Path, capsys) -> None:
    dbarg = ("--db", str(tmp_path / "x.db"))
    code, out, _ = run(capsys, *dbarg, "feeds", "add", "https://a.example.com/rss", "--outlet", "A",
                       "--country", "pl", "--language", "pl-PL")
    assert (code, out.strip()) == (0, "added https://a.example.com/rss")
    assert listed(tmp_path / "x.db") == [("https://a.example.com/rss", "A", "PL", "pl")]
    code, out, _ = run(capsys, *dbarg, "feeds", "add", "https://a.example.com/rss")
    assert (code, out.strip()) == (0, "updated https://a.example.com/rss")
    feed_id = db.connect(tmp_path / "x.db").execute("SELECT id FROM feeds").fetchone()[0]
    code, out, _ = run(capsys, *dbarg, "feeds", "remove", str(feed_id))
    assert code == 0 and "removed" in out
    assert listed(tmp_path / "x.db") == []


# backfill, stats, export --------------------------------------------------------------------------------------

def test_backfill_twice_second_adds_nothing(tmp_path: Path, capsys, small: Path) -> None:
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(small))
    assert code == 0
    assert "3 records read, 3 new articles" in out
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(small))
    assert code == 0
    assert "3 records read, 0 new articles, 3 already stored" in out
    assert db.connect(tmp_path / "x.db").execute("SELECT count(*) FROM articles").fetchone()[0] == 3


def test_stats(tmp_path: Path, capsys, small: Path) -> None:
    run(capsys, "--db", str(tmp_path / "x.db"), "feeds", "import", str(OUTLETS_2023))
    run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(small))
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "stats")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["articles"].split()[1] == "3"
    outlets = {r["outlet"] for r in csv.DictReader(io.StringIO(OUTLETS_2023.read_text(encoding="utf-8")))}
    assert lines["outlets"].split()[1] == str(len(outlets))
    assert lines["feeds"].split()[1:] == ["54", "active"]
    assert lines["published"] == "published  2023-01-01 01:00:00 .. 2023-01-01 03:00:00 UTC"


def test_stats_empty_database(tmp_path: Path, capsys) -> None:
    db.connect(tmp_path / "x.db").close()
    code, out, _ = run(capsys, "--db", str(tmp_path / "x.db"), "stats")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["articles", "outlets", "feeds", "published"]
    assert "articles   0" in out and "feeds      none" in out


def test_export_file_utf8_bom_and_rows(tmp_path: Path, capsys, small: Path) -> None:
    run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(small))
    out_path = tmp_path / "out.csv"
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "export", "-o", str(out_path))
    assert code == 0
    assert "3 articles exported" in err
    data = out_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:7] == ["published", "outlet", "source_country", "language", "title", "link", "description"]
    assert [r[4] for r in rows[1:]] == ['Comma, "quote"', "Zażółć gęślą jaźń", "Story 1"]
    assert rows[1][6] == "'=1+1"
    assert not list(tmp_path.glob("*.part"))


def test_export_filters_from_command_line(tmp_path: Path, capsys, small: Path) -> None:
    run(capsys, "--db", str(tmp_path / "x.db"), "backfill", str(small))
    code, out, err = run(capsys, "--db", str(tmp_path / "x.db"), "export", "-o", "-", "--lang", "pl",
                         "--from", "2023-01-01", "--to", "2023-01-01", "--q", "zazolc OR gesla")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert [r[4] for r in rows[1:]] == ["Zażółć gęślą jaźń"]
    assert "1 articles exported" in err


@pytest.mark.slow
def test_demo_loads_sample(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "--db", str(tmp_path / "demo.db"), "demo")
    assert code == 0
    assert str(tmp_path / "demo.db") in out
    code, out, _ = run(capsys, "--db", str(tmp_path / "demo.db"), "stats")
    articles = int(out.splitlines()[0].split()[1].replace(",", ""))
    assert articles > 20_000
