"""End to end: `newsradar serve` on a hosted configuration, signed into from headless Chromium.

Password sign-in through the form, and proxy sign-in through the identity header a reverse proxy would set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from conftest import SECRET_TITLE, open_page

from dashboard.testing import free_port, running, settle


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
        page.get_by_role("heading", name="1 matching articles").wait_for(timeout=30_000)
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

        # what oauth2-proxy in front of the dashboard adds to every request, the WebSocket's included
        admin = browser.new_context(extra_http_headers={"X-Forwarded-Email": "ada@example.org"}).new_page()
        open_page(admin, base, "/articles?q=zqxsecret")
        admin.get_by_role("heading", name="1 matching articles").wait_for(timeout=30_000)
        # as text, not a mailto: link (an invisible word joiner after the @ stops the autolink)
        assert admin.get_by_text("Signed in as ada@\u2060example.org (admin)").is_visible()
        assert admin.locator("a[href^=mailto]").count() == 0
        open_page(admin, base, "/sources")
        assert admin.get_by_text("Add a feed").count() == 1, "the admin named in auth.admins gets the admin form"
