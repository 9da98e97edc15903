"""Signing in to the dashboard in each auth.mode, roles and saved views, through streamlit.testing.v1.AppTest."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import SECRET_TITLE, no_errors, plain, run_app
from streamlit.testing.v1 import AppTest

from dashboard import queries, signin
from db import connect, users
from db.filters import Filters


@pytest.fixture
def team_db(team_sample, tmp_path) -> Path:
    """A copy of the sample per test: sign-in failures and saved views do not leak between tests."""
    copy = tmp_path / "team.db"
    with closing(connect(team_sample)) as source, closing(connect(copy)) as target:
        source.backup(target)
    return copy


def app(db: Path, monkeypatch, mode: str, page: str = "coverage", params: dict | None = None, **auth) -> AppTest:
    """The app in auth.mode `mode` (other auth.* settings as keywords) on `page`, run once."""
    return run_app(db, monkeypatch, page, params, auth_mode=mode, **{f"auth_{k}": v for k, v in auth.items()})


def everything_shown(at: AppTest) -> str:
    """Every text value on the screen, to look for data that must not be there."""
    parts = []
    for kind in ("markdown", "text", "caption", "title", "subheader", "metric", "error", "info", "warning",
                 "success", "dataframe", "multiselect", "text_input"):
        for element in at.get(kind):
            parts.append(str(getattr(element, "value", "")) + " " + str(getattr(element, "label", "")))
    return " ".join(parts)


def shows_data(at: AppTest) -> bool:
    """The Coverage page's headline is there (its metrics count the articles)."""
    return bool(at.metric) and bool(at.sidebar.multiselect)


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    return no_errors(at.button[0].click().run())


# none ---------------------------------------------------------------------------------------------------------

def test_mode_none_shows_everything_to_a_local_admin(team_db, monkeypatch):
    at = no_errors(app(team_db, monkeypatch, "none"))
    assert shows_data(at) and "signin_name" not in [w.key for w in at.text_input]
    assert at.session_state["_user"] == signin.access.LOCAL
    at = no_errors(app(team_db, monkeypatch, "none", "articles", {"q": "zqxsecret"}))
    assert SECRET_TITLE in set(at.dataframe[0].value["title"])


# password -----------------------------------------------------------------------------------------------------

def test_password_anonymous_sees_only_the_form(team_db, monkeypatch):
    for page in ("coverage", "articles", "sources", "views"):
        at = no_errors(app(team_db, monkeypatch, "password", page, {"q": "zqxsecret"}))
        assert [t.value for t in at.title] == ["newsradar"]
        assert [w.key for w in at.text_input] == ["signin_name", "signin_password"]
        assert not at.sidebar.multiselect and not at.metric and not at.dataframe and not at.sidebar.button
        shown = everything_shown(at)
        assert "zqxsecret" not in shown.lower() and not re.search(r"\d", shown), shown


def test_password_wrong_then_slowed_then_right(team_db, monkeypatch, clock):
    at = app(team_db, monkeypatch, "password")
    sign_in(at, "ann", "wrong-password")
    assert plain(at.error[0]) == "Wrong name or password." and not shows_data(at)
    assert at.text_input(key="signin_password").value == ""      # the password is not kept in the form
    sign_in(at, "ann", "ann-password")                            # right, but too soon after a failure
    assert "Too many failed attempts" in plain(at.error[0]) and not shows_data(at)
    sign_in(at, "nobody", "whatever")                             # an unknown name: the same message
    assert plain(at.error[0]) == "Wrong name or password."
    clock[0] += 1.5
    sign_in(at, "ann", "ann-password")
    assert shows_data(at) and not at.error
    assert "Signed in as **ann** (analyst)" in at.sidebar.caption[0].value
    at.switch_page("app_pages/articles.py").run()
    at.text_input(key="q").input("zqxsecret").run()
    assert SECRET_TITLE in set(no_errors(at).dataframe[0].value["title"])
    at.button(key="sign_out").click().run()
    assert not shows_data(no_errors(at)) and at.text_input(key="signin_name")


def test_a_removed_account_is_signed_out_at_the_next_run(team_db, monkeypatch):
    at = sign_in(app(team_db, monkeypatch, "password"), "otto", "otto-password")
    assert shows_data(at)
    with closing(connect(team_db)) as conn:
        users.remove_user(conn, "otto")
    assert not shows_data(no_errors(at.run())) and at.text_input(key="signin_name")


# proxy --------------------------------------------------------------------------------------------------------

