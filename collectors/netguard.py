"""Which addresses a feed URL may reach: public ones only, unless the operator allows private networks.

A hosted instance fetches URLs its users type in; without this guard a user could make the server read its
own admin ports, the intranet or the cloud metadata service (169.254.169.254) and show the answer as a
feed error or a "feed". One policy, used when a feed is added (CLI, dashboard) and on every connection
the collector opens, redirect hops included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import queue
import socket
import threading
import time
import typing

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
HINT = "set allow_private_networks (NEWSRADAR_ALLOW_PRIVATE=1) to allow it"
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(ValueError):
    """A URL or address newsradar will not fetch; the message says why in one line (without the URL)."""


def _ipv4_number(text: str) -> int | None:
    """One part of a legacy IPv4 literal: decimal, 0x hex or 0-led octal, as inet_aton reads it."""
    try:
        if text[:2].lower() == "0x":
            return int(text[2:] or "0", 16)
        if len(text) > 1 and text[0] == "0":
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """2130706433, 0x7f000001, 0177.0.0.1, 127.1: the forms the C resolver turns into an address."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = typing.cast(list[int], numbers)
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (24 - 8 * i)
    return ipaddress.IPv4Address(value)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for (any form, brackets, scope id), else None."""
    host = host.strip().strip("[]").rstrip(".")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])  # a scope id (%eth0, %25eth0) names no address
        except ValueError:
            return None
    return _legacy_ipv4(host) if host else None


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, 6to4, NAT64): it is what gets reached."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def refusal(ip: IPAddress) -> str | None:
    """Why `ip` is not a public unicast address, or None when it is."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return refusal(embedded)
    checks = [(ip.is_unspecified, "an unspecified address"), (ip.is_loopback, "a loopback address"),
              (ip.is_link_local, "a link-local address (where cloud metadata services answer)"),
              (ip.is_multicast, "a multicast address"), (ip in _UNIQUE_LOCAL, "a unique-local address"),
              (ip.is_reserved, "a reserved address"), (ip.is_private, "a private-network address"),
              (ip in _SITE_LOCAL, "a site-local address"), (not ip.is_global, "not a public address")]
    return next((reason for failed, reason in checks if failed), None)


def _refuse_name(host: str) -> None:
    """localhost and *.localhost are loopback by definition (RFC 6761), whatever DNS says."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise Refused(f"{host} is a loopback name; {HINT}")


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """Refuse when ANY address of `host` is not public: a name with one private address is not trusted."""
    for ip in addresses:
        reason = refusal(ip)
        if reason:
            verb = "is" if ip_literal(host) is not None else "resolves to"
            shown = _embedded_ipv4(ip) or ip
            said = f"{host} {verb} {reason}" if str(shown) == host.strip("[]") else f"{host} {verb} {shown}, {reason}"
            raise Refused(f"{said}; {HINT}")


def _addresses(infos: list[tuple]) -> list[IPAddress]:
    """The distinct addresses of getaddrinfo's answer, in its order."""
    seen: dict[IPAddress, None] = {}
    for info in infos:
        seen.setdefault(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]), None)
    return list(seen)


def resolve(host: str, port: int = 80) -> list[IPAddress]:
    """Every address `host` stands for (literal forms parsed here); [] when the name does not resolve."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    _refuse_name(host)
    try:
        return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (socket.gaierror, UnicodeError, OSError):
        return []


def url_host(url: str) -> tuple[str, int]:
    """Host (as it goes to the resolver) and port of an http(s) URL; Refused for any other URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Refused(f"not a valid URL ({exc})") from None
    if parsed.scheme not in SCHEMES:
        raise Refused("only http and https URLs are fetched")
    if not parsed.raw_host:
        raise Refused("the URL has no host")
    return parsed.raw_host.decode("ascii"), parsed.port or (443 if parsed.scheme == "https" else 80)


def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse a feed URL before it is stored: wrong scheme, or a host that is or resolves to a private address.

    A name that does not resolve now is let through: the collector checks again on every connection."""
    host, port = url_host(url)
    if not allow_private:
        check_addresses(host, resolve(host, port))


# Names that only ever mean a machine on the local network: RFC 6761 (.localhost), RFC 6762 (.local, mDNS),
# RFC 8375 (home.arpa), ICANN's .internal, and the suffixes home routers hand out.
_LOCAL_SUFFIXES = (".localhost", ".local", ".home.arpa", ".internal", ".localdomain", ".lan")


def offline_refusal(url: str) -> str | None:
    """Why `url` is refused judging by its text alone, or None; no DNS lookup (for bulk imports).

    Refused: IP literals in any spelling that are not public, localhost and names that are local by definition
    (the suffixes above, and single-label names, which only a local search domain or hosts file resolves).
    Other names pass: the collector resolves and checks them on every connection."""
    try:
        host, _ = url_host(url)
        literal = ip_literal(host)
        if literal is not None:
            check_addresses(host, [literal])
            return None
        name = host.rstrip(".").lower()
        if name == "localhost" or "." not in name or ("." + name).endswith(_LOCAL_SUFFIXES):
            raise Refused(f"{host} is a local network name; {HINT}")
    except Refused as exc:
        return str(exc)
    return None


# A feed list's names are looked up together, but some resolvers never answer some names (each then holds a
# lookup for 5 s or more): past this wait a name counts as one that does not resolve, which passes here as it
# always did, and the collector checks every address again when it connects.
SCREEN_WAIT_S = 0.5


def screen(urls: list[str], allow_private: bool = False, wait_s: float = SCREEN_WAIT_S) -> dict[str, str]:
    """{url: why it is refused} for a whole feed list; the names are resolved concurrently, waiting at most
    `wait_s` for all of them (literal addresses and local names are refused at once, without a lookup)."""
    refused: dict[str, str] = {}
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for url in urls:
        todo.put(url)
    done = threading.Semaphore(0)

    def work() -> None:
        while True:
            try:
                url = todo.get_nowait()
            except queue.Empty:
                return
            try:
                check_url(url, allow_private)
            except Refused as exc:
                refused[url] = str(exc)
            finally:
                done.release()

    # daemon threads: a lookup the resolver never answers must not hold the process at exit
    for _ in range(min(16, len(urls))):
        threading.Thread(target=work, daemon=True).start()
    deadline = time.monotonic() + wait_s
    for _ in urls:
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    return {url: refused[url] for url in urls if url in refused}


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address, then connect to a checked address itself (never to the name).

    Connecting to the checked address, not handing the name to the socket layer, is what closes the DNS
    rebinding window: a name that answers "public" to the check and "127.0.0.1" a moment later is still
    reached at the public address. TLS keeps using the name (SNI and the certificate check)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: typing.Iterable | None = None) -> httpcore.AsyncNetworkStream:
        if self.allow_private:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await _resolve_async(host, port)
        check_addresses(host, addresses)
        failure: Exception = httpcore.ConnectError(f"cannot connect to {host}")
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable | None = None) -> httpcore.AsyncNetworkStream:
        raise Refused("Unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve_async(host: str, port: int) -> list[IPAddress]:
    """Like resolve(), off the event loop; a name that does not resolve is a connection error."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    _refuse_name(host)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    return _addresses(infos)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with every TCP connection made through GuardedBackend."""

    def __init__(self, limits: httpx.Limits, allow_private: bool) -> None:
        # one TLS context (building one loads the CA bundle), used by the pool httpx builds and by its replacement
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx has no parameter for httpcore's network backend: replace the pool it built by the same pool
        # with the guarded backend (tests/test_netguard.py fails loudly should httpx rename _pool)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedBackend(allow_private))
