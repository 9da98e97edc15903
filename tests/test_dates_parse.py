"""collectors.dates.parse_loose_date and collectors.parse.parse_feed on small inline feeds."""

from __future__ import annotations

import datetime as dt

import pytest

from collectors.dates import parse_loose_date
from collectors.parse import FeedError, parse_feed

SEEN = dt.datetime(2023, 9, 20, 12, 0, 0, tzinfo=dt.UTC)
SEEN_TEXT = "2023-09-20 12:00:00"
RSS_TYPE = "application/rss+xml"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# parse_loose_date ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Seg, 24 Set 2018 19:42:40 -0300", utc(2018, 9, 24, 22, 42, 40)),
        ("5 października 2023 10:00 +0200", utc(2023, 10, 5, 8, 0)),
        ("Friday, January 29, 2021 04:42 PM", utc(2021, 1, 29, 16, 42)),
        ("Friday, January 29, 2021 12:05 AM", utc(2021, 1, 29, 0, 5)),
        ("January 29, 2021 12:30 PM", utc(2021, 1, 29, 12, 30)),
        ("Mon, 02 Oct 2023 08:00:00 GMT", utc(2023, 10, 2, 8, 0)),
        ("mar., 19 sept. 2023 10:15:00 +02:00", utc(2023, 9, 19, 8, 15)),
        ("19 września 2023 10:00 CEST", utc(2023, 9, 19, 8, 0)),
        ("Mi, 20 März 2024 18:00:00 +0100", utc(2024, 3, 20, 17, 0)),
        ("2 октября 2023 10:00 MSK", utc(2023, 10, 2, 7, 0)),
        ("Sep 20, 2023 9:05 pm EDT", utc(2023, 9, 21, 1, 5)),
    ],
)
def test_parse_loose_date(value: str, expected: dt.datetime) -> None:
    assert parse_loose_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "24 Foo 2018 19:42:40 -0300",          # unknown month
        "Friday, Smarch 29, 2021 04:42 PM",    # unknown month, month first
        "24 Set 2018 19:42:40 XYZ",            # unknown zone
        "31 Feb 2020 10:00 +0000",             # no such day
        "yesterday afternoon",
        "",
    ],
)
def test_parse_loose_date_unreadable(value: str) -> None:
    assert parse_loose_date(value) is None


# parse_feed: formats ------------------------------------------------------------------------------------------

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Example News</title><link>https://example.com/news/</link><language>en-GB</language>
<item><title>First story</title><link>https://example.com/news/1</link>
  <description>One</description><pubDate>Wed, 20 Sep 2023 10:00:00 +0200</pubDate><guid>g-1</guid></item>
<item><title>Second story</title><link>https://example.com/news/2?utm_source=rss#top</link>
  <pubDate>Tue, 19 Sep 2023 07:30:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
<title>Atom News</title><link href="https://atom.example.org/"/><id>urn:feed</id>
<updated>2023-09-20T08:00:00Z</updated>
<entry><title>Atom one</title><link href="https://atom.example.org/1"/><id>urn:1</id>
  <updated>2023-09-19T08:00:00Z</updated><summary>Sum</summary></entry>
<entry><title>Atom two</title><link rel="alternate" href="https://atom.example.org/2"/><id>urn:2</id>
  <published>2023-09-19T09:00:00+02:00</published></entry>
</feed>"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example.de/"><title>RDF News</title><link>https://rdf.example.de/</link>
  <dc:language>de</dc:language></channel>
<item rdf:about="https://rdf.example.de/1"><title>RDF one</title><link>https://rdf.example.de/1</link>
  <dc:date>2023-09-18T10:00:00+00:00</dc:date></item>
