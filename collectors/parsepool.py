"""Parse feed bodies in short-lived worker processes: off the event loop, and killed when they overrun.

A thread would keep the event loop waiting on the GIL and could not be stopped at the deadline; a process forked
from a forkserver that has feedparser loaded already starts in a few milliseconds and dies with its memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from collectors.parse import FeedError, ParsedFeed, parse_feed

_context: multiprocessing.context.BaseContext | None = None
_preload = ["collectors.parse"]
_starting = threading.Lock()   # multiprocessing's bookkeeping of children is not safe across threads
# threads that only wait on workers (start, send the body, read the answer); apart from the default executor,
# which the HTTP client needs for name lookups
_waiters = ThreadPoolExecutor(max_workers=32, thread_name_prefix="parse-wait")


def _workers() -> multiprocessing.context.BaseContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_preload)
    return _context


def preload(*modules: str) -> None:
    """Load these modules in the forkserver too: call it with the module of the main script before the first parse.

    Each worker re-runs the main script, whose imports (the `newsradar` command's: most of the project) would
    otherwise cost ~80 ms a feed; from the forkserver they are already loaded. Python 3.11's forkserver ignores
    "__main__" in its preload list, so the modules are named.
    """
    _preload.extend(m for m in modules if m not in _preload)


def _child(pipe: Connection) -> None:
    try:
        message: tuple = ("ok", parse_feed(*pipe.recv()))
    except FeedError as exc:
        message = ("error", exc.kind, str(exc))
    except BaseException as exc:  # noqa: BLE001 (MemoryError, RecursionError: whatever it is, the parent reports it)
        message = ("error", "malformed", f"the feed parser failed: {type(exc).__name__}: {str(exc)[:200]}")
    pipe.send(message)
    pipe.close()


def _exchange(proc: multiprocessing.process.BaseProcess, pipe: Connection, child_end: Connection,
              job: tuple) -> tuple:
    with _starting:
        proc.start()
    child_end.close()
    pipe.send(job)
    return pipe.recv()


def _end(proc: multiprocessing.process.BaseProcess, *pipes: Connection, exchange: asyncio.Future) -> None:
    """Close the pipes and kill the worker (it has answered, or is over its time); never wait on it. The
    `exchange`'s error is taken here: a parse given up (over its time, or the collector stopping) ends with the pipe
    closed under its thread, which asyncio would otherwise print as a traceback no one retrieved."""
    if not exchange.cancelled():
        exchange.exception()
    for pipe in pipes:
        pipe.close()
    if proc.pid is not None and proc.exitcode is None:
        proc.kill()
        proc.join(0)   # reaped now if already gone, else by multiprocessing at the next start


async def parse_in_worker(body: bytes, seen: dt.datetime, content_type: str | None, url: str | None,
                          language: str | None, timeout_s: float) -> ParsedFeed:
    """parse_feed in a worker process; FeedError (kind 'timeout' past `timeout_s`) for anything that goes wrong."""
    workers = _workers()
    pipe, child_end = workers.Pipe()
    proc = workers.Process(target=_child, args=(child_end,), daemon=True)
    # the body goes through the pipe, not the start: starts stay short, bodies travel in parallel
    exchange = asyncio.get_running_loop().run_in_executor(
        _waiters, _exchange, proc, pipe, child_end, (body, seen, content_type, url, language))
    try:
        message = await asyncio.wait_for(asyncio.shield(exchange), timeout_s)
    except TimeoutError:
        raise FeedError("timeout", f"parsing the feed took over the {timeout_s:.1f} s left of the deadline; "
                        "stopped") from None
    except (EOFError, OSError):
        raise FeedError("malformed", "the feed parser died before it answered") from None
    finally:
        if proc.pid is not None and proc.exitcode is None:
            proc.kill()   # over its time: the waiting thread then sees the pipe close
        exchange.add_done_callback(lambda done: _end(proc, child_end, pipe, exchange=done))
    if message[0] == "ok":
        return message[1]
    raise FeedError(message[1], message[2])
