"""A throwaway PostgreSQL cluster for the test session: initdb in a temporary folder, loopback, a free port.

The tests run as root, and initdb refuses root: the cluster belongs to the `postgres` user that Debian's package
creates (`make test` installs the package). Each test gets a database of its own, copied from a migrated template
(CREATE DATABASE … TEMPLATE takes milliseconds; migrating takes longer) and dropped after the test.

The cluster's files live in memory (/dev/shm) where the machine has it: the cluster is thrown away anyway, and on a
slow shared disk writing, copying and finally deleting a database for each of some 200 tests took minutes."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "postgres"
TEMPLATE = "newsradar_template"


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                           "apt-get install -y postgresql (make test does)")
    return Path(found[-1]).parent


def _scratch() -> str | None:
    """The folder for the cluster: /dev/shm if it is there and writable, else the system's temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb + pg_ctl as the postgres user; `url(name)` of a database in it; `fresh()` a new migrated one."""

    def __init__(self) -> None:
        self.bin = _bin()
        self.root = Path(tempfile.mkdtemp(prefix="newsradar-pg-", dir=_scratch()))
        self.data = self.root / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        os.chmod(self.root, 0o755)
        shutil.chown(self.root, USER, USER)

    def _run(self, *args: str) -> None:
        result = subprocess.run(["runuser", "-u", USER, "--", *args], capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        # C locale: the text-search parser counts every non-ASCII character as a letter (db/postgres/text.py)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server if it started (a failed start keeps its own message) and remove the folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def make_template(self) -> None:
        from db.schema import connect

        self.admin(f"CREATE DATABASE {TEMPLATE}")
        connect(self.url(TEMPLATE)).close()

    def fresh(self) -> str:
        """The URL of a new database with the current schema."""
        name = f"t{os.getpid()}_{next(self._names)}"
        # FILE_COPY: the default strategy writes the whole template through the WAL, several times slower here
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database of `url`, whatever connections to it are still open (a child process's, a pool's)."""
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def copy_of(self, sqlite_path: str | os.PathLike) -> str:
        """The URL of a new database holding what the SQLite database holds (moved by `db copy`), analysed."""
        from contextlib import closing

        from db import connect
        from db.copy import copy

        url = self.fresh()
        with closing(connect(sqlite_path, readonly=True)) as source, closing(connect(url)) as target:
            copy(source, target)
            target.execute("ANALYZE")
        return url
