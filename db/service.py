"""The record of `newsradar serve`: its runs (start, heartbeat, stop) and its children's exits, for the health check."""

from __future__ import annotations

import datetime as dt
import sqlite3

from db.engine import Connection
from db.schema import transaction
from db.text import format_utc

MAX_STDERR = 500   # characters of a child's last stderr line kept; a traceback's last line fits


def start_run(conn: Connection, pid: int, stamp: str) -> int:
    """A new run started at `stamp`; a previous run still open (killed, never stopped) is closed as 'lost' at its
    last beat."""
    with transaction(conn):
        conn.execute("UPDATE service_runs SET stopped = heartbeat, stop_reason = 'lost: no clean stop' "
                     "WHERE stopped IS NULL")
        return conn.execute("INSERT INTO service_runs (pid, started, heartbeat) VALUES (?, ?, ?)",
                            (pid, stamp, stamp)).lastrowid


def beat(conn: Connection, run_id: int, stamp: str, collector_pid: int | None, collector_started: str | None,
         restarts: int, last_error: str | None) -> None:
    """The run's heartbeat at `stamp`, with its collector's state (a None `last_error` keeps the previous one)."""
    conn.execute("UPDATE service_runs SET heartbeat = ?, collector_pid = ?, collector_started = ?, "
                 "collector_restarts = ?, last_error = coalesce(?, last_error) WHERE id = ?",
                 (stamp, collector_pid, collector_started, restarts, last_error, run_id))


def stop_run(conn: Connection, run_id: int, reason: str, stamp: str) -> None:
    conn.execute("UPDATE service_runs SET heartbeat = ?, stopped = ?, stop_reason = ?, collector_pid = NULL "
                 "WHERE id = ?", (stamp, stamp, reason, run_id))


def latest_runs(conn: Connection, limit: int = 2) -> list[sqlite3.Row]:
    """The newest runs, newest first."""
    return conn.execute("SELECT * FROM service_runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def record_exit(conn: sqlite3.Connection, run_id: int, child: str, exited: dt.datetime, ran_s: float, reason: str,
                stderr: str | None) -> None:
    """One exit of a child that the supervisor will start again."""
    conn.execute("INSERT INTO service_exits (run_id, child, exited, ran_s, reason, stderr) VALUES (?, ?, ?, ?, ?, ?)",
                 (run_id, child, format_utc(exited), round(ran_s, 3), reason, stderr[:MAX_STDERR] if stderr else None))


def exits_since(conn: sqlite3.Connection, run_id: int, child: str, since: dt.datetime) -> list[sqlite3.Row]:
    """The child's exits in this run after `since` (exclusive), oldest first."""
    return conn.execute("SELECT exited, ran_s, reason, stderr FROM service_exits WHERE run_id = ? AND child = ? "
                        "AND exited > ? ORDER BY exited, id", (run_id, child, format_utc(since))).fetchall()


def last_exit(conn: sqlite3.Connection, run_id: int, child: str) -> sqlite3.Row | None:
    """The child's newest exit in this run."""
    return conn.execute("SELECT exited, ran_s, reason, stderr FROM service_exits WHERE run_id = ? AND child = ? "
                        "ORDER BY exited DESC, id DESC LIMIT 1", (run_id, child)).fetchone()
