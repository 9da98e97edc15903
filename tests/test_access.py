"""Sign-in and role logic without Streamlit: dashboard/access.py, the admin-only changes, saved views."""

from __future__ import annotations

from contextlib import closing
from urllib.parse import parse_qs

import pytest

from dashboard import access, editing, saved
from dashboard.access import Identity
from db import connect, topics, views
from db import users as user_store
from db.filters import Filters
from newsradar import config as settings

ADMIN, ANALYST, OTHER = Identity("ada", "admin"), Identity("ann", "analyst"), Identity("otto", "analyst")


def conf(**env: str):
    return settings.load(environ={f"NEWSRADAR_AUTH_{k.upper()}": v for k, v in env.items()})


@pytest.mark.parametrize(("remote", "networks", "trusted"), [
    (None, ["127.0.0.1/32"], True),            # Streamlit's None is loopback
    (None, ["::1/128"], True),
    (None, ["10.0.0.0/8"], False),
    ("10.1.2.3", ["10.0.0.0/8"], True),
    ("10.1.2.3", ["127.0.0.1/32", "::1/128"], False),
    ("::ffff:10.1.2.3", ["10.0.0.0/8"], True),  # an IPv4 peer on a dual-stack socket
    ("fd00::5", ["fd00::/8"], True),
    ("not an address", ["0.0.0.0/0"], False),
    ("10.1.2.3", ["nonsense", "10.1.2.3"], True),
])
def test_trusted_proxy_addresses(remote, networks, trusted):
    assert access.is_trusted(remote, networks) is trusted


def test_proxy_identity_only_from_a_trusted_address():
    config = conf(mode="proxy", trusted_proxies="10.0.0.0/8", admins="Boss@Example.org")
    headers = {"x-forwarded-email": ["ann@example.org"]}
    assert access.proxy_identity(config, headers, "10.0.0.2") == Identity("ann@example.org", "analyst")
    assert access.proxy_identity(config, {"x-forwarded-email": ["boss@example.org"]}, "10.0.0.2").is_admin
    assert access.proxy_identity(config, headers, "203.0.113.9") is None
    assert access.proxy_identity(config, headers, None) is None               # loopback is not in 10/8
    assert access.proxy_identity(config, {}, "10.0.0.2") is None
    assert access.proxy_identity(config, {"x-forwarded-email": ["a@x", "b@x"]}, "10.0.0.2") is None
    assert access.proxy_identity(config, {"x-forwarded-email": ["  "]}, "10.0.0.2") is None
    assert access.proxy_identity(config, {"x-forwarded-email": ["a\x00b"]}, "10.0.0.2") is None
    other = conf(mode="proxy", proxy_header="Remote-User")
    assert access.proxy_identity(other, {"remote-user": ["ann"]}, None) == Identity("ann", "analyst")
    assert access.proxy_identity(other, headers, None) is None


def test_oidc_identity_and_secrets():
    config = conf(mode="oidc", oidc_provider_url="https://id.example/.well-known/openid-configuration",
                  oidc_client_id="newsradar", oidc_client_secret="s3cret", oidc_redirect_uri="https://n.example/"
                  "oauth2callback", cookie_secret="c" * 32, admins="ada@example.org")
    assert access.oidc_identity(config, {"is_logged_in": False}) is None
    assert access.oidc_identity(config, {"is_logged_in": True, "email": "ADA@example.org"}).is_admin
    assert access.oidc_identity(config, {"is_logged_in": True, "email": "ann@example.org"}).role == "analyst"
    assert access.oidc_identity(config, {"is_logged_in": True, "sub": "12345"}).name == "12345"
    assert access.oidc_secrets(config) == {
        "redirect_uri": "https://n.example/oauth2callback", "cookie_secret": "c" * 32, "client_id": "newsradar",
        "client_secret": "s3cret", "server_metadata_url": "https://id.example/.well-known/openid-configuration"}


def test_password_sign_in_follows_the_account(db_path):
    with closing(connect(db_path)) as conn:
        user_store.add_user(conn, "ann", "password-1")
        user_store.add_user(conn, "ada", "password-2", "admin")
    assert access.password_sign_in(db_path, "ann", "password-1")[0] == Identity("ann", "analyst")
    assert access.password_sign_in(db_path, "ada", "nope") == (None, "Wrong name or password.")
    with closing(connect(db_path)) as conn:
        user_store.set_role(conn, "ann", "admin")
    assert access.password_identity(db_path, "ann").is_admin
    with closing(connect(db_path)) as conn:
        user_store.remove_user(conn, "ann")
    assert access.password_identity(db_path, "ann") is None


