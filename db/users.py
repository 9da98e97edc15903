"""Accounts for password sign-in: scrypt hashes, roles, and failed sign-ins slowed down per name and address.

Two counts slow an attacker without letting one lock an account out: the failures of one name from one client
address (each doubles that pair's delay), and the names that failed from one address (past ADDRESS_FREE of them
the address waits too, so spraying one password over many names is slowed). The owner of an account
signing in from another address is not delayed by an attacker's failures.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
import sqlite3
import time
import unicodedata
from dataclasses import dataclass

from db.engine import integrity_errors
from db.schema import transaction

ROLES = ("admin", "analyst")
MAX_NAME = 64
MIN_PASSWORD = 8
MAX_PASSWORD = 1024          # scrypt's cost grows with the input; a megabyte "password" is an attack, not a secret
# scrypt cost: n=2**15, r=8 uses 32 MiB and about 0.1 s per check, enough to make an offline guess expensive
SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES = 2**15, 8, 1, 32
FIRST_DELAY_S = 1.0          # after one failure the next attempt waits this long, doubling after each one more
MAX_DELAY_S = 30.0
FORGET_FAILURES_S = 86_400   # failure rows this old are dropped (unknown names would otherwise pile up)
ADDRESS_FREE = 10            # names failing from one address before that address is slowed down too
FORGET_ADDRESS_S = 3_600     # an address's count starts again after an hour without failures
UNKNOWN_ADDRESS = "unknown"  # callers that cannot tell the client's address share one count


class UserError(ValueError):
    """An account operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created: str
    updated: str


@dataclass(frozen=True)
class SignIn:
    user: User | None       # None: refused
    wait_s: float = 0.0     # > 0: refused without looking at the password; try again after this many seconds
    per_address: bool = False   # the wait is the address's (failures over many names), not the name's

    @property
    def message(self) -> str:
        """What the sign-in form says; the same for a wrong password and an unknown name."""
        if self.user:
            return f"Signed in as {self.user.name}."
        if self.wait_s > 0:
            who = "from your address" if self.per_address else "for this name"
            return f"Too many failed attempts {who}: try again in {max(1, round(self.wait_s))} seconds."
        return "Wrong name or password."


def _now() -> float:
    """The clock (a function so that tests can move it)."""
    return time.time()


def _stamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC).timestamp()


# hashes ------------------------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=128 * 1024 * 1024)


def hash_password(password: str) -> str:
    """'scrypt$n$r$p$salt$key' (base64): the parameters travel with the hash, so they can be raised later."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash_password() string (compared in constant time)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """A real hash of a random password: checking against it takes as long as checking a real account."""
    return hash_password(secrets.token_urlsafe(16))


# accounts ----------------------------------------------------------------------------------------------------

def clean_name(name: str) -> str:
    """The name as stored: trimmed, NFC; refused if empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise UserError("a user name cannot be empty")
    if len(name) > MAX_NAME:
        raise UserError(f"a user name has at most {MAX_NAME} characters")
    if any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        raise UserError("a user name cannot hold control characters, tabs or line breaks")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def _user(row: sqlite3.Row) -> User:
    return User(row["name"], row["role"], row["created"], row["updated"])


def get_user(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute("SELECT name, role, created, updated FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def any_users(conn: sqlite3.Connection) -> bool:
    """Whether any account exists."""
    return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute("SELECT name, role, created, updated FROM users ORDER BY name").fetchall()
    return [_user(row) for row in rows]


def add_user(conn: sqlite3.Connection, name: str, password: str, role: str = "analyst") -> User:
    """Create an account; UserError if the name is taken or a value is unusable."""
    name, role, password = clean_name(name), check_role(role), _check_password(password)
    stamp = _stamp(_now())[:19]
    try:
        conn.execute("INSERT INTO users (name, role, password_hash, created, updated) VALUES (?, ?, ?, ?, ?)",
                     (name, role, hash_password(password), stamp, stamp))
    except integrity_errors():
        raise UserError(f"a user called {name!r} exists already") from None
    return User(name, role, stamp, stamp)


def _update(conn: sqlite3.Connection, name: str, column: str, value: str) -> None:
    # `column` is one of two literals chosen below, never user input
    changed = conn.execute(f"UPDATE users SET {column} = ?, updated = ? WHERE name = ?",
                           (value, _stamp(_now())[:19], name)).rowcount
    if not changed:
        raise UserError(f"no user called {name!r}")


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    _update(conn, name, "password_hash", hash_password(_check_password(password)))
    conn.execute("DELETE FROM sign_in_failures WHERE name = ?", (name,))


def set_role(conn: sqlite3.Connection, name: str, role: str) -> None:
    """Change a role; refused if it would leave no admin."""
    check_role(role)
    with transaction(conn):
        if role != "admin" and _is_last_admin(conn, name):
            raise UserError(f"{name!r} is the last admin; make someone else admin first")
        _update(conn, name, "role", role)


def remove_user(conn: sqlite3.Connection, name: str) -> None:
    """Delete an account (its saved views stay, under its name); refused for the last admin."""
    with transaction(conn):
        if _is_last_admin(conn, name):
            raise UserError(f"{name!r} is the last admin; make someone else admin first")
        if not conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
            raise UserError(f"no user called {name!r}")
        conn.execute("DELETE FROM sign_in_failures WHERE name = ?", (name,))


def _is_last_admin(conn: sqlite3.Connection, name: str) -> bool:
    admins = conn.execute("SELECT name FROM users WHERE role = 'admin' LIMIT 2").fetchall()
    return [row[0] for row in admins] == [name]


# sign-in -----------------------------------------------------------------------------------------------------

def delay_after(failures: int) -> float:
    """Seconds the next attempt must wait after `failures` failures in a row: 0, 1, 2, 4, … up to MAX_DELAY_S."""
    return 0.0 if failures <= 0 else min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - 1))


