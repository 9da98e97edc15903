"""The exits of `newsradar serve`'s children (collector, dashboard), read by the health report."""

from __future__ import annotations

import datetime as dt
import sqlite3

from collectors.normalize import format_utc

MAX_STDERR = 500   # characters of a child's last stderr line kept; a traceback's last line fits


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
