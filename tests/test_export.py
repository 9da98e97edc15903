"""db.filters and db.export on a small database built by the real import code."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

import db
from collectors.backfill import backfill
from collectors.feedlists import FeedSpec, import_feeds
from collectors.store import Article, ensure_feed, store_articles
from db.export import COLUMNS, export_rows, neutralize, write_csv
from db.filters import Filters, QueryError

BBC = "http://feeds.bbci.co.uk/news/rss.xml"
GAZETA = "https://rss.gazeta.pl/pub/rss/wiadomosci.xml"
LEMONDE = "https://www.lemonde.fr/rss/une.xml"

FEEDS = [
    FeedSpec(BBC, "BBC News", "GB", "en"),
    FeedSpec(GAZETA, "Gazeta", "PL", "pl"),
    FeedSpec(LEMONDE, "Le Monde", "FR", "fr"),
]

# (feed, title, description, link, published, language) in the format of /work/shared/data/news-2023.jsonl.gz
RECORDS = [
    (BBC, "Azerbaijan launches Karabakh offensive", "Shelling reported in Stepanakert.",
     "https://www.bbc.co.uk/news/world-1", "2023-09-19 08:00:00+00:00", "en-GB"),
    (BBC, "Karabakh ceasefire agreed", "Russia brokered the deal.",
     "https://www.bbc.co.uk/news/world-2", "2023-09-20 23:59:59+00:00", "en-GB"),
    (BBC, "Weather: a quiet week", "Nothing to see.",
     "https://www.bbc.co.uk/news/weather-3", "2023-09-18 06:00:00+00:00", "en-GB"),
    (GAZETA, "Zażółć gęślą jaźń", "Łódź i Kraków: Karabach.",
     "https://wiadomosci.gazeta.pl/a/1", "2023-09-20 10:00:00+02:00", "pl"),
    (GAZETA, "Rosja a Górski Karabach", "Analiza.",
     "https://wiadomosci.gazeta.pl/a/2", "2023-09-21 00:00:00+00:00", "pl"),
    (LEMONDE, "Café crème à Paris", "Un récit naïf, un résumé.",
     "https://www.lemonde.fr/a/1", "2023-09-21 09:00:00+00:00", "fr"),
    (LEMONDE, "=HYPERLINK(\"https://evil.example/\",\"click\")", "+33 1 23 45 67 89",
     "https://www.lemonde.fr/a/2", "2023-09-17 12:00:00+00:00", "fr"),
    (LEMONDE, "-2 degrés à Lyon", "@SUM(A1:A9)",
     "https://www.lemonde.fr/a/3", "2023-09-17 13:00:00+00:00", "fr"),
    (LEMONDE, 'Macron: "Non, merci", dit-il', "Une phrase, deux virgules, et des \"guillemets\".",
     "https://www.lemonde.fr/a/4", "2023-09-16 13:00:00+00:00", "fr"),
]
ALL = {r[1] for r in RECORDS}


def write_jsonl(path: Path, records: list[tuple]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for feed, title, description, link, published, language in records:
            out.write(json.dumps({
                "feed_url": feed, "title": title, "description": description, "link": link,
                "published": published, "language": language, "first_seen": published[:10],
                "last_seen": published[:10]}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = db.connect(tmp_path / "x.db")
    import_feeds(connection, FEEDS)
    report = backfill(connection, [write_jsonl(tmp_path / "news.jsonl", RECORDS)])
    assert report.new == len(RECORDS)
    return connection


def titles(conn: sqlite3.Connection, filters: Filters) -> set[str]:
    """The titles of the matching articles (without the apostrophe that neutralizes formulas)."""
    return {row[4].removeprefix("'") for row in export_rows(conn, filters)}


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def export_text(conn: sqlite3.Connection, filters: Filters) -> tuple[int, str]:
    out = io.StringIO(newline="")
    count = write_csv(conn, filters, out)
    return count, out.getvalue()


# Filters.make -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date_from": "2023-13-01"}, "from"),
        ({"date_from": "yesterday"}, "from"),
        ({"date_to": "2023-02-30"}, "to"),
        ({"date_to": "20-09-2023"}, "to"),
    ],
)
def test_filters_make_bad_date_names_field(kwargs: dict, field: str) -> None:
    with pytest.raises(QueryError) as info:
        Filters.make(**kwargs)
    assert str(info.value).startswith(f"{field}:")
    assert next(iter(kwargs.values())) in str(info.value)


def test_filters_make_from_after_to() -> None:
    with pytest.raises(QueryError, match="after"):
        Filters.make(date_from="2023-09-21", date_to="2023-09-20")


def test_filters_make_same_day_is_fine() -> None:
    f = Filters.make(date_from="2023-09-20", date_to="2023-09-20")
    assert f.date_from == f.date_to == dt.date(2023, 9, 20)


def test_filters_make_cleans_values() -> None:
    f = Filters.make(q="  karabakh ", date_from=" 2023-09-01 ", date_to="", outlets=[" BBC News ", "BBC News", ""],
                     langs=["EN", "en", " pl "], source_countries=["gb", "GB", "pl"])
    assert f == Filters("karabakh", dt.date(2023, 9, 1), None, ("BBC News",), ("en", "pl"), ("GB", "PL"))


def test_filters_make_empty_is_everything() -> None:
    assert Filters.make() == Filters()
    assert Filters().where() == ("1", [])


# URL parameters -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters.make(q="karabakh AND rosja"),
        Filters.make(date_from="2023-09-01", date_to="2023-09-30"),
        Filters.make(outlets=["Le Monde", "BBC News"], langs=["pl", "en", "fr"], source_countries=["PL", "GB"]),
        Filters.make("żółć", "2023-09-19", "2023-09-19", ["Gazeta"], ["pl"], ["PL"]),
    ],
)
def test_params_round_trip(filters: Filters) -> None:
    assert Filters.from_params(filters.to_params()) == filters


def test_to_params_repeated_values_are_lists() -> None:
    params = Filters.make(q="x", date_from="2023-09-01", outlets=["B", "A"], langs=["en"]).to_params()
    assert params == {"q": "x", "from": "2023-09-01", "outlet": ["A", "B"], "lang": ["en"]}


def test_from_params_repeated_and_single_values() -> None:
    f = Filters.from_params({"outlet": ["BBC News", "Gazeta"], "lang": "pl", "source": ["gb"], "to": "2023-09-20"})
    assert f.outlets == ("BBC News", "Gazeta")
    assert f.langs == ("pl",)
    assert f.source_countries == ("GB",)
    assert f.date_to == dt.date(2023, 9, 20)


def test_from_params_validates() -> None:
    with pytest.raises(QueryError, match="^from:"):
        Filters.from_params({"from": "nope"})


# filtering a real database ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2023-09-20", "2023-09-20", {"Karabakh ceasefire agreed", "Zażółć gęślą jaźń"}),
        ("2023-09-21", None, {"Rosja a Górski Karabach", "Café crème à Paris"}),
        (None, "2023-09-17", {'Macron: "Non, merci", dit-il', RECORDS[6][1], RECORDS[7][1]}),
        ("2023-09-19", "2023-09-19", {"Azerbaijan launches Karabakh offensive"}),
        ("2023-10-01", None, set()),
    ],
)
def test_date_range_inclusive(conn, date_from, date_to, expected) -> None:
    assert titles(conn, Filters.make(date_from=date_from, date_to=date_to)) == expected


def test_published_offset_converted_to_utc(conn) -> None:
    # 2023-09-20 10:00 +02:00 is stored as 08:00 UTC and exported as ISO 8601 with Z
    row = next(r for r in export_rows(conn, Filters.make(outlets=["Gazeta"])) if r[4] == "Zażółć gęślą jaźń")
    assert row[0] == "2023-09-20T08:00:00Z"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"outlets": ["Gazeta"]}, {"Zażółć gęślą jaźń", "Rosja a Górski Karabach"}),
        ({"outlets": ["Gazeta", "BBC News"]}, {r[1] for r in RECORDS if r[0] in (GAZETA, BBC)}),
        ({"outlets": ["No Such Outlet"]}, set()),
        ({"langs": ["EN"]}, {r[1] for r in RECORDS if r[0] == BBC}),
        ({"langs": ["fr", "pl"]}, {r[1] for r in RECORDS if r[0] in (GAZETA, LEMONDE)}),
        ({"source_countries": ["pl"]}, {"Zażółć gęślą jaźń", "Rosja a Górski Karabach"}),
        ({"source_countries": ["FR"], "date_from": "2023-09-21"}, {"Café crème à Paris"}),
        ({"source_countries": ["US"]}, set()),
        ({}, ALL),
    ],
)
def test_outlet_lang_country_filters(conn, kwargs, expected) -> None:
    assert titles(conn, Filters.make(**kwargs)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("karabakh", {"Azerbaijan launches Karabakh offensive", "Karabakh ceasefire agreed"}),
        ("KARABAKH", {"Azerbaijan launches Karabakh offensive", "Karabakh ceasefire agreed"}),
        ("karabakh AND russia", {"Karabakh ceasefire agreed"}),
        ("karabakh OR karabach", {"Azerbaijan launches Karabakh offensive", "Karabakh ceasefire agreed",
                                  "Zażółć gęślą jaźń", "Rosja a Górski Karabach"}),
        ("karaba*", {"Azerbaijan launches Karabakh offensive", "Karabakh ceasefire agreed",
                     "Zażółć gęślą jaźń", "Rosja a Górski Karabach"}),
        ('"ceasefire agreed"', {"Karabakh ceasefire agreed"}),
        ("karabakh NOT offensive", {"Karabakh ceasefire agreed"}),
        ("title:stepanakert", set()),
        ("nothingmatches", set()),
    ],
)
def test_full_text(conn, q, expected) -> None:
    assert titles(conn, Filters.make(q=q)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # remove_diacritics 2: accents are folded both ways ...
        ("cafe", "Café crème à Paris"),
        ("café", "Café crème à Paris"),
        ("CREME", "Café crème à Paris"),
        ("naif resume", "Café crème à Paris"),
        ("gesla jazn", "Zażółć gęślą jaźń"),
        ("GĘŚLĄ", "Zażółć gęślą jaźń"),
        ("gorski", "Rosja a Górski Karabach"),
        ("zażółć", "Zażółć gęślą jaźń"),
        ("zazołc", "Zażółć gęślą jaźń"),
        # ł is folded to l by newsradar (unicode61 alone would keep it)
        ("łodz krakow", "Zażółć gęślą jaźń"),
        ("lodz krakow", "Zażółć gęślą jaźń"),
        ("zazolc", "Zażółć gęślą jaźń"),
    ],
)
def test_full_text_ignores_diacritics(conn, q, expected) -> None:
    assert titles(conn, Filters.make(q=q)) == {expected}


def test_full_text_combined_with_filters(conn) -> None:
    f = Filters.make(q="karabakh OR karabach", source_countries=["PL"], date_to="2023-09-20")
    assert titles(conn, f) == {"Zażółć gęślą jaźń"}


@pytest.mark.parametrize("q", ["karabakh AND (", '"unterminated', "a OR", "NOT x", "*"])
def test_bad_full_text_query(q) -> None:
    with pytest.raises(QueryError, match="bad full-text query"):
        Filters.make(q=q)


def test_query_syntax_of_sqlite_is_plain_text_to_us(conn) -> None:
    # FTS5 column filters are not part of our language: an unknown field is refused by name, and in quotes it is
    # plain text (the words nosuchcolumn and x), never a column filter of FTS5
    with pytest.raises(QueryError, match="unknown field nosuchcolumn:"):
        Filters.make(q="nosuchcolumn:x")
    assert titles(conn, Filters.make(q='"nosuchcolumn:x"')) == set()


# export -------------------------------------------------------------------------------------------------------

def test_export_header(conn) -> None:
    _, text = export_text(conn, Filters())
    header = read_back(text)[0]
    assert header == COLUMNS
    assert header[:7] == ["published", "outlet", "source_country", "language", "title", "link", "description"]


@pytest.mark.parametrize(
    "kwargs", [{}, {"outlets": ["Gazeta"]}, {"q": "karabakh"}, {"date_from": "2023-09-20"}, {"langs": ["de"]}]
)
def test_export_row_count_matches(conn, kwargs) -> None:
    filters = Filters.make(**kwargs)
    where, params = filters.where()
    expected = conn.execute(
        f"SELECT count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}", params
    ).fetchone()[0]
    count, text = export_text(conn, filters)
    assert count == expected == len(read_back(text)) - 1


def test_export_row_values(conn) -> None:
    _, text = export_text(conn, Filters.make(q='"ceasefire agreed"'))
    row = dict(zip(COLUMNS, read_back(text)[1], strict=True))
    assert row["published"] == "2023-09-20T23:59:59Z"
    assert (row["outlet"], row["source_country"], row["language"]) == ("BBC News", "GB", "en")
    assert row["link"] == "https://www.bbc.co.uk/news/world-2"
    assert row["description"] == "Russia brokered the deal."
    assert row["date_note"] == ""
    assert row["first_seen"] == "2023-09-20T00:00:00Z"


def test_export_newest_first(conn) -> None:
    published = [r[0] for r in export_rows(conn, Filters())]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize(
    ("title", "cell"),
    [
        (RECORDS[6][1], "title"),
        (RECORDS[6][1], "description"),
        (RECORDS[7][1], "title"),
        (RECORDS[7][1], "description"),
    ],
)
def test_export_neutralizes_formulas_from_feeds(conn, title, cell) -> None:
    _, text = export_text(conn, Filters.make(outlets=["Le Monde"]))
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in read_back(text)[1:]]
    value = next(r for r in rows if r["title"].lstrip("'") == title)[cell]
    assert value.startswith("'")
    assert value[1] in "=+-@"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("safe = text", "safe = text"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_neutralize(value, expected) -> None:
    assert neutralize(value) == expected


def store_raw(conn: sqlite3.Connection, title: str, description: str = "", outlet: str = "Raw") -> None:
    """An article stored exactly as given (no normalization), as a collector bug or an old database could."""
    feed_id = ensure_feed(conn, "https://raw.example.com/rss", outlet, "US", "en")
    outlet_id = conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (feed_id,)).fetchone()[0]
    link = f"https://raw.example.com/{hashlib.sha1(title.encode()).hexdigest()}"
    store_articles(conn, feed_id, outlet_id, [Article(link.split("//")[1], link, title, description,
                                                      "2023-09-22 10:00:00", None, "en")], "2023-09-22 10:00:00")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_neutralizes_every_formula_start(tmp_path: Path, start: str) -> None:
    conn = db.connect(tmp_path / "x.db")
    store_raw(conn, f"{start}cmd|' /C calc'!A0", f"{start}desc", outlet=f"{start}Outlet")
    _, text = export_text(conn, Filters())
    row = dict(zip(COLUMNS, read_back(text)[1], strict=True))
    assert row["title"] == f"'{start}cmd|' /C calc'!A0"
    assert row["description"] == f"'{start}desc"
    assert row["outlet"] == f"'{start}Outlet"


@pytest.mark.parametrize(
    "title",
    [
        'Macron: "Non, merci", dit-il',
        "two\nlines",
        "windows\r\nline end",
        'comma, "quote", and\nnewline',
        "trailing backslash \\",
    ],
)
def test_export_awkward_titles_survive_csv_round_trip(tmp_path: Path, title: str) -> None:
    conn = db.connect(tmp_path / "x.db")
    store_raw(conn, title, "desc, with comma")
    count, text = export_text(conn, Filters())
    rows = read_back(text)
    assert count == 1 and len(rows) == 2
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert (row["title"], row["description"]) == (title, "desc, with comma")


def test_export_quotes_from_feed_survive(conn) -> None:
    _, text = export_text(conn, Filters.make(q="macron"))
    rows = read_back(text)
    assert [r[4] for r in rows[1:]] == ['Macron: "Non, merci", dit-il']
    assert rows[1][6] == 'Une phrase, deux virgules, et des "guillemets".'


def test_export_bad_query_raises(conn) -> None:
    with pytest.raises(QueryError):
        export_text(conn, Filters.make(q="karabakh AND ("))
