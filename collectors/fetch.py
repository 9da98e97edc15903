"""Fetch one feed over HTTP: conditional, with a hard deadline, a body cap and classified failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from collectors import netguard

USER_AGENT = "newsradar/0.1 (self-hosted media monitoring; +https://github.com/newsradar/newsradar)"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 24 * 3600


@dataclass
class FetchResult:
    url: str                                   # final URL after redirects
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error_kind: str | None = None              # timeout | connection | http | too_large | gone | refused
    error: str | None = None
    permanent_redirect: str | None = None      # target, when every hop was 301/308
    retry_after_s: float | None = None
    elapsed_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.error_kind is None


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delta = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER_S)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes | None:
    """The decompressed body, or None once it grows past `max_bytes` (the rest is never read)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _finish_status(result: FetchResult) -> bool:
    """Classify a non-200 final status on `result`; True when there is a body to read."""
    status = result.status
    if status == 200:
        return True
    if status == 304:
        return False
    if status == 410:
        result.error_kind, result.error = "gone", "410 Gone: the publisher removed this feed"
    else:
        result.error_kind, result.error = "http", f"HTTP {status}"
        if status in (429, 503):
            result.retry_after_s = parse_retry_after(result.headers.get("retry-after"))
    return False


async def _get(client: httpx.AsyncClient, result: FetchResult, headers: dict[str, str], max_bytes: int) -> None:
    """Follow redirects by hand (to tell permanent from temporary ones) and read the final body."""
    permanent = True
    original = result.url
    for _ in range(MAX_REDIRECTS + 1):
        # every hop: a redirect may point anywhere; the client's transport checks the address it connects to
        netguard.url_host(result.url)
        async with client.stream("GET", result.url, headers=headers) as response:
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            if response.is_redirect and "location" in response.headers:
                permanent = permanent and response.status_code in (301, 308)
                result.url = urljoin(result.url, response.headers["location"])
                continue
            if permanent and result.url != original:
                result.permanent_redirect = result.url
            if not _finish_status(result):
                return
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                result.error_kind = "too_large"
                result.error = f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte cap"
                return
            body = await _read_capped(response, max_bytes)
            if body is None:
                result.error_kind = "too_large"
                result.error = f"body grew past the {max_bytes:,}-byte cap; stopped reading"
                return
            result.body = body
            return
    result.error_kind, result.error = "http", f"more than {MAX_REDIRECTS} redirects"


async def fetch(client: httpx.AsyncClient, url: str, etag: str | None = None, last_modified: str | None = None,
                *, deadline_s: float = 20.0, max_bytes: int = 15 * 1024 * 1024) -> FetchResult:
    """GET `url` within `deadline_s` in total (httpx's own timeouts are per read, not per request)."""
    result = FetchResult(url=url)
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline_s):
            await _get(client, result, _conditional_headers(etag, last_modified), max_bytes)
    except netguard.Refused as exc:
        result.error_kind, result.error = "refused", f"refused {result.url}: {exc}"
    except TimeoutError:
        result.error_kind, result.error = "timeout", f"no complete answer within {deadline_s:g} s"
    except httpx.TimeoutException as exc:
        result.error_kind, result.error = "timeout", f"timed out: {type(exc).__name__}"
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        result.error_kind, result.error = "connection", f"{type(exc).__name__}: {exc or 'connection failed'}"
    except httpx.DecodingError as exc:
        result.error_kind, result.error = "encoding", f"cannot decode the response: {exc}"
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        result.error_kind, result.error = "connection", f"{type(exc).__name__}: {exc}"
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    return result


def make_client(total: int = 32, user_agent: str = USER_AGENT, allow_private: bool = False) -> httpx.AsyncClient:
    """One shared client: HTTP keep-alive, honest User-Agent, per-read timeouts under the deadline.

    Its connections reach public addresses only unless `allow_private` (the operator's allow_private_networks,
    passed in by the caller)."""
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=total)
    return httpx.AsyncClient(
        transport=netguard.GuardedTransport(limits, allow_private),
        headers={"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml, "
                 "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
        timeout=httpx.Timeout(15.0, connect=10.0),
        follow_redirects=False,
        trust_env=False,
    )
