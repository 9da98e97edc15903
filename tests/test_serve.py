"""`newsradar serve`: one supervised unit (restarts with backoff, clean stops) and the health check on its record."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from conftest import free_port

from collectors.feedlists import import_feeds, read_feed_list
from collectors.normalize import normalize_link
from db import connect
from db.links import stored_identities
from newsradar import health
from newsradar.service import health_server

CHILD = textwrap.dedent(r"""
    import signal, sys, time
    name, lifetime, status = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    STOPS = {signal.SIGINT, signal.SIGTERM}
    def say(text):   # one write (no interleaving), with the stop signals held until it is out: raised inside the
        signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)     # write or its flush, Stop left stdout unusable and the
        sys.stdout.write(f"{name} {text}\n")                # next line failed (exit status 1: a fresh-clone flake)
        sys.stdout.flush()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    class Stop(Exception):
        pass
    def stop(*_):   # says so outside the handler, for the same reason
        raise Stop
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        say("running")
        time.sleep(lifetime)
    except Stop:
        say("stopped cleanly")
        sys.exit(0)
    say("ended by itself")
    if status:
        sys.stderr.write(f"{name} failed: boom\n")
    sys.exit(status)
""")
T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def start_supervisor(tmp_path: Path, children: dict[str, tuple[float, int]]) -> subprocess.Popen:
    """A Supervisor over fake children (name: (lifetime s, exit status)) in its own process."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    kids = [(name, [sys.executable, str(script), name, str(t), str(s)]) for name, (t, s) in children.items()]
    code = ("import sys; from pathlib import Path; from newsradar.service import Child, Supervisor; "
            f"sys.exit(Supervisor([Child(n, c) for n, c in {kids!r}], Path({str(tmp_path / 's.db')!r}), "
            "backoff_max_s=4).run())")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(proc: subprocess.Popen, needles: list[str], timeout: float = 30) -> str:
    out, deadline = "", time.monotonic() + timeout
    while not all(n in out for n in needles) and time.monotonic() < deadline:
        out += proc.stdout.readline()
    return out


def last_run(db: Path) -> dict:
    with closing(connect(db)) as conn:
        return dict(conn.execute("SELECT * FROM service_runs ORDER BY id DESC LIMIT 1").fetchone())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_both_children_cleanly_and_is_recorded(tmp_path, signum):
    proc = start_supervisor(tmp_path, {"collector": (60, 0), "dashboard": (60, 0)})
    try:
        out = wait_for(proc, ["collector running", "dashboard running"])
        proc.send_signal(signum)
        out += proc.communicate(timeout=40)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0, out   # the supervisor's own words say why, when it failed
    assert "collector stopped cleanly" in out and "dashboard stopped cleanly" in out and "Traceback" not in out
    run = last_run(tmp_path / "s.db")
    assert run["stopped"] and run["stop_reason"] == signal.Signals(signum).name and run["collector_pid"] is None


@pytest.mark.slow
def test_a_crashed_collector_is_restarted_with_growing_backoff(tmp_path):
    proc = start_supervisor(tmp_path, {"collector": (0.1, 3), "dashboard": (60, 0)})
    try:
        out = wait_for(proc, ["restarting it in 1 s", "restarting it in 2 s", "restarting it in 4 s"], timeout=40)
        time.sleep(health.BEAT_S + 1)
        run = last_run(tmp_path / "s.db")
        proc.send_signal(signal.SIGTERM)
        out += proc.communicate(timeout=40)[0]
    finally:
        proc.kill()
    assert out.count("collector running") >= 3 and out.count("dashboard running") == 1, out
    assert "the collector exited with status 3" in out
    assert run["collector_restarts"] >= 3 and run["last_error"] == "the collector exited with status 3"


