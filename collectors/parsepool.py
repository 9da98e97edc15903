"""Parse feed bodies in short-lived worker processes: off the event loop, and killed when they overrun.

A thread would keep the event loop waiting on the GIL and could not be stopped at the deadline; a process forked
from a forkserver that has feedparser loaded already starts in a few milliseconds and dies with its memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from multiprocessing.connection import Connection

from collectors.parse import FeedError, ParsedFeed, parse_feed

_context: multiprocessing.context.BaseContext | None = None


def _workers() -> multiprocessing.context.BaseContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["collectors.parse"])
    return _context


def _child(out: Connection, body: bytes, seen: dt.datetime, content_type: str | None, url: str | None,
           language: str | None) -> None:
    try:
        message: tuple = ("ok", parse_feed(body, seen, content_type, url, language))
    except FeedError as exc:
        message = ("error", exc.kind, str(exc))
    except BaseException as exc:  # noqa: BLE001 (MemoryError, RecursionError: whatever it is, the parent reports it)
        message = ("error", "malformed", f"the feed parser failed: {type(exc).__name__}: {str(exc)[:200]}")
    out.send(message)
    out.close()


async def _readable(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(conn.fileno())


async def parse_in_worker(body: bytes, seen: dt.datetime, content_type: str | None, url: str | None,
                          language: str | None, timeout_s: float) -> ParsedFeed:
    """parse_feed in a worker process; FeedError (kind 'timeout' past `timeout_s`) for anything that goes wrong."""
    workers = _workers()
    reader, writer = workers.Pipe(duplex=False)
    proc = workers.Process(target=_child, args=(writer, body, seen, content_type, url, language), daemon=True)
    try:
        proc.start()
        writer.close()
        try:
            async with asyncio.timeout(timeout_s):
                await _readable(reader)
        except TimeoutError:
            raise FeedError("timeout", f"parsing the feed took over the {timeout_s:.1f} s left of the deadline; "
                            "stopped") from None
        try:
            message = reader.recv()   # the worker sends its whole answer at once: no wait past the first byte
        except (EOFError, OSError):
            proc.join(1)
            raise FeedError("malformed", f"the feed parser died (exit status {proc.exitcode})") from None
    finally:
        writer.close()
        if proc.pid is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(1)
        reader.close()
    if message[0] == "ok":
        return message[1]
    raise FeedError(message[1], message[2])
