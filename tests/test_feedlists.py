"""collectors.feedlists: reading and writing OPML and CSV feed lists, importing them into a real database."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from collectors.feedlists import (
    FeedListError,
    FeedSpec,
    import_feeds,
    read_csv,
    read_feed_list,
    read_opml,
    write_csv,
    write_opml,
)
from db.feeds import list_feeds

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News">
      <outline text="Europe">
        <outline type="rss" text="BBC News" title="BBC" xmlUrl="http://feeds.bbci.co.uk/news/rss.xml"
                 country="gb" language="en-GB"/>
        <outline type="rss" text="Gazeta" xmlUrl="https://rss.gazeta.pl/pub/rss/wiadomosci.xml"
                 country="PL" language="pl"/>
      </outline>
    </outline>
    <outline type="rss" title="Only a title" xmlUrl="https://title.example.com/rss"/>
    <outline type="rss" text="Bad country" xmlUrl="https://bad.example.com/rss" country="USA" language="english"/>
    <outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="FTP" xmlUrl="ftp://ftp.example.com/rss"/>
  </body>
</opml>"""


def table(specs: list[FeedSpec]) -> list[tuple]:
    return [(s.url, s.outlet, s.country, s.language) for s in specs]


# OPML ---------------------------------------------------------------------------------------------------------

def test_read_opml() -> None:
    specs, skipped = read_opml(OPML)
    assert table(specs) == [
        ("http://feeds.bbci.co.uk/news/rss.xml", "BBC News", "GB", "en"),
        ("https://rss.gazeta.pl/pub/rss/wiadomosci.xml", "Gazeta", "PL", "pl"),
        ("https://title.example.com/rss", "Only a title", None, None),
        ("https://bad.example.com/rss", "Bad country", None, None),
    ]
    assert skipped == 2


def test_read_opml_folders_are_not_feeds() -> None:
    specs, _ = read_opml(OPML)
    assert "News" not in {s.outlet for s in specs}
    assert "Europe" not in {s.outlet for s in specs}


def test_read_opml_lowercase_xmlurl() -> None:
    data = b'<opml version="1.0"><body><outline text="A" xmlurl="https://a.example.com/rss"/></body></opml>'
    assert table(read_opml(data)[0]) == [("https://a.example.com/rss", "A", None, None)]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://x.example.com/rss"/></body></opml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://x.example.com/rss"/></body></opml>"""

DOCTYPE_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE opml SYSTEM "http://localhost/opml.dtd">
<opml version="2.0"><body><outline text="a" xmlUrl="https://x.example.com/rss"/></body></opml>"""

LOWERCASE_ENTITY = b"""<?xml version="1.0"?><!doctype opml [<!entity e "x">]>
<opml version="2.0"><body><outline text="a" xmlUrl="https://x.example.com/rss"/></body></opml>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, DOCTYPE_ONLY, LOWERCASE_ENTITY],
                         ids=["billion-laughs", "external-entity", "doctype", "lowercase"])
def test_read_opml_refuses_doctype_and_entities(data: bytes) -> None:
    with pytest.raises(FeedListError, match="DOCTYPE|entit|not valid"):
        read_opml(data)


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_read_feed_list_refuses_entities_from_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(data)
    with pytest.raises(FeedListError):
        read_feed_list(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_read_feed_list_refuses_entities_in_utf16(tmp_path: Path, encoding: str) -> None:
    # The same entity declaration, only encoded as UTF-16: the guard must not depend on the byte encoding.
    text = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY e "EXPANDED">]>'
            '<opml version="2.0"><body><outline text="&e;" xmlUrl="https://x.example.com/rss"/></body></opml>')
    path = tmp_path / "feeds.opml"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(FeedListError):
        read_feed_list(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<rss version="2.0"><channel><title>x</title></channel></rss>', "not OPML"),
        (b"<html><body>hi</body></html>", "not OPML"),
        (b"<opml><body>", "not valid OPML"),
        (b"<opml><body><outline text='a' xmlUrl='x' x='1' x='2'/></body></opml>", "not valid OPML"),
    ],
)
def test_read_opml_refuses_non_opml(data: bytes, message: str) -> None:
    with pytest.raises(FeedListError, match=message):
        read_opml(data)


# CSV ----------------------------------------------------------------------------------------------------------

CSV = (
    "feed_url,outlet,country,language\n"
    "http://feeds.bbci.co.uk/news/rss.xml,BBC News,GB,en\n"
    "https://rss.gazeta.pl/pub/rss/wiadomosci.xml, Gazeta ,pl,PL-pl\n"
    "https://bad.example.com/rss,Bad codes,USA,english\n"
    "ftp://ftp.example.com/rss,FTP,GB,en\n"
    "javascript:alert(1),Script,GB,en\n"
    "not a url,Garbage,,\n"
    "https://bare.example.com/rss,,,\n"
)


def test_read_csv() -> None:
    specs, skipped = read_csv(CSV)
    assert table(specs) == [
        ("http://feeds.bbci.co.uk/news/rss.xml", "BBC News", "GB", "en"),
        ("https://rss.gazeta.pl/pub/rss/wiadomosci.xml", "Gazeta", "PL", "pl"),
        ("https://bad.example.com/rss", "Bad codes", None, None),
        ("https://bare.example.com/rss", None, None, None),
    ]
    assert skipped == 3


