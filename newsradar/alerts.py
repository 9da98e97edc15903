"""Evaluating the alert rules as of a time: spikes, digests and new matches become messages in the delivery ledger.

    newsradar alerts run --once [--now 2023-09-20T00:00:00Z]     (serve runs `alerts run`, every alerts.interval_s)

"Now" is the machine's clock, or with alerts.clock = "articles" the day of the newest stored article, so that `serve`
over a replay of past news alerts on the replayed days (as_of).

A spike rule looks at yesterday and today (up to `now`) with the chart's rule (dashboard/spikes.py) at its
sensitivity, and stays quiet for a cool-down after a spike it announced, so that a spike lasting several days is one
alert. After a gap (serve stopped, a replay that moved on by several days) it looks at every day since the day of its
last evaluation, oldest first, up to SPIKE_CATCH_UP days back; the days before that are named in a message of their
own, not skipped silently. A daily digest covers the previous UTC day, a weekly one the previous ISO week (Monday to
Sunday), each against the period before. New matches are the articles the rule's last evaluation did not see, at most
one message per alerts.new_batch_min minutes. Every period is decided once (db/alerts.py), so re-running the same
times sends nothing again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd

from collectors.normalize import clean_link
from dashboard import spikes as spike_rule
from db import alerts as store
from db.engine import Connection
from db.filters import Filters
from db.highlights import TopStory, top_stories
from newsradar import explain, notify
from newsradar.config import Config

DAY = dt.timedelta(days=1)
HISTORY_DAYS = 365        # the spike rule judges a topic from 14 days after its first article, however long ago
STORIES = 5
TERMS = 8
NEW_LISTED = 20
CATCH_UP = {"daily": 7, "weekly": 4}   # digests of periods missed while serve was stopped that are still sent
SPIKE_CATCH_UP = 14   # days back a spike rule looks after a gap; a spike older than that is no longer news


@dataclass(frozen=True)
class Sensitivity:
    z: float
    ratio: float
    min_articles: int
    cooldown_days: int


SENSITIVITY = {
    "low": Sensitivity(4.0, 3.0, 10, 7),
    "medium": Sensitivity(spike_rule.Z, spike_rule.RATIO, spike_rule.MIN_ARTICLES, 3),   # the chart's stars
    "high": Sensitivity(2.0, 1.5, 3, 1),
}


@dataclass(frozen=True)
class Message:
    period: str
    subject: str
    body: str


# the parts of a message -----------------------------------------------------------------------------------------

def top_terms(now: list[str], before: list[str], limit: int = TERMS) -> list[str]:
    """The words of `now`'s titles that rose most against `before`'s (newsradar/explain.py's log-odds)."""
    return explain.top_terms(now, before, limit)


def stories_text(stories: list[TopStory]) -> str:
    if not stories:
        return "No articles."
    lines = []
    for number, story in enumerate(stories, 1):
        spread = f" — {story.articles} articles in {explain.quantity(story.outlets, 'outlet')}" if story.articles > 1 \
            else ""
        # the link is the headline's; the line under it says who had the story first
        lines.append(f"{number}. {story.title}\n   {clean_link(story.link)}\n"
                     f"   {story.outlet}, {story.published[:16]} UTC (first){spread}")
    return "\n".join(lines)


def view_link(config: Config, filters: Filters, first: dt.date, last: dt.date) -> str:
    """The Articles page of the rule's filters over the period, at alerts.base_url."""
    base = config["alerts.base_url"] or (f"http://{config['server.address']}:{config['server.port']}/"
                                         f"{config['server.base_url_path'].strip('/')}")
    params = dataclasses.replace(filters, date_from=first, date_to=last).to_params()
    return f"{base.rstrip('/')}/articles?{urlencode(params, doseq=True)}"


def _what(rule: store.Rule) -> str:
    return f"the {rule.target} “{rule.target_name}”"


def _footer(rule: store.Rule) -> str:
    return f"\n\n— newsradar alert rule “{rule.name}”: {rule.describe()}."


def _at_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


# the kinds of rule ----------------------------------------------------------------------------------------------

def spike_days(rule: store.Rule, now: dt.datetime) -> tuple[dt.date, tuple[dt.date, dt.date] | None]:
    """The first day to look at for spikes (yesterday, or after a gap the day of the last evaluation, which saw it in
    part, but at most SPIKE_CATCH_UP days back), and the first and last days of the gap left unchecked, if any."""
    today = now.date()
    first = today - DAY
    if rule.evaluated_until:
        first = min(first, dt.date.fromisoformat(rule.evaluated_until[:10]))
    oldest = today - dt.timedelta(days=SPIKE_CATCH_UP)
    return max(first, oldest), ((first, oldest - DAY) if first < oldest else None)


def unchecked_message(config: Config, rule: store.Rule, filters: Filters, now: dt.datetime, first: dt.date,
                      last: dt.date) -> Message:
    """Says which days a spike rule did not look at after a gap longer than SPIKE_CATCH_UP days."""
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    subject = f"newsradar: spikes in {rule.target_name} not checked for {span}"
    body = (f"The alert rule was not evaluated from {rule.evaluated_until} UTC until {now:%Y-%m-%d %H:%M} UTC. "
            f"When evaluation resumes it looks back {SPIKE_CATCH_UP} days for spikes, so {span} (UTC) were not "
            f"checked and a spike of {_what(rule)} on those days is not announced. The chart of those days: "
            f"{view_link(config, filters, first, last)}" + _footer(rule))
    return Message(f"unchecked:{first.isoformat()}:{last.isoformat()}", subject, body)


def spike_messages(conn: Connection, config: Config, rule: store.Rule, filters: Filters,
                   now: dt.datetime) -> list[Message]:
    """A message for each day from spike_days' first to today (up to `now`), oldest first, that is a spike, not
    announced yet and not in a cool-down; after a gap longer than SPIKE_CATCH_UP days, first one naming the days
    left unchecked."""
    preset = SENSITIVITY[rule.sensitivity]
    today = now.date()
    checked_from, unchecked = spike_days(rule, now)
    first = today - dt.timedelta(days=HISTORY_DAYS)
    counts = store.daily_counts(conn, filters, _at_midnight(first), now)
    days = pd.date_range(first, today, freq="D")
    series = pd.DataFrame({"bucket": days, "label": rule.name,
                           "n": [counts.get(d.date().isoformat(), 0) for d in days]})
    series["value"] = series["n"].astype(float)
    found = spike_rule.spikes(series, preset.z, preset.ratio, preset.min_articles)
    announced = [dt.date.fromisoformat(p.split(":", 1)[1]) for p in store.sent_periods(conn, rule.id, "spike:")]
    out = [unchecked_message(config, rule, filters, now, *unchecked)] if unchecked else []
    for row in found.sort_values("bucket").itertuples():
        day = row.bucket.date()
        period = f"spike:{day.isoformat()}"
        if day < checked_from or store.decided(conn, rule.id, period):
            continue
        if any(0 < (day - seen).days < preset.cooldown_days for seen in announced):
            continue
        announced.append(day)
        out.append(_spike_message(conn, config, rule, filters, day, int(row.n), float(row.baseline), now, period))
    return out


def _spike_message(conn: Connection, config: Config, rule: store.Rule, filters: Filters, day: dt.date, n: int,
                   baseline: float, now: dt.datetime, period: str) -> Message:
    start, end = _at_midnight(day), min(_at_midnight(day) + DAY, now)
    stories = _top_stories(conn, filters, start, end)
    terms = top_terms(store.titles(conn, filters, start, end),
                      store.titles(conn, filters, start - 14 * DAY, start))
    ratio = n / baseline
    subject = f"newsradar: spike in {rule.target_name} on {day.isoformat()} — {n} articles, {ratio:.1f}× the usual"
    so_far = "" if end == _at_midnight(day) + DAY else f" by {end:%H:%M} UTC"
    late = (f"Sent late: the rule was not evaluated from {rule.evaluated_until} UTC until {now:%Y-%m-%d %H:%M} UTC."
            f"\n\n" if day < now.date() - DAY else "")
    body = (f"Coverage of {_what(rule)} spiked on {day:%A} {day.isoformat()} (UTC): {n} articles{so_far}, "
            f"{ratio:.1f}× the mean of the previous {spike_rule.WINDOW} days ({baseline:.1f} a day).\n\n" + late
            + _findings(config, rule, filters, stories, terms, day, day))
    return Message(period, subject, body)


def _top_stories(conn: Connection, filters: Filters, start: dt.datetime, end: dt.datetime) -> list[TopStory]:
    """The period's most-covered stories, each told by its typical headline there (as What happened tells them)."""
    return explain.told_stories(conn, filters, top_stories(conn, filters, start, end, STORIES), start, end)


def _findings(config: Config, rule: store.Rule, filters: Filters, stories: list, terms: list[str],
              first: dt.date, last: dt.date) -> str:
    """What a spike alert and a digest both end with: the top stories, the terms that rose, the link and the footer."""
    return (f"Top stories:\n{stories_text(stories)}\n\n"
            + (f"Terms that rose: {', '.join(terms)}\n\n" if terms else "")
            + f"Open in newsradar: {view_link(config, filters, first, last)}" + _footer(rule))


def digest_period(kind: str, now: dt.datetime) -> tuple[str, dt.date, dt.date, dt.date]:
    """The last complete day or ISO week before `now`: (period key, first day, last day, first day of the one
    before)."""
    if kind == "daily":
        day = now.date() - DAY
        return f"daily:{day.isoformat()}", day, day, day - DAY
    monday = now.date() - dt.timedelta(days=now.date().weekday() + 7)
    year, week, _ = monday.isocalendar()
    return f"weekly:{year}-W{week:02d}", monday, monday + 6 * DAY, monday - 7 * DAY


def digest_message(conn: Connection, config: Config, rule: store.Rule, filters: Filters,
                   now: dt.datetime) -> Message | None:
    """The digest of the last complete period; None when it was decided already. An empty one has no subject when
    the rule skips empty digests."""
    period, first, last, before = digest_period(rule.kind, now)
    if store.decided(conn, rule.id, period):
        return None
    start, end, previous = _at_midnight(first), _at_midnight(last) + DAY, _at_midnight(before)
    n, m = store.count(conn, filters, start, end), store.count(conn, filters, previous, start)
    if n == 0 and rule.skip_empty:
        return Message(period, "", "")
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    unit = "day" if rule.kind == "daily" else "week"
    change = f"{n - m:+d}" + (f", {100 * (n - m) / m:+.0f}%" if m else "")
    terms = top_terms(store.titles(conn, filters, start, end), store.titles(conn, filters, previous, start))
    subject = f"newsradar: {rule.kind} digest of {rule.target_name}, {span} — {n} articles"
    body = (f"{'Daily' if unit == 'day' else 'Weekly'} digest of {_what(rule)} for {span} (UTC): {n} articles "
            f"(the {unit} before: {m}; {change}).\n\n"
            + _findings(config, rule, filters, _top_stories(conn, filters, start, end), terms, first, last))
    return Message(period, subject, body)


def digest_messages(conn: Connection, config: Config, rule: store.Rule, filters: Filters,
                    now: dt.datetime) -> list[Message]:
    """The digest of the last complete period, and of those before it that no evaluation reached (serve stopped over
    a midnight, a replay that moved on by several days), up to CATCH_UP periods back; oldest first, after a message
    naming the periods further back that are not sent. A rule's first evaluation decides the last period only."""
    last = store.last_period(conn, rule.id, f"{rule.kind}:")
    step = DAY if rule.kind == "daily" else 7 * DAY
    found = []
    for back in range(CATCH_UP[rule.kind] if last else 1):
        moment = now - back * step
        if back and digest_period(rule.kind, moment)[0] <= last:   # caught up (an earlier --now is its own)
            break
        found.append(digest_message(conn, config, rule, filters, moment))
    else:
        key, _, newest_unsent, _ = digest_period(rule.kind, now - CATCH_UP[rule.kind] * step)
        if last and key > last:
            found.append(unsent_message(config, rule, filters, now, _period_after(rule.kind, last), newest_unsent))
    return [message for message in reversed(found) if message]


def _period_after(kind: str, key: str) -> dt.date:
    """The first day of the period after the one of `key` ('daily:2023-09-10', 'weekly:2023-W37')."""
    if kind == "daily":
        return dt.date.fromisoformat(key.split(":", 1)[1]) + DAY
    year, week = key.split(":", 1)[1].split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1) + 7 * DAY


