"""Text cleaning and dates under hostile input: linear time, capped, and no markup left in stored text."""

from __future__ import annotations

import re
from html import escape

import pytest

from collectors.dates import parse_loose_date
from collectors.normalize import LINK_MAX, RAW_FACTOR, TEXT_MAX, TITLE_MAX, html_to_text, identify

TAG = re.compile(r"<[/!?]?[A-Za-z][^<>]*>")


@pytest.mark.parametrize("value", [
    "<svg/onload=alert(1)>", "<script>alert(1)</script>", escape(escape(escape("<script>alert(1)</script>"))),
    escape(escape("<svg/onload=alert(1)>")), "<scr<b>ipt>alert(1)</script>", "&lt;img src=x onerror=alert(1)&gt;",
    "<!-- <script>x</script> -->", "<a <b>href=x>", "<<b>a>",
])
def test_no_markup_is_left(value):
    text = html_to_text(value)
    assert not TAG.search(text) and "alert(1)</" not in text


@pytest.mark.parametrize(("value", "text"), [
    ("a < b", "a < b"), ("x<y", "x<y"), ("<b>Bold</b> news", "Bold news"), ("&amp;quot;hi&amp;quot;", '"hi"'),
    ("one<!-- hidden -->two", "one two"), ("keep <style>p{}</style>this", "keep this"),
])
def test_text_is_kept(value, text):
    assert html_to_text(value) == text


@pytest.mark.parametrize("value", [escape("<!--") * 50_000, escape("<script>") * 30_000, "<a " * 100_000,
                                   "&amp;" * 200_000, "<" * 300_000 + "a>"])
def test_hostile_text_is_cleaned_and_capped(value):
    assert len(html_to_text(value)) <= TEXT_MAX
    assert len(html_to_text(value, TITLE_MAX)) <= TITLE_MAX


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis():
    title = html_to_text("word " * 1000, TITLE_MAX)
    assert len(title) <= TITLE_MAX and title.endswith("word…")


def test_text_past_the_raw_cap_is_not_read():
    assert "tail" not in html_to_text("x" * (TITLE_MAX * RAW_FACTOR) + " tail", TITLE_MAX)


def test_an_overlong_link_is_refused():
    assert identify("https://example.com/" + "a" * LINK_MAX) is None
    assert identify("https://example.com/" + "a" * 100) is not None


@pytest.mark.parametrize("value", ["a" * 40_000, "1 " * 20_000, "January " * 5000, "1 a" * 13_000])
def test_a_long_date_is_refused_at_once(value):
    assert parse_loose_date(value) is None


@pytest.mark.parametrize("value", ["Seg, 24 Set 2018 19:42:40 -0300", "Friday, January 29, 2021 04:42 PM"])
def test_real_loose_dates_still_parse(value):
    assert parse_loose_date(value) is not None
