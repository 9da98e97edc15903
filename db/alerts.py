"""Alert rules, the periods they decided and the ledger of their deliveries (migration 15; how far each rule has been
evaluated: migration 19), with the counts they read.

A rule watches a topic (followed by id, so a renamed topic keeps its rules), a saved view or a query. Deciding a period
(alert_periods) and queueing its messages (alert_deliveries, one per channel) is one transaction, so a period is
decided once; a delivery is claimed (pending -> sending) before it is sent and marked sent after, so that two runners
never send it twice and a restart never sends it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from db import views as view_store
from db.engine import has_table
from db.filters import Filters, QueryError, where_in
from db.schema import transaction
from db.text import format_utc

TARGETS = ("topic", "view", "query")
KINDS = ("new", "spike", "daily", "weekly")
SENSITIVITIES = ("low", "medium", "high")
MAX_NAME = 120


class AlertError(ValueError):
    """An alert rule that cannot be saved, found or removed; the message says why."""


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    owner: str
    shared: bool
    target: str
    target_name: str          # the topic's or view's current name, or the query
    kind: str
    channels: tuple[str, ...]
    sensitivity: str
    skip_empty: bool
    last_article_id: int
    created: str
    gone: str = ""            # what it watched and no longer exists: 'the topic “Karabakh”'
    topic_id: int | None = None
    view_id: int | None = None
    evaluated_until: str | None = None   # the `now` of its latest evaluation, UTC; None: never evaluated

    def describe(self) -> str:
        """'spike of the topic “Karabakh” (medium) to a@example.org, json://…'."""
        what = {"new": "new matches", "spike": "spikes", "daily": "daily digest", "weekly": "weekly digest"}[self.kind]
        extra = f" ({self.sensitivity})" if self.kind == "spike" else (
            ", skipped when empty" if self.kind in ("daily", "weekly") and self.skip_empty else "")
        return f"{what} of the {self.target} “{self.target_name}”{extra}"


_RULE_SQL = ("SELECT r.*, t.name AS topic_name, v.name AS view_name FROM alert_rules r "
             "LEFT JOIN topics t ON t.id = r.topic_id LEFT JOIN saved_views v ON v.id = r.view_id")


def _rule(row: sqlite3.Row) -> Rule:
    current = {"topic": row["topic_name"], "view": row["view_name"], "query": row["query"]}[row["target"]]
    gone = "" if current is not None else f"the {row['target']} “{row['query']}”"
    return Rule(row["id"], row["name"], row["owner"], bool(row["shared"]), row["target"], current or row["query"],
                row["kind"], tuple(json.loads(row["channels"])), row["sensitivity"], bool(row["skip_empty"]),
                row["last_article_id"], row["created"], gone, row["topic_id"], row["view_id"],
                _evaluated_until(row))


def _evaluated_until(row: sqlite3.Row) -> str | None:
    columns = row.keys()   # `in row` would look among the values
    return row["evaluated_until"] if "evaluated_until" in columns else None   # read-only, before migration 19


def _target_ids(conn: sqlite3.Connection, target: str, ref: str) -> tuple[int | None, int | None]:
    """The topic's or view's id for `ref` (matched without regard to case); AlertError when there is none."""
    if target == "query":
        try:
            Filters.make(q=ref)
        except QueryError as exc:
            raise AlertError(str(exc)) from None
        if not ref.strip():
            raise AlertError("give the query to watch")
        return None, None
    table = "topics" if target == "topic" else "saved_views"
    row = conn.execute(f"SELECT id FROM {table} WHERE lower(name) = lower(?)", (ref.strip(),)).fetchone()
    if row is None:
        raise AlertError(f"no {target} called “{ref}”")
    return (row[0], None) if target == "topic" else (None, row[0])


def add_rule(conn: sqlite3.Connection, name: str, owner: str, target: str, ref: str, kind: str,
             channels: Sequence[str], *, shared: bool = False, sensitivity: str = "medium", skip_empty: bool = True,
             now: dt.datetime | None = None) -> Rule:
    """Store a rule; it announces as new only the articles stored after it. AlertError for anything unusable."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise AlertError(f"an alert rule needs a name of 1 to {MAX_NAME} characters")
    for value, allowed, what in ((target, TARGETS, "target"), (kind, KINDS, "kind"),
                                 (sensitivity, SENSITIVITIES, "sensitivity")):
        if value not in allowed:
            raise AlertError(f"unknown {what} “{value}” ({what} is one of {', '.join(allowed)})")
    if not channels:
        raise AlertError("give at least one channel: an e-mail address or an Apprise URL")
    topic_id, view_id = _target_ids(conn, target, ref)
    label = ref.strip() if target == "query" else conn.execute(
        "SELECT name FROM topics WHERE id = ? UNION ALL SELECT name FROM saved_views WHERE id = ?",
        (topic_id, view_id)).fetchone()[0]
    newest = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    try:
        conn.execute("INSERT INTO alert_rules (name, owner, shared, target, topic_id, view_id, query, kind, "
                     "channels, sensitivity, skip_empty, last_article_id, created) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (name, owner, int(shared), target, topic_id, view_id, label, kind,
                      json.dumps(list(channels), ensure_ascii=False), sensitivity, int(skip_empty), newest,
                      format_utc(now or dt.datetime.now(dt.UTC))))
    except sqlite3.IntegrityError:
        raise AlertError(f"an alert rule called “{name}” exists already") from None
    return get_rule(conn, name)


