"""Checks of the bundled data: the default feed list and the 2023 sample."""

from __future__ import annotations

import csv
import gzip
import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DATA = Path(__file__).parent.parent / "collectors" / "data"
DEFAULT_FEEDS = DATA / "default-feeds.csv"
SAMPLE = DATA / "sample-2023.jsonl.gz"
SAMPLE_OUTLETS = DATA / "sample-outlets.csv"

HEADER = ["feed_url", "outlet", "country", "language"]
ARTICLE_FIELDS = [
    "feed_url",
    "title",
    "description",
    "link",
    "published",
    "language",
    "first_seen",
    "last_seen",
]
# The window scripts/make_sample.py chose (it prints it); the offensive was 19-20 Sept 2023.
WINDOW = (date(2023, 9, 13), date(2023, 10, 2))
MAX_SAMPLE_BYTES = 5_000_000


@cache
def feed_rows() -> tuple[dict[str, str], ...]:
    """Read the rows of the default feed list."""
    with DEFAULT_FEEDS.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@cache
def sample_articles() -> tuple[dict[str, str], ...]:
    """Read and parse the articles of the sample."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


def test_default_feeds_header() -> None:
    with DEFAULT_FEEDS.open(newline="", encoding="utf-8") as handle:
        assert csv.DictReader(handle).fieldnames == HEADER


def test_default_feeds_rows_are_complete() -> None:
    for row in feed_rows():
        assert None not in row, f"extra fields in {row}"
        assert all(row[name] and row[name].strip() == row[name] for name in HEADER), row


@pytest.mark.parametrize(
    ("column", "minimum"),
    [("outlet", 45), ("country", 18), ("language", 7)],
)
def test_default_feeds_variety(column: str, minimum: int) -> None:
    assert len({row[column] for row in feed_rows()}) >= minimum


@pytest.mark.parametrize("url", [row["feed_url"] for row in feed_rows()])
def test_default_feed_url_is_http(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in {"http", "https"}
    assert parts.hostname


def test_default_feeds_have_no_duplicate_urls() -> None:
    urls = [row["feed_url"] for row in feed_rows()]
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize(
    ("column", "pattern"),
    [("country", r"[A-Z]{2}"), ("language", r"[a-z]{2}")],
)
def test_default_feeds_codes(column: str, pattern: str) -> None:
    bad = [row[column] for row in feed_rows() if not re.fullmatch(pattern, row[column])]
    assert not bad


def test_sample_size() -> None:
    assert SAMPLE.stat().st_size <= MAX_SAMPLE_BYTES


def test_sample_lines_are_articles() -> None:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            assert list(json.loads(line)) == ARTICLE_FIELDS, f"line {number}"


def test_sample_dates_in_window() -> None:
    seen = {date.fromisoformat(a["first_seen"][:10]) for a in sample_articles()}
    assert seen
    assert WINDOW[0] <= min(seen) and max(seen) <= WINDOW[1]
    assert WINDOW[0] <= date(2023, 9, 19) and date(2023, 9, 20) <= WINDOW[1]


def test_sample_feeds_have_outlets() -> None:
    with SAMPLE_OUTLETS.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADER
        outlets = {row["feed_url"] for row in reader}
    assert {a["feed_url"] for a in sample_articles()} <= outlets
