"""Turn feed values into what we store: plain text, canonical links, UTC dates, language codes."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit

UTC = dt.UTC
# A feed date this far past the fetch time is a publisher's error, not a scheduled story.
FUTURE_SLACK = dt.timedelta(hours=24)

_TRACKING_EXACT = {
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga",
    "ito", "traffic_source", "cmp", "cmpid", "ocid", "mod", "smid", "partner", "rss", "feature",
    "ref_src", "ref_url", "src", "cid", "sr_share", "spm",
}
_TRACKING_PREFIXES = ("utm_", "ns_", "at_", "pk_", "mtm_", "ga_", "hsa_", "oly_")
_FEEDISH_VALUES = {"rss", "feed", "rss2", "atom", "feeds", "rssfeed"}

_BLOCK_RE = re.compile(r"<(script|style|iframe|object|template)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[|\]\]>", re.S)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_ENTITY_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


# UTF-8 'ó'/'Ó' read as ISO-8859-2, as one Polish outlet's feed serves it; 'Ă' is not a Polish letter
_MOJIBAKE = (("Ăł", "ó"), ("Ă“", "Ó"))


def html_to_text(value: str | None) -> str:
    """Plain text from a feed field that may hold HTML, entities or doubly escaped entities."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if "Ă" in value:
        for broken, letter in _MOJIBAKE:
            value = value.replace(broken, letter)
    if "<" not in value and "&" not in value:
        return " ".join(value.replace("\u00a0", " ").replace("\u200b", "").split())
    text = value
    for _ in range(3):  # some feeds escape twice: &amp;quot; -> &quot; -> "
        if "<" in text:
            text = _COMMENT_RE.sub(" ", _BLOCK_RE.sub(" ", text))
            text = _TAG_RE.sub(" ", text)
        if "&" not in text or not _ENTITY_RE.search(text):
            break
        text = html.unescape(text)
    return " ".join(text.replace("\u00a0", " ").replace("\u200b", "").split())


def _is_tracking(key: str, value: str) -> bool:
    k = key.lower()
    if k in _TRACKING_EXACT or k.startswith(_TRACKING_PREFIXES):
        return True
    return k in ("source", "ref", "from") and value.lower() in _FEEDISH_VALUES


def identify(link: str | None, base: str | None = None) -> tuple[str, str] | None:
    """(absolute link, identity) for an http(s) link, None for anything else (javascript:, data:, mailto:…)."""
    if not link or not isinstance(link, str):
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
        pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k, v)]
        query = urlencode(sorted(pairs))
    # http and https copies of one story are one article
    return netloc + (parts.path or "/") + ("?" + query if query else "")


def format_utc(moment: dt.datetime) -> str:
    """'YYYY-MM-DD HH:MM:SS' in UTC, the stored form of every time (sorts as text)."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat(" ")


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
