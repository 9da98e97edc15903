"""collectors.normalize: plain text, canonical links, UTC dates and language codes."""

from __future__ import annotations

import datetime as dt

import pytest

from collectors.normalize import clamp_date, html_to_text, language_code, normalize_link, parse_iso, resolve_link

SEEN = dt.datetime(2023, 9, 20, 12, 0, 0, tzinfo=dt.UTC)


# html_to_text -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line<br/>break", "line break"),
        ('<a href="https://x.com/">link</a> text', "link text"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&#8220;quoted&#8221; &#x2014; dash", "\u201cquoted\u201d \u2014 dash"),
        # doubly escaped, as some feeds send it
        ("He said &amp;quot;no&amp;quot;", 'He said "no"'),
        ("&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt;", "bold"),
        # escaped markup is markup, not text
        ("&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;", "Hello world"),
        ("<![CDATA[inside]]>", "inside"),
        ("before<!-- a comment -->after", "before after"),
    ],
)
def test_html_to_text(value: str, expected: str) -> None:
    assert html_to_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "x<script>alert(1)</script>y",
        "x<SCRIPT type='text/javascript'>document.write('<b>hi</b>')</SCRIPT>y",
        "x<style>p { color: red }</style>y",
        "x<iframe src='https://evil.example/'>fallback</iframe>y",
    ],
)
def test_html_to_text_drops_script_and_style_blocks(value: str) -> None:
    assert html_to_text(value) == "x y"


def test_html_to_text_drops_hostile_img_tag() -> None:
    text = html_to_text('Look <img src=x onerror=alert(1)> here')
    assert text == "Look here"
    assert "onerror" not in text and "<" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a < b", "a < b"),
        ("if x < y and y > z", "if x < y and y > z"),
        ("x<y", "x<y"),
        ("3 > 2 & 1 < 2", "3 > 2 & 1 < 2"),
        ("AT&T", "AT&T"),
    ],
)
def test_html_to_text_keeps_comparison_signs(value: str, expected: str) -> None:
    assert html_to_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [   # descriptions of the 2023 corpus that the feed cut inside a tag
        ("Bolivia cuts ties, said the minister <a h", "Bolivia cuts ties, said the minister"),
        ('in a Melbourne prison cell <a href="https://www.theguardian.com/australia-news/2023/jan/28/without-dignity-',
         "in a Melbourne prison cell"),
        ("<p>A closing tag cut short</di", "A closing tag cut short"),
        ('see the picture <img src="https://example.com/a.jpg', "see the picture"),
        ("a list <UL class='x", "a list"), ("Taylor Swift | The Eras Tour</", "Taylor Swift | The Eras Tour"),
        ("could be challenged in court. <", "could be challenged in court."),
        # text that only looks like the start of a tag stays
        ("features like <a", "features like"), ("ecosystems globally. <str", "ecosystems globally."),
        # text that only looks like the start of a tag stays
        ("x <z", "x <z"), ("the <abc> trick: x<y", "the trick: x<y"), ("scores 3<5", "scores 3<5"),
        ("x <y and z", "x <y and z"),
    ],
)
def test_html_to_text_drops_a_tag_the_feed_cut_off(value: str, expected: str) -> None:
    assert html_to_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  lots \n\n of\t\tspace  ", "lots of space"),
        ("non\u00a0breaking", "non breaking"),
        ("non&nbsp;breaking", "non breaking"),
        ("zero\u200bwidth", "zerowidth"),
        ("<p>\n  indented\n</p>", "indented"),
    ],
)
def test_html_to_text_whitespace(value: str, expected: str) -> None:
    assert html_to_text(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "<p></p>", "<script>x</script>"])
def test_html_to_text_empty(value: str | None) -> None:
    assert html_to_text(value) == ""


# resolve_link -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("https://example.com/a", None, "https://example.com/a"),
        ("  https://example.com/a  ", None, "https://example.com/a"),
        ("/news/1", "https://example.com/section/", "https://example.com/news/1"),
        ("story.html", "https://example.com/section/", "https://example.com/section/story.html"),
        ("../up", "https://example.com/a/b/", "https://example.com/a/up"),
        ("//cdn.example.com/x", "https://example.com/", "https://cdn.example.com/x"),
        ("https://other.org/x", "https://example.com/", "https://other.org/x"),
        ("HTTP://Example.com/A", None, "HTTP://Example.com/A"),
    ],
)
def test_resolve_link(link: str, base: str | None, expected: str) -> None:
    assert resolve_link(link, base) == expected


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:editor@example.com",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "tel:+48123456789",
    ],
)
@pytest.mark.parametrize("base", [None, "https://example.com/news/"])
def test_resolve_link_refuses_other_schemes(link: str, base: str | None) -> None:
    assert resolve_link(link, base) is None


@pytest.mark.parametrize("link", [None, "", "   ", "http://", "https:///path-only", "/relative/without/base",
                                  "not a url", "http://[::1"])
def test_resolve_link_garbage_without_base(link: str | None) -> None:
    assert resolve_link(link) is None


@pytest.mark.parametrize("link", ["http://[::1", "https://[bad/x"])
def test_resolve_link_garbage_with_base(link: str) -> None:
    # A feed's <link> is resolved against the channel link; garbage must give None, not an exception.
    assert resolve_link(link, "https://example.com/news/") is None


@pytest.mark.parametrize("link", ["http://example.com:99999/a", "http://example.com:port/a"])
def test_resolve_link_refuses_invalid_port(link: str) -> None:
    # The links resolve_link accepts go on to normalize_link, which cannot handle an invalid port.
    assert resolve_link(link) is None