@pytest.mark.parametrize("header", ["feed_url", "url", "xmlUrl", "Feed_URL"])
def test_read_csv_url_column_names(header: str) -> None:
    specs, _ = read_csv(f"{header},outlet\nhttps://a.example.com/rss,A\n")
    assert table(specs) == [("https://a.example.com/rss", "A", None, None)]


def test_read_csv_only_url_column() -> None:
    specs, skipped = read_csv("feed_url\nhttps://a.example.com/rss\n")
    assert (table(specs), skipped) == ([("https://a.example.com/rss", None, None, None)], 0)


@pytest.mark.parametrize("text", ["link,outlet\nhttps://a.example.com/rss,A\n", "outlet,country\nA,GB\n", ""])
def test_read_csv_without_feed_url_column_refused(text: str) -> None:
    with pytest.raises(FeedListError, match="feed_url"):
        read_csv(text)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_read_feed_list_csv_file(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "feeds.csv"
    path.write_bytes(bom + CSV.encode("utf-8"))
    specs, skipped = read_feed_list(path)
    assert len(specs) == 4
    assert specs[0].url == "http://feeds.bbci.co.uk/news/rss.xml"
    assert skipped == 3


def test_read_feed_list_opml_file_told_by_content(tmp_path: Path) -> None:
    path = tmp_path / "feeds.txt"
    path.write_bytes(OPML)
    assert len(read_feed_list(path)[0]) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some words\nand more\n", "feed_url"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "neither OPML nor UTF-8 CSV"),
    ],
)
def test_read_feed_list_refuses_other_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "thing"
    path.write_bytes(data)
    with pytest.raises(FeedListError, match=message):
        read_feed_list(path)


def test_read_feed_list_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="cannot read"):
        read_feed_list(tmp_path / "nope.csv")


# import into a database ---------------------------------------------------------------------------------------

SPECS = [
    FeedSpec("http://feeds.bbci.co.uk/news/rss.xml", "BBC News", "GB", "en"),
    FeedSpec("http://feeds.bbci.co.uk/news/world/rss.xml", "BBC News", "GB", "en"),
    FeedSpec("https://rss.gazeta.pl/pub/rss/wiadomosci.xml", "Gazeta", None, "pl"),
    FeedSpec("https://www.lemonde.fr/rss/une.xml", "Le Monde", "FR", "fr"),
]


def listed(conn) -> list[tuple]:
    return sorted((r["url"], r["outlet"], r["country"], r["lang"]) for r in list_feeds(conn))


def test_import_feeds_counts_new(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    assert import_feeds(conn, SPECS) == 4
    assert conn.execute("SELECT count(*) FROM feeds").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM outlets").fetchone()[0] == 3


def test_import_feeds_twice_adds_nothing(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    import_feeds(conn, SPECS)
    before = listed(conn)
    assert import_feeds(conn, SPECS) == 0
    assert listed(conn) == before


def test_import_feeds_fills_in_missing_country(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    import_feeds(conn, SPECS)
    gazeta = "https://rss.gazeta.pl/pub/rss/wiadomosci.xml"
    assert dict((r[0], r[2]) for r in listed(conn))[gazeta] is None
    assert import_feeds(conn, [FeedSpec(gazeta, "Gazeta", "PL", None)]) == 0
    assert dict((r[0], r[2:]) for r in listed(conn))[gazeta] == ("PL", "pl")


def test_import_feeds_does_not_erase_known_values(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    import_feeds(conn, SPECS)
    import_feeds(conn, [FeedSpec("http://feeds.bbci.co.uk/news/rss.xml")])
    assert ("http://feeds.bbci.co.uk/news/rss.xml", "BBC News", "GB", "en") in listed(conn)


def test_import_feeds_survives_reopening(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    import_feeds(conn, SPECS)
    conn.close()
    assert len(listed(db.connect(tmp_path / "x.db"))) == 4


# write and read back ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("write", "read"),
    [(write_csv, read_csv), (write_opml, lambda text: read_opml(text.encode("utf-8")))],
    ids=["csv", "opml"],
)
def test_write_read_round_trip(tmp_path: Path, write, read) -> None:
    conn = db.connect(tmp_path / "x.db")
    import_feeds(conn, SPECS + [FeedSpec("https://quotes.example.com/rss", 'Outlet, "Quoted" & <Co>', "US", "en")])
    specs, skipped = read(write(list_feeds(conn)))
    assert skipped == 0
    assert sorted(table(specs)) == listed(conn)


@pytest.mark.parametrize("name", ["feeds.csv", "feeds.opml"])
def test_written_file_imports_into_fresh_db(tmp_path: Path, name: str) -> None:
    source = db.connect(tmp_path / "a.db")
    import_feeds(source, SPECS)
    rows = list_feeds(source)
    path = tmp_path / name
    path.write_text(write_opml(rows) if name.endswith(".opml") else write_csv(rows), encoding="utf-8")
    target = db.connect(tmp_path / "b.db")
    assert import_feeds(target, read_feed_list(path)[0]) == 4
    assert listed(target) == listed(source)


def test_write_csv_header() -> None:
    assert write_csv([]).splitlines() == ["feed_url,outlet,country,language"]


def test_write_opml_is_opml() -> None:
    text = write_opml([])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert read_opml(text.encode()) == ([], 0)
