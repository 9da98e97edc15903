"""`newsradar backfill` timed as a user runs it: a fresh process and a fresh database (the 2023 outlets and the
default topics in it) for each run, two variants alternating round by round so that a busy spell of the machine
falls on both."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from collectors.feedlists import import_feeds, read_feed_list
from db import connect, topics


def fresh_db(tmp: Path, name: str, data: Path):
    """A new database `tmp/name` (any older one removed) with the 2023 outlets and the default topics."""
    for path in tmp.glob(f"{name}*"):
        path.unlink()
    conn = connect(tmp / name)
    import_feeds(conn, read_feed_list(data / "outlets-2023.csv")[0])
    topics.seed_defaults(conn)
    return conn


def timed_backfill(tmp: Path, data: Path, archive: Path, name: str, *flags: str) -> float:
    """Seconds of `newsradar backfill [flags] archive` into the fresh database `tmp/name`, process start included."""
    fresh_db(tmp, name, data).close()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsradar", "--db", str(tmp / name), "backfill", str(archive), *flags],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def what_it_adds(tmp: Path, data: Path, archive: Path, rounds: int, flag: str, what: str) -> list[float]:
    """Backfills without (`flag`) and with `what`, in turn for `rounds` rounds; prints each and the median of what
    it adds, and returns the seconds added per round. The last database with `what` is `tmp/with.db`."""
    added = []
    for round_ in range(1, rounds + 1):
        without = timed_backfill(tmp, data, archive, "without.db", flag)
        with_it = timed_backfill(tmp, data, archive, "with.db")
        added.append(with_it - without)
        print(f"  round {round_}: without {what} ({flag}) {without:6.1f} s, with {with_it:6.1f} s   "
              f"(+{with_it - without:.1f} s)", flush=True)
    print(f"  {what} add {statistics.median(added):.1f} s (median of {len(added)} rounds)")
    return added
