"""The team's saved views: a name, its owner and the filters (the URL contract of db.filters.Filters)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from collectors.normalize import format_utc
from db.filters import Filters

MAX_NAME = 120


class ViewError(ValueError):
    """A saved-view operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class SavedView:
    id: int
    name: str
    owner: str
    params: dict[str, str | list[str]]
    created: str

    @property
    def filters(self) -> Filters:
        """The view's filters (a stored view that no longer parses raises QueryError)."""
        return Filters.from_params(self.params)


def save_view(conn: sqlite3.Connection, name: str, owner: str, filters: Filters) -> SavedView:
    """Store the filters under a new name; ViewError for an empty or taken name."""
    name = " ".join((name or "").split())
    if not name:
        raise ViewError("give the view a name")
    if len(name) > MAX_NAME:
        raise ViewError(f"a view name has at most {MAX_NAME} characters")
    params = filters.to_params()
    created = format_utc(dt.datetime.now(dt.UTC))
    try:
        cursor = conn.execute("INSERT INTO saved_views (name, owner, params, created) VALUES (?, ?, ?, ?)",
                              (name, owner, json.dumps(params, ensure_ascii=False, sort_keys=True), created))
    except sqlite3.IntegrityError:
        raise ViewError(f"a view called “{name}” exists already; pick another name") from None
    return SavedView(cursor.lastrowid, name, owner, params, created)


def _view(row: sqlite3.Row) -> SavedView:
    return SavedView(row["id"], row["name"], row["owner"], json.loads(row["params"]), row["created"])


def list_views(conn: sqlite3.Connection) -> list[SavedView]:
    """Every view of the team, newest first."""
    rows = conn.execute("SELECT id, name, owner, params, created FROM saved_views ORDER BY created DESC, id DESC")
    return [_view(row) for row in rows]


def get_view(conn: sqlite3.Connection, view_id: int) -> SavedView | None:
    row = conn.execute("SELECT id, name, owner, params, created FROM saved_views WHERE id = ?", (view_id,)).fetchone()
    return _view(row) if row else None


def delete_view(conn: sqlite3.Connection, view_id: int, actor: str, is_admin: bool) -> SavedView:
    """Delete a view: only its owner or an admin may."""
    view = get_view(conn, view_id)
    if view is None:
        raise ViewError("this view does not exist (any more)")
    if view.owner != actor and not is_admin:
        raise ViewError(f"only {view.owner} (who saved it) or an admin can delete “{view.name}”")
    conn.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))
    return view