</rdf:RDF>"""


@pytest.mark.parametrize(
    ("body", "title", "language", "expected"),
    [
        (RSS2, "Example News", "en", [("First story", "https://example.com/news/1", "2023-09-20 08:00:00"),
                                      ("Second story", "https://example.com/news/2?utm_source=rss#top",
                                       "2023-09-19 07:30:00")]),
        (ATOM, "Atom News", "fr", [("Atom one", "https://atom.example.org/1", "2023-09-19 08:00:00"),
                                   ("Atom two", "https://atom.example.org/2", "2023-09-19 07:00:00")]),
        (RDF, "RDF News", "de", [("RDF one", "https://rdf.example.de/1", "2023-09-18 10:00:00")]),
    ],
    ids=["rss2", "atom", "rdf"],
)
def test_parse_feed_formats(body: bytes, title: str, language: str | None, expected: list[tuple]) -> None:
    parsed = parse_feed(body, SEEN, "application/xml")
    assert parsed.title == title
    assert parsed.language == language
    assert [(a.title, a.link, a.published) for a in parsed.articles] == expected
    assert all(a.date_flag is None for a in parsed.articles)
    assert all(a.language == language for a in parsed.articles)
    assert parsed.skipped == 0
    assert parsed.warnings == []


def test_parse_feed_article_identity_is_normalized_link() -> None:
    parsed = parse_feed(RSS2, SEEN, RSS_TYPE)
    assert [a.norm_link for a in parsed.articles] == ["example.com/news/1", "example.com/news/2"]


def test_parse_feed_keeps_guid_and_description() -> None:
    first = parse_feed(RSS2, SEEN, RSS_TYPE).articles[0]
    assert first.guid == "g-1"
    assert first.description == "One"


def test_parse_feed_default_language_when_channel_has_none() -> None:
    body = RSS2.replace(b"<language>en-GB</language>", b"")
    assert parse_feed(body, SEEN, RSS_TYPE).language is None
    assert parse_feed(body, SEEN, RSS_TYPE, default_language="pl").articles[0].language == "pl"


def rss(items: str, channel_link: str = "https://example.com/news/", head: str = '<?xml version="1.0"?>') -> bytes:
    link = f"<link>{channel_link}</link>" if channel_link else ""
    return (f'{head}<rss version="2.0"><channel><title>T</title>{link}{items}</channel></rss>').encode()


# parse_feed: links --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/world/story-1", "https://example.com/world/story-1"),
        ("story-2.html", "https://example.com/news/story-2.html"),
        ("//cdn.example.com/story-3", "https://cdn.example.com/story-3"),
    ],
)
def test_parse_feed_relative_links_resolved_against_channel_link(link: str, expected: str) -> None:
    parsed = parse_feed(rss(f"<item><title>x</title><link>{link}</link></item>"), SEEN, RSS_TYPE)
    assert [a.link for a in parsed.articles] == [expected]


def test_parse_feed_relative_links_resolved_against_feed_url_without_channel_link() -> None:
    body = rss("<item><title>x</title><link>/a</link></item>", channel_link="")
    parsed = parse_feed(body, SEEN, RSS_TYPE, url="https://feeds.example.net/rss.xml")
    assert [a.link for a in parsed.articles] == ["https://feeds.example.net/a"]


def test_parse_feed_items_without_link_skipped_and_counted() -> None:
    body = rss("<item><title>kept</title><link>https://example.com/k</link></item>"
               "<item><title>no link</title><description>d</description></item>"
               "<item><title>js</title><link>javascript:alert(1)</link></item>"
               "<item><title>mail</title><link>mailto:a@example.com</link></item>")
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [a.title for a in parsed.articles] == ["kept"]
    assert parsed.skipped == 3


def test_parse_feed_enclosure_only_item_kept() -> None:
    body = rss('<item><title>Episode 1</title>'
               '<enclosure url="https://cdn.example.com/ep1.mp3" type="audio/mpeg" length="123"/></item>')
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [(a.title, a.link) for a in parsed.articles] == [("Episode 1", "https://cdn.example.com/ep1.mp3")]
    assert parsed.skipped == 0


def test_parse_feed_guid_permalink_used_as_link() -> None:
    parsed = parse_feed(rss("<item><title>g</title><guid>https://example.com/by-guid</guid></item>"), SEEN, RSS_TYPE)
    assert [a.link for a in parsed.articles] == ["https://example.com/by-guid"]


def test_parse_feed_item_with_invalid_port_skipped() -> None:
    # One bad item must not cost the feed its other items (nor raise anything but FeedError).
    body = rss("<item><title>bad</title><link>https://example.com:99999/x</link></item>"
               "<item><title>good</title><link>https://example.com/good</link></item>")
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [a.title for a in parsed.articles] == ["good"]
    assert parsed.skipped == 1


def test_parse_feed_item_with_broken_ipv6_link_skipped() -> None:
    body = rss("<item><title>bad</title><link>http://[::1</link></item>"
               "<item><title>good</title><link>https://example.com/good</link></item>")
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [a.title for a in parsed.articles] == ["good"]
    assert parsed.skipped == 1


# parse_feed: not feeds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"", None, "not_a_feed"),
        (b"  \r\n\t ", RSS_TYPE, "not_a_feed"),
        (b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>", None, "not_a_feed"),
        (b"\n  <!-- cms --><html lang='en'><body>hi</body></html>", None, "not_a_feed"),
        (b"<p>Just a fragment</p>", "text/html; charset=utf-8", "not_a_feed"),
        (b"<foo><bar>", None, "malformed"),
        (b'<?xml version="1.0"?><config><setting>1</setting></config>', "application/xml", "malformed"),
        (b"hello world", None, "malformed"),
        (b'{"items": []}', "application/json", "malformed"),
    ],
)
def test_parse_feed_refuses(body: bytes, content_type: str | None, kind: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body, SEEN, content_type)
    assert info.value.kind == kind
    assert str(info.value)


# parse_feed: encodings ----------------------------------------------------------------------------------------

def test_parse_feed_utf8_body_declared_latin1() -> None:
    body = rss("<item><title>Zażółć gęślą jaźń</title><link>https://example.com/pl</link></item>",
               head='<?xml version="1.0" encoding="ISO-8859-1"?>')
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [a.title for a in parsed.articles] == ["Zażółć gęślą jaźń"]
    assert any(w.startswith("encoding:") and "ISO-8859-1" in w for w in parsed.warnings)


def test_parse_feed_real_latin1_body() -> None:
    text = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Le Journal</title>'
            "<link>https://example.fr/</link><item><title>Café crème à Paris</title>"
            "<link>https://example.fr/cafe</link><description>Déjà vu, ça</description></item></channel></rss>")
    parsed = parse_feed(text.encode("iso-8859-1"), SEEN, RSS_TYPE)
    assert [(a.title, a.description) for a in parsed.articles] == [("Café crème à Paris", "Déjà vu, ça")]
    assert not any(w.startswith("encoding:") for w in parsed.warnings)


def test_parse_feed_ascii_body_declared_latin1_no_warning() -> None:
    body = rss("<item><title>plain</title><link>https://example.com/p</link></item>",
               head='<?xml version="1.0" encoding="ISO-8859-1"?>')
    parsed = parse_feed(body, SEEN, RSS_TYPE)
    assert [a.title for a in parsed.articles] == ["plain"]
    assert parsed.warnings == []


# parse_feed: text and dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        ("<![CDATA[<b>Bold</b> &amp; brave]]>", "Bold & brave"),
        ("&lt;i&gt;Escaped&lt;/i&gt; markup", "Escaped markup"),
        ("He said &amp;quot;no&amp;quot;", 'He said "no"'),
        ("<![CDATA[x <img src=x onerror=alert(1)> y]]>", "x y"),
        ("  spaced \n  out  ", "spaced out"),
    ],
)
def test_parse_feed_titles_are_text(title_xml: str, expected: str) -> None:
    parsed = parse_feed(rss(f"<item><title>{title_xml}</title><link>https://example.com/t</link></item>"),
                        SEEN, RSS_TYPE)
    assert parsed.articles[0].title == expected


def test_parse_feed_description_html_is_text() -> None:
    body = rss("<item><title>t</title><link>https://example.com/t</link><description>&lt;p&gt;Hello "
               "&lt;a href='https://x.example/'&gt;world&lt;/a&gt;&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;"
               "</description></item>")
    assert parse_feed(body, SEEN, RSS_TYPE).articles[0].description == "Hello world"


def test_parse_feed_future_date_clamped_and_flagged() -> None:
    body = rss("<item><title>f</title><link>https://example.com/f</link>"
               "<pubDate>Wed, 27 Sep 2023 10:00:00 +0000</pubDate></item>")
    article = parse_feed(body, SEEN, RSS_TYPE).articles[0]
    assert (article.published, article.date_flag) == (SEEN_TEXT, "future")


def test_parse_feed_missing_date_flagged() -> None:
    article = parse_feed(rss("<item><title>m</title><link>https://example.com/m</link></item>"),
                         SEEN, RSS_TYPE).articles[0]
    assert (article.published, article.date_flag) == (SEEN_TEXT, "missing")


def test_parse_feed_unreadable_date_flagged_missing() -> None:
    body = rss("<item><title>m</title><link>https://example.com/m</link><pubDate>sometime soon</pubDate></item>")
    article = parse_feed(body, SEEN, RSS_TYPE).articles[0]
    assert (article.published, article.date_flag) == (SEEN_TEXT, "missing")


@pytest.mark.parametrize(
    ("pub_date", "expected"),
    [
        ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24 22:42:40"),
        ("5 października 2023 10:00 +0200", "2023-10-05 08:00:00"),
        ("Friday, January 29, 2021 04:42 PM", "2021-01-29 16:42:00"),
    ],
)
def test_parse_feed_reads_loose_dates(pub_date: str, expected: str) -> None:
    seen = dt.datetime(2023, 10, 20, tzinfo=dt.UTC)
    body = rss(f"<item><title>d</title><link>https://example.com/d</link><pubDate>{pub_date}</pubDate></item>")
    article = parse_feed(body, seen, RSS_TYPE).articles[0]
    assert (article.published, article.date_flag) == (expected, None)
