"""What the app says when something fails: a database it cannot write, or an exception nobody expected.

The visitor gets one short sentence, never a traceback or a server path; the operator finds the details in the
dashboard's log (no Streamlit here)."""

from __future__ import annotations

import logging
import sqlite3

LOG = logging.getLogger("newsradar.dashboard")
UNEXPECTED = ("Something went wrong on the server, so this could not be done or shown. Nothing was lost; "
              "the details are in the dashboard's log.")
_STORAGE = (("readonly", "the database is read-only here (its file or folder cannot be written)"),
            ("read-only", "the database is read-only here (its file or folder cannot be written)"),
            ("disk is full", "the disk that holds the database is full"),
            ("locked", "the database is busy with another change; try again in a moment"),
            ("unable to open", "the database file cannot be opened"))


def storage_problem(exc: sqlite3.Error | OSError) -> str:
    """Why the database could not be changed, in words ('the database is read-only here …')."""
    text = str(exc).lower()
    for needle, words in _STORAGE:
        if needle in text:
            return words
    if isinstance(exc, PermissionError):
        return _STORAGE[0][1]
    if isinstance(exc, OSError):  # strerror only: str(exc) would name the server's path
        return f"the database cannot be reached ({exc.strerror or type(exc).__name__})"
    return f"the database refused the change ({exc})"


def explain(exc: Exception, doing: str = "") -> str:
    """The sentence to show for `exc`; an unexpected one is logged with its traceback. `doing`: 'Cannot save …'."""
    if isinstance(exc, sqlite3.Error | OSError):
        LOG.warning("%s: %s", doing or "database", exc)
        reason = storage_problem(exc)
        return f"{doing}: {reason}. Nothing was changed." if doing else f"{reason[0].upper()}{reason[1:]}."
    LOG.error("unexpected error%s", f" ({doing})" if doing else "", exc_info=exc)
    return UNEXPECTED
