"""Feed URLs at private, loopback or link-local addresses are refused when added and when fetched.

These tests run with NEWSRADAR_ALLOW_PRIVATE unset (the other tests set it: their feed servers are on
loopback). Where a test needs a server newsradar may reach, 127.0.0.1 stands in for the public internet
(`loopback_is_public`) and every other non-public address stays refused.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from collectors import netguard
from collectors.collect import CollectorConfig, run_cycle
from collectors.feedlists import FeedSpec, import_feeds
from collectors.fetch import fetch, make_client
from dashboard import editing
from dashboard.access import LOCAL
from db import connect
from newsradar.cli import main

CONFIG = CollectorConfig(deadline_s=10.0, per_host=8, concurrency=8)

# (URL, what the message must say)
REFUSED_FORMS = [
    ("http://127.0.0.1/feed.xml", "loopback"),
    ("http://2130706433/feed.xml", "127.0.0.1, a loopback"),                 # decimal
    ("http://0x7f000001/feed.xml", "127.0.0.1, a loopback"),                 # hexadecimal
    ("http://0x7f.1/feed.xml", "127.0.0.1, a loopback"),                     # hex, short form
    ("http://127.1/feed.xml", "127.0.0.1, a loopback"),                      # short form
    ("http://[::1]/feed.xml", "loopback"),
    ("http://[::ffff:127.0.0.1]/feed.xml", "127.0.0.1, a loopback"),         # IPv4-mapped IPv6
    ("http://[2002:7f00:1::]/feed.xml", "127.0.0.1, a loopback"),            # 6to4 around loopback
    ("http://localhost/feed.xml", "loopback name"),
    ("http://localhost./feed.xml", "loopback name"),
    ("http://LOCALHOST:8080/feed.xml", "loopback name"),
    ("http://admin.localhost/feed.xml", "loopback name"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),               # cloud metadata
    ("http://[fe80::1%25eth0]/feed.xml", "link-local"),                       # IPv6 with a scope id
    ("http://10.0.0.1/feed.xml", "private"),
    ("http://172.16.5.4/feed.xml", "private"),
    ("http://192.168.1.1:8080/feed.xml", "private"),
    ("http://user:secret@192.168.1.1/feed.xml", "private"),
    ("http://100.64.0.1/feed.xml", "not a public"),                          # carrier-grade NAT
    ("http://[fd12:3456::1]/feed.xml", "unique-local"),
    ("http://224.0.0.251/feed.xml", "multicast"),
    ("http://[ff02::1]/feed.xml", "multicast"),
    ("http://240.0.0.1/feed.xml", "reserved"),
    ("http://0.0.0.0/feed.xml", "unspecified"),
    ("http://0/feed.xml", "unspecified"),
    ("http://[::]/feed.xml", "unspecified"),
]


@pytest.fixture(autouse=True)
def _private_not_allowed(monkeypatch):
    monkeypatch.delenv("NEWSRADAR_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("NEWSRADAR_ALLOW_PRIVATE_NETWORKS", raising=False)


@pytest.fixture
def loopback_is_public(monkeypatch):
    """127.0.0.1 plays a public server; every other loopback, private or link-local address stays refused."""
    real = netguard.refusal
    monkeypatch.setattr(netguard, "refusal", lambda ip: None if str(ip) == "127.0.0.1" else real(ip))


@pytest.fixture
def fake_dns(monkeypatch):
    """Names of the test resolve to what `names` says; everything else goes to the real resolver."""
    names: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        addresses = names[host] if isinstance(names[host], list) else names[host]()
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names, lookups


def feeds(db_path: Path) -> list[tuple]:
    conn = connect(db_path)
    try:
        return [tuple(r) for r in conn.execute("SELECT url, status, last_error_kind, last_error FROM feeds "
                                               "ORDER BY id")]
    finally:
        conn.close()


# added: the CLI ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, says", REFUSED_FORMS)
def test_feeds_add_refuses_a_private_address_in_one_line_with_exit_2(capsys, db_path, url, says):
    code = main(["--db", str(db_path), "feeds", "add", url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("newsradar: error: refused ")
    assert says in err and "NEWSRADAR_ALLOW_PRIVATE=1" in err
    assert feeds(db_path) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://127.0.0.1:70/"])
def test_feeds_add_takes_only_http_and_https(capsys, db_path, url):
    assert main(["--db", str(db_path), "feeds", "add", url]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    assert feeds(db_path) == []


def test_a_name_with_any_private_address_is_refused(capsys, db_path, fake_dns):
    names, _ = fake_dns
    names["intranet.example.org"] = ["93.184.215.14", "10.20.30.40"]
    names["news.example.org"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert main(["--db", str(db_path), "feeds", "add", "https://intranet.example.org/rss"]) == 2
    assert "intranet.example.org resolves to 10.20.30.40, a private-network address" in capsys.readouterr().err
    assert main(["--db", str(db_path), "feeds", "add", "https://news.example.org/rss"]) == 0
    assert [row[0] for row in feeds(db_path)] == ["https://news.example.org/rss"]


@pytest.mark.parametrize("how", ["NEWSRADAR_ALLOW_PRIVATE", "NEWSRADAR_ALLOW_PRIVATE_NETWORKS", "config file"])
@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/feed.xml", "http://2130706433/feed.xml",
                                 "http://169.254.169.254/latest/meta-data/", "http://[fd12:3456::1]/feed.xml"])
def test_the_operator_can_allow_private_networks(capsys, monkeypatch, tmp_path, db_path, how, url):
    if how == "config file":
        (tmp_path / "newsradar.toml").write_text("allow_private_networks = true\n")
        monkeypatch.setenv("NEWSRADAR_CONFIG", str(tmp_path / "newsradar.toml"))
    else:
        monkeypatch.setenv(how, "1")
    assert main(["--db", str(db_path), "feeds", "add", url]) == 0
    assert capsys.readouterr().out.startswith("added ")
    assert [row[0] for row in feeds(db_path)] == [url]


def test_feeds_import_keeps_the_public_feeds_and_names_each_refused_one(capsys, tmp_path, db_path):
    opml = tmp_path / "list.opml"
    opml.write_text('<opml version="2.0"><body>'
                    '<outline text="Public" xmlUrl="https://93.184.215.14/rss"/>'
                    '<outline text="Metadata" xmlUrl="http://169.254.169.254/latest/meta-data/"/>'
                    '<outline text="Router" xmlUrl="http://[::ffff:192.168.0.1]/"/>'
                    '</body></opml>')
    assert main(["--db", str(db_path), "feeds", "import", str(opml)]) == 0
    out, err = capsys.readouterr()
    assert "1 feeds, 1 new, 2 refused (not public addresses)" in out
    assert "refused http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a link-local" in err
    assert "refused http://[::ffff:192.168.0.1]/: ::ffff:192.168.0.1 is 192.168.0.1, a private" in err
    assert [row[0] for row in feeds(db_path)] == ["https://93.184.215.14/rss"]


# added: the dashboard ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, says", REFUSED_FORMS[:14])
def test_dashboard_add_feed_form_refuses_a_private_address(db_path, url, says):
    outcome = editing.add_feed(db_path, url, "Intranet", actor=LOCAL)
    assert not outcome.ok and outcome.text.startswith("Refused ") and says in outcome.text
    assert feeds(db_path) == []


def test_dashboard_feed_list_upload_imports_only_public_feeds(db_path):
    specs = [FeedSpec("https://93.184.215.14/rss", "Public"), FeedSpec("http://10.1.1.1/rss", "Intranet"),
             FeedSpec("http://2130706433/rss", "Loopback")]
    outcome = editing.import_feed_list(db_path, specs, actor=LOCAL)
    assert outcome.ok and outcome.text.startswith("Imported 1 feeds: 1 new")
    assert "Refused 2: http://10.1.1.1/rss: 10.1.1.1 is a private-network address" in outcome.text
    assert [row[0] for row in feeds(db_path)] == ["https://93.184.215.14/rss"]
    assert not editing.import_feed_list(db_path, specs[1:], actor=LOCAL).ok


def test_dashboard_allows_private_feeds_when_configured(monkeypatch, db_path):
    monkeypatch.setenv("NEWSRADAR_ALLOW_PRIVATE", "1")
    assert editing.add_feed(db_path, "http://192.168.1.1/rss", actor=LOCAL).ok
    assert [row[0] for row in feeds(db_path)] == ["http://192.168.1.1/rss"]


# fetched: every connection, every redirect hop -----------------------------------------------------------------

def cycle(db_path: Path, urls: list[str], config: CollectorConfig = CONFIG) -> dict[str, object]:
    """Store `urls` as feeds (bypassing the add-time check, as a feed stored before it was refused) and poll them."""
    conn = connect(db_path)
    try:
        import_feeds(conn, [FeedSpec(url) for url in urls])
        report = asyncio.run(run_cycle(conn, config, force=True))
    finally:
        conn.close()
    return {o.url: o for o in report.outcomes}


def test_a_stored_private_feed_is_refused_without_a_request_and_kept_as_the_feeds_error(replay, db_path):
    port = urlsplit(replay.base).port
    urls = [f"http://127.0.0.1:{port}/feeds/0.xml", f"http://2130706433:{port}/feeds/1.xml",
            f"http://[::ffff:127.0.0.1]:{port}/feeds/2.xml", f"http://localhost:{port}/feeds/3.xml"]
    before = replay.stats()["requests"]
    outcomes = cycle(db_path, urls)
    assert replay.stats()["requests"] == before + 1  # only this stats request reached the server
    assert {o.error_kind for o in outcomes.values()} == {"refused"}
    for url, status, kind, error in feeds(db_path):
        assert (status, kind) == ("failing", "refused")
        assert error.startswith(f"refused {url}: ") and "loopback" in error


def test_the_same_feeds_are_collected_when_private_networks_are_allowed(replay, db_path):
    """The collector takes the setting as an argument (the CLI passes the operator's, see above)."""
    replay.set_day("2023-09-20")
    port = urlsplit(replay.base).port
    allowed = CollectorConfig(deadline_s=10.0, allow_private_networks=True)
    outcomes = cycle(db_path, [f"http://127.0.0.1:{port}/feeds/0.xml", f"http://2130706433:{port}/feeds/1.xml"],
                     allowed)
    assert [o.outcome for o in outcomes.values()] == ["ok", "ok"]
    assert all(o.items > 0 for o in outcomes.values())


class _Redirect(BaseHTTPRequestHandler):
    """GET /?to=URL answers 302 to URL."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.path.split("?to=", 1)[1])
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def redirector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/?to="
    server.shutdown()


@pytest.mark.parametrize("target, says", [
    ("http://127.0.0.2:{port}/feeds/0.xml", "127.0.0.2 is a loopback address"),
    ("http://[::1]:{port}/feeds/0.xml", "::1 is a loopback address"),
    ("http://2130706434:{port}/feeds/0.xml", "2130706434 is 127.0.0.2, a loopback address"),
    ("http://localhost:{port}/feeds/0.xml", "localhost is a loopback name"),
    ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::a9fe:a9fe%25eth0]/", "link-local address"),
    ("file:///etc/passwd", "only http and https"),
])
def test_a_public_feed_redirecting_to_a_private_address_is_refused(replay, redirector, loopback_is_public,
                                                                   db_path, target, says):
    replay.set_day("2023-09-20")
    port = urlsplit(replay.base).port
    good = f"{replay.base}/feeds/0.xml"
    bad = redirector + target.format(port=port)
    outcomes = cycle(db_path, [good, bad])
    assert outcomes[good].outcome == "ok" and outcomes[good].new_items > 0  # the collector went on
    assert outcomes[bad].error_kind == "refused" and says in outcomes[bad].error
    row = next(r for r in feeds(db_path) if r[0] == bad)
    assert row[1:3] == ("failing", "refused") and says in row[3]


def test_a_redirect_between_public_addresses_is_followed(replay, loopback_is_public, db_path):
    outcomes = cycle(db_path, [f"{replay.base}/faults/redirect.xml"])
    assert [o.outcome for o in outcomes.values()] == ["ok"]


def test_the_connection_goes_to_the_address_that_was_checked(replay, loopback_is_public, fake_dns):
    """DNS rebinding: a name that answers a public address to the check and a private one afterwards."""
    names, lookups = fake_dns
    answers = iter([["127.0.0.1"]] + [["10.0.0.1"]] * 5)
    names["rebind.example.org"] = lambda: next(answers)
    port = urlsplit(replay.base).port

    async def go():
        async with make_client() as client:
            return await fetch(client, f"http://rebind.example.org:{port}/feeds/0.xml", deadline_s=10)

    result = asyncio.run(go())
    assert result.ok and result.status == 200 and b"<rss" in result.body
    assert lookups == ["rebind.example.org"]  # resolved once; the socket was opened to the checked address


def test_a_name_resolving_to_a_private_address_is_refused_at_fetch_time(fake_dns):
    names, _ = fake_dns
    names["metadata.example.org"] = ["169.254.169.254"]

    async def go():
        async with make_client() as client:
            return await fetch(client, "http://metadata.example.org/latest/meta-data/", deadline_s=10)

    result = asyncio.run(go())
    assert result.error_kind == "refused"
    assert "metadata.example.org resolves to 169.254.169.254, a link-local address" in result.error


def test_a_resolver_that_never_answers_does_not_hold_a_feed_list_import(monkeypatch):
    # some resolvers never answer some names; the list is screened within netguard.SCREEN_WAIT_S all the same,
    # the unanswered name passes as an unresolvable one does (the collector checks it again when it connects),
    # and a private address is still refused
    hang = threading.Event()
    real = netguard.check_url

    def slow(url, allow_private):
        if "silent.example" in url:
            hang.wait(30)
        return real(url, allow_private)

    monkeypatch.setattr(netguard, "check_url", slow)
    started = time.monotonic()
    refused = netguard.screen(["http://silent.example/rss", "http://127.0.0.1/rss", "http://10.0.0.8/feed"],
                              allow_private=False, wait_s=0.5)
    hang.set()
    assert time.monotonic() - started < 10      # not the 30 s the lookup would hold it
    assert set(refused) == {"http://127.0.0.1/rss", "http://10.0.0.8/feed"}
