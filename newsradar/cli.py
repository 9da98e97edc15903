"""The `newsradar` command: a thin layer over db/ and collectors/."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any, NoReturn, TextIO

from collectors import feedlists, netguard, parsepool, stories
from collectors.backfill import ArchiveError, BackfillReport, backfill
from collectors.collect import CollectorConfig, run_cycle, run_forever
from collectors.tagging import retag, tag_lines
from db import SchemaError, articles, connect, default_db_path, engine, feeds, topics, transaction, users
from db import alerts as alert_store
from db import stories as story_store
from db.engine import Connection
from db.export import incomplete_days, incomplete_summary, write_csv, write_incomplete_days
from db.filters import FIELDS, Filters, QueryError
from db.outfile import OutputError, in_place, open_output
from newsradar import config

SAMPLE = Path(feedlists.__file__).parent / "data" / "sample-2023.jsonl.gz"
SAMPLE_OUTLETS = Path(feedlists.__file__).parent / "data" / "sample-outlets.csv"


class CliError(Exception):
    """A problem to report in one line, with exit status 2."""


def _db_path(args: argparse.Namespace) -> Path:
    """--db (or the configuration's db), else the default database (a postgresql:// URL stays a string)."""
    if args.db:
        return args.db if engine.is_url(args.db) else Path(args.db)
    return default_db_path()


def _db(args: argparse.Namespace) -> Connection:
    return connect(_db_path(args))


def _existing_db(args: argparse.Namespace) -> Path:
    """The database of a command that only reads it: a path that does not exist is refused, never created (a
    mistyped --db would otherwise answer from a new empty database)."""
    path = _db_path(args)
    if engine.is_url(path):
        return path
    if not path.is_file():
        raise CliError(f"no database at {path}" + (" (it is a directory)" if path.is_dir() else "") +
                       "; check --db (or run 'newsradar seed' or 'newsradar backfill' to create one)")
    return path


def _apply_config(args: argparse.Namespace) -> None:
    """Load the settings into args.config; children started from here (serve) find the same file."""
    if args.config:
        os.environ["NEWSRADAR_CONFIG"] = str(Path(args.config).resolve())
    args.config = config.load(args.config)
    args.db_named = bool(args.db)   # on the command line, not from the settings or the environment
    if not args.db and args.config["db"]:
        args.db = args.config["db"]


def _collector_config(args: argparse.Namespace) -> CollectorConfig:
    settings = args.config
    pick = lambda flag, key: settings[key] if flag is None else flag  # noqa: E731
    return CollectorConfig(deadline_s=pick(args.deadline, "collector.deadline_s"),
                           per_host=pick(args.per_host, "collector.per_host"),
                           concurrency=pick(args.concurrency, "collector.concurrency"),
                           lease_s=settings["collector.lease_s"],
                           allow_private_networks=_allow_private(args))


def _allow_private(args: argparse.Namespace) -> bool:
    """The allow_private_networks setting (file, then environment)."""
    return bool(args.config["allow_private_networks"])


# output files ----------------------------------------------------------------------------------------------

@contextmanager
def _output(name: str | None, encoding: str = "utf-8", newline: str | None = None) -> Iterator[TextIO]:
    """Standard output for no name or "-", else the named file as db.outfile writes it (never replaced unless
    it is a regular file, and then only once it is complete)."""
    if not name or name == "-":
        yield sys.stdout
        return
    try:
        with open_output(name, encoding, newline) as out:
            yield out
    except OutputError as exc:
        raise CliError(str(exc)) from None


def _to_a_file(name: str | None) -> bool:
    """The output is (or will be) a regular file, not standard output, a pipe or a device: notes may go to stdout
    and a CSV gets Excel's byte-order mark."""
    if not name or name == "-":
        return False
    try:
        return not in_place(Path(name)) or Path(name).is_file()
    except OutputError:  # a folder or a planted link: the write itself says so
        return False


# feeds ---------------------------------------------------------------------------------------------------------

def cmd_feeds_import(args: argparse.Namespace) -> int:
    conn = _db(args)
    allow_private = _allow_private(args)
    total_new = 0
    paths = args.files or [feedlists.DEFAULT_FEEDS]
    # every file is read before any is imported: one hostile or broken file imports nothing
    lists = [feedlists.read_feed_source(str(path), allow_private) for path in paths]
    for path, (specs, skipped) in zip(paths, lists, strict=True):
        specs, refused = feedlists.screen_feeds(specs, allow_private)
        new = feedlists.import_feeds(conn, specs)
        total_new += new
        note = f", {skipped} entries without an http(s) feed URL skipped" if skipped else ""
        note += f", {len(refused)} refused (not public addresses)" if refused else ""
        print(f"{path}: {len(specs)} feeds, {new} new{note}")
        for line in refused:
            print(f"  refused {line}", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    conn = _db(args)
    if not feeds.count(conn):
        specs, _ = feedlists.read_feed_list(feedlists.DEFAULT_FEEDS)
        print(f"first start: added the {feedlists.import_feeds(conn, specs)} default feeds")
    created = topics.seed_defaults(conn)
    if created:
        print(f"first start: added the {created} default topics")
    return 0


# topics ------------------------------------------------------------------------------------------------------

def cmd_topics_list(args: argparse.Namespace) -> int:
    listed = topics.list_topics(_db(args))
    for row in listed:
        print(f"{row['articles']:>9,}  {row['name']}\n           {row['query']}")
    if not listed:   # said on stderr: a script reading the list gets an empty one
        print("no topics yet: 'newsradar topics import' adds the default ones, 'newsradar topics add NAME QUERY' "
              "one of your own", file=sys.stderr)
    return 0


def cmd_topics_save(args: argparse.Namespace) -> int:
    conn = _db(args)
    old = args.name if args.topics_command == "edit" else None
    if old:
        found = topics.get_topic(conn, old)
        if found is None:
            raise CliError(f"no topic called {old!r} (see 'newsradar topics list')")
        topic = topics.Topic(args.rename or old, args.query or found.query,
                             found.description if args.description is None else args.description)
    else:
        topic = topics.Topic(args.name, args.query, args.description or "")
    with transaction(conn):
        count = topics.save_topic(conn, topic, old_name=old)
    print(f"{'saved' if old else 'added'} topic {topic.name!r}: {count:,} articles match")
    return 0


def cmd_topics_remove(args: argparse.Namespace) -> int:
    conn = _db(args)
    with transaction(conn):
        topics.remove_topic(conn, args.name)
    print(f"removed topic {args.name!r}")
    return 0


def cmd_topics_import(args: argparse.Namespace) -> int:
    conn = _db(args)
    path = Path(args.file) if args.file else topics.DEFAULT_TOPICS
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                       "nothing imported") from None
    parsed = topics.read_toml(text)
    with transaction(conn):
        created, updated = topics.import_topics(conn, parsed)
    print(f"{path}: {created} topics added, {updated} updated")
    return 0


def cmd_topics_export(args: argparse.Namespace) -> int:
    text = topics.write_toml(topics.all_topics(_db(args)))
    with _output(args.output) as out:
        out.write(text)
    return 0


# tag, retag --------------------------------------------------------------------------------------------------

def cmd_tag(args: argparse.Namespace) -> int:
    """The database's topics; without a database yet, the default pack (nothing is created). A --db that does not
    exist is refused: a mistyped path would otherwise tag with no topics, or leave an empty database behind."""
    path = _db_path(args)
    if args.db or engine.is_url(path) or Path(path).is_file():
        watch = topics.all_topics(connect(_existing_db(args)))
    else:
        watch = topics.default_topics()
    for line in tag_lines(sys.stdin, watch, workers=args.workers):
        sys.stdout.write(line + "\n")
    return 0


def cmd_retag(args: argparse.Namespace) -> int:
    conn = _db(args)
    total = articles.count(conn)
    bar = _bar(total, "retag")
    done = retag(conn, progress=bar.update if bar else None)
    if bar:
        bar.close()
    print(f"retagged {done:,} articles")
    return 0


def cmd_stories_rebuild(args: argparse.Namespace) -> int:
    conn = _db(args)
    bar = _bar(story_store.article_count(conn), "stories")
    done = stories.rebuild(conn, progress=bar.update if bar else None)
    if bar:
        bar.close()
    found = story_store.summary(conn)
    print(f"grouped {done:,} articles into {found.stories:,} stories ({found.shared:,} of two or more articles)")
    return 0


def _bar(total: int, desc: str):
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="articles", desc=desc, leave=False)