def poll_health(port: int, done, timeout: float = 60) -> tuple[int, dict]:
    """GET /health until done(status, body) or the timeout; the last answer."""
    deadline, answer = time.monotonic() + timeout, (0, {})
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # an answer cut off while the supervisor migrates the database
            answer = get_health(port)
        if answer[0] and done(*answer):
            break
        time.sleep(0.5)
    return answer


@pytest.mark.parametrize(("lifetime", "status"), [(0, 3), (0.5, 1)])
def test_a_collector_in_a_crash_loop_makes_health_fail_with_its_restarts_and_last_exit(tmp_path, lifetime, status):
    proc = start_supervisor(tmp_path, {"collector": (lifetime, status), "dashboard": (60, 0)})
    port = free_port()
    server = health_server(tmp_path / "s.db", "127.0.0.1", port)
    try:
        out = wait_for(proc, ["collector running"])
        code, body = poll_health(port, lambda _code, body: body.get("status") == "failing")
        proc.send_signal(signal.SIGTERM)
        out += proc.communicate(timeout=40)[0]
    finally:
        server.shutdown()
        proc.kill()
    assert code == 503 and body["status"] == "failing", body
    assert body["collector"]["recent_restarts"] >= health.CRASH_LOOP_EXITS
    assert f"{body['collector']['recent_restarts']} restarts in the last 10 minutes" in body["reason"]
    assert body["collector"]["last_exit"]["reason"] == f"exit status {status}"
    assert body["collector"]["last_exit"]["stderr"] == "collector failed: boom"
    assert "collector failed: boom" in out   # still passed through to the service's log
    assert body["dashboard"]["recent_restarts"] == 0


def test_a_healthy_run_answers_200_with_no_restarts(tmp_path):
    proc = start_supervisor(tmp_path, {"collector": (60, 0), "dashboard": (60, 0)})
    port = free_port()
    server = health_server(tmp_path / "s.db", "127.0.0.1", port)
    try:
        wait_for(proc, ["collector running", "dashboard running"])
        code, body = poll_health(port, lambda code, _body: code == 200)
    finally:
        server.shutdown()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=40)
        proc.kill()
    assert code == 200 and body["status"] == "ok", body
    assert body["collector"]["recent_restarts"] == 0 and body["collector"]["last_exit"] is None


def beat_at(conn, when: dt.datetime, collector: bool = True) -> int:
    run = health.start_run(conn, pid=4242, now=when)
    health.beat(conn, run, 4343 if collector else None, when if collector else None, 0, now=when)
    return run


def test_health_of_a_database_never_served(conn):
    report = health.report(conn, now=T0)
    assert report["status"] == "down" and "never run" in report["reason"]


@pytest.mark.parametrize(("beat_age_s", "collector", "status"), [
    (3, True, "ok"), (3, False, "degraded"), (health.STALE_AFTER_S + 5, True, "down")])
def test_health_follows_the_heartbeat_and_the_collector(conn, beat_age_s, collector, status):
    beat_at(conn, T0 - dt.timedelta(seconds=beat_age_s), collector)
    report = health.report(conn, now=T0)
    assert report["status"] == status
    assert report["collector"]["alive"] is (status == "ok")


def test_health_reports_a_restart_and_how_the_previous_run_ended(conn):
    first = beat_at(conn, T0 - dt.timedelta(hours=1))
    health.stop_run(conn, first, "SIGTERM", now=T0 - dt.timedelta(minutes=30))
    beat_at(conn, T0)
    report = health.report(conn, now=T0)
    assert report["status"] == "ok" and report["restarted"] is True
    assert report["previous_run"]["stop_reason"] == "SIGTERM"


def test_a_run_that_died_without_stopping_is_marked_lost_at_the_next_start(conn):
    beat_at(conn, T0 - dt.timedelta(hours=1))
    beat_at(conn, T0)
    previous = health.report(conn, now=T0)["previous_run"]
    assert previous["stop_reason"].startswith("lost") and previous["stopped"] == "2026-11-25 11:00:00"