def fake_request(monkeypatch, headers: dict[str, list[str]], remote: str | None) -> None:
    monkeypatch.setattr(signin, "request_context", lambda: (headers, remote))


def test_proxy_header_from_a_trusted_address_signs_in(team_db, monkeypatch):
    fake_request(monkeypatch, {"x-forwarded-email": ["ann@example.org"]}, "10.0.0.7")
    at = no_errors(app(team_db, monkeypatch, "proxy", trusted_proxies="10.0.0.0/8", admins="ada@example.org"))
    assert shows_data(at) and "ann@example.org" in plain(at.sidebar.caption[0])
    assert "sign_out" not in [b.key for b in at.sidebar.button]      # signing out is the proxy's business


def test_proxy_header_from_elsewhere_is_ignored(team_db, monkeypatch):
    fake_request(monkeypatch, {"x-forwarded-email": ["ada@example.org"]}, "203.0.113.5")
    at = no_errors(app(team_db, monkeypatch, "proxy", trusted_proxies="10.0.0.0/8", admins="ada@example.org"))
    assert not shows_data(at) and not at.sidebar.multiselect and not at.metric
    assert "Not signed in" in at.warning[0].value


def test_proxy_loopback_is_trusted_by_default(team_db, monkeypatch):
    fake_request(monkeypatch, {"x-forwarded-email": ["ada@example.org"]}, None)
    at = no_errors(app(team_db, monkeypatch, "proxy", "topics", admins="ada@example.org"))
    assert at.text_input(key="draft_name")            # an admin gets the topic editor
    fake_request(monkeypatch, {}, None)
    assert not shows_data(no_errors(app(team_db, monkeypatch, "proxy")))


# oidc ---------------------------------------------------------------------------------------------------------

OIDC = {"oidc_provider_url": "https://id.example/.well-known/openid-configuration", "oidc_client_id": "nr",
        "oidc_client_secret": "s3cret", "oidc_redirect_uri": "https://n.example/oauth2callback",
        "cookie_secret": "c" * 32, "admins": "ada@example.org"}


def test_oidc_signed_out_sees_a_sign_in_button(team_db, monkeypatch):
    monkeypatch.setattr(signin, "oidc_user", lambda: {"is_logged_in": False})
    at = no_errors(app(team_db, monkeypatch, "oidc", **OIDC))
    assert not shows_data(at) and [b.label for b in at.button] == ["Sign in"]


def test_oidc_signed_in_user(team_db, monkeypatch):
    monkeypatch.setattr(signin, "oidc_user", lambda: {"is_logged_in": True, "email": "ada@example.org"})
    at = no_errors(app(team_db, monkeypatch, "oidc", "sources", **OIDC))
    assert at.text_input(key="feed_url") and "ada@example.org** (admin)" in plain(at.sidebar.caption[0])
    assert at.sidebar.button(key="sign_out")


# roles --------------------------------------------------------------------------------------------------------

def test_an_analyst_sees_no_admin_forms(team_db, monkeypatch):
    monkeypatch.setattr(signin, "oidc_user", lambda: {"is_logged_in": True, "email": "ann@example.org"})
    at = no_errors(app(team_db, monkeypatch, "oidc", "sources", **OIDC))
    assert at.title[0].value == "Sources" and at.dataframe and not at.main.text_input and not at.get("file_uploader")
    at = no_errors(app(team_db, monkeypatch, "oidc", "topics", **OIDC))
    assert at.title[0].value == "Topics" and at.dataframe and not at.main.text_input and not at.main.selectbox
    assert not at.main.button and not at.main.get("text_area")


def test_the_callbacks_check_the_role_too(team_db, monkeypatch):
    """An admin loses the role while the form is open: the click is refused, not only the next page hidden."""
    who = {"is_logged_in": True, "email": "ada@example.org"}
    monkeypatch.setattr(signin, "oidc_user", lambda: who)
    at = no_errors(app(team_db, monkeypatch, "oidc", "sources", **OIDC))
    at.text_input(key="feed_url").input("https://late.example/rss")
    who["email"] = "ann@example.org"                 # auth.admins no longer lists this session's user
    next(b for b in at.button if b.label == "Add feed").click().run()
    assert "Only an admin can add feeds" in plain(no_errors(at).error[0])
    with closing(connect(team_db)) as conn:
        assert not conn.execute("SELECT 1 FROM feeds WHERE url = 'https://late.example/rss'").fetchone()