def cmd_feeds_export(args: argparse.Namespace) -> int:
    rows = feeds.list_feeds(_db(args))
    fmt = args.format or ("opml" if args.output and args.output.endswith(".opml") else "csv")
    text = feedlists.write_opml(rows) if fmt == "opml" else feedlists.write_csv(rows)
    with _output(args.output) as out:
        out.write(text)
    if args.output and args.output != "-":
        print(f"{len(rows)} feeds written to {args.output}", file=sys.stdout if _to_a_file(args.output) else sys.stderr)
    return 0


def cmd_feeds_list(args: argparse.Namespace) -> int:
    for row in feeds.list_feeds(_db(args)):
        error = f"  [{row['last_error_kind']}: {row['last_error']}]" if row["status"] != "active" and row[
            "last_error"] else ""
        print(f"{row['id']:>5}  {row['status']:<9} {row['country'] or '--':<3}{row['lang'] or '--':<4}"
              f"{(row['outlet'] or '?')[:28]:<29}{row['url']}{error}")
    return 0


def cmd_feeds_add(args: argparse.Namespace) -> int:
    try:
        spec = feedlists.checked_feed(args.url, args.outlet, args.country, args.language, _allow_private(args))
    except feedlists.FeedListError:
        raise CliError(f"{args.url!r} is not an http(s) URL") from None
    except netguard.Refused as exc:  # "url: why"
        raise CliError(f"refused {exc}") from None
    new = feedlists.import_feeds(_db(args), [spec]) > 0
    print(f"{'added' if new else 'updated'} {spec.url}")
    return 0


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    conn = _db(args)
    key = args.feed
    row = feeds.find(conn, key)
    if row is None:
        raise CliError(f"no feed {key!r} (give its URL or id, see 'newsradar feeds list')")
    feeds.remove(conn, row["id"])
    print(f"removed feed {row['id']} {row['url']}")
    return 0


