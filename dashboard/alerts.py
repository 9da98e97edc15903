"""The Alerts page's logic: the rules a user may see, adding and removing them, and the messages still waiting
(no Streamlit here). Analysts see and change the team's rules' list and their own rules; admins everyone's."""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass

from dashboard.access import Identity
from dashboard.editing import Outcome, private_allowed
from db import alerts as store
from db import connect
from db.topics import list_topics
from db.views import list_views
from newsradar.health import redacted
from newsradar.notify import check_channel

KIND_WORDS = {"spike": "spikes", "daily": "daily digest", "weekly": "weekly digest", "new": "new matches"}
TARGET_WORDS = {"topic": "a topic", "view": "a saved view", "query": "a query"}


@dataclass(frozen=True)
class AlertRow:
    name: str
    words: str            # 'spikes of the topic “Karabakh” (medium)'
    channels: str
    owner: str            # 'the team' or the analyst's name
    removable: bool       # by the user looking at the list
    last: str             # the newest message and what became of it
    broken: str = ""      # what it watched and no longer exists


def visible(rule: store.Rule, viewer: Identity) -> bool:
    """Admins see every rule; analysts the team's and their own (another's rule names where their mail goes)."""
    return viewer.is_admin or rule.shared or rule.owner == viewer.name


def _last(delivery) -> str:
    if delivery is None:
        return "nothing sent yet"
    when = delivery["sent_at"] or delivery["created"]
    if delivery["status"] == "sent":
        return f"last message: {delivery['subject']} (sent {when} UTC)"
    return (f"last message: {delivery['subject']} ({delivery['status']} after {delivery['attempts']} attempts: "
            f"{delivery['last_error'] or 'not tried yet'})")


def rows(path: str | os.PathLike, viewer: Identity) -> list[AlertRow]:
    with closing(connect(path, readonly=True)) as conn:
        rules = [rule for rule in store.list_rules(conn) if visible(rule, viewer)]
        lasts = {rule.id: next(iter(store.deliveries(conn, rule.id, limit=1)), None) for rule in rules}
    return [AlertRow(rule.name, rule.describe(), ", ".join(redacted(c) for c in rule.channels),
                     "the team" if rule.shared else rule.owner, store.may_change(rule, viewer.name, viewer.is_admin),
                     _last(lasts[rule.id]), rule.gone) for rule in rules]


def targets(path: str | os.PathLike) -> dict[str, list[str]]:
    """What a rule can watch: the topics' and saved views' names."""
    with closing(connect(path, readonly=True)) as conn:
        return {"topic": [row["name"] for row in list_topics(conn)], "view": [view.name for view in list_views(conn)]}


def parse_channels(text: str) -> list[str]:
    """Channels typed one a line (or separated by commas or spaces), each checked; ValueError naming a bad one."""
    return [check_channel(part, private_allowed()) for part in text.replace(",", " ").split()]


def add(path: str | os.PathLike, *, name: str, target: str, ref: str, kind: str, channels: str, sensitivity: str,
        keep_empty: bool, shared: bool, actor: Identity | None) -> Outcome:
    """Add a rule: an analyst's is their own; only an admin makes one for the team."""
    if actor is None:
        return Outcome(False, "Sign in to add alert rules.")
    if shared and not actor.is_admin:
        return Outcome(False, "Only an admin can add a rule for the team; untick “for the team” to make it yours.")
    try:
        checked = parse_channels(channels)
        with closing(connect(path)) as conn:
            rule = store.add_rule(conn, name, actor.name, target, ref or "", kind, checked, shared=shared,
                                  sensitivity=sensitivity, skip_empty=not keep_empty)
    except ValueError as exc:   # AlertError, or a channel that cannot work
        return Outcome(False, f"Cannot add the rule: {exc}.")
    return Outcome(True, f"Added “{rule.name}”: {rule.describe()}.")


def remove(path: str | os.PathLike, name: str, *, actor: Identity | None) -> Outcome:
    if actor is None:
        return Outcome(False, "Sign in to remove alert rules.")
    try:
        with closing(connect(path)) as conn:
            rule = store.remove_rule(conn, name, actor.name, actor.is_admin)
    except store.AlertError as exc:
        return Outcome(False, f"Cannot remove the rule: {exc}.")
    return Outcome(True, f"Removed “{rule.name}”.")


def waiting(path: str | os.PathLike, viewer: Identity) -> list[str]:
    """The messages not delivered yet (or perhaps not), of the rules the viewer sees, one line each."""
    with closing(connect(path, readonly=True)) as conn:
        names = {rule.name for rule in store.list_rules(conn) if visible(rule, viewer)}
        rows_ = [row for row in store.undelivered(conn) if row["rule"] in names]
    return [f"{row['rule']}, {row['period']} to {redacted(row['channel'])}: {row['status']} after {row['attempts']} "
            f"attempts ({row['last_error']}); next try {row['next_attempt_at']} UTC" for row in rows_]
