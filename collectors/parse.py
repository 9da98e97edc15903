"""Parse a fetched feed body with feedparser (never letting it fetch) into normalized articles."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
from dataclasses import dataclass, field

import feedparser

from collectors import dates
from collectors.normalize import LINK_MAX, TITLE_MAX, clamp_date, html_to_text, identify, language_code, resolve_link
from collectors.store import Article

_XML_DECL_RE = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])([A-Za-z0-9._-]+)\2", re.I)
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii",
                "iso-8859-15", "iso-8859-2", "windows-1250"}
dates.register()
_HTML_RE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
# A feed that lists more items than this is cut before feedparser reads the rest: the largest real feed we know
# lists 300, and feedparser takes about 0.2 ms per item (100,000 items: 18 s and hundreds of MB).
MAX_ITEMS = 1_000
_ITEM_START_RE = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?(?:item|entry)[\s>/]")
# a numeric character reference (also without its ';'); feedparser raises on a surrogate or an out-of-range one
_CHAR_REF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


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


def _valid_char_ref(match: re.Match) -> bytes:
    hex_digits, digits = match.groups()
    text = hex_digits or digits
    if len(text.lstrip(b"0")) <= 7:
        code = int(text, 16 if hex_digits else 10)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return match.group()
    return b"&#xFFFD;"


def neutralize_char_refs(body: bytes) -> bytes:
    """Invalid numeric character references (surrogates, past U+10FFFF, zero) replaced by U+FFFD's."""
    return _CHAR_REF_RE.sub(_valid_char_ref, body) if b"&#" in body else body


def cap_items(body: bytes, limit: int = MAX_ITEMS) -> tuple[bytes, bool]:
    """The body cut just before its item number `limit` + 1 (feedparser recovers what comes before), and
    whether it was cut."""
    for count, match in enumerate(_ITEM_START_RE.finditer(body), 1):
        if count > limit:
            return body[: match.start()], True
    return body, False


def _entry_date(entry: dict) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _guid(value: object) -> str | None:
    return value[:LINK_MAX] if isinstance(value, str) and value else None


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
    body, cut = cap_items(neutralize_char_refs(body))
    headers = {"content-location": url or ""}
    if content_type:
        headers["content-type"] = content_type
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=headers,
                                  sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser has raised UnicodeEncodeError, OverflowError, ...; the feed is broken
        raise FeedError("malformed", f"the feed parser failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
    entries = result.get("entries", [])[:MAX_ITEMS]
    if not result.get("version") and not entries:
        if _HTML_RE.match(body[:2048]) or (content_type or "").lower().startswith("text/html"):
            raise FeedError("not_a_feed", "the URL returned an HTML page, not a feed")
        reason = result.get("bozo_exception")
        kind = "encoding" if isinstance(reason, UnicodeError) else "malformed"
        raise FeedError(kind, f"not parseable as RSS/Atom: {str(reason)[:200] if reason else 'no feed found'}")
    try:
        return _articles(result, entries, seen, url, default_language, [warning] if warning else [], cut)
    except Exception as exc:  # a value of a shape nobody expected: the feed is reported, the collector goes on
        raise FeedError("malformed", f"unreadable items: {type(exc).__name__}: {str(exc)[:200]}") from exc


def _articles(result: dict, entries: list, seen: dt.datetime, url: str | None, default_language: str | None,
              warnings: list[str], cut: bool) -> ParsedFeed:
    channel = result.get("feed", {})
    base = channel.get("link") if resolve_link(channel.get("link")) else url
    language = language_code(channel.get("language")) or default_language
    parsed = ParsedFeed(title=html_to_text(channel.get("title"), TITLE_MAX), language=language, articles=[],
                        warnings=warnings)
    if cut:
        parsed.warnings.append(f"the feed lists more than {MAX_ITEMS:,} items; read the first {MAX_ITEMS:,}")
    elif result.get("bozo") and entries:
        exc = result.get("bozo_exception")
        if not isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
            parsed.warnings.append(f"malformed: {str(exc)[:200]}; {len(entries)} items recovered")
    for entry in entries:
        found = identify(_entry_link(entry, base))
        if not found:
            parsed.skipped += 1
            continue
        link, identity = found
        published, flag = clamp_date(_entry_date(entry), seen)
        title = html_to_text(entry.get("title"), TITLE_MAX)
        description = html_to_text(entry.get("summary") or entry.get("description"))
        parsed.articles.append(Article(
            identity, link, title, description, published, flag,
            language_code(entry.get("language")) or language, _guid(entry.get("id"))))
    return parsed