# collect, backfill, demo -------------------------------------------------------------------------------------

def cmd_collect(args: argparse.Namespace) -> int:
    parsepool.preload(__name__)
    conn = _db(args)
    config = _collector_config(args)
    if args.once:
        report = asyncio.run(run_cycle(conn, config, force=args.force))
        print(report.summary())
        for outcome in report.outcomes:
            if outcome.error_kind:
                print(f"  failed  {outcome.url}: {outcome.error_kind}: {outcome.error}")
        return 0
    return asyncio.run(_collect_forever(conn, config))


async def _collect_forever(conn: Connection, config: CollectorConfig) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    polled = feeds.count(conn, ("active", "failing"))
    print(f"collecting {polled} feeds on their schedules; Ctrl-C stops", flush=True)
    await run_forever(conn, config, stop, log=lambda line: print(line, flush=True))
    print("collector stopped cleanly", flush=True)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    conn = _db(args)
    # the report file is opened (or refused) before anything is imported; it is written in place
    with open(args.report, "w", encoding="utf-8") if args.report else nullcontext() as sink:
        report = backfill(conn, [Path(p) for p in args.files], progress=True, tag=not args.no_tag,
                          allow_private=_allow_private(args), sink=sink, group_stories=not args.no_stories)
    print(report.summary())
    _print_problems(report, args.report)
    return 0


def _print_problems(report: BackfillReport, report_path: str | None) -> None:
    """The first unreadable records and every refused feed, and where to find the rest."""
    for problem in report.problems:
        print(f"  unreadable {problem}")
    more = report.bad - len(report.problems)
    if report_path:
        print(f"  every unreadable and skipped record is listed in {report_path}")
    elif more:
        print(f"  … and {more:,} more unreadable (--report FILE lists every one)")
    for line in report.refused_shown:
        print(f"  feed not polled (created disabled): {line}")
    if report.feeds_refused > len(report.refused_shown):
        print(f"  … and {report.feeds_refused - len(report.refused_shown):,} more feeds not polled")


