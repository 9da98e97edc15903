"""Turn feed values into what we store: plain text, canonical links, UTC dates, language codes."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit

from db.links import clean_link as clean_link  # re-exported: where tests and scripts have always found it
from db.links import is_tracking
from db.text import CUT_END_RE, cut_tag, format_utc

UTC = dt.UTC
# A feed date this far past the fetch time is a publisher's error, not a scheduled story.
FUTURE_SLACK = dt.timedelta(hours=24)

# Caps on what a feed (or an archive) may put in one field, applied before any costly step. The real corpus
# (477,000 articles of 2023) peaks at titles of 337 characters, descriptions of 5,613, links of 317 and dates of 32:
# the caps keep several times that, and bound the work and memory a hostile field can cost.
TITLE_MAX = 1_000
TEXT_MAX = 10_000
LINK_MAX = 2_048
DATE_MAX = 100
RAW_FACTOR = 8                      # markup allowed around the text: raw input past limit * RAW_FACTOR is dropped

# where markup starts: a comment, CDATA markers, or a tag (`<a`, `</a`, `<!DOCTYPE`, `<?xml`)
_MARKUP_RE = re.compile(r"<!--|<!\[CDATA\[|\]\]>|<[/!?]?[A-Za-z]")
_BLOCK_OPEN_RE = re.compile(r"<(script|style|iframe|object|template)\b", re.I)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ENTITY_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


# UTF-8 'ó'/'Ó' read as ISO-8859-2, as one Polish outlet's feed serves it; 'Ă' is not a Polish letter
_MOJIBAKE = (("Ăł", "ó"), ("Ă“", "Ó"))


def _strip_markup(text: str) -> str:
    """Text without comments, tags and script-like blocks, in one linear pass (str.find never looks back).

    A tag runs to the next '>' (as a browser reads it); an unclosed comment or block hides the rest. What is left holds
    no '<' followed by a letter, '/', '!' or '?' and later by a '>'."""
    out, pos, lowered = [], 0, None
    while (match := _MARKUP_RE.search(text, pos)) is not None:
        out.append(text[pos:match.start()])
        token, pos = match.group(), match.end()
        if token == "<!--":
            end = text.find("-->", pos)
            pos = len(text) if end < 0 else end + 3
        elif token.startswith("<") and not token.endswith(("[", ">")):
            end = text.find(">", pos)
            if end < 0:                  # no '>' anywhere after: a lone '<' in text, kept as text, or a cut tag
                if not cut_tag(text, match.start()):
                    out.append(text[match.start():])
                pos = len(text)
                break
            block = _BLOCK_OPEN_RE.match(text, match.start())
            pos = end + 1
            if block and not text.endswith("/>", 0, pos):
                lowered = lowered or text.translate(_ASCII_LOWER)   # same length: ASCII letters only
                close = lowered.find("</" + block.group(1).lower(), pos)
                close_end = lowered.find(">", close) if close >= 0 else -1
                pos = len(text) if close_end < 0 else close_end + 1
        out.append(" ")
    out.append(text[pos:])
    return "".join(out)


def _squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u200b", "").split())


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with an ellipsis when it was longer."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + "…"


def html_to_text(value: str | None, limit: int = TEXT_MAX) -> str:
    """Plain text from a feed field that may hold HTML, entities or doubly escaped entities, in linear time.

    At most `limit` characters come out (TITLE_MAX for titles); input past limit * RAW_FACTOR is never looked at.
    Nothing tag-shaped is left after the last unescape: '<b>' escaped three times comes out as ' ', 'a < b' stays."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = value[: limit * RAW_FACTOR]
    if "Ă" in value:
        for broken, letter in _MOJIBAKE:
            value = value.replace(broken, letter)
    if "<" not in value and "&" not in value:
        return _cut(_squash(value), limit)
    text = value
    for _ in range(3):  # some feeds escape twice: &amp;quot; -> &quot; -> "
        if "<" in text:
            text = _strip_markup(text)
        if "&" not in text or not _ENTITY_RE.search(text):
            break
        text = html.unescape(text)
    if "<" in text:  # the last unescape may have made markup
        text = CUT_END_RE.sub("", _strip_markup(text))
    return _cut(_squash(text), limit)


def identify(link: str | None, base: str | None = None) -> tuple[str, str] | None:
    """(absolute link, identity) for an http(s) link, None for anything else (javascript:, data:, mailto:…)."""
    if not link or not isinstance(link, str) or len(link) > LINK_MAX:
        return None
    link = link.strip()
    try:
        if base:
            link = urljoin(base, link)
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        return link, _identity(parts)
    except ValueError:  # an invalid port or IPv6 literal
        return None


def resolve_link(link: str | None, base: str | None = None) -> str | None:
    """The absolute http(s) URL of `link`, or None."""
    found = identify(link, base)
    return found[0] if found else None


def normalize_link(link: str) -> str:
    """The identity of an article's URL: no scheme, fragment or tracking parameters; host lower-cased."""
    return _identity(urlsplit(link))


def _identity(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    query = parts.query
    if query:
        pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking(k, v)]
        query = urlencode(sorted(pairs))
    # http and https copies of one story are one article
    return netloc + (parts.path or "/") + ("?" + query if query else "")


# Dates outside these years are a publisher's or an archive's error (year 1, 9999, epoch zero in odd forms):
# treated as no date at all. The window also keeps every date and date + FUTURE_SLACK clear of datetime's limits.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=UTC)


def plausible(moment: dt.datetime | None) -> dt.datetime | None:
    """`moment` (naive ones read as UTC) when it lies in [EARLIEST, LATEST), else None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if EARLIEST <= moment < LATEST else None


def clamp_date(published: dt.datetime | None, seen: dt.datetime) -> tuple[str, str | None]:
    """The stored publication time and its flag: missing (or implausible) dates take `seen`, future ones are
    clamped."""
    published = plausible(published)
    if published is None:
        return format_utc(seen), "missing"
    if published > seen + FUTURE_SLACK:
        return format_utc(seen), "future"
    return format_utc(published), None


def parse_iso(value: str | None) -> dt.datetime | None:
    """A datetime from ISO 8601 text, None when empty, unparseable or outside the plausible years."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return plausible(moment)


def language_code(value: str | None) -> str | None:
    """ISO 639-1 from a feed's language tag: 'en-US' -> 'en', 'pl_PL' -> 'pl'."""
    if not value or not isinstance(value, str):
        return None
    code = re.split(r"[-_\s]", value.strip().lower(), maxsplit=1)[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None
