"""Acceptance: the collector stays up on its schedule and Ctrl-C stops it cleanly (also through `make run`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectors.feedlists import DEFAULT_FEEDS, import_feeds, read_feed_list
from dashboard.testing import free_port
from db import connect

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow   # a long file: started first (conftest.py)


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 120) -> list[str]:
    """Lines of stdout up to the first containing `needle`."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"never printed {needle!r}; got {lines}")


def test_collect_runs_until_ctrl_c(replay, tmp_path):
    replay.set_day("2023-09-22")
    db = tmp_path / "run.db"
    with connect(db) as conn:
        import_feeds(conn, read_feed_list(replay.opml_file(tmp_path, faults=False))[0])
    proc = subprocess.Popen([sys.executable, "-m", "newsradar", "--db", str(db), "collect", "--per-host", "8"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_line(proc, "new articles")
        time.sleep(1)
        assert proc.poll() is None, "the collector exited after one cycle"
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=20)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "collector stopped cleanly" in out and "Traceback" not in out
    with connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_make_run_seeds_defaults_and_stops_on_ctrl_c(tmp_path):
    db = tmp_path / "product.db"
    # no route to the outlets here: a feed that hangs fails after 3 s, not the default 20
    # free ports, as a user whose 8501 and 8502 are taken (by another newsradar, or a test beside this one) gives them
    env = {**os.environ, "NEWSRADAR_DB": str(db), "NEWSRADAR_COLLECTOR_DEADLINE_S": "3",
           "NEWSRADAR_SERVER_HEALTH_PORT": str(free_port())}
    proc = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={free_port()}"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = wait_for_line(proc, " feeds in ", timeout=300)
        time.sleep(1)
        assert proc.poll() is None, "make run exited after one cycle"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out = "".join(lines) + proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "first start: added the" in out
    assert "collector stopped cleanly" in out and "Traceback" not in out
    defaults = len(read_feed_list(DEFAULT_FEEDS)[0])
    with connect(db) as conn:
        rows = conn.execute("SELECT status, last_error_kind, last_error FROM feeds").fetchall()
    assert len(rows) == defaults
    # this machine has no route to the outlets: each feed fails cleanly and says why (or is collected)
    assert all(r["status"] == "active" or (r["last_error_kind"] and r["last_error"]) for r in rows)
