"""Output paths of export -o, backup, feeds and topics export: devices, FIFOs, links, full and read-only disks."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db import outfile
from newsradar.cli import main

NULL_DEVICE = os.makedev(1, 3)

# each command that writes a file: its arguments for a target, and what its output starts with
COMMANDS: dict[str, tuple[Callable[[Path], list[str]], Callable[[bytes], bool]]] = {
    "export": (lambda t: ["export", "-o", str(t)], lambda data: data.lstrip(b"\xef\xbb\xbf").startswith(b"published,")),
    "backup": (lambda t: ["backup", str(t), "--force"], lambda data: data.startswith(b"SQLite format 3\x00")),
    "feeds export": (lambda t: ["feeds", "export", "-o", str(t)], lambda data: data.startswith(b"feed_url,")),
    "topics export": (lambda t: ["topics", "export", "-o", str(t)], lambda data: data.startswith(b"[[topic]]")),
}
# names a writer could be expected to use next to out.csv; an attacker plants links there
PREDICTABLE = ["out.csv.part", ".out.csv.part", "out.csv.tmp", ".out.csv.tmp", "out.csv~", "out.csv.new",
               "out.csv-journal", "out.csv-wal", "out.csv-shm", "out.csv.part-journal", "out.csv.part-wal",
               ".out.csv.swp", "x.db.part"]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "x.db"
    archive = path.with_name("news.jsonl")
    archive.write_text("".join(json.dumps({
        "feed_url": "https://www.abc.net.au/news/feed/51120/rss.xml", "title": f"Story {n}",
        "description": "About it.", "link": f"https://www.abc.net.au/news/{n}", "language": "en",
        "published": f"2023-09-0{n} 10:00:00+00:00"}) + "\n" for n in range(1, 6)), encoding="utf-8")
    assert main(["--db", str(path), "seed"]) == 0
    assert main(["--db", str(path), "backfill", str(archive)]) == 0
    return path


@pytest.fixture
def database(template: Path, tmp_path: Path) -> Path:
    """A copy of the template in its own folder (a backup to a device builds its copy beside the database)."""
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "x.db"
    with contextlib.closing(sqlite3.connect(template)) as source, contextlib.closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # the articles still in the template's WAL too
    return path


def run(database: Path, command: str, target: Path | str) -> int:
    return main(["--db", str(database), *COMMANDS[command][0](Path(target))])


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def untouched(database: Path) -> bool:
    """Nothing left beside the database (a backup into a device builds its copy there)."""
    return names(database.parent) <= {"x.db", "x.db-wal", "x.db-shm"}


def one_error_line(err: str, target: Path, why: str) -> None:
    assert err == f"newsradar: error: cannot write {target}: {why}\n"


# devices and FIFOs: written into, never replaced -------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_is_written_into_and_stays_a_fifo(capsys, database, tmp_path, command):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        code = run(database, command, fifo)
    finally:
        with contextlib.suppress(OSError):  # a writer that never came: let the reader go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(timeout=60)
    assert code == 0, capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert COMMANDS[command][1](received[0])
    assert names(tmp_path) == {"data", "out.fifo"} and untouched(database)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_device_node_is_written_into_and_stays_a_device(capsys, database, tmp_path, command):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, NULL_DEVICE)
    assert run(database, command, device) == 0, capsys.readouterr().err
    st = os.lstat(device)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == NULL_DEVICE
    assert names(tmp_path) == {"data", "null"} and untouched(database)


@pytest.mark.parametrize("command", COMMANDS)
def test_dev_null_survives_as_the_null_device(capsys, database, command):
    before = names(Path("/dev"))
    assert run(database, command, Path("/dev/null")) == 0, capsys.readouterr().err
    st = os.lstat("/dev/null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == NULL_DEVICE
    assert names(Path("/dev")) == before


def test_a_backup_into_a_device_needs_no_force(capsys, database, tmp_path):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, NULL_DEVICE)
    assert main(["--db", str(database), "backup", str(device)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"backup {device}: 5 articles")  # not into the stream it wrote


# standard output as a path -----------------------------------------------------------------------------------

def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsradar", *argv], capture_output=True, timeout=120,
                          env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])})


@pytest.mark.parametrize("name", ["/dev/stdout", "-"])
def test_export_to_stdout_in_a_pipe_is_the_csv_alone(database, name):
    done = cli("--db", str(database), "export", "-o", name)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("published,outlet,") and len(lines) == 6
    assert done.stderr.decode() == f"5 articles exported to {name}\n"
    assert stat.S_ISLNK(os.lstat("/dev/stdout").st_mode)


def test_backup_to_dev_stdout_in_a_pipe_is_the_database(database, tmp_path):
    done = cli("--db", str(database), "backup", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "piped.db"
    copy.write_bytes(done.stdout)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    assert done.stderr.decode().startswith("backup /dev/stdout: 5 articles")
    assert untouched(database)


@pytest.mark.parametrize("command", ["feeds export", "topics export"])
def test_lists_to_dev_stdout_in_a_pipe_are_clean(database, command):
    done = cli("--db", str(database), *COMMANDS[command][0](Path("/dev/stdout")))
    assert done.returncode == 0 and COMMANDS[command][1](done.stdout)
    assert b"written to" not in done.stdout


# planted links -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_links_planted_at_predictable_names_are_not_followed(capsys, database, tmp_path, command):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    for name in PREDICTABLE:
        (tmp_path / name).symlink_to(victim)
    target = tmp_path / "out.csv"
    assert run(database, command, target) == 0, capsys.readouterr().err
    assert victim.read_bytes() == b"precious"
    assert all((tmp_path / name).readlink() == victim for name in PREDICTABLE)
    assert COMMANDS[command][1](target.read_bytes()) and not target.is_symlink()
    assert names(tmp_path) == {"data", "victim", "out.csv", *PREDICTABLE}


@pytest.mark.parametrize("kind", ["link", "fifo"])
@pytest.mark.parametrize("command", COMMANDS)
def test_another_users_link_or_fifo_in_a_shared_folder_is_refused(capsys, database, tmp_path, command, kind):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    target = shared / "out.csv"
    target.symlink_to(victim) if kind == "link" else os.mkfifo(target)
    os.lchown(target, 65534, 65534)
    assert run(database, command, target) == 2
    one_error_line(capsys.readouterr().err, target, f"it is owned by another user in the shared folder {shared}")
    assert victim.read_bytes() == b"precious" and names(shared) == {"out.csv"}


def test_a_link_of_ones_own_is_written_through(capsys, database, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    assert run(database, "export", link) == 0, capsys.readouterr().err
    assert link.readlink() == real and real.read_bytes().startswith(b"\xef\xbb\xbfpublished,")


# a write that fails: one line, the old file kept, nothing left behind -----------------------------------------

@contextlib.contextmanager
def mounted(folder: Path, *how: str) -> Iterator[Path]:
    subprocess.run(["mount", *how, str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs holding yesterday's out.csv and a filler that takes every other byte."""
    folder = tmp_path / "full"
    folder.mkdir()
    with mounted(folder, "-t", "tmpfs", "-o", "size=256k", "tmpfs"):
        (folder / "out.csv").write_bytes(b"yesterday")
        with contextlib.suppress(OSError), open(folder / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield folder


def _with_yesterday(folder: Path) -> Path:
    """`folder`, made, holding yesterday's out.csv."""
    folder.mkdir()
    (folder / "out.csv").write_bytes(b"yesterday")
    return folder


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder holding yesterday's out.csv, bind-mounted read-only (root ignores permission bits, not this)."""
    folder = _with_yesterday(tmp_path / "ro")
    with mounted(folder, "--bind", str(folder)):
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield folder


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A folder holding yesterday's out.csv, marked immutable (chattr +i): nobody, root included, adds a file."""
    folder = _with_yesterday(tmp_path / "immutable")
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize(("place", "why"), [("full_disk", "the disk is full"),
                                            ("read_only", "the file system is read-only"),
                                            ("immutable", "the operation is not permitted")])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_failed_write_says_why_and_keeps_the_old_file(capsys, request, database, command, place, why):
    folder = request.getfixturevalue(place)
    before = names(folder)
    target = folder / "out.csv"
    assert run(database, command, target) == 2
    one_error_line(capsys.readouterr().err, target, why)
    assert target.read_bytes() == b"yesterday"
    assert names(folder) == before and untouched(database)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_device_says_the_disk_is_full(capsys, database, command):
    assert run(database, command, Path("/dev/full")) == 2
    one_error_line(capsys.readouterr().err, Path("/dev/full"), "the disk is full")
    assert untouched(database)


@pytest.mark.parametrize("command", COMMANDS)
def test_permission_denied_says_so(capsys, database, tmp_path, monkeypatch, command):
    # root passes every permission check, so the refusal a normal user would meet is raised where it would be
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(outfile.tempfile, "mkdtemp", refuse)
    assert run(database, command, tmp_path / "out.csv") == 2
    one_error_line(capsys.readouterr().err, tmp_path / "out.csv", "permission denied")


@pytest.mark.parametrize(("where", "why"), [
    (lambda t: t / "missing" / "out.csv", "there is no folder {t}/missing"),
    (lambda t: t / "data" / "x.db" / "out.csv", "a part of the path is not a folder"),
    (lambda t: t / "data", "it is a folder; give a file name"),
])
@pytest.mark.parametrize("command", ["export", "feeds export", "topics export"])
def test_a_bad_path_is_one_line(capsys, database, tmp_path, command, where, why):
    target = where(tmp_path)
    assert run(database, command, target) == 2
    one_error_line(capsys.readouterr().err, target, why.format(t=tmp_path))
    assert names(tmp_path) == {"data"} and untouched(database)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_interrupted_write_keeps_the_old_file_and_leaves_nothing(database, tmp_path, monkeypatch, command):
    target = tmp_path / "out.csv"
    target.write_bytes(b"yesterday")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outfile.os, "replace", interrupt)
    assert run(database, command, target) == 130
    assert target.read_bytes() == b"yesterday" and names(tmp_path) == {"data", "out.csv"}
