"""The engines a benchmark runs on: SQLite files in a folder, or databases of a throwaway PostgreSQL cluster."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@contextlib.contextmanager
def fresh_databases(engine: str, folder: Path) -> Iterator[Callable[[str], Path | str]]:
    """A maker of new, empty databases by name: SQLite files in `folder`, or databases of a throwaway PostgreSQL
    cluster (tests/pgcluster.py: initdb in a temporary folder, loopback, a free port, Debian's default settings),
    stopped and removed afterwards."""
    if engine == "sqlite":
        yield lambda name: folder / f"{name}.db"
        return
    sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))
    from pgcluster import Cluster

    cluster = Cluster()
    cluster.start()
    try:
        cluster.make_template()
        yield lambda name: cluster.fresh()
    finally:
        cluster.stop()