def test_users_page_is_for_admins_in_password_mode(team_db, monkeypatch):
    at = sign_in(app(team_db, monkeypatch, "password", "users"), "ann", "ann-password")
    assert "Users" not in [t.value for t in at.title]
    at = sign_in(app(team_db, monkeypatch, "password", "users"), "ada", "ada-password")
    assert at.title[0].value == "Users"
    at.text_input(key="new_user_name").input("eve")
    at.text_input(key="new_user_password").input("eve-password")
    form_button = next(b for b in at.button if b.label == "Add user")
    form_button.click().run()
    assert "Added eve as analyst" in plain(no_errors(at).success[0])
    at.selectbox(key="user_pick").select("eve").run()
    at.segmented_control(key="user_role").set_value("admin").run()
    at.button(key="set_role").click().run()
    assert "eve is now admin" in plain(no_errors(at).success[0])
    at.selectbox(key="user_pick").select("eve").run()
    at.button(key="confirm_remove_user").click().run()
    assert "Removed eve" in plain(no_errors(at).success[0])
    with closing(connect(team_db)) as conn:
        assert users.get_user(conn, "eve") is None


# saved views --------------------------------------------------------------------------------------------------

def test_saved_views_round_trip(team_db, monkeypatch):
    params = {"country": ["AZ", "AM"], "from": "2023-09-15", "to": "2023-09-30", "q": 'karabakh OR "lachin"'}
    at = sign_in(app(team_db, monkeypatch, "password", "views", params), "ann", "ann-password")
    expected = Filters.from_params(params)
    assert at.session_state["_filters"] == expected
    at.text_input(key="view_name").input("Karabakh <b>[x](javascript:alert(1))</b>")
    next(b for b in at.button if b.label == "Save the current filters").click().run()
    assert "Saved the view" in plain(no_errors(at).success[0])
    # a second view with the same name
    at.text_input(key="view_name").input("Karabakh <b>[x](javascript:alert(1))</b>")
    next(b for b in at.button if b.label == "Save the current filters").click().run()
    assert "exists already" in plain(no_errors(at).error[0])

    assert any(t.value.startswith("Karabakh <b>[x](javascript:alert(1))</b>\n") for t in at.text)  # as text
    [link] = [c.value for c in at.code if c.value.startswith("articles?")]
    assert Filters.from_params(parse_qs(link.split("?", 1)[1])) == expected
    assert "naming Armenia (AM) or Azerbaijan (AZ)" in " ".join(t.value for t in at.text)

    # Open, in the same session after the filters changed, goes to the Articles page with the view's filters
    at.sidebar.button[0].click().run()                           # Clear filters
    at.text_input(key="q").input("zqxsecret").run()
    assert no_errors(at).session_state["_filters"] == Filters(q="zqxsecret")
    next(b for b in at.button if b.key and b.key.startswith("open_view_")).click().run()
    assert no_errors(at).title[0].value == "Articles" and at.session_state["_filters"] == expected
    with closing(queries.open_db(team_db)) as conn:
        total = queries.count_articles(conn, expected)
    assert at.subheader[0].value.startswith(f"{total:,} matching")

    # the link in a new session (another analyst) gives the same filters
    opened = no_errors(app(team_db, monkeypatch, "password", "articles", parse_qs(link.split("?", 1)[1])))
    opened = sign_in(opened, "otto", "otto-password")
    assert opened.session_state["_filters"] == expected and opened.title[0].value == "Articles"

    # otto may not delete ann's view; ada (admin) may; ann may delete her own
    opened.switch_page("app_pages/views.py").run()
    assert not [b for b in no_errors(opened).button if b.key and b.key.startswith("delete_view_")]
    admin = sign_in(app(team_db, monkeypatch, "password", "views"), "ada", "ada-password")
    [delete] = [b for b in admin.button if b.key and b.key.startswith("delete_view_")]
    delete.click().run()
    assert "Deleted the view" in plain(no_errors(admin).success[0]) and "No saved views yet" in admin.info[0].value


def test_the_owner_deletes_a_view(team_db, monkeypatch):
    at = sign_in(app(team_db, monkeypatch, "password", "views"), "ann", "ann-password")
    at.text_input(key="view_name").input("all of it")
    next(b for b in at.button if b.label == "Save the current filters").click().run()
    [delete] = [b for b in no_errors(at).button if b.key and b.key.startswith("delete_view_")]
    delete.click().run()
    assert "Deleted the view “all of it”" in plain(no_errors(at).success[0])


def test_a_new_instance_says_how_to_create_the_first_admin(tmp_path, monkeypatch):
    at = no_errors(app(tmp_path / "fresh.db", monkeypatch, "password"))
    assert "newsradar users add NAME --role admin" in plain(at.info[0]) and not shows_data(at)