def cmd_demo(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if engine.is_url(path) and not args.db_named:
        raise CliError("demo adds the sample's feeds, topics and articles to the database it loads; the configured "
                       "one is PostgreSQL: name the database to load with --db postgresql://…")
    path = path if args.db else path.with_name("demo.db")
    conn = connect(path)
    specs, _ = feedlists.read_feed_list(SAMPLE_OUTLETS)
    feedlists.import_feeds(conn, specs)
    topics.seed_defaults(conn)
    report = backfill(conn, [SAMPLE], progress=True)
    print(f"demo database {path}: {report.summary()}")
    print(f"try: newsradar --db {path} stats")
    return 0


# stats, export -----------------------------------------------------------------------------------------------

def cmd_stats(args: argparse.Namespace) -> int:
    conn = connect(_existing_db(args))
    facts = articles.stats(conn)
    print(f"articles   {facts['articles']:,}")
    print(f"outlets    {facts['outlets']:,}")
    statuses = feeds.status_counts(conn)
    print("feeds      " + (", ".join(f"{n:,} {s}" for s, n in statuses) or "none"))
    print(f"published  {facts['first'] or '-'} .. {facts['last'] or '-'} UTC")
    if facts["flagged"]:
        print(f"undated    {facts['flagged']:,} (first-seen time used, or a future date clamped)")
    if not facts["articles"]:
        return 0
    found = story_store.summary(conn)
    print(f"stories    {found.stories:,} (each counted once; {found.shared:,} of two or more articles hold "
          f"{found.in_shared:,} articles, the largest {found.largest:,})")
    if found.ungrouped:
        print(f"ungrouped  {found.ungrouped:,} articles not grouped into stories (stored before stories existed, "
              "or imported with --no-stories), each its own story (run 'newsradar stories rebuild')")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from dashboard.labels import filter_vocabulary  # the names of countries, languages and categories

    filters = Filters.from_values({f.param: getattr(args, f.param) for f in FIELDS})
    conn = connect(_existing_db(args))
    filters = filters.checked(filter_vocabulary(conn))
    # utf-8-sig: Excel reads the BOM as "this is UTF-8"; a pipe or a device gets the CSV alone
    with _output(args.output, "utf-8-sig" if _to_a_file(args.output) else "utf-8", newline="") as out:
        count = write_csv(conn, filters, out)
    # on stderr: with -o - or -o /dev/stdout the CSV stays clean
    print(f"{count:,} articles exported to {args.output}", file=sys.stderr)
    _report_incomplete(conn, filters, args.incomplete_days)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from dashboard.labels import filter_vocabulary  # the names of countries, languages and categories
    from newsradar import explain

    values = {f.param: getattr(args, f.param) for f in FIELDS}
    if args.day:
        if values["from"] or values["to"]:
            raise CliError("explain: give --day, or --from and --to, not both")
        values["from"] = values["to"] = args.day
    filters = Filters.from_values(values)
    if not filters.date_from:
        raise CliError("explain: which period? give --day YYYY-MM-DD, or --from and --to")
    last = filters.date_to or filters.date_from
    if last < filters.date_from:
        raise CliError(f"explain: --to {last} is before --from {filters.date_from}")
    conn = connect(_existing_db(args))
    filters = filters.checked(filter_vocabulary(conn))
    print(explain.text(explain.explain(conn, filters, *explain.day_span(filters.date_from, last))))
    return 0


def _report_incomplete(conn: Connection, filters: Filters, path: str | None) -> None:
    """A line on stderr naming the export's incomplete days; with --incomplete-days FILE, their list as CSV."""
    gaps = incomplete_days(conn, filters)
    summary = incomplete_summary(gaps)
    if summary:
        hint = "" if path else " (list them with --incomplete-days FILE)"
        print(f"note: {summary}{hint}", file=sys.stderr)
    if path:
        with _output(path, newline="") as out:
            write_incomplete_days(gaps, out)
        print(f"{len(gaps):,} incomplete outlet-days written to {path}", file=sys.stderr)


# backup ------------------------------------------------------------------------------------------------------

def cmd_backup(args: argparse.Namespace) -> int:
    from db.backup import BackupError, backup

    database = _db_path(args)
    to_a_file = _to_a_file(args.file)  # before the copy exists
    try:
        report = backup(database, Path(args.file), force=args.force)
    except (BackupError, OutputError) as exc:
        raise CliError(str(exc)) from None
    print(report.summary(), file=sys.stdout if to_a_file else sys.stderr)  # `backup /dev/stdout | gzip` stays clean
    return 0


def _backup_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="copy the SQLite database to FILE while the collector runs "
                                      "(checked, then renamed)")
    p.add_argument("file", metavar="FILE", help="the copy (built under a private temporary name beside FILE, "
                   "then renamed onto it; a device or FIFO is written into)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=cmd_backup)


# db copy -----------------------------------------------------------------------------------------------------

def cmd_db_copy(args: argparse.Namespace) -> int:
    from db.copy import CopyError, copy

    if not engine.is_url(args.source) and not Path(args.source).is_file():
        raise CliError(f"no database at {args.source}")
    with closing(connect(engine.target(args.source), readonly=True)) as source, \
            closing(connect(engine.target(args.target))) as to:
        try:
            counts = copy(source, to, progress=_copy_progress())
        except CopyError as exc:
            raise CliError(str(exc)) from None
    for count in counts:
        print(f"{count.table}\t{count.target:,}", file=sys.stderr)
    print(f"copied: every table has as many rows as in {args.source}", file=sys.stderr)
    return 0


def _copy_progress() -> Callable[[str, int], None]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def step(table: str, rows: int) -> None:
        if table not in bars:
            bars.clear()
            bars[table] = tqdm(desc=table, unit=" rows", file=sys.stderr, leave=False)
        bars[table].update(rows)
    return step


def _db_parser(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="move a database between engines").add_subparsers(
        dest="db_command", required=True, metavar="ACTION")
    p = db.add_parser("copy", help="copy SOURCE into TARGET (SQLite file or postgresql:// URL, either way); run it "
                      "again to go on after an interruption; checked by counting every table")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("target", metavar="TARGET")
    p.set_defaults(func=cmd_db_copy)


# dashboard ---------------------------------------------------------------------------------------------------

def cmd_dashboard(args: argparse.Namespace) -> int:
    """Replace this process with `streamlit run dashboard/app.py` (production flags); --db goes as NEWSRADAR_DB."""
    from dashboard.serve import streamlit_process

    db = _existing_db(args)
    command, env = streamlit_process(args.port or args.config["server.port"], args.config, os.environ,  # port >= 1
                                     (db if engine.is_url(db) else db.resolve()) if args.db else None)
    sys.stdout.flush()
    os.execve(command[0], command, env)
    return 0  # not reached


# serve, health, config ---------------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from newsradar.service import serve

    db = _db_path(args)
    db = db if engine.is_url(db) else db.resolve()   # a PostgreSQL URL goes to the children as it is
    health_port = args.config["server.health_port"] if args.health_port is None else args.health_port
    return serve(args.config, db, args.port or args.config["server.port"], health_port)


def cmd_health(args: argparse.Namespace) -> int:
    from newsradar import health

    path = _existing_db(args)
    with closing(connect(path)) as conn:  # not read-only: an older database gets the service tables first
        report = health.report(conn)
    print(json.dumps(report, indent=1))
    return 0 if report["status"] == "ok" else 1


def cmd_config(args: argparse.Namespace) -> int:
    if args.docs:
        print(config.docs_markdown(), end="")
        return 0
    where = args.config.path or f"{config.default_path()} (absent: defaults and environment only)"
    print(f"# configuration file: {where}")
    secret = ("auth.oidc_client_secret", "auth.cookie_secret", "alerts.smtp_password")
    for key in config.KEYS:
        value = args.config[key.name]
        print(f"{key.name} = {'********' if key.name in secret and value else json.dumps(value)}")
    return 0



# users (password sign-in) -----------------------------------------------------------------------------------

def _new_password(args: argparse.Namespace) -> str:
    """The password from one line of standard input (--password-stdin), or typed twice at a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the two passwords differ; nothing changed")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    conn = _db(args)
    action = args.users_command
    if action == "list":
        for user in users.list_users(conn):
            print(f"{user.role:<8} {user.name}  (created {user.created}, changed {user.updated})")
    elif action == "add":
        users.clean_name(args.name)   # a bad name or role is refused before the password is asked for
        users.check_role(args.role)
        user = users.add_user(conn, args.name, _new_password(args), args.role)
        print(f"added {user.role} {user.name!r}")
    elif action == "passwd":
        if users.get_user(conn, args.name) is None:
            raise CliError(f"no user called {args.name!r} (see 'newsradar users list')")
        users.set_password(conn, args.name, _new_password(args))
        print(f"new password set for {args.name!r}")
    else:
        users.remove_user(conn, args.name)
        print(f"removed user {args.name!r}")
    return 0


def _add_users_parser(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("users", help="accounts for auth.mode = password").add_subparsers(
        dest="users_command", required=True, metavar="ACTION")
    p = up.add_parser("add", help="add an account (the password is asked for twice)")
    p.add_argument("name")
    p.add_argument("--role", default="analyst", help="admin or analyst (analyst)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    p.set_defaults(func=cmd_users)
    p = up.add_parser("remove", help="delete an account (its saved views stay)")
    p.add_argument("name")
    p.set_defaults(func=cmd_users)
    p = up.add_parser("list", help="every account with its role")
    p.set_defaults(func=cmd_users)
    p = up.add_parser("passwd", help="set a new password")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    p.set_defaults(func=cmd_users)


# alerts -----------------------------------------------------------------------------------------------------

def _now_arg(text: str | None) -> dt.datetime | None:
    """--now: an ISO time (UTC unless it says otherwise), or None for the clock."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--now: {text!r} is not an ISO time (2023-09-20T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def cmd_alerts(args: argparse.Namespace) -> int:
    from newsradar import notify

    conn = _db(args)
    action = args.alerts_command
    if action == "add":
        target, ref = next((t, v) for t, v in (("topic", args.topic), ("view", args.view), ("query", args.q)) if v)
        try:
            channels = [notify.check_channel(c, _allow_private(args)) for c in [*args.email, *args.notify]]
        except ValueError as exc:
            raise CliError(str(exc)) from None
        rule = alert_store.add_rule(conn, args.name, args.owner or "operator", target, ref, args.kind, channels,
                                    shared=args.owner is None, sensitivity=args.sensitivity,
                                    skip_empty=not args.keep_empty)
        print(f"added alert rule “{rule.name}”: {rule.describe()}, to {', '.join(rule.channels)}")
    elif action == "list":
        for rule in alert_store.list_rules(conn):
            owner = "team" if rule.shared else rule.owner
            gone = f"  (broken: {rule.gone} no longer exists)" if rule.gone else ""
            print(f"{rule.name}  [{owner}]  {rule.describe()} -> {', '.join(rule.channels)}{gone}")
    elif action == "remove":
        print(f"removed alert rule “{alert_store.remove_rule(conn, args.name).name}”")
    elif action == "test":
        return _alerts_test(conn, args, alert_store.get_rule(conn, args.name))
    else:
        return _alerts_run(conn, args)
    return 0


def _alerts_test(conn: Connection, args: argparse.Namespace, rule: alert_store.Rule) -> int:
    """Send what the rule would send now (or a note that it would send nothing) to each of its channels, outside the
    ledger: a test never stands in for the real message."""
    from newsradar import alerts, notify

    now = _now_arg(args.now) or alerts.as_of(conn, args.config) or dt.datetime.now(dt.UTC)
    preview = alerts.preview(conn, args.config, rule, now)
    subject, body = f"[test] {preview.subject}", preview.body
    failed = 0
    for channel in rule.channels:
        try:
            notify.send(args.config, channel, subject, body, f"<newsradar.test.{os.getpid()}@newsradar>")
            print(f"{channel}: sent")
        except notify.DeliveryError as exc:
            failed += 1
            print(f"{channel}: not sent: {exc}")
    return 1 if failed else 0


def _alerts_run(conn: Connection, args: argparse.Namespace) -> int:
    from newsradar import alerts

    if not args.once and (args.now or args.retry_now):
        raise CliError("--now and --retry-now go with --once (one evaluation as of that time)")
    if not args.once:
        # SIGTERM (serve stopping) or SIGINT (Ctrl-C reaches the whole process group, and serve passes it on too):
        # finish the message in hand, then stop; a second signal during exit must not raise in the middle of it
        stopping: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, _frame: stopping.append(signum))
        alerts.run_forever(conn, args.config, stop=lambda: bool(stopping))
        return 0
    report = alerts.run_once(conn, args.config, _now_arg(args.now), retry_now=args.retry_now)
    for problem in report.problems or []:
        print(f"newsradar: warning: {problem}", file=sys.stderr)
    print(f"{report.messages} new messages, {report.skipped_empty} empty digests skipped; "
          f"{report.sent} deliveries sent, {report.failed} failed (kept for a retry)")
    return 0


