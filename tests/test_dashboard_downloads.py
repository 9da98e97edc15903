"""dashboard.downloads: the export's file name, the capped CSV bytes, the CLI command for everything."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import shlex
from contextlib import closing

import pytest

from dashboard import downloads, queries
from dashboard.testing import add_articles, build_sample_db
from db import connect
from db.export import COLUMNS
from db.filters import FIELDS, Filters
from newsradar.cli import build_parser

NOW = dt.datetime(2023, 10, 3, 14, 5)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = build_sample_db(tmp_path_factory.mktemp("downloads") / "sample.db", every=60)
    with closing(connect(path)) as conn:
        add_articles(conn, "http://feeds.bbci.co.uk/news/rss.xml", [
            ('=HYPERLINK("http://evil.example","click")', "https://www.bbc.co.uk/news/f1", "2023-09-20 10:00:00"),
            ("+cmd|' /C calc'!A0", "https://www.bbc.co.uk/news/f2", "2023-09-20 11:00:00"),
            ("Zażółć gęślą jaźń — Łódź", "https://www.bbc.co.uk/news/f3", "2023-09-20 12:00:00")])
    return path


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")                        # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_file_name_says_which_filters_and_when():
    filters = Filters.make(q='karabakh OR "lachin corridor"', date_from="2023-09-15", date_to="2023-09-30",
                           countries=["AZ", "AM"], topics=["Nagorno-Karabakh"])
    name = downloads.export_file_name(filters, NOW)
    assert name == ("newsradar_q-karabakh-OR-lachin-corridor_from-2023-09-15_to-2023-09-30_country-AM+AZ_"
                    "topic-Nagorno-Karabakh_20231003-1405.csv")
    assert downloads.export_file_name(Filters(), NOW) == "newsradar_all_20231003-1405.csv"
    long = downloads.export_file_name(Filters.make(q="x" * 500, outlets=["../../etc/passwd"]), NOW)
    assert len(long) < 160 and "/" not in long and ".." not in long.replace(".csv", "")


def test_csv_holds_every_matching_article_with_formulas_neutralized(db):
    conn = queries.open_db(db)
    filters = Filters.make(source_countries=["GB"])
    export = downloads.csv_export(conn, filters)
    rows = read(export.data)
    assert rows[0] == COLUMNS and export.rows == len(rows) - 1 == queries.count_articles(conn, filters)
    assert not export.truncated
    titles = {row[COLUMNS.index("title")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","click")' in titles and "'+cmd|' /C calc'!A0" in titles
    assert "Zażółć gęślą jaźń — Łódź" in titles
    assert export.data.count(b"\r\n") == len(rows)


def test_a_large_export_is_capped_and_says_so(db):
    conn = queries.open_db(db)
    export = downloads.csv_export(conn, Filters(), cap=25)
    assert export.truncated and export.rows == 25 and len(read(export.data)) == 26
    exact = downloads.csv_export(conn, Filters.make(q="zażółć"), cap=1)
    assert exact.rows == 1 and not exact.truncated
    empty = downloads.csv_export(conn, Filters.make(q="qqqzzzxxx"))
    assert read(empty.data) == [COLUMNS] and empty.rows == 0 and not empty.truncated


def test_the_cli_command_exports_the_same_filters():
    filters = Filters.make(q="karabakh OR 'x'", date_from="2023-09-15", countries=["AZ"], source_countries=["PL"],
                           langs=["pl"], topics=["Nagorno-Karabakh"], categories=["politics"], outlets=["TVN24"])
    filters = dataclasses.replace(filters, countries=("AZ", "RU"), countries_all=True)
    command = downloads.cli_export_command(filters, "data/news radar.db")
    args = build_parser().parse_args(shlex.split(command)[1:])
    again = Filters.from_values({f.param: getattr(args, f.param) for f in FIELDS})
    assert again == filters and args.output == "articles.csv"
    assert args.db == os.path.abspath("data/news radar.db")   # the database shown, wherever the command is run
