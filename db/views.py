"""The team's saved views: a name, its owner and the filters (the URL contract of db.filters.Filters).

Topics are stored by identity ("topic_ref": [{"id": 3, "name": "Karabakh"}], migration 11), so a view follows a
renamed topic; a deleted one is reported by the name it had, and kept in the filters under that name so that the
view is refused, never silently widened. The view's page settings (the chart's interval, split, measure, lines:
text the dashboard defines) are kept beside the filters under "settings"."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from db.engine import integrity_errors
from db.filters import Filters
from db.text import format_utc

MAX_NAME = 120


class ViewError(ValueError):
    """A saved-view operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class SavedView:
    id: int
    name: str
    owner: str
    params: dict[str, str | list[str]]   # the URL params of its filters, topics under their current names
    created: str
    gone: tuple[str, ...] = ()            # what no longer exists, in words: 'the topic “Karabakh”'
    settings: dict[str, str] = field(default_factory=dict)   # the pages' settings: {"interval": "week"}

    @property
    def filters(self) -> Filters:
        """The view's filters (a stored view that no longer parses raises QueryError)."""
        return Filters.from_params(self.params)


def save_view(conn: sqlite3.Connection, name: str, owner: str, filters: Filters,
              settings: Mapping[str, str] | None = None) -> SavedView:
    """Store the filters (and the pages' `settings`) under a new name; ViewError for an empty or taken name."""
    name = " ".join((name or "").split())
    if not name:
        raise ViewError("give the view a name")
    if len(name) > MAX_NAME:
        raise ViewError(f"a view name has at most {MAX_NAME} characters")
    params: dict = filters.to_params()
    names = params.pop("topic", [])
    found = {row[0]: (row[1], row[2]) for row in conn.execute(
        f"SELECT name, id, created_at FROM topics WHERE name IN ({', '.join('?' * len(names))})", names)} \
        if names else {}   # (PostgreSQL refuses an empty IN list)
    if names:
        params["topic_ref"] = [{"id": found.get(name, (None, None))[0], "created": found.get(name, (None, None))[1],
                                "name": name} for name in names]
    settings = {str(key): str(value) for key, value in (settings or {}).items()}
    if settings:
        params["settings"] = settings
    created = format_utc(dt.datetime.now(dt.UTC))
    try:
        view_id = conn.execute("INSERT INTO saved_views (name, owner, params, created) VALUES (?, ?, ?, ?) "
                               "RETURNING id", (name, owner, json.dumps(params, ensure_ascii=False, sort_keys=True),
                                                created)).fetchone()[0]
    except integrity_errors():
        raise ViewError(f"a view called “{name}” exists already; pick another name") from None
    return SavedView(view_id, name, owner, filters.to_params(), created, settings=settings)


def _view(row: sqlite3.Row, topics: dict[int, tuple[str, str]]) -> SavedView:
    """The stored view with its topic references followed to the topics' current names (the creation time tells a
    new topic that was given a deleted one's id from the topic the view meant)."""
    params = json.loads(row["params"])
    refs = params.pop("topic_ref", [])
    settings = params.pop("settings", {})
    current = [_follow(topics, ref) for ref in refs]
    gone = tuple(f"the topic “{ref.get('name')}”" for ref, name in zip(refs, current, strict=True) if name is None)
    names = [name or str(ref.get("name")) for ref, name in zip(refs, current, strict=True)]
    if names:
        params["topic"] = names
    return SavedView(row["id"], row["name"], row["owner"], params, row["created"], gone, settings)


def _follow(topics: dict[int, tuple[str, str]], ref: dict) -> str | None:
    name, created = topics.get(ref.get("id"), (None, None))
    return name if name is not None and ref.get("created") in (None, created) else None


def _topic_names(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    return {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, name, created_at FROM topics")}


def list_views(conn: sqlite3.Connection) -> list[SavedView]:
    """Every view of the team, newest first."""
    rows = conn.execute("SELECT id, name, owner, params, created FROM saved_views ORDER BY created DESC, id DESC")
    topics = _topic_names(conn)
    return [_view(row, topics) for row in rows]


def get_view(conn: sqlite3.Connection, view_id: int) -> SavedView | None:
    row = conn.execute("SELECT id, name, owner, params, created FROM saved_views WHERE id = ?", (view_id,)).fetchone()
    return _view(row, _topic_names(conn)) if row else None


def delete_view(conn: sqlite3.Connection, view_id: int, actor: str, is_admin: bool) -> SavedView:
    """Delete a view: only its owner or an admin may."""
    view = get_view(conn, view_id)
    if view is None:
        raise ViewError("this view does not exist (any more)")
    if view.owner != actor and not is_admin:
        raise ViewError(f"only {view.owner} (who saved it) or an admin can delete “{view.name}”")
    conn.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))
    return view
