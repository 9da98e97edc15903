"""The Alerts page: analysts add and remove their own rules and see the team's; admins manage every rule."""

from __future__ import annotations

from contextlib import closing

import pytest
from conftest import no_errors, plain, run_app

from dashboard import alerts
from dashboard.access import ADMIN, ANALYST, Identity
from db import alerts as store
from db import connect, topics

ADA, ANN, OTTO = Identity("ada", ADMIN), Identity("ann", ANALYST), Identity("otto", ANALYST)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "alerts.db"
    with closing(connect(path)) as conn, conn:
        topics.save_topic(conn, topics.Topic("Karabakh", "karabakh OR karabach*"))
    return path


def add(db, actor: Identity, name: str, shared: bool = False, channels: str = "desk@example.org"):
    return alerts.add(db, name=name, target="topic", ref="karabakh", kind="spike", channels=channels,
                      sensitivity="medium", keep_empty=False, shared=shared, actor=actor)


def test_an_analyst_adds_her_own_rule_and_only_an_admin_adds_one_for_the_team(db):
    assert add(db, ANN, "mine").ok
    refused = add(db, ANN, "team's", shared=True)
    assert not refused.ok and "Only an admin can add a rule for the team" in refused.text
    assert add(db, ADA, "team's", shared=True).ok
    with closing(connect(db)) as conn:
        assert {(r.name, r.owner, r.shared) for r in store.list_rules(conn)} == {("mine", "ann", False),
                                                                                ("team's", "ada", True)}


@pytest.mark.parametrize(("viewer", "shown"), [
    (ANN, {"team's": False, "ann's": True}),                    # the team's rule, not removable; her own
    (OTTO, {"team's": False, "otto's": True}),                  # not Ann's: it says where her mail goes
    (ADA, {"team's": True, "ann's": True, "otto's": True}),
])
def test_each_user_sees_the_teams_rules_and_their_own(db, viewer, shown):
    add(db, ADA, "team's", shared=True)
    add(db, ANN, "ann's")
    add(db, OTTO, "otto's")
    assert {row.name: row.removable for row in alerts.rows(db, viewer)} == shown


def test_an_analyst_cannot_remove_the_teams_rule_or_anothers(db):
    add(db, ADA, "team's", shared=True)
    add(db, OTTO, "otto's")
    assert "only an admin can remove it" in alerts.remove(db, "team's", actor=ANN).text
    assert "only an admin or its owner (otto)" in alerts.remove(db, "otto's", actor=ANN).text
    assert alerts.remove(db, "otto's", actor=OTTO).ok and alerts.remove(db, "team's", actor=ADA).ok


@pytest.mark.parametrize(("channels", "problem"), [
    ("desk@", "neither an e-mail address nor an Apprise URL"),
    ("", "at least one channel"),
    ("nonsense://x", "not an Apprise URL"),
])
def test_a_rule_with_a_bad_channel_is_refused_with_the_reason(db, channels, problem):
    outcome = add(db, ANN, "k", channels=channels)
    assert not outcome.ok and problem in outcome.text


def test_the_page_adds_lists_and_removes_a_rule(db, monkeypatch):
    at = no_errors(run_app(db, monkeypatch, "alerts"))
    assert "No alert rules yet" in at.info[0].value
    at.text_input(key="alert_name").input("Karabakh spikes")
    at.selectbox(key="alert_topic").select("Karabakh")
    at.text_area(key="alert_channels").input("desk@example.org\nslack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")
    next(b for b in at.button if b.label == "Add the rule").click().run()
    assert "Added “Karabakh spikes”: spikes of the topic “Karabakh” (medium)" in plain(no_errors(at).success[0])
    shown = "\n".join(t.value for t in at.text)
    assert "to desk@example.org, slack://T1JJ3T3L2/…" in shown and "owned by the team" in shown
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in shown          # a channel's token is not shown to the team
    at.button(key="remove_alert_Karabakh spikes").click().run()
    assert "Removed “Karabakh spikes”" in plain(no_errors(at).success[0])
    with closing(connect(db)) as conn:
        assert store.list_rules(conn) == []
