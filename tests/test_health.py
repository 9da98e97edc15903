"""The health rule on the record of child exits: a crash loop is 3 exits within 10 minutes, until a stable window."""

from __future__ import annotations

import datetime as dt

import pytest

from db import service
from newsradar import health

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
W = health.RESTART_WINDOW_S



@pytest.fixture
def conn(engine):
    """Each test below runs on SQLite and on PostgreSQL."""
    return engine


def ago(*seconds: float) -> list[dt.datetime]:
    return [T0 - dt.timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(("exits_s_ago", "looping"), [
    ((), False),
    ((10,), False),
    ((30, 10), False),
    ((30, 20, 10), True),                       # three quick exits
    ((W - 1, 300, 1), True),                    # three within the window
    ((699, 400, 100), True),                    # 599 s apart, the last 100 s ago
    ((700, 400, 100), False),                   # exactly a window apart: not within one window
    ((W + 0.5, 300, 1), True),                  # the first just out of the window from now, but within it from the last
    ((W + 2, W + 1, W), False),                 # then it ran a whole window without exiting: ok again
    ((W + 1, W, W - 1), True),                  # one second short of that
    ((1000, 760, 520, 280, 40), True),          # a slow loop (every 4 minutes) stays failing
    ((1500, 1260, 1020), False),                # ... until it stops for a window
    ((2 * W + 5, 2 * W + 3, 2 * W + 1, 5), False),  # an old loop and one recent exit
])
def test_crash_loop_rule_at_the_window_edges(exits_s_ago, looping):
    assert health.crash_loop(ago(*exits_s_ago), T0) is looping


def live_run(conn, now: dt.datetime = T0) -> int:
    run = health.start_run(conn, pid=4242, now=now - dt.timedelta(hours=1))
    health.beat(conn, run, 4343, now - dt.timedelta(minutes=1), 0, now=now)
    return run


def exit_at(conn, run: int, seconds_ago: float, child: str = "collector", stderr: str | None = "ValueError: boom",
            reason: str = "exit status 1") -> None:
    service.record_exit(conn, run, child, T0 - dt.timedelta(seconds=seconds_ago), 0.4, reason, stderr)


@pytest.mark.parametrize("child", ["collector", "dashboard"])
def test_a_child_in_a_crash_loop_fails_the_health_check_with_count_and_reason(conn, child):
    run = live_run(conn)
    for seconds in (100, 60, 30, 5):
        exit_at(conn, run, seconds, child)
    report = health.report(conn, now=T0)
    assert report["status"] == "failing"
    assert f"the {child} is in a crash loop: 4 restarts in the last 10 minutes" in report["reason"]
    assert "exit status 1" in report["reason"] and "ValueError: boom" in report["reason"]
    assert report[child]["recent_restarts"] == 4
    assert report[child]["last_exit"] == {"exited": "2026-11-25 11:59:55", "ran_s": 0.4, "reason": "exit status 1",
                                          "stderr": "ValueError: boom"}


def test_a_killed_child_reports_the_signal(conn):
    run = live_run(conn)
    for seconds in (30, 20, 10):
        exit_at(conn, run, seconds, stderr=None, reason="killed by SIGSEGV")
    report = health.report(conn, now=T0)
    assert report["status"] == "failing" and "killed by SIGSEGV" in report["reason"]
    assert "stderr" not in report["reason"]


def test_two_restarts_are_reported_but_not_a_crash_loop(conn):
    run = live_run(conn)
    exit_at(conn, run, 200)
    exit_at(conn, run, 100)
    report = health.report(conn, now=T0)
    assert report["status"] == "ok" and report["collector"]["recent_restarts"] == 2
    assert report["collector"]["last_exit"]["reason"] == "exit status 1"


def test_health_returns_to_ok_once_the_child_ran_a_whole_window(conn):
    run = live_run(conn)
    for seconds in (30, 20, 10):
        exit_at(conn, run, seconds)
    later = T0 + dt.timedelta(seconds=W - 10)
    health.beat(conn, run, 4343, T0, 3, now=later)
    assert health.report(conn, now=later - dt.timedelta(seconds=1))["status"] == "failing"
    report = health.report(conn, now=later)
    assert report["status"] == "ok" and report["collector"]["recent_restarts"] == 0
    assert report["collector"]["last_exit"]["reason"] == "exit status 1"   # still told, no longer failing


def test_exits_of_a_previous_run_do_not_count(conn):
    old = live_run(conn, T0 - dt.timedelta(minutes=2))
    for seconds in (150, 140, 130):
        exit_at(conn, old, seconds)
    live_run(conn)
    report = health.report(conn, now=T0)
    assert report["status"] == "ok" and report["collector"]["last_exit"] is None


def test_a_collector_waiting_to_restart_says_how_it_ended(conn):
    run = live_run(conn)
    exit_at(conn, run, 2)
    health.beat(conn, run, None, None, 1, now=T0)
    report = health.report(conn, now=T0)
    assert report["status"] == "degraded" and "exit status 1" in report["reason"]


def test_a_down_service_stays_down_whatever_its_children_did(conn):
    run = live_run(conn)
    for seconds in (30, 20, 10):
        exit_at(conn, run, seconds)
    health.stop_run(conn, run, "SIGTERM", now=T0)
    report = health.report(conn, now=T0)
    assert report["status"] == "down" and report["collector"]["recent_restarts"] == 3
