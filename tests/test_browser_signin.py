"""End to end: `newsradar serve` on a hosted configuration, signed into from headless Chromium.

Password sign-in through the form, and proxy sign-in through the identity header a reverse proxy would set.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from conftest import SECRET_TITLE, open_page

from dashboard.testing import free_port, running, settle

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def serve(db: Path, tmp_path: Path, mode: str):
    """`newsradar serve` with auth.mode = `mode`, until the block ends; yields the dashboard's base URL."""
    port, health_port = free_port(), free_port()
    settings = tmp_path / f"{mode}.toml"
    settings.write_text(f'db = "{db}"\n[auth]\nmode = "{mode}"\nadmins = ["ada@example.org"]\n')
    command = [sys.executable, "-m", "newsradar", "--config", str(settings), "serve", "--port", str(port),
               "--health-port", str(health_port)]
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "NEWSRADAR_DB"}   # it would win over the file's db
    return running(command, env, tmp_path / f"{mode}.log", f"{base}/_stcore/health"), base


def _pump(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _forward(client: socket.socket, upstream_port: int, header: str, value: str) -> None:
    """One connection: the request head with `header` set (whatever the client sent in it), then bytes both ways.
    A plain request gets Connection: close, so that every request of the browser passes through a new head."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        if not (data := client.recv(65536)):
            client.close()
            return
        head += data
    head, rest = head.split(b"\r\n\r\n", 1)
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(header.lower().encode() + b":")]
    if not any(line.lower().startswith(b"upgrade:") for line in lines):
        lines = [line for line in lines if not line.lower().startswith(b"connection:")] + [b"Connection: close"]
    lines.append(f"{header}: {value}".encode())
    try:
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
    except OSError:   # the dashboard has stopped: the browser's reconnection finds nobody
        client.close()
        return
    upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


@contextmanager
def identity_proxy(upstream_port: int, header: str, value: str) -> Iterator[str]:
    """A reverse proxy on loopback in front of the dashboard that sets `header` on every request, the WebSocket's
    upgrade included, as oauth2-proxy does; yields its base URL. (Playwright's extra_http_headers cannot stand in
    for it: Chromium leaves them off the WebSocket's upgrade request.)"""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        with suppress(OSError):
            while True:
                client, _ = listener.accept()
                threading.Thread(target=_forward, args=(client, upstream_port, header, value), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def sign_in(tab, name: str, password: str) -> None:
    tab.get_by_role("textbox", name="Name").fill(name)
    tab.get_by_role("textbox", name="Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    settle(tab)


def test_password_sign_in_in_a_real_browser(team_sample, tmp_path, page):
    server, base = serve(team_sample, tmp_path, "password")
    with server:
        open_page(page, base, "/articles?q=zqxsecret")
        body = page.locator("body").inner_text()
        assert "Sign in" in body and "matching articles" not in body
        assert page.get_by_text("Zqxsecret").count() == 0
        assert page.get_by_text("Search titles and descriptions").count() == 0, "the sidebar shows before sign-in"

        sign_in(page, "ann", "wrong password")
        assert page.get_by_text("Wrong name or password").count() == 1
        assert page.get_by_text("Zqxsecret").count() == 0

        page.wait_for_timeout(2500)   # the slow-down after one failure
        sign_in(page, "ann", "ann-password")
        page.get_by_role("heading", name="1 matching article").wait_for(timeout=30_000)
        page.get_by_text(SECRET_TITLE).wait_for(state="attached", timeout=30_000)   # a cell of the articles table
        assert page.get_by_text("Signed in as ann (analyst)").is_visible()

        open_page(page, base, "/sources")   # a new page load is a new session: signed out again
        sign_in(page, "ann", "ann-password")
        page.get_by_role("heading", name="Sources").wait_for(timeout=30_000)
        assert page.get_by_text("Add a feed").count() == 0, "an analyst sees the admin form"


def test_proxy_sign_in_takes_the_header_from_the_proxy(team_sample, tmp_path, browser):
    server, base = serve(team_sample, tmp_path, "proxy")
    with server:
        anonymous = browser.new_context().new_page()
        open_page(anonymous, base, "/articles?q=zqxsecret")
        assert "Not signed in" in anonymous.locator("body").inner_text()
        assert anonymous.get_by_text("Zqxsecret").count() == 0

        # through the proxy in front, which sets the header on every request, the WebSocket's included
        with identity_proxy(int(base.rsplit(":", 1)[1]), "X-Forwarded-Email", "ada@example.org") as proxied:
            admin = browser.new_context().new_page()
            open_page(admin, proxied, "/articles?q=zqxsecret")
            admin.get_by_role("heading", name="1 matching article").wait_for(timeout=30_000)
            # as text, not a mailto: link (an invisible word joiner after the @ stops the autolink)
            assert admin.get_by_text("Signed in as ada@\u2060example.org (admin)").is_visible()
            assert admin.locator("a[href^=mailto]").count() == 0
            open_page(admin, proxied, "/sources")
            assert admin.get_by_text("Add a feed").count() == 1, "the admin named in auth.admins gets the admin form"
