"""Sign-in throttling per (name, client address) and per address: an attacker is slowed, the account's owner
signing in from elsewhere is not; spraying one password over many names from one address is slowed."""

from __future__ import annotations

from contextlib import closing

import pytest
from conftest import no_errors, plain, run_app

from dashboard import access, signin
from db import connect, users

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def admin(conn):
    users.add_user(conn, "admin", "admin-password", "admin")
    return conn


def test_the_owner_from_another_address_gets_in_while_the_attacker_waits(admin, clock):
    for _ in range(4):                                   # the attacker guesses as soon as it is let
        assert users.verify(admin, "admin", "guess", ATTACKER).user is None
        clock[0] += users.verify(admin, "admin", "guess", ATTACKER).wait_s    # (refused unchecked: wait it out)
    assert users.verify(admin, "admin", "guess", ATTACKER).wait_s == 0      # a fifth failure, counted
    attacker = users.verify(admin, "admin", "admin-password", ATTACKER)
    assert attacker.user is None and attacker.message == "Too many failed attempts for this name: try again in " \
        f"{round(attacker.wait_s)} seconds." and attacker.wait_s >= 8
    owner = users.verify(admin, "admin", "admin-password", OWNER)
    assert owner.user.name == "admin" and owner.message == "Signed in as admin."
    # the owner's success does not give the attacker a fresh start
    assert users.verify(admin, "admin", "admin-password", ATTACKER).wait_s > 0


def test_spraying_one_password_over_twenty_names_from_one_address_is_slowed(admin, clock):
    results = [users.verify(admin, f"user{i}", "Summer2024!", ATTACKER) for i in range(20)]
    waits = [r.wait_s for r in results]
    assert waits[:users.ADDRESS_FREE + 1] == [0] * (users.ADDRESS_FREE + 1) and all(w > 0 for w in waits[-8:])
    assert results[-1].message.startswith("Too many failed attempts from your address: try again in ")
    assert users.verify(admin, "admin", "admin-password", ATTACKER).wait_s > 0     # any name, from that address
    assert users.verify(admin, "admin", "admin-password", OWNER).user is not None   # not from another one
    assert users.verify(admin, "user99", "Summer2024!", OWNER).wait_s == 0


def test_the_address_count_is_forgotten_after_an_hour(admin, clock):
    for i in range(users.ADDRESS_FREE + 3):
        users.verify(admin, f"user{i}", "x", ATTACKER)
    assert users.verify(admin, "fresh", "x", ATTACKER).wait_s > 0
    clock[0] += users.FORGET_ADDRESS_S + users.MAX_DELAY_S + 1
    assert users.verify(admin, "fresh", "x", ATTACKER).wait_s == 0


@pytest.mark.parametrize(("headers", "remote", "trusted", "expected"), [
    ({}, None, ["127.0.0.1/32"], "127.0.0.1"),                               # Streamlit hides loopback as None
    ({}, "203.0.113.9", [], "203.0.113.9"),
    ({"x-forwarded-for": ["198.51.100.7"]}, "203.0.113.9", ["127.0.0.1/32"], "203.0.113.9"),   # not a proxy
    ({"x-forwarded-for": ["198.51.100.7"]}, None, ["127.0.0.1/32"], "198.51.100.7"),          # behind one
    ({"x-forwarded-for": ["1.2.3.4, 198.51.100.7"]}, None, ["127.0.0.1/32"], "198.51.100.7"),  # spoofed hop ignored
    ({"x-forwarded-for": ["198.51.100.7, 10.0.0.2"]}, "10.0.0.3", ["10.0.0.0/8"], "198.51.100.7"),  # two proxies
    ({"x-forwarded-for": ["garbage"]}, None, ["127.0.0.1/32"], "unparsable"),
    ({}, "2001:db8:1:2:3:4:5:6", [], "2001:db8:1:2::/64"),                  # one client holds its /64 whole
    ({}, "::ffff:203.0.113.9", [], "203.0.113.9"),
])
def test_the_client_address(headers, remote, trusted, expected):
    assert access.client_address(headers, remote, trusted) == expected


# the app ------------------------------------------------------------------------------------------------------

def sign_in(at, name: str, password: str):
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    return no_errors(at.button[0].click().run())


def test_the_app_slows_the_attackers_address_and_lets_the_owner_in(team_sample, tmp_path, monkeypatch, clock):
    db = tmp_path / "team.db"
    with closing(connect(team_sample)) as source, closing(connect(db)) as target:
        source.backup(target)
    peer = {"remote": ATTACKER}
    monkeypatch.setattr(signin, "request_context", lambda: ({}, peer["remote"]))
    attacker = run_app(db, monkeypatch, "coverage", auth_mode="password")
    for _ in range(4):
        sign_in(attacker, "ann", "wrong-password")
    assert plain(attacker.error[0]).startswith("Too many failed attempts for this name: try again in ")
    peer["remote"] = OWNER
    owner = sign_in(run_app(db, monkeypatch, "coverage", auth_mode="password"), "ann", "ann-password")
    assert not owner.error and "Signed in as **ann**" in owner.sidebar.caption[0].value


def test_the_app_believes_a_forwarded_address_only_from_a_trusted_proxy(team_sample, tmp_path, monkeypatch, clock):
    db = tmp_path / "team.db"
    with closing(connect(team_sample)) as source, closing(connect(db)) as target:
        source.backup(target)
    forwarded = {"x-forwarded-for": [ATTACKER]}
    monkeypatch.setattr(signin, "request_context", lambda: (forwarded, None))    # through the loopback proxy
    at = run_app(db, monkeypatch, "coverage", auth_mode="password")
    sign_in(at, "ann", "wrong-password")
    forwarded["x-forwarded-for"] = [OWNER]
    assert "Signed in as **ann**" in sign_in(at, "ann", "ann-password").sidebar.caption[0].value
    # from an address that is not a proxy, the header is the client's own invention and changes nothing
    peer = {"headers": {}}
    monkeypatch.setattr(signin, "request_context", lambda: (peer["headers"], ATTACKER))
    at = run_app(db, monkeypatch, "coverage", auth_mode="password")
    sign_in(at, "otto", "wrong-password")
    peer["headers"] = {"x-forwarded-for": [OWNER]}
    assert plain(sign_in(at, "otto", "otto-password").error[0]).startswith("Too many failed attempts for this name")
