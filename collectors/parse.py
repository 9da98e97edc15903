"""Parse a fetched feed body with feedparser (never letting it fetch) into normalized articles."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
from dataclasses import dataclass, field

import feedparser

from collectors import dates
from collectors.normalize import clamp_date, html_to_text, identify, language_code, resolve_link
from collectors.store import Article

_XML_DECL_RE = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])([A-Za-z0-9._-]+)\2", re.I)
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii",
                "iso-8859-15", "iso-8859-2", "windows-1250"}
dates.register()
_HTML_RE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


class FeedError(Exception):
    """A body that is not a usable feed; `kind` classifies why."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class ParsedFeed:
    title: str
    language: str | None
    articles: list[Article]
    skipped: int = 0                      # entries without an http(s) link
    warnings: list[str] = field(default_factory=list)


def fix_declared_encoding(body: bytes) -> tuple[bytes, str | None]:
    """Rewrite a single-byte encoding declaration on a body that is really UTF-8, or leave it."""
    match = _XML_DECL_RE.match(body)
    if not match or match.group(3).decode().lower() not in _SINGLE_BYTE:
        return body, None
    if body.isascii():
        return body, None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body, None
    declared = match.group(3).decode()
    fixed = body[: match.start(3)] + b"UTF-8" + body[match.end(3):]
    return fixed, f"encoding: declared {declared} but the body is UTF-8; read as UTF-8"


def _entry_date(entry: dict) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _entry_link(entry: dict, base: str | None) -> str | None:
    candidates = [entry.get("link")]
    links = entry.get("links", [])
    candidates += [lnk.get("href") for lnk in links if lnk.get("rel", "alternate") == "alternate"]
    guid = entry.get("id")
    if guid and entry.get("guidislink", True):
        candidates.append(guid)
    # a podcast episode without a page is identified by its media file
    candidates += [lnk.get("href") for lnk in links if lnk.get("rel") == "enclosure"]
    for candidate in candidates:
        link = resolve_link(candidate, base)
        if link:
            return link
    return None


def parse_feed(body: bytes, seen: dt.datetime, content_type: str | None = None,
               url: str | None = None, default_language: str | None = None) -> ParsedFeed:
    """Articles from a feed body; raises FeedError when it is not a feed at all."""
    if not body.strip():
        raise FeedError("not_a_feed", "empty response body")
    body, warning = fix_declared_encoding(body)
    headers = {"content-location": url or ""}
    if content_type:
        headers["content-type"] = content_type
    result = feedparser.parse(io.BytesIO(body), response_headers=headers,
                              sanitize_html=False, resolve_relative_uris=False)
    entries = result.get("entries", [])
    if not result.get("version") and not entries:
        if _HTML_RE.match(body[:2048]) or (content_type or "").lower().startswith("text/html"):
            raise FeedError("not_a_feed", "the URL returned an HTML page, not a feed")
        reason = result.get("bozo_exception")
        kind = "encoding" if isinstance(reason, UnicodeError) else "malformed"
        raise FeedError(kind, f"not parseable as RSS/Atom: {reason or 'no feed found'}")
    channel = result.get("feed", {})
    base = channel.get("link") if resolve_link(channel.get("link")) else url
    language = language_code(channel.get("language")) or default_language
    parsed = ParsedFeed(title=html_to_text(channel.get("title")), language=language, articles=[])
    if warning:
        parsed.warnings.append(warning)
    if result.get("bozo") and entries:
        exc = result.get("bozo_exception")
        if not isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
            parsed.warnings.append(f"malformed: {exc}; {len(entries)} items recovered")
    for entry in entries:
        found = identify(_entry_link(entry, base))
        if not found:
            parsed.skipped += 1
            continue
        link, identity = found
        published, flag = clamp_date(_entry_date(entry), seen)
        title = html_to_text(entry.get("title"))
        description = html_to_text(entry.get("summary") or entry.get("description"))
        parsed.articles.append(Article(
            identity, link, title, description, published, flag,
            language_code(entry.get("language")) or language, entry.get("id")))
    return parsed
