"""`newsradar serve`: the collector, the dashboard and the alerts as one supervised unit, with a health endpoint.

A child that dies is started again after a backoff (1 s, doubling up to collector.restart_backoff_max_s, back to
1 s once it has run for a minute). SIGTERM or SIGINT is passed to both children, which stop cleanly (the collector
between feeds, each feed being stored in its own transaction); whatever has not stopped after a grace period is
killed. Every start, heartbeat, restart and stop is written to service_runs, and every exit of a child (with its
status and the last line it wrote to stderr, which is passed through to ours) to service_exits; the health check
reads both.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from collectors.tagging import tagger_status
from dashboard.serve import streamlit_process
from db import connect, service
from db.engine import Connection
from newsradar import health
from newsradar.config import Config

STOP_GRACE_S = 30.0
HEALTHY_RUN_S = 60.0       # a child that ran this long before dying gets the shortest backoff again
POLL_S = 0.2
STDERR_DRAIN_S = 1.0       # how long to wait for the rest of a dead child's stderr (a grandchild may hold the pipe)
STDERR_CHUNK = 65_536


class StderrTail:
    """Passes one child process's stderr through to ours and keeps the last non-empty line it wrote."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.last: str | None = None
        self._thread = threading.Thread(target=self._forward, args=(pipe,), name="stderr", daemon=True)
        self._thread.start()

    def _forward(self, pipe: IO[bytes]) -> None:
        ours = getattr(sys.stderr, "buffer", None)
        with pipe:
            for chunk in iter(lambda: pipe.readline(STDERR_CHUNK), b""):
                text = chunk.decode(errors="replace")
                try:
                    if ours is not None:
                        ours.write(chunk)
                        ours.flush()
                    else:
                        sys.stderr.write(text)
                except (OSError, ValueError):  # our stderr closed: keep reading, or the child would block
                    ours = None
                if text.strip():
                    self.last = text.strip()

    def drained(self) -> str | None:
        """The last line, once the pipe is at its end (or after a short wait)."""
        self._thread.join(STDERR_DRAIN_S)
        return self.last


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    started: dt.datetime | None = None
    started_at: float = 0.0             # monotonic
    restarts: int = 0
    backoff_s: float = 1.0
    next_start: float = 0.0             # monotonic; when a dead child may start again
    last_error: str | None = None
    stderr: StderrTail | None = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Supervisor:
    children: list[Child]
    db: Path
    backoff_max_s: float = 300.0
    log: Callable[[str], None] = field(default=lambda line: print(f"newsradar: {line}", file=sys.stderr,
                                                                  flush=True))
    stop_signal: int | None = None

    def run(self) -> int:
        """Supervise until a stop signal; 0 when every child stopped cleanly."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        with closing(connect(self.db)) as conn:
            run_id = health.start_run(conn, pid=os.getpid())
            reason = "error in the supervisor"
            try:
                self._loop(conn, run_id)
                reason = signal.Signals(self.stop_signal).name if self.stop_signal else "children ended"
            finally:
                clean = self._stop_children()
                health.stop_run(conn, run_id, reason + ("" if clean else "; a child had to be killed"))
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
        return 0 if clean else 1

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop_signal = signum
        for child in self.children:
            if child.alive():
                child.proc.send_signal(signum)

    def _loop(self, conn: Connection, run_id: int) -> None:
        next_beat = 0.0
        while self.stop_signal is None:
            now = time.monotonic()
            changed = [self._tend(child, now, conn, run_id) for child in self.children]
            if now >= next_beat or any(changed):  # a start or exit is in the record at once, not up to BEAT_S later
                collector = self.children[0]
                health.beat(conn, run_id, collector.proc.pid if collector.alive() else None, collector.started,
                            collector.restarts, collector.last_error)
                next_beat = now + health.BEAT_S
            time.sleep(POLL_S)

    def _tend(self, child: Child, now: float, conn: Connection, run_id: int) -> bool:
        """Start a child that is due, or note one that died (in service_exits) and schedule its restart; True when
        it started or died."""
        if child.proc is None:
            if now >= child.next_start and self.stop_signal is None:
                child.proc = subprocess.Popen(child.command, env=child.env, stderr=subprocess.PIPE)
                child.stderr = StderrTail(child.proc.stderr)
                child.started, child.started_at = dt.datetime.now(dt.UTC), now
                return True
            return False
        status = child.proc.poll()
        if status is None or self.stop_signal is not None:
            return False
        if now - child.started_at >= HEALTHY_RUN_S:
            child.backoff_s = 1.0
        reason = exit_reason(status)
        child.last_error = f"the {child.name} " + (f"exited with status {status}" if status >= 0 else f"was {reason}")
        service.record_exit(conn, run_id, child.name, dt.datetime.now(dt.UTC), now - child.started_at, reason,
                            child.stderr.drained() if child.stderr else None)
        self.log(f"{child.last_error}; restarting it in {child.backoff_s:.0f} s")
        child.proc, child.restarts = None, child.restarts + 1
        child.next_start = now + child.backoff_s
        child.backoff_s = min(child.backoff_s * 2, self.backoff_max_s)
        return True

    def _stop_children(self) -> bool:
        """Wait for the children to stop (signalled already, or SIGTERM now); kill after the grace period."""
        deadline = time.monotonic() + STOP_GRACE_S
        clean = True
        for child in self.children:
            if child.alive() and self.stop_signal is None:
                child.proc.terminate()
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                clean = False
                child.proc.kill()
                child.proc.wait()
            if child.proc.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
                clean = False
        return clean


def exit_reason(status: int) -> str:
    """'exit status 3', or 'killed by SIGSEGV' for a Popen returncode of -11."""
    if status >= 0:
        return f"exit status {status}"
    try:
        return f"killed by {signal.Signals(-status).name}"
    except ValueError:
        return f"killed by signal {-status}"


def children(config: Config, db: Path, port: int) -> list[Child]:
    """The collector (first: the health check follows it), the dashboard and the alerts, as configured."""
    newsradar = [sys.executable, "-m", "newsradar", "--db", str(db)]
    collector = [*newsradar, "collect", "--concurrency", str(config["collector.concurrency"]),
                 "--per-host", str(config["collector.per_host"]), "--deadline", str(config["collector.deadline_s"])]
    command, env = streamlit_process(port, config, os.environ, db)
    dashboard = Child("dashboard", command, env)
    alerts = Child("alerts", [*newsradar, "alerts", "run"])   # evaluates the alert rules every alerts.interval_s
    return [Child("collector", collector), dashboard, alerts]


# the health endpoint -----------------------------------------------------------------------------------------

def health_server(db: Path, address: str, port: int) -> ThreadingHTTPServer:
    """GET /health: the health report as JSON, 200 when ok and 503 otherwise; served from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server protocol)
            if self.path.split("?")[0].rstrip("/") not in ("", "/health"):
                self.send_error(404)
                return
            with closing(connect(db, readonly=True)) as conn:
                body = health.report(conn)
            payload = json.dumps(body, indent=1).encode()
            self.send_response(200 if body["status"] == "ok" else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:  # a monitor polling every few seconds would flood the log
            pass

    try:
        server = ThreadingHTTPServer((address, port), Handler)
    except OSError as exc:
        how = "--health-port or server.health_port; 0 for none"
        raise _taken(exc, f"the health endpoint's {address}:{port}", how) from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def _taken(exc: OSError, what: str, how: str) -> OSError:
    """`exc` (most often another `newsradar serve` on this machine) naming the address it could not take, and how to
    move it: `newsradar` prints the file name of an OSError after its reason."""
    return OSError(exc.errno, exc.strerror, f"{what} ({how})")


def _port_free(address: str, port: int) -> None:
    """Refuse at once a dashboard port that is taken, saying which (the dashboard would fail and be restarted again
    and again)."""
    try:
        family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0][0]
        with closing(socket.socket(family)) as probe:
            # as the dashboard's server binds: a port its last run's closed connections still wait on is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as exc:
        raise _taken(exc, f"the dashboard's {address}:{port}", "--port or server.port, PORT= for make run") from exc


def serve(config: Config, db: Path, port: int, health_port: int) -> int:
    """Run the supervised unit until SIGTERM/SIGINT."""
    with closing(connect(db)) as conn:  # create or migrate once, before the children race to
        tags = tagger_status(conn)
    if not tags["current"]:
        print(f"newsradar: warning: {tags['message']}", file=sys.stderr, flush=True)
    _port_free(config["server.address"], port)
    server = health_server(db, config["server.address"], health_port) if health_port else None
    where = f"http://{config['server.address']}:{port}/"
    print(f"newsradar: serving {db} at {where}" + (f"; health at http://{config['server.address']}:"
                                                  f"{health_port}/health" if server else ""), flush=True)
    try:
        return Supervisor(children(config, db, port), db, config["collector.restart_backoff_max_s"]).run()
    finally:
        if server:
            server.shutdown()
