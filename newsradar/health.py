"""The record of `newsradar serve` runs (heartbeat, collector restarts, clean stops) and the health report built on it.

The supervisor writes one service_runs row per start and beats every few seconds, and one service_exits row per
child exit; the report reads them and the newest article, so it also tells an operator about a run that died without
stopping cleanly and about a child that keeps crashing (a crash loop) although it is up between crashes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from collectors.normalize import parse_iso
from collectors.tagging import tagger_status
from db import alerts as alert_store
from db import articles, feeds, service
from db.engine import Connection
from db.text import format_utc

BEAT_S = 5.0
STALE_AFTER_S = 30.0      # no beat for this long: the supervisor is gone
RESTART_WINDOW_S = 600.0  # a child that exits CRASH_LOOP_EXITS times within this window is in a crash loop
CRASH_LOOP_EXITS = 3
CHILDREN = ("collector", "dashboard", "alerts")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_run(conn: Connection, pid: int, now: dt.datetime | None = None) -> int:
    """A new run; a previous run still open (killed, never stopped) is closed as 'lost' at its last beat."""
    return service.start_run(conn, pid, format_utc(now or _now()))


def beat(conn: Connection, run_id: int, collector_pid: int | None, collector_started: dt.datetime | None,
         restarts: int, last_error: str | None = None, now: dt.datetime | None = None) -> None:
    """The supervisor is alive, and so is the collector when `collector_pid` is set."""
    started = format_utc(collector_started) if collector_started else None
    service.beat(conn, run_id, format_utc(now or _now()), collector_pid, started, restarts, last_error)


def stop_run(conn: Connection, run_id: int, reason: str, now: dt.datetime | None = None) -> None:
    service.stop_run(conn, run_id, reason, format_utc(now or _now()))


def report(conn: Connection, now: dt.datetime | None = None) -> dict[str, Any]:
    """Health as JSON-ready data: status ok | degraded | down, with the facts behind it (`conn` from db.connect)."""
    now = now or _now()
    runs = service.latest_runs(conn, 2)
    out: dict[str, Any] = {
        "checked": format_utc(now),
        "articles": articles.total(conn),
        "last_article_stored": articles.last_stored(conn),
        "last_fetch": feeds.last_fetch(conn),
        "tags": tagger_status(conn),
        "alert_messages": _alerts(conn),
    }
    if not runs:
        return {"status": "down", "reason": "newsradar serve has never run on this database", **out}
    run = runs[0]
    beat_age = (now - parse_iso(run["heartbeat"])).total_seconds()
    alive = run["stopped"] is None and beat_age <= STALE_AFTER_S
    collector_alive = alive and run["collector_pid"] is not None
    out |= {
        "service": {"pid": run["pid"], "started": run["started"], "last_heartbeat": run["heartbeat"],
                    "alive": alive, "stopped": run["stopped"], "stop_reason": run["stop_reason"]},
        "collector": {"alive": collector_alive, "pid": run["collector_pid"] if alive else None,
                      "started": run["collector_started"], "restarts": run["collector_restarts"],
                      "last_error": run["last_error"]},
        "restarted": len(runs) > 1,
        "previous_run": _previous(runs[1]) if len(runs) > 1 else None,
    }
    loops = []
    for child in CHILDREN:
        exits, looping = _exits(conn, run["id"], child, now)
        out.setdefault(child, {}).update(exits)
        if looping:
            loops.append(f"the {child} is in a crash loop: {exits['recent_restarts']} restarts in the last "
                         f"{RESTART_WINDOW_S / 60:.0f} minutes; last exit: {_exit_text(exits['last_exit'])}")
    if not alive:
        reason = f"stopped at {run['stopped']} ({run['stop_reason']})" if run["stopped"] else \
            f"no heartbeat since {run['heartbeat']}"
        return {"status": "down", "reason": "newsradar serve is not running: " + reason, **out}
    waiting = f"; {out['alert_messages']['problem']}" if out["alert_messages"]["problem"] else ""
    if loops:
        return {"status": "failing", "reason": "; ".join(loops) + waiting, **out}
    if not collector_alive:
        last = out["collector"]["last_exit"]
        after = f" after {_exit_text(last)}" if last else ""
        return {"status": "degraded", "reason": f"the collector is not running (restarting{after}){waiting}", **out}
    if waiting:
        return {"status": "degraded", "reason": f"serving; the collector is running{waiting}", **out}
    return {"status": "ok", "reason": "serving; the collector is running", **out}


def _alerts(conn: Connection) -> dict[str, Any]:
    """Alert messages that have not reached their channel (still retried) or may not have (the sender died mid-send),
    with the problem in words."""
    rows = [dict(row) | {"channel": redacted(row["channel"])} for row in alert_store.undelivered(conn)]
    if not rows:
        return {"undelivered": [], "problem": None}
    channels = sorted({row["channel"] for row in rows})
    last = rows[-1]
    return {"undelivered": rows,
            "problem": f"{len(rows)} alert message(s) not delivered to {', '.join(channels)} "
                       f"(last error: {last['last_error']}; next try {last['next_attempt_at']} UTC)"}


def crash_loop(exits: Sequence[dt.datetime], now: dt.datetime) -> bool:
    """CRASH_LOOP_EXITS exits within one window, the last of them less than a window ago.

    So a child is failing from its third quick exit until it has run a whole window without exiting; a slow loop
    (an exit every 4 minutes) stays failing rather than flapping as its exits enter and leave the window.
    """
    window = dt.timedelta(seconds=RESTART_WINDOW_S)
    return any(now - end < window and sum(end - window < e <= end for e in exits) >= CRASH_LOOP_EXITS
               for end in exits)


def _exits(conn: Connection, run_id: int, child: str, now: dt.datetime) -> tuple[dict[str, Any], bool]:
    """The child's restarts in the window and its last exit, and whether it is in a crash loop."""
    window = dt.timedelta(seconds=RESTART_WINDOW_S)
    times = [parse_iso(row["exited"]) for row in service.exits_since(conn, run_id, child, now - 2 * window)]
    last = service.last_exit(conn, run_id, child)
    return ({"recent_restarts": sum(now - t < window for t in times), "restart_window_s": RESTART_WINDOW_S,
             "last_exit": dict(last) if last else None}, crash_loop(times, now))


def _exit_text(last: dict[str, Any]) -> str:
    stderr = f" (stderr: {last['stderr']})" if last["stderr"] else ""
    return f"{last['reason']} at {last['exited']} after {last['ran_s']:.1f} s{stderr}"


def _previous(run: Mapping[str, Any]) -> dict[str, Any]:
    return {"started": run["started"], "stopped": run["stopped"], "stop_reason": run["stop_reason"]}


def redacted(channel: str) -> str:
    """A channel as the health report may show it: an Apprise URL carries its service's token, so only its scheme and
    host are shown (`slack://T1JJ3T3L2/…`); an e-mail address as it is."""
    scheme, sep, rest = channel.partition("://")
    if not sep:
        return channel
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…"