def test_admin_changes_refuse_an_analyst(db_path):
    topic = topics.Topic("Grain", "grain")
    for actor in (ANALYST, None):
        outcomes = [editing.save_topic(db_path, topic, actor=actor),
                    editing.delete_topic(db_path, "Grain", actor=actor),
                    editing.add_feed(db_path, "https://x.example/rss", actor=actor),
                    editing.import_feed_list(db_path, [], actor=actor),
                    editing.add_user(db_path, "eve", "password-1", "admin", actor=actor),
                    editing.remove_user(db_path, "ada", actor=actor),
                    editing.set_user_role(db_path, "ann", "admin", actor=actor),
                    editing.reset_password(db_path, "ada", "password-9", actor=actor)]
        assert all(not o.ok and o.text.startswith("Only an admin can") for o in outcomes), outcomes
    with closing(connect(db_path)) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM topics) + (SELECT count(*) FROM feeds) + "
                            "(SELECT count(*) FROM users)").fetchone()[0] == 0
    assert editing.save_topic(db_path, topic, actor=ADMIN).ok
    assert editing.add_feed(db_path, "https://x.example/rss", actor=ADMIN).ok
    assert editing.add_user(db_path, "ada", "password-1", "admin", actor=ADMIN).ok
    assert editing.add_user(db_path, "ann", "password-1", "analyst", actor=ADMIN).ok
    assert editing.set_user_role(db_path, "ann", "admin", actor=ADMIN).ok
    assert not editing.remove_user(db_path, "ada", actor=Identity("ada", "admin")).ok   # not oneself
    assert editing.remove_user(db_path, "ann", actor=Identity("ada", "admin")).ok


def test_saved_views_round_trip_and_ownership(db_path):
    filters = Filters.make("karabakh OR \"lachin corridor\"", "2023-09-15", "2023-09-30", countries=["AZ", "AM"],
                           outlets=["BBC & Co <b>"])
    assert saved.save(db_path, "Karabakh, Sept", filters, actor=ANALYST).ok
    duplicate = saved.save(db_path, " Karabakh,  Sept ", Filters(), actor=OTHER)
    assert not duplicate.ok and "exists already" in duplicate.text
    assert not saved.save(db_path, "  ", filters, actor=ANALYST).ok
    assert not saved.save(db_path, "anything", filters, actor=None).ok
    assert saved.save(db_path, "Everything", Filters(), actor=OTHER).ok

    by_ann = {row.name: row for row in saved.rows(db_path, ANALYST)}
    view = by_ann["Karabakh, Sept"]
    assert view.owner == "ann" and view.deletable and not by_ann["Everything"].deletable
    assert "naming Armenia (AM) or Azerbaijan (AZ)" in view.words and "from 2023-09-15" in view.words
    assert by_ann["Everything"].words == "everything (no filters)"
    # the link's query string, decoded as a browser's URL would be, gives the same filters back
    assert Filters.from_params(parse_qs(saved.query_string(filters))) == filters
    assert Filters.from_params({k: [v for kk, v in view.params if kk == k] for k, _ in view.params}) == filters

    refused = saved.delete(db_path, view.id, actor=OTHER)
    assert not refused.ok and "only ann" in refused.text
    assert saved.delete(db_path, view.id, actor=ANALYST).ok
    assert not saved.delete(db_path, view.id, actor=ANALYST).ok          # gone
    other_view = by_ann["Everything"]
    assert saved.delete(db_path, other_view.id, actor=ADMIN).ok           # an admin may delete anyone's
    assert saved.rows(db_path, ANALYST) == []


def test_a_view_that_no_longer_parses_is_listed_without_a_link(conn, db_path):
    views.save_view(conn, "old", "ann", Filters())
    conn.execute("UPDATE saved_views SET params = ?", ('{"from": "2023-13-45"}',))
    [row] = saved.rows(db_path, ANALYST)
    assert not row.usable and "cannot be applied" in row.words