def list_rules(conn: sqlite3.Connection) -> list[Rule]:
    return [_rule(row) for row in conn.execute(_RULE_SQL + " ORDER BY lower(r.name), r.name")]


def get_rule(conn: sqlite3.Connection, name: str) -> Rule:
    # lower() rather than COLLATE NOCASE, which PostgreSQL does not have
    row = conn.execute(_RULE_SQL + " WHERE lower(r.name) = lower(?)", (name.strip(),)).fetchone()
    if row is None:
        raise AlertError(f"no alert rule called “{name}”")
    return _rule(row)


def may_change(rule: Rule, actor: str | None, is_admin: bool) -> bool:
    """Admins change any rule, analysts their own; `actor` None is the operator at the command line."""
    return actor is None or is_admin or (not rule.shared and rule.owner == actor)


def remove_rule(conn: sqlite3.Connection, name: str, actor: str | None = None, is_admin: bool = False) -> Rule:
    """Delete a rule with its record; messages of it still waiting for a channel go too."""
    rule = get_rule(conn, name)
    if not may_change(rule, actor, is_admin):
        raise AlertError(f"only an admin or its owner ({rule.owner}) can remove “{rule.name}”"
                         if not rule.shared else f"“{rule.name}” is the team's: only an admin can remove it")
    with transaction(conn):
        conn.execute("DELETE FROM alert_deliveries WHERE rule_id = ?", (rule.id,))
        conn.execute("DELETE FROM alert_rules WHERE id = ?", (rule.id,))
    return rule


def rule_filters(conn: sqlite3.Connection, rule: Rule) -> Filters:
    """Which articles the rule watches (a view's dates left out: an alert looks at the days as they come)."""
    if rule.gone:
        raise AlertError(f"{rule.gone} no longer exists")
    if rule.target == "topic":
        return Filters(topics=(rule.target_name,))
    if rule.target == "query":
        return Filters.make(q=rule.target_name)
    view = view_store.get_view(conn, rule.view_id)
    if view is None or view.gone:
        raise AlertError(f"the view “{rule.target_name}” refers to {' and '.join(view.gone)}, which no longer exists"
                         if view else f"the view “{rule.target_name}” no longer exists")
    return dataclasses.replace(view.filters, date_from=None, date_to=None)


# what the rules read ------------------------------------------------------------------------------------------

def _where(conn: sqlite3.Connection, filters: Filters, start: str, end: str) -> tuple[str, list]:
    where, params = where_in(conn, filters)
    return f"{where} AND a.published >= ? AND a.published < ?", [*params, start, end]