def get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_health_endpoint_answers_503_until_the_service_beats(db_path, conn):
    port = free_port()
    server = health_server(db_path, "127.0.0.1", port)
    try:
        assert get_health(port)[0] == 503
        beat_at(conn, dt.datetime.now(dt.UTC))
        status, body = get_health(port)
        assert status == 200 and body["status"] == "ok" and body["collector"]["pid"] == 4343
    finally:
        server.shutdown()


def test_a_dashboard_port_its_last_run_closed_is_free_at_once():
    """A restart right after a stop: the port's closed connections still wait on it, as the dashboard's server can
    bind over them (SO_REUSEADDR), the check does too."""
    from newsradar.service import _port_free

    with contextlib.closing(socket.socket()) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as Tornado's listener, Streamlit's server
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()      # the server's side closes first: its end of the connection waits (TIME_WAIT)
        client.close()
    _port_free("127.0.0.1", port)


@pytest.mark.parametrize(("taken", "flag"), [("--health-port", "--health-port"), ("--port", "--port")])
def test_a_port_in_use_is_named_with_how_to_move_it(db_path, capsys, taken, flag):
    from newsradar.cli import main

    with contextlib.closing(socket.socket()) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        ports = {"--port": str(free_port()), "--health-port": str(free_port()), taken: str(holder.getsockname()[1])}
        assert main(["--db", str(db_path), "serve", *(x for item in ports.items() for x in item)]) == 2
    error = capsys.readouterr().err
    assert f"127.0.0.1:{ports[taken]}" in error and flag in error and "Traceback" not in error


# acceptance: SIGTERM mid-collection, restart: nothing lost, nothing duplicated, the health check tells -------

def serve(db: Path, port: int, health_port: int) -> subprocess.Popen:
    # one feed at a time, so that a SIGTERM right after the first stored feed lands mid-collection
    env = {**os.environ, "NEWSRADAR_COLLECTOR_CONCURRENCY": "1", "NEWSRADAR_COLLECTOR_PER_HOST": "1"}
    return subprocess.Popen([sys.executable, "-m", "newsradar", "--db", str(db), "serve", "--port", str(port),
                             "--health-port", str(health_port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def stored_links(db: Path) -> Counter:
    with closing(connect(db, readonly=True)) as conn:
        return stored_identities(conn)


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=60)[0]
    finally:
        proc.kill()


@pytest.mark.slow
def test_serve_killed_with_sigterm_mid_collection_loses_and_duplicates_nothing(replay, tmp_path):
    replay.set_day("2023-09-25")
    db = tmp_path / "served.db"
    with closing(connect(db)) as conn:
        import_feeds(conn, read_feed_list(replay.opml_file(tmp_path, faults=False))[0])
    served = {normalize_link(link) for links in replay.served().values() for link in links}
    port, health_port = free_port(), free_port()

    first = serve(db, port, health_port)
    try:
        assert wait_until(lambda: sum(stored_links(db).values()) > 0, timeout=60), "nothing stored"
        out = stop(first)
    finally:
        first.kill()
    assert first.returncode == 0, out
    assert "collector stopped cleanly" in out and "Traceback" not in out
    assert 0 < len(stored_links(db)) < len(served), "the SIGTERM did not land mid-collection"

    second = serve(db, port, health_port)
    try:
        assert wait_until(lambda: set(stored_links(db)) >= served, timeout=120, step=0.5), "articles lost"
        assert wait_until(lambda: get_health(health_port)[0] == 200, timeout=30), get_health(health_port)
        body = get_health(health_port)[1]
    finally:
        out = stop(second)
    assert second.returncode == 0 and "Traceback" not in out
    links = stored_links(db)
    assert set(links) == served and max(links.values()) == 1
    assert body["restarted"] is True and body["previous_run"]["stop_reason"] == "SIGTERM"
    assert body["collector"]["alive"] and body["last_article_stored"]