def unsent_message(config: Config, rule: store.Rule, filters: Filters, now: dt.datetime, first: dt.date,
                   last: dt.date) -> Message:
    """Names the digests not sent after a gap longer than CATCH_UP periods."""
    unit = "days" if rule.kind == "daily" else "weeks"
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    subject = f"newsradar: {rule.kind} digests of {rule.target_name} not sent for {span}"
    body = (f"The alert rule was not evaluated for a while before {now:%Y-%m-%d %H:%M} UTC. When evaluation resumes "
            f"it sends the digests of the last {CATCH_UP[rule.kind]} {unit} it missed, so those of {span} (UTC) are "
            f"not sent. The articles of those days: {view_link(config, filters, first, last)}" + _footer(rule))
    return Message(f"unsent:{rule.kind}:{first.isoformat()}:{last.isoformat()}", subject, body)


def new_message(conn: Connection, config: Config, rule: store.Rule, filters: Filters,
                now: dt.datetime) -> tuple[Message | None, int] | None:
    """The matching articles the rule's last evaluation did not see (store.new_matches), as one message (None when
    there are none) and the id up to which the articles were looked at; None when a message went out in this batch
    interval already, so that they wait for the next one."""
    minutes = config["alerts.new_batch_min"]
    slot = dt.datetime.fromtimestamp(now.timestamp() // (minutes * 60) * minutes * 60, dt.UTC)
    period = f"new:{slot:%Y-%m-%d %H:%M}"
    if store.decided(conn, rule.id, period):
        return None
    upto = store.newest_article_id(conn)   # before counting: articles stored meanwhile wait for the next evaluation
    rows, days = store.new_matches(conn, filters, rule.last_article_id, rule.evaluated_until, upto, now, NEW_LISTED)
    total = sum(days.values())
    if not total:
        return None, upto
    listed = "\n".join(f"- {r['title'] or '(no title)'}\n  {r['outlet'] or ''}, {r['published'][:16]} UTC\n"
                       f"  {clean_link(r['link'])}" for r in rows)
    more = f"\n… and {total - len(rows)} more." if total > len(rows) else ""
    subject = f"newsradar: {total} new in {rule.target_name}"
    body = (f"{total} new articles match {_what(rule)}:\n\n{listed}{more}" + _new_by_day(days, now)
            + _footer(rule))
    return Message(period, subject, body), upto


def _new_by_day(days: dict[str, int], now: dt.datetime) -> str:
    """After a gap the new articles span several days: how many of each, oldest first (the last SPIKE_CATCH_UP days
    one by one, the earlier ones together)."""
    if len(days) < 2:
        return ""
    oldest = (now.date() - dt.timedelta(days=SPIKE_CATCH_UP)).isoformat()
    earlier = sum(n for day, n in days.items() if day < oldest)
    lines = ([f"- before {oldest}: {earlier}"] if earlier else []) + [
        f"- {day}: {n}" for day, n in days.items() if day >= oldest]
    return "\n\nBy day published (UTC):\n" + "\n".join(lines)


def preview(conn: Connection, config: Config, rule: store.Rule, now: dt.datetime) -> Message:
    """What the rule would send as of `now` if it had sent nothing yet (recording nothing), or a note that it would
    send nothing: for `alerts test`."""
    filters = store.rule_filters(conn, rule)
    fresh = dataclasses.replace(rule, id=-1, evaluated_until=None)   # no period of rule -1 was ever decided
    if rule.kind == "spike":
        found = spike_messages(conn, config, fresh, filters, now)
        message = found[-1] if found else None
    elif rule.kind == "new":
        message = (new_message(conn, config, fresh, filters, now) or (None,))[0]
    else:
        message = digest_message(conn, config, fresh, filters, now)
        message = message if message and message.subject else None
    return message or Message("", f"newsradar: {rule.name}", f"Nothing to send as of {now:%Y-%m-%d %H:%M} UTC "
                                                            f"for {_what(rule)}." + _footer(rule))


# running ---------------------------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    queued: int = 0           # messages queued
    skipped: int = 0          # empty digests skipped
    notes: list[str] = dataclasses.field(default_factory=list)   # what the run should tell its operator


@dataclass
class RunReport:
    messages: int = 0
    skipped_empty: int = 0
    sent: int = 0
    failed: int = 0
    problems: list[str] | None = None


def evaluate(conn: Connection, config: Config, rule: store.Rule, now: dt.datetime) -> Evaluation:
    """Decide the rule's due periods as of `now`, then record that it has been evaluated up to `now` (after the
    decisions: a run that dies in between leaves them to the next, which finds the decided ones decided)."""
    filters = store.rule_filters(conn, rule)
    done = Evaluation()
    if rule.kind == "spike":
        for message in spike_messages(conn, config, rule, filters, now):
            if store.decide(conn, rule, message.period, "sent", message.subject, message.body, now):
                done.queued += 1
                _note_gap(done, rule, message)
    elif rule.kind in ("daily", "weekly"):
        for message in digest_messages(conn, config, rule, filters, now):
            if message.subject and store.decide(conn, rule, message.period, "sent", message.subject, message.body,
                                                now):
                done.queued += 1
                _note_gap(done, rule, message)
            elif not message.subject:
                done.skipped += store.decide(conn, rule, message.period, "empty", now=now)
    else:
        found = new_message(conn, config, rule, filters, now)
        if not found:
            return done   # held for the next batch interval: its articles still count as not seen
        message, upto = found
        if message:
            done.queued += store.decide(conn, rule, message.period, "sent", message.subject, message.body, now, upto)
        store.mark_evaluated(conn, rule.id, now, upto)
        return done
    store.mark_evaluated(conn, rule.id, now)
    return done


def _note_gap(done: Evaluation, rule: store.Rule, message: Message) -> None:
    """A message naming what a gap left unchecked or unsent is also the run's warning."""
    if message.period.startswith(("unchecked:", "unsent:")):
        done.notes.append(f"alert rule “{rule.name}”: {message.subject.split(': ', 1)[1]} (evaluation resumed "
                          f"after a gap longer than it catches up; the rule's channels are told)")


def as_of(conn: Connection, config: Config,
          clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> dt.datetime | None:
    """When the rules are evaluated by default (alerts.clock): the clock, or for a replay of past news the start of
    the UTC day of the newest stored article, never later than the clock; None when no article says yet."""
    if config["alerts.clock"] == "system":
        return clock()
    newest = store.newest_published(conn)
    if newest is None:
        return None
    # a replay brings a whole day's articles at once and in no order: the newest one's day is not over until the
    # replay moves on, and a day seen half stored would look smaller than it was
    return min(clock(), _at_midnight(dt.date.fromisoformat(newest[:10])))


def run_once(conn: Connection, config: Config, now: dt.datetime | None = None, retry_now: bool = False,
             clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
             stop: Callable[[], bool] = lambda: False) -> RunReport:
    """Evaluate every rule as of `now` (default: as_of, and none while that is unknown), then send what is due
    (by the clock) until `stop()`. A rule that cannot be evaluated (its topic deleted) is named in the report's
    problems and the others go on."""
    now = now or as_of(conn, config, clock)
    report = RunReport(problems=[])
    for rule in store.list_rules(conn) if now else []:
        try:
            done = evaluate(conn, config, rule, now)
        except (store.AlertError, ValueError) as exc:
            report.problems.append(f"alert rule “{rule.name}”: {exc}")
            continue
        report.messages += done.queued
        report.skipped_empty += done.skipped
        report.problems.extend(done.notes)
    report.sent, report.failed = notify.deliver_due(conn, config, clock, everything=retry_now, stop=stop)
    return report


def run_forever(conn: Connection, config: Config, stop: Callable[[], bool] = lambda: False) -> None:
    """`serve`'s alerts child: evaluate and deliver every alerts.interval_s until `stop()` or a signal."""
    while not stop():
        started = time.monotonic()
        report = run_once(conn, config, stop=stop)
        for problem in report.problems or []:
            print(f"newsradar: warning: {problem}", file=sys.stderr, flush=True)
        if report.failed:
            print(f"newsradar: {report.failed} alert message(s) could not be delivered yet; will retry",
                  file=sys.stderr, flush=True)
        while not stop() and time.monotonic() - started < config["alerts.interval_s"]:
            time.sleep(0.5)