def _add_alerts_parser(sub: argparse._SubParsersAction) -> None:
    ap = sub.add_parser("alerts", help="alert rules: spikes, digests and new matches by e-mail or Apprise URL"
                        ).add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    p = ap.add_parser("add", help="add a rule for a topic, a saved view or a query")
    p.add_argument("name")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--topic", help="topic name")
    what.add_argument("--view", help="saved view name")
    what.add_argument("--q", help="query, e.g. 'karabakh OR karabach*'")
    p.add_argument("--kind", required=True, choices=alert_store.KINDS,
                   help="new (new matches, batched), spike, daily or weekly (digests)")
    p.add_argument("--email", action="append", default=[], help="e-mail address (repeatable)")
    p.add_argument("--notify", action="append", default=[], metavar="APPRISE_URL",
                   help="Apprise URL: slack://…, msteams://…, discord://…, json://host/path … (repeatable)")
    p.add_argument("--sensitivity", choices=alert_store.SENSITIVITIES, default="medium",
                   help="spikes: low, medium (the chart's stars) or high")
    p.add_argument("--keep-empty", action="store_true", help="digests: send one also when nothing matched")
    p.add_argument("--owner", help="an analyst's own rule (default: the team's, which only admins change)")
    p.set_defaults(func=cmd_alerts)
    p = ap.add_parser("list", help="every rule with its channels")
    p.set_defaults(func=cmd_alerts)
    p = ap.add_parser("remove", help="delete a rule")
    p.add_argument("name")
    p.set_defaults(func=cmd_alerts)
    p = ap.add_parser("test", help="send what the rule would send now to its channels, marked [test]")
    p.add_argument("name")
    p.add_argument("--now", help="as of this ISO time (default: alerts.clock)")
    p.set_defaults(func=cmd_alerts)
    p = ap.add_parser("run", help="evaluate every rule and deliver (every alerts.interval_s until stopped)")
    p.add_argument("--once", action="store_true", help="one evaluation and delivery, then exit")
    p.add_argument("--now", help="with --once: evaluate as of this ISO time (replays, tests), e.g. 2023-09-20T00:00Z")
    p.add_argument("--retry-now", action="store_true", help="with --once: retry every waiting delivery now")
    p.set_defaults(func=cmd_alerts)