# normalize_link -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "param",
    [
        "utm_source=rss", "utm_medium=feed", "utm_campaign=x", "UTM_Content=y", "fbclid=abc", "gclid=abc",
        "at_medium=RSS", "at_campaign=KARANGA", "ns_mchannel=rss", "ns_source=PublicRSS20-sa", "ito=1490",
        "traffic_source=rss", "cmp=rss", "source=rss", "source=RSS", "ref=rss", "from=feed",
    ],
)
def test_normalize_link_drops_tracking_parameter(param: str) -> None:
    assert normalize_link(f"https://example.com/story?id=7&{param}") == "example.com/story?id=7"


@pytest.mark.parametrize("param", ["source=abc", "ref=home", "from=2023", "page=2", "id=7"])
def test_normalize_link_keeps_content_parameter(param: str) -> None:
    assert normalize_link(f"https://example.com/story?{param}") == f"example.com/story?{param}"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://example.com/a#comments", "example.com/a"),
        ("https://EXAMPLE.Com/a", "example.com/a"),
        ("https://example.com./a", "example.com/a"),
        ("https://example.com:443/a", "example.com/a"),
        ("http://example.com:80/a", "example.com/a"),
        ("http://example.com:8080/a", "example.com:8080/a"),
        ("https://example.com", "example.com/"),
        ("https://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
        ("https://example.com/News/Story-A", "example.com/News/Story-A"),
    ],
)
def test_normalize_link(link: str, expected: str) -> None:
    assert normalize_link(link) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("http://example.com/a", "https://example.com/a"),
        ("https://example.com/a?x=1&y=2", "https://example.com/a?y=2&x=1"),
        ("https://example.com/a?x=1&utm_source=rss#top", "http://EXAMPLE.com:80/a?x=1&fbclid=zz"),
    ],
)
def test_normalize_link_same_story(one: str, other: str) -> None:
    assert normalize_link(one) == normalize_link(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/Story", "https://example.com/story"),
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a?source=abc", "https://example.com/a"),
        ("https://example.com/a", "https://www.example.com/a"),
    ],
)
def test_normalize_link_different_stories(one: str, other: str) -> None:
    assert normalize_link(one) != normalize_link(other)


# clamp_date ---------------------------------------------------------------------------------------------------

def test_clamp_date_missing_uses_seen() -> None:
    assert clamp_date(None, SEEN) == ("2023-09-20 12:00:00", "missing")


@pytest.mark.parametrize("ahead", [dt.timedelta(hours=24, seconds=1), dt.timedelta(days=7), dt.timedelta(days=3650)])
def test_clamp_date_far_future_is_clamped(ahead: dt.timedelta) -> None:
    assert clamp_date(SEEN + ahead, SEEN) == ("2023-09-20 12:00:00", "future")


@pytest.mark.parametrize("ahead", [dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(hours=24)])
def test_clamp_date_near_future_is_kept(ahead: dt.timedelta) -> None:
    published, flag = clamp_date(SEEN + ahead, SEEN)
    assert flag is None
    assert published == (SEEN + ahead).strftime("%Y-%m-%d %H:%M:%S")


def test_clamp_date_past_is_kept() -> None:
    assert clamp_date(dt.datetime(2001, 1, 2, 3, 4, 5, tzinfo=dt.UTC), SEEN) == ("2001-01-02 03:04:05", None)


def test_clamp_date_naive_is_utc() -> None:
    assert clamp_date(dt.datetime(2023, 9, 20, 10, 30), SEEN) == ("2023-09-20 10:30:00", None)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (2, "2023-09-20 08:00:00"),
        (-3, "2023-09-20 13:00:00"),
        (5.5, "2023-09-20 04:30:00"),
        (14, "2023-09-19 20:00:00"),
    ],
)
def test_clamp_date_offset_converted_to_utc(hours: float, expected: str) -> None:
    zone = dt.timezone(dt.timedelta(hours=hours))
    assert clamp_date(dt.datetime(2023, 9, 20, 10, 0, tzinfo=zone), SEEN) == (expected, None)


def test_clamp_date_future_judged_in_utc() -> None:
    # 2023-09-21 20:00 at +10:00 is 10:00 UTC, 22 h after SEEN: not in the future by our rule
    zone = dt.timezone(dt.timedelta(hours=10))
    assert clamp_date(dt.datetime(2023, 9, 21, 20, 0, tzinfo=zone), SEEN) == ("2023-09-21 10:00:00", None)


# parse_iso ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-09-20T10:00:00Z", dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)),
        ("2023-09-20 10:00:00+00:00", dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)),
        ("2023-09-20 12:00:00+02:00", dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)),
        ("2023-09-20T10:00:00", dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)),
        ("2023-09-20", dt.datetime(2023, 9, 20, tzinfo=dt.UTC)),
        ("  2023-09-20T10:00:00Z\n", dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)),
    ],
)
def test_parse_iso(value: str, expected: dt.datetime) -> None:
    parsed = parse_iso(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", [None, "", "yesterday", "2023-13-01", "Wed, 20 Sep 2023 10:00:00 GMT"])
def test_parse_iso_unparseable(value: str | None) -> None:
    assert parse_iso(value) is None


# language_code ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en-US", "en"),
        ("pl_PL", "pl"),
        ("EN", "en"),
        ("pt-br", "pt"),
        (" de ", "de"),
        ("fil", "fil"),
        ("", None),
        (None, None),
        ("english", None),
        ("x", None),
        ("12", None),
    ],
)
def test_language_code(value: str | None, expected: str | None) -> None:
    assert language_code(value) == expected


def test_polish_mojibake_from_a_misdecoded_feed_is_repaired():
    from collectors.normalize import html_to_text

    assert html_to_text("Ciało spadło podczas rozbiĂłrki. Ă“smy dzień") == "Ciało spadło podczas rozbiórki. Ósmy dzień"
