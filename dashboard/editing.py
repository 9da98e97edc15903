"""What the Topics, Sources and Users pages change in the database (no Streamlit here).

Every change takes the signed-in `actor` and refuses one who is not an admin, whatever the page showed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

from collectors import feedlists, netguard
from dashboard.access import Identity
from db import connect, transaction
from db import topics as topic_store
from db import users as user_store
from db.engine import Connection
from newsradar import config as settings


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str


def _refused(actor: Identity | None, doing: str) -> Outcome | None:
    """The refusal to show if `actor` is not an admin, else None; `doing` completes "Only an admin can …"."""
    if actor is None or not actor.is_admin:
        return Outcome(False, f"Only an admin can {doing}.")
    return None


def save_topic(path: str | os.PathLike, topic: topic_store.Topic, old_name: str | None = None, *,
               actor: Identity | None) -> Outcome:
    """Create a topic (or replace `old_name`) and apply it to every stored article."""
    if refused := _refused(actor, "create or change topics"):
        return refused
    try:
        with closing(connect(path)) as conn, transaction(conn):
            count = topic_store.save_topic(conn, topic, old_name=old_name)
    except topic_store.TopicError as exc:
        return Outcome(False, str(exc).split("\n")[0])
    verb = "Created" if old_name is None else "Saved"
    return Outcome(True, f"{verb} the topic “{topic.name}”: {count:,} articles match.")


def delete_topic(path: str | os.PathLike, name: str, *, actor: Identity | None) -> Outcome:
    """Delete a topic (its articles stay)."""
    if refused := _refused(actor, "delete topics"):
        return refused
    try:
        with closing(connect(path)) as conn, transaction(conn):
            topic_store.remove_topic(conn, name)
    except topic_store.TopicError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"Deleted the topic “{name}”.")


def private_allowed() -> bool:
    """The operator's allow_private_networks setting (file, then environment), read at each edit."""
    return bool(settings.load()["allow_private_networks"])


def add_feed(path: str | os.PathLike, url: str, outlet: str = "", country: str = "", language: str = "", *,
             actor: Identity | None) -> Outcome:
    """Add one feed (or fill in the outlet, country and language of a known one); private addresses refused."""
    if refused := _refused(actor, "add feeds"):
        return refused
    try:
        spec = feedlists.checked_feed(url, outlet, country, language, private_allowed())
    except feedlists.FeedListError:
        return Outcome(False, f"{url.strip() or 'An empty URL'} is not an http(s) URL.")
    except netguard.Refused as exc:  # "url: why"
        return Outcome(False, f"Refused {exc}.")
    with closing(connect(path)) as conn:
        new = feedlists.import_feeds(conn, [spec]) > 0
    return Outcome(True, f"{'Added' if new else 'Updated'} {spec.url}; the collector polls it on its next cycle.")


def import_feed_list(path: str | os.PathLike, specs: list[feedlists.FeedSpec], *, actor: Identity | None) -> Outcome:
    """Add the feeds of a parsed feed list, all but those at private addresses."""
    if refused_by_role := _refused(actor, "import feeds"):
        return refused_by_role
    specs, refused = feedlists.screen_feeds(specs, private_allowed())
    with closing(connect(path)) as conn:
        new = feedlists.import_feeds(conn, specs)
    text = f"Imported {len(specs):,} feeds: {new:,} new, {len(specs) - new:,} already known."
    if refused:
        text += f" Refused {len(refused):,}: " + " — ".join(refused[:5]) + (" — …" if len(refused) > 5 else "")
    return Outcome(bool(specs) or not refused, text)


# accounts (password mode) -------------------------------------------------------------------------------------

def _change_accounts(path: str | os.PathLike, actor: Identity | None, doing: str, failed: str,
                     change: Callable[[Connection], object], done: str) -> Outcome:
    """Run `change` as `actor` (admins only): the refusal, the failure as "`failed`: why.", or `done`."""
    if refused := _refused(actor, doing):
        return refused
    try:
        with closing(connect(path)) as conn:
            change(conn)
    except user_store.UserError as exc:
        return Outcome(False, f"{failed}: {exc}.")
    return Outcome(True, done)


def add_user(path: str | os.PathLike, name: str, password: str, role: str, *, actor: Identity | None) -> Outcome:
    """Create an account."""
    return _change_accounts(path, actor, "add users", "Cannot add the user",
                            lambda conn: user_store.add_user(conn, name, password, role),
                            f"Added {name.strip()} as {role}.")


def remove_user(path: str | os.PathLike, name: str, *, actor: Identity | None) -> Outcome:
    """Delete an account (not one's own: an admin would lock themselves out mid-session)."""
    if actor is not None and actor.is_admin and name == actor.name:
        return Outcome(False, "You cannot remove your own account; another admin can.")
    return _change_accounts(path, actor, "remove users", "Cannot remove the user",
                            lambda conn: user_store.remove_user(conn, name), f"Removed {name}.")


def set_user_role(path: str | os.PathLike, name: str, role: str, *, actor: Identity | None) -> Outcome:
    """Make an account admin or analyst."""
    return _change_accounts(path, actor, "change roles", "Cannot change the role",
                            lambda conn: user_store.set_role(conn, name, role), f"{name} is now {role}.")


def reset_password(path: str | os.PathLike, name: str, password: str, *, actor: Identity | None) -> Outcome:
    """Give an account a new password."""
    return _change_accounts(path, actor, "reset passwords", "Cannot reset the password",
                            lambda conn: user_store.set_password(conn, name, password),
                            f"New password set for {name}.")
