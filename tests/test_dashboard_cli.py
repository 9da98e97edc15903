"""`newsradar dashboard` and `make run`'s supervisor (dashboard/run.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from dashboard import run as supervisor
from dashboard.serve import APP, streamlit_command
from newsradar import cli

CHILD = textwrap.dedent(r"""
    import signal, sys, time
    name, lifetime = sys.argv[1], float(sys.argv[2])
    say = lambda text: (sys.stdout.write(f"{name} {text}\n"), sys.stdout.flush())  # one write: no interleaving
    signal.signal(signal.SIGINT, lambda *_: (say("stopped cleanly"), sys.exit(0)))
    say("running")
    time.sleep(lifetime)
    say("ended by itself")
""")


def test_dashboard_command_execs_streamlit_with_the_database(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(os, "execve", lambda path, args, env: calls.append((path, args, env)))
    assert cli.main(["--db", str(tmp_path / "x.db"), "dashboard", "--port", "8642"]) == 0
    (path, args, env), = calls
    assert path == sys.executable and args == streamlit_command(8642)
    assert args[3:5] == ["run", str(APP)] and "--server.headless" in args and "--server.fileWatcherType" in args
    assert args[args.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["NEWSRADAR_DB"] == str((tmp_path / "x.db").resolve())


def test_make_run_supervises_the_collector_and_the_dashboard():
    assert supervisor.children(8555) == {
        "collector": [sys.executable, "-m", "newsradar", "collect"],
        "dashboard": [sys.executable, "-m", "newsradar", "dashboard", "--port", "8555"]}


def start_supervisor(tmp_path: Path, lifetimes: dict[str, float]) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    commands = {name: [sys.executable, str(script), name, str(t)] for name, t in lifetimes.items()}
    code = f"import sys; from dashboard.run import supervise; sys.exit(supervise({commands!r}))"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(proc: subprocess.Popen, needles: list[str], timeout: float = 20) -> str:
    out, deadline = "", time.monotonic() + timeout
    while not all(n in out for n in needles) and time.monotonic() < deadline:
        out += proc.stdout.readline()
    return out


def test_ctrl_c_to_the_supervisor_stops_both(tmp_path):
    proc = start_supervisor(tmp_path, {"collector": 60, "dashboard": 60})
    try:
        out = wait_for(proc, ["collector running", "dashboard running"])
        proc.send_signal(signal.SIGINT)
        out += proc.communicate(timeout=20)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "collector stopped cleanly" in out and "dashboard stopped cleanly" in out and "Traceback" not in out


def test_one_child_ending_leaves_the_other_running(tmp_path):
    proc = start_supervisor(tmp_path, {"collector": 60, "dashboard": 0.5})
    try:
        out = wait_for(proc, ["dashboard ended by itself", "the dashboard exited with status 0"])
        time.sleep(0.5)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out += proc.communicate(timeout=20)[0]
    finally:
        proc.kill()
    assert "the rest keeps running" in out
