"""The app on a database it cannot write, and with a page that raises: a sentence, never a traceback (AppTest)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from conftest import no_errors, plain, run_app
from streamlit.testing.v1 import AppTest

from dashboard import queries, state
from dashboard.testing import build_sample_db
from db import connect, users


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    path = build_sample_db(tmp_path_factory.mktemp("failures") / "small.db", every=400)
    with closing(connect(path)) as conn:
        users.add_user(conn, "ada", "ada-password", "admin")
    return path


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` as a file nobody may write: immutable for root (who ignores permissions), mode 0444 for anyone else.
    A new file each time: an earlier test's connections kept open by the dashboard (db/sqlite_pool.py) would hand
    SQLite a descriptor opened for writing before the file was made immutable."""
    copy = path.with_name(f"readonly-{uuid.uuid4().hex}-{path.name}")
    with closing(connect(path)) as source, closing(connect(copy)) as target:
        source.backup(target)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(copy)], check=True)
    else:
        copy.chmod(0o444)
    try:
        yield copy
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(copy)], check=True)
        copy.chmod(0o644)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    return at


def shown(at: AppTest) -> str:
    """Every message and text on the screen."""
    return " ".join(str(e.value) for kind in ("error", "warning", "info", "success", "text", "markdown", "caption",
                                              "code") for e in at.get(kind))


def assert_no_traceback(at: AppTest) -> None:
    no_errors(at)
    text = shown(at)
    for leak in ("Traceback", 'File "', ".py", "/work", "site-packages", "OperationalError", "RecursionError"):
        assert leak not in text, (leak, text)


def save_view(at: AppTest) -> AppTest:
    at.text_input(key="view_name").input("Karabakh")
    return click(at, "Save the current filters")


def create_topic(at: AppTest) -> AppTest:
    at.text_input(key="draft_name").input("Lachin")
    at.text_area(key="draft_query").input("lachin").run()
    return click(at, "Create topic")


def add_feed(at: AppTest) -> AppTest:
    at.text_input(key="feed_url").input("https://example.com/rss.xml")
    return click(at, "Add feed")


@pytest.mark.parametrize(("page", "act", "doing"), [("views", save_view, "Cannot save the view"),
                                                    ("topics", create_topic, "Cannot save the topic"),
                                                    ("sources", add_feed, "Cannot add the feed")])
def test_a_change_to_a_read_only_database_is_refused_in_words(small_db, monkeypatch, page, act, doing):
    with read_only(small_db) as db:
        at = no_errors(run_app(db, monkeypatch, page))
        act(at)
        assert_no_traceback(at)
        [error] = at.error
        assert plain(error) == f"{doing}: the database is read-only here (its file or folder cannot be written). " \
                               "Nothing was changed."


def test_signing_in_on_a_read_only_database_says_why_it_cannot(small_db, monkeypatch):
    with read_only(small_db) as db:
        at = no_errors(run_app(db, monkeypatch, auth_mode="password"))
        at.text_input(key="signin_name").input("ada")
        at.text_input(key="signin_password").input("wrong password")
        at.button[0].click().run()
        assert_no_traceback(at)
        assert "Cannot sign in now: the database is read-only here" in plain(at.error[0])
        assert not at.metric   # still the sign-in screen


def test_a_page_that_fails_unexpectedly_says_so_in_one_sentence(small_db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(f"secret detail in {__file__}")

    monkeypatch.setattr(queries, "article_page", broken)
    state.forget_cached()
    at = run_app(small_db, monkeypatch, "articles")
    assert_no_traceback(at)
    assert "secret detail" not in shown(at)
    assert [plain(e) for e in at.error] == ["Something went wrong on the server, so this could not be done or "
                                            "shown. Nothing was lost; the details are in the dashboard's log."]
    assert at.sidebar.text_input(key="q")   # the sidebar is still there to change the filters


@pytest.mark.parametrize("page", ["coverage", "articles", "countries"])
def test_a_query_nested_300_deep_shows_no_traceback(small_db, monkeypatch, page):
    at = run_app(small_db, monkeypatch, page, {"q": "(" * 300 + "karabakh" + ")" * 300})
    assert_no_traceback(at)
    assert at.error or at.warning
