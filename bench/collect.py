"""Benchmark: collection cycles against the 2023 replay server on loopback.

    .venv/bin/python bench/collect.py            # cold, warm (same day) and next-day cycles
    .venv/bin/python bench/collect.py --faults   # then one cycle with the 10 misbehaving feeds added
    .venv/bin/python bench/collect.py --engine sqlite --engine postgresql   # both engines (what `make bench` runs)

Starts ../shared/tools/replay_server.py (about 10 s to load the corpus), imports its OPML into a fresh
database and times whole `run_cycle` calls with the default CollectorConfig. Prints figures only; it
never asserts a timing. Standard library and newsradar's own code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from engines import ENGINES, fresh_databases
from tables import print_table

from collectors.collect import CollectorConfig, CycleReport, run_cycle
from collectors.feedlists import import_feeds, read_feed_list
from dashboard.testing import free_port
from db import connect

SHARED = Path(__file__).resolve().parents[2] / "shared"
SERVER = Path("tools") / "replay_server.py"
START_TIMEOUT_S = 180.0
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def shared_dir(arg: str | None) -> Path:
    """shared/ (holding tools/replay_server.py); --data may name shared/ or shared/data/."""
    base = Path(arg).resolve() if arg else SHARED
    for candidate in (base, base.parent):
        if (candidate / SERVER).is_file():
            return candidate
    sys.exit(f"bench/collect.py: no {SERVER} under {base} (use --data DIR)")


class ReplayServer:
    """replay_server.py as a subprocess on a free loopback port; stop() always kills it."""

    def __init__(self, script: Path, day: str, log: Path, faults: bool = False):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, str(script), "--host", "127.0.0.1", "--port", str(self.port), "--day", day]
        if faults:
            command.append("--faults")
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self) -> float:
        """Poll /_stats until it answers; seconds it took."""
        started = time.perf_counter()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replay server exited with status {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace"))
            try:
                self.stats()
                return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
            if time.perf_counter() - started > START_TIMEOUT_S:
                raise RuntimeError(f"replay server did not answer within {START_TIMEOUT_S:g} s")
            time.sleep(0.2)

    def get(self, path: str) -> bytes:
        with HTTP.open(self.base + path, timeout=30) as response:
            return response.read()

    def stats(self) -> dict:
        return json.loads(self.get("/_stats"))

    def advance(self, days: int = 1) -> str:
        request = urllib.request.Request(f"{self.base}/_clock?advance={days}", data=b"", method="POST")
        with HTTP.open(request, timeout=30) as response:
            return response.read().decode()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fresh_db(server: ReplayServer, tmp: Path, name: str, target: Path | str):
    """The new database `target` with the server's OPML imported through the product's feed-list code."""
    opml = tmp / f"{name}.opml"
    opml.write_bytes(server.get("/outlets.opml"))
    conn = connect(target)
    specs, skipped = read_feed_list(opml)
    new = import_feeds(conn, specs)
    print(f"{name}: imported {new} feeds from {server.base}/outlets.opml"
          + (f" ({skipped} skipped)" if skipped else ""))
    return conn


def timed_cycle(conn, server: ReplayServer) -> tuple[CycleReport, float, dict, dict]:
    """One forced cycle; wall seconds and the server's counters before and after."""
    before = server.stats()
    started = time.perf_counter()
    report = asyncio.run(run_cycle(conn, CollectorConfig(allow_private_networks=True), force=True))
    seconds = time.perf_counter() - started
    after = server.stats()
    return report, seconds, before, after


def cycle_row(label: str, report: CycleReport, seconds: float, before: dict, after: dict) -> list[object]:
    counts = Counter(o.outcome for o in report.outcomes)
    # each /_stats call counts itself: the `after` probe adds one request that is not the cycle's
    requests = after["requests"] - before["requests"] - 1
    return [label, after["day"], len(report.outcomes), counts["ok"], counts["not_modified"], counts["error"],
            report.new_items, round(seconds, 2), requests, after["not_modified"] - before["not_modified"],
            after["requests"], after["not_modified"]]


CYCLE_HEADERS = ["cycle", "day", "feeds", "ok", "304", "error", "new articles", "seconds",
                 "srv requests", "srv 304", "srv requests total", "srv 304 total"]


