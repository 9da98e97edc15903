"""Fuzzing parse_feed over feed bytes: random bytes and real feeds with hostile fields spliced in.

Whatever the bytes, parse_feed answers a ParsedFeed or raises FeedError, within a generous time per call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.parse import FeedError, parse_feed

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "feeds"
REAL = [p.read_bytes()[:60_000] for p in sorted(FEEDS.glob("*.xml"))[:12]]
SEEN = dt.datetime(2023, 9, 21, tzinfo=dt.UTC)
HOSTILE = [b"&#xD800;", b"&#99999999999999999999;", b"&#0;", b"&#x110000;", b"&#" + b"9" * 5000 + b";",
           b"a" * 40_000, b"&lt;!--" * 20_000, b"<![CDATA[", b"]]>", b"<item>", b"</item>", b"<entry>",
           b"\xff\xfe", b"\x00", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;", b"<?xml version='1.0' encoding='x'?>",
           "é".encode("latin-1"), "ó".encode(), b"<title>" + b"x" * 100_000 + b"</title>"]
FUZZ = settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def parses_or_refuses(body: bytes) -> None:
    try:
        parsed = parse_feed(body, SEEN, "application/rss+xml", "https://feed.example/rss")
    except FeedError as exc:
        assert exc.kind and str(exc)
        return
    assert all(a.link.startswith(("http://", "https://")) for a in parsed.articles)


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(body):
    parses_or_refuses(body)


@FUZZ
@given(st.sampled_from(REAL), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 200), st.sampled_from(HOSTILE)),
                                        min_size=1, max_size=4))
def test_real_feeds_with_hostile_fields_spliced_in(feed, splices):
    body = feed
    for where, cut, piece in splices:
        at = int(where * len(body))
        body = body[:at] + piece + body[at + cut:]
    parses_or_refuses(body)