def address_delay_after(failures: int) -> float:
    """Seconds an address waits after `failures` names failed from it: none for the first ADDRESS_FREE."""
    return delay_after(failures - ADDRESS_FREE)


def _wait(row: sqlite3.Row | None, delay: float, now: float) -> float:
    return _seconds(row["last_failure"]) + delay - now if row else 0.0


def verify(conn: sqlite3.Connection, name: str, password: str, address: str | None = None) -> SignIn:
    """Check a sign-in from the client `address` (None: unknown). Every name (known or not) has a failure count per
    address, and every address one over all names; while either delay runs, refuse without checking."""
    key = unicodedata.normalize("NFC", name or "").strip()[:MAX_NAME]
    address = (address or UNKNOWN_ADDRESS)[:64]
    now = _now()
    # the failure is counted before the password is checked, in one transaction with the delay check, so that
    # parallel attempts cannot all slip through the same window; a success takes it back
    with transaction(conn):
        conn.execute("DELETE FROM sign_in_failures WHERE last_failure < ?", (_stamp(now - FORGET_FAILURES_S),))
        conn.execute("DELETE FROM sign_in_address_failures WHERE last_failure < ?", (_stamp(now - FORGET_ADDRESS_S),))
        pair = conn.execute("SELECT failures, last_failure FROM sign_in_failures WHERE name = ? AND address = ?",
                            (key, address)).fetchone()
        spread = conn.execute("SELECT failures, last_failure FROM sign_in_address_failures WHERE address = ?",
                              (address,)).fetchone()
        by_pair = _wait(pair, delay_after(pair["failures"]) if pair else 0, now)
        by_address = _wait(spread, address_delay_after(spread["failures"]) if spread else 0, now)
        if max(by_pair, by_address) > 0:
            return SignIn(None, max(by_pair, by_address), per_address=by_address > by_pair)
        conn.execute("INSERT INTO sign_in_failures (name, address, failures, last_failure) VALUES (?, ?, 1, ?) "
                     "ON CONFLICT (name, address) DO UPDATE SET failures = sign_in_failures.failures + 1, "
                     "last_failure = excluded.last_failure", (key, address, _stamp(now)))
        if pair is None:   # the address's count is of names tried; one name's repeats are the pair's delay
            conn.execute("INSERT INTO sign_in_address_failures (address, failures, last_failure) VALUES (?, 1, ?) "
                         "ON CONFLICT (address) DO UPDATE SET failures = sign_in_address_failures.failures + 1, "
                         "last_failure = excluded.last_failure", (address, _stamp(now)))
        stored = conn.execute("SELECT name, role, created, updated, password_hash FROM users WHERE name = ?",
                              (key,)).fetchone()
    # an unknown name is checked against a dummy hash: it takes as long as a known one
    ok = check_password(password[:MAX_PASSWORD], stored["password_hash"] if stored else _dummy_hash())
    if not ok or stored is None:
        return SignIn(None)
    with transaction(conn):   # only this address's count: an attacker's failures elsewhere keep their delay
        conn.execute("DELETE FROM sign_in_failures WHERE name = ? AND address = ?", (key, address))
        conn.execute("UPDATE sign_in_address_failures SET failures = failures - 1 WHERE address = ? AND failures > 0",
                     (address,))
    return SignIn(_user(stored))
