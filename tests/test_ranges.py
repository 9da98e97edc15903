"""Numbers and dates from the settings and the command line are checked against their ranges: one line naming the
key, the value and what is allowed, exit status 2; every date the export accepts works."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.normalize import normalize_link
from collectors.store import Article, ensure_feed, store_articles
from db import connect, transaction
from newsradar import cli, config

NUMERIC = [key for key in config.KEYS if key.low is not None]
OUTSIDE = [(key, value) for key in NUMERIC for value in (key.low - 1, key.high + 1, math.nan, math.inf, -math.inf)]


def ident(case) -> str:
    key, value = case
    return f"{key.name}={value}"


def test_every_number_has_a_range_and_its_default_is_inside():
    numbers = [key for key in config.KEYS if type(key.default) in (int, float)]
    assert numbers == NUMERIC
    assert all(key.low <= key.default <= key.high for key in NUMERIC)


@pytest.mark.parametrize("case", OUTSIDE, ids=map(ident, OUTSIDE))
def test_a_setting_out_of_range_in_the_file_is_refused_naming_it(tmp_path, case):
    key, value = case
    section, name = key.name.split(".")
    text = {math.nan: "nan", math.inf: "inf", -math.inf: "-inf"}.get(value, str(value))
    path = tmp_path / "newsradar.toml"
    path.write_text(f"[{section}]\n{name} = {text}\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as refused:
        config.load(path, environ={})
    message = str(refused.value)
    assert message.startswith(f"{path}: {key.name}") and text in message and key.allowed in message


@pytest.mark.parametrize("case", OUTSIDE, ids=map(ident, OUTSIDE))
def test_a_setting_out_of_range_in_the_environment_is_refused_naming_it(case):
    key, value = case
    text = str(value) if not isinstance(value, float) or not math.isfinite(value) else f"{value:g}"
    with pytest.raises(config.ConfigError) as refused:
        config.load(environ={key.env: text})
    message = str(refused.value)
    assert message.startswith(f"{key.env}: ") and text in message and key.allowed in message and "\n" not in message
    assert message == f"{key.env}: {key.name} must be {key.allowed}, not {text}" or type(key.default) is int


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("NEWSRADAR_COLLECTOR_CONCURRENCY", "1", 1), ("NEWSRADAR_COLLECTOR_CONCURRENCY", " 1024 ", 1024),
    ("NEWSRADAR_SERVER_HEALTH_PORT", "0", 0), ("NEWSRADAR_COLLECTOR_DEADLINE_S", "0.5", 0.5),
    ("NEWSRADAR_COLLECTOR_DEADLINE_S", "3600", 3600.0)])
def test_the_ends_of_a_range_are_allowed(variable, value, expected):
    key = next(key for key in config.KEYS if key.env == variable)
    assert config.load(environ={variable: value})[key.name] == expected


def test_a_whole_number_written_with_a_fraction_is_refused(tmp_path):
    path = tmp_path / "newsradar.toml"
    path.write_text("[collector]\nconcurrency = 2.5\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="collector.concurrency: expected a whole number from 1 to 1024, "
                                                 "got 2.5"):
        config.load(path, environ={})


def test_the_docs_show_each_range():
    docs = config.docs_markdown()
    assert "| `collector.concurrency` | `NEWSRADAR_COLLECTOR_CONCURRENCY` | `16` | a whole number from 1 to 1024 |" \
        in docs


# the command line --------------------------------------------------------------------------------------------

FLAGS = [(["collect", "--once", "--concurrency", "-1"], "collector.concurrency", "-1"),
         (["collect", "--once", "--concurrency", "0"], "collector.concurrency", "0"),
         (["collect", "--once", "--per-host", "0"], "collector.per_host", "0"),
         (["collect", "--once", "--deadline", "nan"], "collector.deadline_s", "nan"),
         (["collect", "--once", "--deadline", "-5"], "collector.deadline_s", "-5"),
         (["collect", "--once", "--deadline", "inf"], "collector.deadline_s", "inf"),
         (["serve", "--port", "70000"], "server.port", "70000"),
         (["serve", "--health-port", "-1"], "server.health_port", "-1"),
         (["dashboard", "--port", "0"], "server.port", "0")]


@pytest.mark.parametrize(("argv", "name", "value"), FLAGS, ids=[" ".join(f[0][:4]) for f in FLAGS])
def test_a_flag_out_of_range_is_one_error_line(tmp_path, capsys, argv, name, value):
    db = tmp_path / "x.db"
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--db", str(db), *argv])
    key = config.KEYS_BY_NAME[name]
    flag = argv[-2]
    assert stopped.value.code == 2 and not db.exists()
    assert capsys.readouterr().err == f"newsradar: error: argument {flag}: {name} must be {key.allowed}, not {value}\n"


def test_a_flag_that_is_not_a_number_is_one_error_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(tmp_path / "x.db"), "collect", "--once",
                           "--concurrency", "many"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "newsradar: error: argument --concurrency: expected a whole number "
                                                 "from 1 to 1024, got 'many'\n")


def test_a_bad_setting_stops_collect_instead_of_hanging(tmp_path):
    done = subprocess.run([sys.executable, "-m", "newsradar", "--db", str(tmp_path / "x.db"), "collect", "--once"],
                          capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "NEWSRADAR_COLLECTOR_CONCURRENCY": "0"})
    assert done.returncode == 2
    assert done.stderr == ("newsradar: error: NEWSRADAR_COLLECTOR_CONCURRENCY: collector.concurrency must be a whole "
                           "number from 1 to 1024, not 0\n")


# dates -------------------------------------------------------------------------------------------------------

@pytest.fixture
def dated_db(tmp_path) -> Path:
    path = tmp_path / "dated.db"
    conn = connect(path)
    with transaction(conn):
        feed = ensure_feed(conn, "https://x.example/rss", "X", "GB", "en")
        store_articles(conn, feed, None, [
            Article(normalize_link(f"https://x.example/{day}"), f"https://x.example/{day}", f"news of {day}", "",
                    f"{day} 10:00:00", None, "en") for day in ("2023-09-20", "2023-09-21")], "2023-09-22 10:00:00")
    conn.close()
    return path


@pytest.mark.parametrize(("dates", "titles"), [
    (["--to", "9999-12-31"], 2), (["--from", "0001-01-01"], 2), (["--from", "0001-01-01", "--to", "9999-12-31"], 2),
    (["--to", "0001-01-01"], 0), (["--from", "9999-12-31"], 0), (["--from", "9999-12-31", "--to", "9999-12-31"], 0),
    (["--from", "2023-09-21", "--to", "2023-09-21"], 1), (["--to", "2023-09-20"], 1)])
def test_every_accepted_date_works(dated_db, capsys, dates, titles):
    assert cli.main(["--db", str(dated_db), "export", "-o", "-", *dates]) == 0
    out, err = capsys.readouterr()
    assert len(list(csv.DictReader(io.StringIO(out)))) == titles and err == f"{titles} articles exported to -\n"


@pytest.mark.parametrize(("dates", "message"), [
    (["--to", "10000-01-01"], "to: '10000-01-01' is not an ISO date (YYYY-MM-DD)"),
    (["--from", "0000-12-31"], "from: '0000-12-31' is not an ISO date (YYYY-MM-DD)"),
    (["--from", "2023-02-30"], "from: '2023-02-30' is not an ISO date (YYYY-MM-DD)"),
    (["--from", "9999-12-31", "--to", "0001-01-01"], "from (9999-12-31) is after to (0001-01-01)")])
def test_a_date_out_of_range_is_one_error_line(dated_db, tmp_path, capsys, dates, message):
    out = tmp_path / "out.csv"
    assert cli.main(["--db", str(dated_db), "export", "-o", str(out), *dates]) == 2
    assert capsys.readouterr().err == f"newsradar: error: {message}\n" and not out.exists()
