"""Feed lists in and out: OPML (as feed readers and the replay server write it) and CSV."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from collectors import netguard
from collectors.fetch import FetchResult, fetch, make_client
from collectors.normalize import resolve_link
from collectors.store import ensure_feed
from db import feeds, transaction
from db.engine import Connection
from db.export import neutralize

CSV_COLUMNS = ["feed_url", "outlet", "country", "language"]
DEFAULT_FEEDS = Path(__file__).parent / "data" / "default-feeds.csv"


class FeedListError(ValueError):
    """A feed list that cannot be read; the message says why."""


@dataclass(frozen=True)
class FeedSpec:
    url: str
    outlet: str | None = None
    country: str | None = None
    language: str | None = None


def _clean_country(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else None


def _clean_language(value: str | None) -> str | None:
    value = (value or "").strip().lower().split("-")[0]
    return value if 2 <= len(value) <= 3 and value.isalpha() else None


def _spec(url: str | None, outlet: str | None, country: str | None, language: str | None) -> FeedSpec | None:
    link = resolve_link((url or "").strip())
    if not link:
        return None
    return FeedSpec(link, (outlet or "").strip() or None, _clean_country(country), _clean_language(language))


def read_opml(data: bytes) -> tuple[list[FeedSpec], int]:
    """Feeds of an OPML document and the number of outlines skipped; entity tricks are refused."""
    root = _parse_without_dtd(data)
    if root.tag.lower() != "opml":
        raise FeedListError(f"not OPML: the root element is <{root.tag}>")
    specs, skipped = [], 0
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url is None:
            continue  # a folder
        spec = _spec(url, outline.get("text") or outline.get("title"), outline.get("country"),
                     outline.get("language"))
        if spec:
            specs.append(spec)
        else:
            skipped += 1
    return specs, skipped


def _refuse_doctype(*_args) -> None:
    raise FeedListError("OPML with a DOCTYPE or entity declarations is refused (entity expansion attacks)")


def _parse_without_dtd(data: bytes) -> ET.Element:
    """Parse XML, refusing any DOCTYPE in whatever encoding it is written (billion laughs, external entities)."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise FeedListError(f"not valid OPML: {exc}") from None


def read_csv(text: str) -> tuple[list[FeedSpec], int]:
    """Feeds of a CSV with the columns feed_url,outlet,country,language (url/xmlUrl accepted for feed_url)."""
    lines_read = 0

    def lines() -> Iterator[str]:
        nonlocal lines_read
        for lines_read, line in enumerate(io.StringIO(text), 1):  # noqa: B007 - counted for the message
            yield line

    try:
        return _read_rows(csv.DictReader(lines()))
    except csv.Error as exc:  # a field over the csv module's limit (128 KB), a stray carriage return…
        raise FeedListError(f"not a readable CSV: line {lines_read}: {exc}") from None


def _read_rows(reader: csv.DictReader) -> tuple[list[FeedSpec], int]:
    fields = {f.strip().lower(): f for f in (reader.fieldnames or [])}
    url_key = next((fields[k] for k in ("feed_url", "url", "xmlurl") if k in fields), None)
    if url_key is None:
        raise FeedListError(f"CSV needs a feed_url column; found {', '.join(fields) or 'no header'}")
    specs, skipped = [], 0
    for row in reader:
        spec = _spec(row.get(url_key), row.get(fields.get("outlet", "")), row.get(fields.get("country", "")),
                     row.get(fields.get("language", "")))
        if spec:
            specs.append(spec)
        else:
            skipped += 1
    return specs, skipped


def _looks_like_xml(data: bytes) -> bool:
    """XML in an encoding expat reads: UTF-8 (BOM or not) or UTF-16 (BOM, or '<' beside a NUL byte)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data.removeprefix(codecs.BOM_UTF8).lstrip()
    return head[:1] == b"<" or head[:2] == b"\x00<"


def parse_feed_list(data: bytes) -> tuple[list[FeedSpec], int]:
    """OPML or UTF-8 CSV, told apart by content rather than by name (UTF-16 OPML goes to the same guard)."""
    if _looks_like_xml(data):
        return read_opml(data)
    try:
        return read_csv(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FeedListError("neither OPML nor UTF-8 CSV") from None


def read_feed_list(path: Path) -> tuple[list[FeedSpec], int]:
    """The feeds of an OPML or CSV file; errors name the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedListError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return parse_feed_list(data)
    except FeedListError as exc:
        raise FeedListError(f"{path}: {exc}") from None


def read_feed_source(source: str, allow_private: bool = False) -> tuple[list[FeedSpec], int]:
    """The feeds of an OPML or CSV file, or of one at an http(s) address: fetched as a feed is (public addresses
    only unless allowed, the same deadline and size cap), and read the same way."""
    if not source.lower().startswith(("http://", "https://")):
        return read_feed_list(Path(source))
    result = asyncio.run(_fetch_list(source, allow_private))
    if not result.ok or result.status != 200:
        raise FeedListError(f"cannot fetch {source}: {result.error or f'HTTP {result.status}'}")
    try:
        return parse_feed_list(result.body)
    except FeedListError as exc:
        raise FeedListError(f"{source}: {exc}") from None


async def _fetch_list(url: str, allow_private: bool) -> FetchResult:
    async with make_client(2, allow_private=allow_private) as client:
        return await fetch(client, url)


def screen_feeds(specs: list[FeedSpec], allow_private: bool = False) -> tuple[list[FeedSpec], list[str]]:
    """The feeds newsradar may fetch, and `url: why` for each refused one (see collectors.netguard)."""
    refused = netguard.screen([spec.url for spec in specs], allow_private)
    return [spec for spec in specs if spec.url not in refused], [f"{url}: {why}" for url, why in refused.items()]


def import_feeds(conn: Connection, specs: list[FeedSpec]) -> int:
    """Add the feeds (updating outlet, country and language of known ones); return how many were new."""
    with transaction(conn):
        before = feeds.count(conn)
        for spec in specs:
            ensure_feed(conn, spec.url, spec.outlet, spec.country, spec.language)
        return feeds.count(conn) - before


def checked_feed(url: str | None, outlet: str | None = None, country: str | None = None,
                 language: str | None = None, allow_private: bool = False) -> FeedSpec:
    """The spec of one feed to add, checked before any database is opened.

    Raises FeedListError for a URL that is not http(s), netguard.Refused ("url: why") for one newsradar may not
    fetch (private addresses unless `allow_private`, the operator's setting)."""
    spec = _spec(url, outlet, country, language)
    if spec is None:
        raise FeedListError(f"{url!r} is not an http(s) URL")
    try:
        netguard.check_url(spec.url, allow_private)
    except netguard.Refused as exc:
        raise netguard.Refused(f"{spec.url}: {exc}") from None
    return spec


def write_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    # CRLF as RFC 4180 and `newsradar export`: the csv module then quotes a field holding a bare CR
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:  # outlet names come from feeds and users: made safe to open in a spreadsheet
        writer.writerow([neutralize(row[key]) for key in ("url", "outlet", "country", "lang")])
    return out.getvalue()


def write_opml(rows: Sequence[Mapping[str, Any]]) -> str:
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = "newsradar feeds"
    body = ET.SubElement(root, "body")
    for row in rows:
        attrs = {"type": "rss", "text": row["outlet"] or row["url"], "title": row["outlet"] or row["url"],
                 "xmlUrl": row["url"]}
        attrs.update({k: row[k] for k in ("country", "lang") if row[k]})
        if "lang" in attrs:
            attrs["language"] = attrs.pop("lang")
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