def daily_counts(conn: sqlite3.Connection, filters: Filters, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Matching articles per UTC day ('2023-09-19') published in [start, end)."""
    where, params = _where(conn, filters, format_utc(start), format_utc(end))
    return {row[0]: row[1] for row in conn.execute(
        "SELECT substr(a.published, 1, 10) AS day, count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
        f"WHERE {where} GROUP BY day", params)}


def count(conn: sqlite3.Connection, filters: Filters, start: dt.datetime, end: dt.datetime) -> int:
    where, params = _where(conn, filters, format_utc(start), format_utc(end))
    return conn.execute(f"SELECT count(*) FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}",
                        params).fetchone()[0]


def newest_article_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def new_matches(conn: sqlite3.Connection, filters: Filters, seen_id: int, seen_until: str | None, upto_id: int,
                before: dt.datetime, limit: int) -> tuple[list[sqlite3.Row], dict[str, int]]:
    """Matching articles up to id `upto_id` published before `before` that the last evaluation did not see: those
    stored after it (ids above `seen_id`) and those it saw stored but not yet published (on or after `seen_until`,
    e.g. a replayed day whose articles came before an earlier day's). The newest `limit` of them, and how many there
    are per UTC day, oldest first."""
    where, params = where_in(conn, filters)
    where = f"{where} AND a.id <= ? AND a.published < ? AND (a.id > ? OR a.published >= ?)"
    # no evaluation yet: '9' sorts after every time stamp, so only the ids count
    params = [*params, upto_id, format_utc(before), seen_id, seen_until or "9"]
    days = dict(conn.execute(f"SELECT substr(a.published, 1, 10) AS day, count(*) FROM articles a LEFT JOIN outlets o "
                             f"ON o.id = a.outlet_id WHERE {where} GROUP BY day ORDER BY day", params).fetchall())
    rows = conn.execute(f"SELECT a.title, a.link, a.published, o.name AS outlet FROM articles a LEFT JOIN outlets o "
                        f"ON o.id = a.outlet_id WHERE {where} ORDER BY a.published DESC, a.id DESC LIMIT ?",
                        [*params, limit]).fetchall()
    return rows, days


def newest_published(conn: sqlite3.Connection) -> str | None:
    """When the newest article that carries its own date was published (a missing date, replaced by the time it was
    first seen, or a clamped future one, says nothing about the news' own time); None when there is none."""
    return conn.execute("SELECT max(published) FROM articles WHERE date_flag IS NULL").fetchone()[0]


def titles(conn: sqlite3.Connection, filters: Filters, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The titles of the matching articles published in [start, end)."""
    where, params = _where(conn, filters, format_utc(start), format_utc(end))
    return [row[0] for row in conn.execute(
        f"SELECT a.title FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE {where}", params)]


# periods and deliveries ---------------------------------------------------------------------------------------

def decided(conn: sqlite3.Connection, rule_id: int, period: str) -> bool:
    return conn.execute("SELECT 1 FROM alert_periods WHERE rule_id = ? AND period = ?",
                        (rule_id, period)).fetchone() is not None


def sent_periods(conn: sqlite3.Connection, rule_id: int, prefix: str) -> list[str]:
    """The rule's periods that sent a message, e.g. every 'spike:…' one."""
    return [row[0] for row in conn.execute("SELECT period FROM alert_periods WHERE rule_id = ? AND outcome = 'sent' "
                                           "AND period LIKE ? ORDER BY period", (rule_id, prefix + "%"))]


def last_period(conn: sqlite3.Connection, rule_id: int, prefix: str) -> str | None:
    """The rule's latest decided period that starts with `prefix` ('daily:'), whatever its outcome."""
    return conn.execute("SELECT max(period) FROM alert_periods WHERE rule_id = ? AND period LIKE ?",
                        (rule_id, prefix + "%")).fetchone()[0]


def decide(conn: sqlite3.Connection, rule: Rule, period: str, outcome: str, subject: str = "", body: str = "",
           now: dt.datetime | None = None, last_article_id: int | None = None) -> bool:
    """Record the decision on a period (as of `now`, the evaluation's time) and, when it sends, queue its message for
    each channel, due at once by the clock, in one transaction; False when the period was decided already (by
    another runner)."""
    stamp, clock = format_utc(now or dt.datetime.now(dt.UTC)), format_utc(dt.datetime.now(dt.UTC))
    with transaction(conn):
        if conn.execute("INSERT INTO alert_periods (rule_id, period, outcome, decided) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING", (rule.id, period, outcome, stamp)).rowcount == 0:
            return False
        if outcome == "sent":
            conn.executemany("INSERT INTO alert_deliveries (rule_id, period, channel, subject, body, created, "
                             "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(rule.id, period, channel, subject, body, clock, clock) for channel in rule.channels])
        if last_article_id is not None:
            _raise_last_article_id(conn, rule.id, last_article_id)
    return True


def mark_evaluated(conn: sqlite3.Connection, rule_id: int, now: dt.datetime,
                   last_article_id: int | None = None) -> None:
    """Record that the rule has been evaluated up to `now` (kept when a re-run of an earlier --now is behind it) and,
    for new matches, that it has looked at the articles up to `last_article_id`."""
    stamp = format_utc(now)
    with transaction(conn):
        conn.execute("UPDATE alert_rules SET evaluated_until = ? WHERE id = ? AND "
                     "(evaluated_until IS NULL OR evaluated_until < ?)", (stamp, rule_id, stamp))
        if last_article_id is not None:
            _raise_last_article_id(conn, rule_id, last_article_id)


def _raise_last_article_id(conn: sqlite3.Connection, rule_id: int, last_article_id: int) -> None:
    # a WHERE rather than SQLite's two-argument max(), which PostgreSQL does not have
    conn.execute("UPDATE alert_rules SET last_article_id = ? WHERE id = ? AND last_article_id < ?",
                 (last_article_id, rule_id, last_article_id))


def due_deliveries(conn: sqlite3.Connection, now: dt.datetime, everything: bool = False) -> list[sqlite3.Row]:
    """Pending deliveries whose next attempt is due (every pending one with `everything`), oldest first."""
    return conn.execute("SELECT * FROM alert_deliveries WHERE status = 'pending' AND (? = 1 OR next_attempt_at <= ?) "
                        "ORDER BY id", (int(everything), format_utc(now))).fetchall()


def claim(conn: sqlite3.Connection, delivery_id: int, now: dt.datetime) -> bool:
    """Mark a pending delivery as being sent, before it is; False when another runner has it."""
    return conn.execute("UPDATE alert_deliveries SET status = 'sending', sending_since = ?, attempts = attempts + 1 "
                        "WHERE id = ? AND status = 'pending'", (format_utc(now), delivery_id)).rowcount == 1


def mark_sent(conn: sqlite3.Connection, delivery_id: int, now: dt.datetime) -> None:
    conn.execute("UPDATE alert_deliveries SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                 (format_utc(now), delivery_id))


def mark_failed(conn: sqlite3.Connection, delivery_id: int, error: str, retry_at: dt.datetime) -> None:
    """The channel refused or could not be reached: pending again, next tried at `retry_at`."""
    conn.execute("UPDATE alert_deliveries SET status = 'pending', sending_since = NULL, last_error = ?, "
                 "next_attempt_at = ? WHERE id = ?", (error[:500], format_utc(retry_at), delivery_id))


def mark_stale_sending(conn: sqlite3.Connection, before: dt.datetime) -> int:
    """Deliveries a runner claimed before `before` and never finished (it died mid-send): whether they reached the
    channel is unknown, so they are reported as uncertain rather than sent twice."""
    return conn.execute("UPDATE alert_deliveries SET status = 'uncertain', last_error = coalesce(last_error, '') || "
                        "'the sender stopped while sending; it may or may not have arrived' "
                        "WHERE status = 'sending' AND sending_since < ?", (format_utc(before),)).rowcount


def deliveries(conn: sqlite3.Connection, rule_id: int | None = None, limit: int = 100) -> list[sqlite3.Row]:
    """The newest deliveries (of one rule), with the rule's name."""
    return conn.execute("SELECT d.*, r.name AS rule FROM alert_deliveries d JOIN alert_rules r ON r.id = d.rule_id "
                        "WHERE ? IS NULL OR d.rule_id = ? ORDER BY d.id DESC LIMIT ?",
                        (rule_id, rule_id, limit)).fetchall()


def undelivered(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Deliveries that have not reached their channel after at least one attempt, or may not have: for health."""
    if not has_table(conn, "alert_deliveries"):
        return []   # a read-only look at a database from before migration 15
    return conn.execute("SELECT d.id, r.name AS rule, d.period, d.channel, d.status, d.attempts, d.next_attempt_at, "
                        "d.last_error FROM alert_deliveries d JOIN alert_rules r ON r.id = d.rule_id "
                        "WHERE (d.status = 'pending' AND d.attempts > 0) OR d.status = 'uncertain' "
                        "ORDER BY d.id").fetchall()