def print_errors(label: str, report: CycleReport) -> None:
    for o in report.outcomes:
        if o.outcome == "error":
            print(f"  {label}: error {o.url}: {o.error_kind}: {o.error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", metavar="DIR", help=f"shared/ holding {SERVER} (default: {SHARED})")
    parser.add_argument("--day", default="2023-09-20", help="the replay server's first day (2023-09-20)")
    parser.add_argument("--faults", action="store_true",
                        help="also time one cycle on a second server that adds the 10 fault feeds")
    parser.add_argument("--engine", choices=list(ENGINES), action="append",
                        help="collect into this engine (repeat for both; default: SQLite); PostgreSQL in a throwaway "
                             "cluster (tests/pgcluster.py)")
    args = parser.parse_args(argv)
    os.environ["NEWSRADAR_ALLOW_PRIVATE"] = "1"  # loopback feeds, for the feed list import as well
    script = shared_dir(args.data) / SERVER
    config = CollectorConfig(allow_private_networks=True)

    print("newsradar collect benchmark")
    print(f"python {platform.python_version()}, {platform.machine()}; server {script}")
    print(f"CollectorConfig(): deadline {config.deadline_s:g} s, concurrency {config.concurrency}, "
          f"per host {config.per_host} (every replay feed is on one host, 127.0.0.1)")

    servers: list[ReplayServer] = []
    with tempfile.TemporaryDirectory(prefix="newsradar-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            for engine in dict.fromkeys(args.engine or ["sqlite"]):
                with fresh_databases(engine, tmp) as new_database:
                    three_cycles(ENGINES[engine], script, args.day, tmp, new_database, servers)
                    if args.faults:
                        fault_cycle(ENGINES[engine], script, args.day, tmp, new_database, servers)
        finally:
            for srv in servers:
                srv.stop()
    return 0


def three_cycles(name: str, script: Path, day: str, tmp: Path, new_database: Callable[[str], Path | str],
                 servers: list[ReplayServer]) -> None:
    """Cold, warm (same day) and next-day cycles into a new database of one engine, against a fresh server."""
    server = ReplayServer(script, day, tmp / f"server-{name}.log")
    servers.append(server)
    print(f"\n{name}: replay server on {server.base}: ready after {server.wait_ready():.1f} s")
    conn = fresh_db(server, tmp, "collect", new_database("collect"))

    rows = []
    report, seconds, before, after = timed_cycle(conn, server)
    rows.append(cycle_row("cold", report, seconds, before, after))
    print_errors("cold", report)
    report, seconds, before, after = timed_cycle(conn, server)
    rows.append(cycle_row("warm (same day)", report, seconds, before, after))
    print_errors("warm", report)
    server.advance(1)
    report, seconds, before, after = timed_cycle(conn, server)
    rows.append(cycle_row("next day", report, seconds, before, after))
    print_errors("next day", report)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    server.stop()

    print_table(f"{name}: cycles (run_cycle with force=True, default CollectorConfig)", CYCLE_HEADERS, rows)
    print("  srv requests / srv 304: the server's /_stats counters over the cycle (its own /_stats probes "
          "left out);\n  the *total* columns are the raw counters after the cycle (they include the OPML "
          "download and /_stats polls)")
    print(f"  articles in the db after the three cycles: {articles:,}")


def fault_cycle(name: str, script: Path, day: str, tmp: Path, new_database: Callable[[str], Path | str],
                servers: list[ReplayServer]) -> None:
    """One cycle over every feed of a server that adds the 10 fault feeds, into a new database of one engine."""
    faults = ReplayServer(script, day, tmp / f"faults-{name}.log", faults=True)
    servers.append(faults)
    print(f"\n{name}: fault server on {faults.base}: ready after {faults.wait_ready():.1f} s")
    conn = fresh_db(faults, tmp, "faults", new_database("faults"))
    report, seconds, before, after = timed_cycle(conn, faults)
    durations = {r[0]: r[1] for r in conn.execute("SELECT feed_id, duration_ms FROM fetch_log ORDER BY id")}
    conn.close()
    fault_rows = [
        [o.url.rsplit("/", 1)[-1].removesuffix(".xml"), o.outcome, o.error_kind, o.items,
         durations.get(o.feed_id), _clip("; ".join(filter(None, [o.error, *o.warnings])), 130) or "-"]
        for o in sorted(report.outcomes, key=lambda o: o.url) if "/faults/" in o.url]
    print_table(f"{name}: fault feeds (one cycle over every feed)",
                ["fault", "outcome", "error kind", "items", "fetch ms", "error / warnings"], fault_rows)
    print_table(f"{name}: fault cycle", CYCLE_HEADERS, [cycle_row("with faults", report, seconds, before, after)])
    for o in report.outcomes:
        if o.outcome == "error" and "/faults/" not in o.url:
            print(f"  with faults: error on a regular feed {o.url}: {o.error_kind}: {o.error}")


if __name__ == "__main__":
    sys.exit(main())