# parser ------------------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """Bad arguments are reported like every other error: one line, exit status 2 (`--help` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"newsradar: error: {message}\n")


def _setting(name: str) -> Callable[[str], Any]:
    """An argparse type for a flag that overrides the setting `name`: the same type and range as in the file."""
    key = config.KEYS_BY_NAME[name]

    def parse(text: str) -> Any:
        try:
            return key.parse(text.strip())
        except config.ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsradar", description="Self-hosted media monitoring.")
    parser.add_argument("--db", help="SQLite file or postgresql:// URL (default: the db setting, $NEWSRADAR_DB, or "
                        "a file in the user data directory)")
    parser.add_argument("--config", help="settings file (default: $NEWSRADAR_CONFIG or newsradar.toml in the user "
                        "config directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    feeds = sub.add_parser("feeds", help="manage the feeds").add_subparsers(dest="feeds_command", required=True,
                                                                            metavar="ACTION")
    p = feeds.add_parser("import", help="add feeds from OPML or CSV (feed_url,outlet,country,language)")
    p.add_argument("files", nargs="*", help="files or http(s) addresses to import (default: the bundled default "
                                            "list)")
    p.set_defaults(func=cmd_feeds_import)
    p = feeds.add_parser("export", help="write the feeds as CSV or OPML")
    p.add_argument("-o", "--output", help="file (default: standard output); .opml selects OPML")
    p.add_argument("--format", choices=["csv", "opml"])
    p.set_defaults(func=cmd_feeds_export)
    p = feeds.add_parser("list", help="every feed with its status and last error")
    p.set_defaults(func=cmd_feeds_list)
    p = feeds.add_parser("add", help="add one feed")
    p.add_argument("url")
    p.add_argument("--outlet")
    p.add_argument("--country", help="ISO 3166-1 alpha-2 code of the outlet's country")
    p.add_argument("--language", help="ISO 639-1 code")
    p.set_defaults(func=cmd_feeds_add)
    p = feeds.add_parser("remove", help="stop collecting a feed (its articles stay)")
    p.add_argument("feed", help="URL or id")
    p.set_defaults(func=cmd_feeds_remove)

    p = sub.add_parser("seed", help="add the default feeds and topics where there are none yet")
    p.set_defaults(func=cmd_seed)

    tp = sub.add_parser("topics", help="manage the watch topics").add_subparsers(dest="topics_command", required=True,
                                                                                metavar="ACTION")
    p = tp.add_parser("list", help="every topic with its number of articles")
    p.set_defaults(func=cmd_topics_list)
    p = tp.add_parser("add", help="add a topic and apply it to every stored article")
    p.add_argument("name")
    p.add_argument("query", help='e.g. \'(azerbaijan* OR azerbejdzan*) AND (russia* OR rosj*)\'')
    p.add_argument("--description")
    p.set_defaults(func=cmd_topics_save)
    p = tp.add_parser("edit", help="change a topic's query, name or description and reapply it")
    p.add_argument("name")
    p.add_argument("--query")
    p.add_argument("--rename")
    p.add_argument("--description")
    p.set_defaults(func=cmd_topics_save)
    p = tp.add_parser("remove", help="delete a topic")
    p.add_argument("name")
    p.set_defaults(func=cmd_topics_remove)
    p = tp.add_parser("import", help="add or update topics from TOML ([[topic]] name, query, description)")
    p.add_argument("file", nargs="?", help="TOML file (default: the bundled default topics)")
    p.set_defaults(func=cmd_topics_import)
    p = tp.add_parser("export", help="write the topics as TOML")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_topics_export)

    p = sub.add_parser("tag", help="tag JSON lines (title, description, language) from stdin")
    p.add_argument("--workers", type=_positive_int, help="processes for large inputs (default: one per CPU)")
    p.set_defaults(func=cmd_tag)
    p = sub.add_parser("retag", help="recompute countries, category and topics of every stored article")
    p.set_defaults(func=cmd_retag)

    p = sub.add_parser("stories", help="stories: the articles of different outlets that report one event"
                       ).add_subparsers(dest="stories_command", required=True, metavar="COMMAND")
    p = p.add_parser("rebuild", help="group every stored article into stories again (after an upgrade)")
    p.set_defaults(func=cmd_stories_rebuild)

    p = sub.add_parser("collect", help="poll the feeds on their schedules until stopped")
    p.add_argument("--once", action="store_true", help="one cycle of the due feeds, then exit")
    p.add_argument("--force", action="store_true", help="with --once: poll every feed, due or not")
    p.add_argument("--deadline", type=_setting("collector.deadline_s"),
                   help="seconds one fetch may take in all (collector.deadline_s, 20)")
    p.add_argument("--per-host", type=_setting("collector.per_host"),
                   help="requests in flight per host (collector.per_host, 2)")
    p.add_argument("--concurrency", type=_setting("collector.concurrency"),
                   help="requests in flight in all (collector.concurrency, 16)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("backfill", help="import archives: JSON lines (.jsonl, .jsonl.gz) or CSV")
    p.add_argument("files", nargs="+")
    p.add_argument("--no-tag", action="store_true", help="skip tagging (run 'newsradar retag' afterwards)")
    p.add_argument("--no-stories", action="store_true",
                   help="skip grouping into stories (run 'newsradar stories rebuild' afterwards)")
    p.add_argument("--report", metavar="FILE", help="write every unreadable or skipped record (file:line: reason) "
                   "to FILE")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("demo", help="load the bundled sample (Sept 2023) into demo.db, or into --db")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("stats", help="articles, outlets, feeds by status, date range")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("export", help="write the matching articles as CSV")
    p.add_argument("-o", "--output", required=True, help="CSV file (renamed onto FILE once complete), a device or "
                   "FIFO (written into), or - for standard output")
    for f in FIELDS:  # the filter flags, as db.filters spells them
        p.add_argument(f.flag, dest=f.param, metavar=f.flag.lstrip("-").replace("-", "_").upper(), help=f.help,
                       **({"action": "append", "default": []} if f.many else {}))
    p.add_argument("--incomplete-days", metavar="FILE",
                   help="also write the outlets' days of incomplete collection in the export's range as CSV")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("explain", help="what happened in a period: top stories, terms that rose, and the outlets "
                       "and source countries above their baseline")
    for f in FIELDS:
        p.add_argument(f.flag, dest=f.param, metavar=f.flag.lstrip("-").replace("-", "_").upper(), help=f.help,
                       **({"action": "append", "default": []} if f.many else {}))
    p.add_argument("--day", metavar="DAY", help="one day, YYYY-MM-DD (UTC): the same as --from DAY --to DAY")
    p.set_defaults(func=cmd_explain)
    p = sub.add_parser("dashboard", help="serve the web dashboard (Streamlit) until Ctrl-C")
    p.add_argument("--port", type=_setting("server.port"), help="TCP port (server.port, 8501)")
    p.set_defaults(func=cmd_dashboard)
    p = sub.add_parser("serve", help="the collector and the dashboard as one supervised unit, with a health endpoint")
    p.add_argument("--port", type=_setting("server.port"), help="dashboard port (server.port, 8501)")
    p.add_argument("--health-port", type=_setting("server.health_port"),
                   help="health endpoint port, 0 for none (server.health_port, 8502)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("health", help="is the collector alive, when did it last store an article (JSON; exit 1 "
                       "unless ok)")
    p.set_defaults(func=cmd_health)
    p = sub.add_parser("config", help="the settings in effect (file, then environment)")
    p.add_argument("--docs", action="store_true", help="print every key with its meaning, as Markdown")
    p.set_defaults(func=cmd_config)
    _backup_parser(sub)
    _db_parser(sub)
    _add_users_parser(sub)
    _add_alerts_parser(sub)
    return parser


# SQLite's own commands: refused on a postgresql:// database with what to use there, rather than a database error
# halfway through
_SQLITE_ONLY = {"backup": "backup copies a SQLite file; back up PostgreSQL with pg_dump (docs/postgresql.md)"}


def _check_engine(args: argparse.Namespace) -> None:
    what = _SQLITE_ONLY.get(args.command)
    if what and engine.is_url(_db_path(args)):
        raise CliError(what)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _apply_config(args)
        _check_engine(args)
        return args.func(args)
    except (CliError, config.ConfigError, SchemaError, QueryError, feedlists.FeedListError, ArchiveError,
            topics.TopicError, users.UserError, alert_store.AlertError) as exc:
        print(f"newsradar: error: {exc}", file=sys.stderr)
    except engine.database_errors() as exc:
        print(f"newsradar: database error: {' '.join(str(exc).split())}", file=sys.stderr)
    except OSError as exc:
        print(f"newsradar: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
    except KeyboardInterrupt:
        print("newsradar: interrupted", file=sys.stderr)
        return 130
    return 2
