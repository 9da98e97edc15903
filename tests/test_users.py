"""Accounts (db/users.py): hashes, roles, slowed-down failures; and the `newsradar users` command."""

from __future__ import annotations

import io
from contextlib import closing

import pytest

from db import connect, users
from newsradar.cli import main


@pytest.fixture
def conn(engine):
    """Each test below runs on SQLite and on PostgreSQL."""
    return engine


def test_hash_is_salted_self_describing_and_checked():
    one, two = users.hash_password("correct horse"), users.hash_password("correct horse")
    assert one != two and one.startswith(f"scrypt${users.SCRYPT_N}$")
    assert users.check_password("correct horse", one) and users.check_password("correct horse", two)
    assert not users.check_password("correct horsf", one)
    assert not users.check_password("x", "pbkdf2$1$2") and not users.check_password("x", "garbage")


def test_add_list_role_password_remove(conn):
    users.add_user(conn, " alice ", "password-1", "admin")
    users.add_user(conn, "bob", "password-2")
    assert [(u.name, u.role) for u in users.list_users(conn)] == [("alice", "admin"), ("bob", "analyst")]
    stored = conn.execute("SELECT password_hash FROM users WHERE name = 'bob'").fetchone()[0]
    assert "password-2" not in stored
    with pytest.raises(users.UserError, match="exists already"):
        users.add_user(conn, "bob", "password-3")
    with pytest.raises(users.UserError, match="role must be"):
        users.add_user(conn, "carol", "password-3", "root")
    with pytest.raises(users.UserError, match="at least 8"):
        users.add_user(conn, "carol", "short")
    with pytest.raises(users.UserError, match="control"):
        users.add_user(conn, "car\nol", "password-3")
    users.set_password(conn, "bob", "new-password")
    assert users.verify(conn, "bob", "new-password").user.name == "bob"
    with pytest.raises(users.UserError, match="last admin"):
        users.set_role(conn, "alice", "analyst")
    with pytest.raises(users.UserError, match="last admin"):
        users.remove_user(conn, "alice")
    users.set_role(conn, "bob", "admin")
    users.remove_user(conn, "alice")
    assert [u.name for u in users.list_users(conn)] == ["bob"]
    with pytest.raises(users.UserError, match="no user"):
        users.remove_user(conn, "alice")


def test_failures_are_slowed_down_and_reset_on_success(conn, clock):
    users.add_user(conn, "alice", "password-1", "admin")
    assert users.verify(conn, "alice", "password-1").user.role == "admin"
    first = users.verify(conn, "alice", "wrong")
    assert first.user is None and first.wait_s == 0 and first.message == "Wrong name or password."
    # straight away, even the right password is refused unchecked
    refused = users.verify(conn, "alice", "password-1")
    assert refused.user is None and refused.wait_s == pytest.approx(1.0) and "try again in 1 seconds" in \
        refused.message
    clock[0] += 1.01
    users.verify(conn, "alice", "wrong")
    assert users.verify(conn, "alice", "password-1").wait_s == pytest.approx(2.0)
    for _ in range(10):          # the delay doubles up to its cap
        clock[0] += users.MAX_DELAY_S + 1
        users.verify(conn, "alice", "wrong")
    assert users.verify(conn, "alice", "password-1").wait_s == pytest.approx(users.MAX_DELAY_S)
    clock[0] += users.MAX_DELAY_S + 0.01
    assert users.verify(conn, "alice", "password-1").user.name == "alice"
    assert users.verify(conn, "alice", "wrong").wait_s == 0     # the success started the count again
    assert users.verify(conn, "alice", "password-1").wait_s == pytest.approx(1.0)


def test_unknown_names_are_treated_like_known_ones(conn, clock):
    users.add_user(conn, "alice", "password-1")
    known, unknown = users.verify(conn, "alice", "wrong"), users.verify(conn, "mallory", "wrong")
    assert known.message == unknown.message
    assert users.verify(conn, "mallory", "x").wait_s == users.verify(conn, "alice", "x").wait_s > 0
    rows = dict(conn.execute("SELECT name, failures FROM sign_in_failures").fetchall())
    assert rows == {"alice": 1, "mallory": 1}
    clock[0] += users.FORGET_FAILURES_S + 10      # old failure rows are dropped by the next failure
    users.verify(conn, "someone", "x")
    assert [r[0] for r in conn.execute("SELECT name FROM sign_in_failures")] == ["someone"]


def test_delay_schedule():
    assert [users.delay_after(n) for n in range(8)] == [0, 1, 2, 4, 8, 16, 30, 30]


# the command -------------------------------------------------------------------------------------------------

def cli(capsys, monkeypatch, db, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--db", str(db), "users", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_users_command(tmp_path, capsys, monkeypatch):
    db = tmp_path / "team.db"
    assert cli(capsys, monkeypatch, db, "add", "alice", "--role", "admin", "--password-stdin",
               stdin="password-1\n")[:2] == (0, "added admin 'alice'\n")
    assert cli(capsys, monkeypatch, db, "add", "bob", "--password-stdin", stdin="password-2\n")[0] == 0
    code, out, _ = cli(capsys, monkeypatch, db, "list")
    assert code == 0 and [line.split()[:2] for line in out.splitlines()] == [["admin", "alice"], ["analyst", "bob"]]

    code, _, err = cli(capsys, monkeypatch, db, "add", "bob", "--password-stdin", stdin="password-9\n")
    assert (code, err) == (2, "newsradar: error: a user called 'bob' exists already\n")
    code, _, err = cli(capsys, monkeypatch, db, "add", "carol", "--role", "boss", "--password-stdin", stdin="x" * 9)
    assert (code, err) == (2, "newsradar: error: role must be one of admin, analyst, not 'boss'\n")
    code, _, err = cli(capsys, monkeypatch, db, "add", "carol", "--password-stdin", stdin="short\n")
    assert code == 2 and err.startswith("newsradar: error: a password needs at least 8") and err.count("\n") == 1

    assert cli(capsys, monkeypatch, db, "passwd", "bob", "--password-stdin", stdin="password-3\n")[0] == 0
    code, _, err = cli(capsys, monkeypatch, db, "passwd", "nobody", "--password-stdin", stdin="password-3\n")
    assert code == 2 and "no user called 'nobody'" in err
    with closing(connect(db)) as conn:
        assert users.verify(conn, "bob", "password-3").user.role == "analyst"

    assert cli(capsys, monkeypatch, db, "remove", "bob")[:2] == (0, "removed user 'bob'\n")
    code, _, err = cli(capsys, monkeypatch, db, "remove", "alice")
    assert code == 2 and "last admin" in err
    code, out, _ = cli(capsys, monkeypatch, db, "list")
    assert [line.split()[1] for line in out.splitlines()] == ["alice"]


def test_users_add_asks_twice(tmp_path, capsys, monkeypatch):
    db = tmp_path / "team.db"
    answers = iter(["password-1", "password-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = cli(capsys, monkeypatch, db, "add", "alice")
    assert code == 2 and err == "newsradar: error: the two passwords differ; nothing changed\n"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "password-1")
    assert cli(capsys, monkeypatch, db, "add", "alice")[0] == 0
    with closing(connect(db)) as conn:
        assert users.verify(conn, "alice", "password-1").user is not None
