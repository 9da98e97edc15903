"""Spikes on the coverage chart: a bucket far above its own previous 14, per line, marked and explained."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import figures
from dashboard.spikes import spike_note, spikes, spikes_shown, unjudged_note

DAYS = pd.date_range("2023-09-01", periods=30)


def series(values: list[int], label: str = "all") -> pd.DataFrame:
    return pd.DataFrame({"bucket": DAYS[:len(values)], "label": label, "n": values,
                         "value": [float(v) for v in values]})


def test_a_day_far_above_the_previous_two_weeks_is_a_spike():
    found = spikes(series([10, 12, 9, 11, 10] * 4 + [60] + [10] * 9))
    assert list(found["bucket"].dt.strftime("%Y-%m-%d")) == ["2023-09-21"]
    assert found["baseline"][0] == pytest.approx(146 / 14) and found["ratio"][0] == pytest.approx(60 / (146 / 14))


@pytest.mark.parametrize(("values", "why"), [
    ([10] * 20 + [15] * 10, "half as much again is news, not a spike"),
    (list(range(10, 40)), "a steady rise is a trend"),
    ([10, 60, 10], "too little history for a baseline"),
    ([1] * 20 + [4] + [1] * 9, "four articles are too few to call"),
    ([0] * 20 + [30] + [0] * 9, "nothing before: no baseline to compare with"),
    ([10, 40] * 15, "a day that is always high is its own baseline"),
])
def test_what_is_not_a_spike(values, why):
    assert spikes(series(values)).empty, why


def test_each_line_of_a_split_is_judged_against_its_own_past():
    quiet = series([2] * 20 + [12] + [2] * 9, "AZ")          # 6× its own mean, though small
    loud = series([100] * 20 + [110] + [100] * 9, "US")      # more articles, no spike
    found = spikes(pd.concat([quiet, loud]))
    assert list(found["label"]) == ["AZ"]


def test_spikes_are_starred_on_the_chart_and_named_in_the_note():
    data = series([10] * 20 + [60] + [10] * 9)
    found = spikes(data)
    fig = figures.coverage_figure(data, pd.DataFrame(columns=["day", "failing", "polled"]), peaks=found)
    [star] = [trace for trace in fig.data if trace.name == "spike"]
    assert list(star.y) == [60.0] and "6.0× the mean of the previous 14 days" in star.text[0]
    assert fig.layout.showlegend
    note = spike_note(found, "none", "day")
    assert "2023-09-21, 6.0×" in note and "previous 14 days" in note


def test_the_note_names_the_line_and_counts_the_rest():
    data = pd.concat([series([2] * 20 + [12 + i] + [2] * 9, label) for i, label in enumerate("ABCDE")])
    note = spike_note(spikes(data), "country", "day")
    assert "(E)" in note and "and 2 more" in note


def test_the_note_shows_a_name_as_text():
    name = "![x](http://127.0.0.1:9/img.png) <b>bold</b>"
    note = spike_note(spikes(series([2] * 20 + [12] + [2] * 9, name)), "outlet", "day")
    assert "![" not in note and "<b>" not in note and "http://" not in note
    assert name in note.replace("\\", "").replace("\u2060", "")


@pytest.mark.parametrize(("values", "why"), [
    ([0] * 16 + [5, 6, 5, 6] + [60] + [5] * 9, "four days of history: a line that only just started"),
    ([0] * 10 + [0, 4] * 5 + [60] + [4] * 9, "a line whose first article came ten days before has no baseline yet"),
    ([6] * 13 + [60] + [6] * 16, "thirteen earlier days, one short of the window"),
])
def test_a_line_without_a_window_of_history_is_not_judged(values, why):
    assert spikes(series(values)).empty, why


def test_a_full_window_of_history_is_enough():
    assert list(spikes(series([6] * 14 + [60] + [6] * 15))["bucket"].dt.strftime("%Y-%m-%d")) == ["2023-09-15"]


def test_other_is_never_starred():
    jump = [10] * 20 + [60] + [10] * 9
    found = spikes(pd.concat([series(jump, "other"), series(jump, "PL")]))
    assert list(found["label"]) == ["PL"]
    assert spikes(series(jump, "other")).empty


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_the_note_says_the_window_in_the_unit_shown(bucket):
    note = spike_note(spikes(series([10] * 20 + [60] + [10] * 9)), "none", bucket)
    assert f"the previous 14 {bucket}s" in note and f"judged from 14 {bucket}s after its first article" in note
    assert '"other" is not judged' in note


@pytest.mark.parametrize("first", [15, 19, 20])
def test_dates_that_start_later_keep_the_spikes_their_lines_had(first):
    whole = series([10, 12, 9, 11, 10] * 4 + [60] + [10] * 9)
    shown = whole[whole["bucket"] >= DAYS[first]]          # the dates shown start 1 to 6 days before the spike
    assert spikes(shown).empty                             # too little history inside the dates alone
    found = spikes_shown(shown, whole)
    assert list(found["bucket"].dt.strftime("%Y-%m-%d")) == ["2023-09-21"]
    assert found["ratio"][0] == pytest.approx(60 / (146 / 14)) and found["value"][0] == 60.0


def test_a_spike_before_the_dates_shown_is_not_starred():
    whole = series([10, 12, 9, 11, 10] * 4 + [60] + [10] * 9)
    assert spikes_shown(whole[whole["bucket"] > DAYS[20]], whole).empty
    assert spikes_shown(whole).equals(spikes(whole))       # no earlier dates: the series is its own history


def test_a_chart_says_which_lines_were_never_judged_for_spikes():
    young = series([0] * 20 + [1, 0, 2, 9, 0, 1, 0, 0, 3, 1])       # first article 9 days before the end: no baseline
    assert spikes(young).empty
    assert unjudged_note(young, None, "none", "day") == ("No line is judged for spikes here: fewer than 14 days since "
                                                         "the first article, so no baseline to be far above.")
    both = pd.concat([series([10] * 30, "AZ"), series([0] * 20 + [0, 0, 3] * 3 + [3], "RU"),
                      series([0] * 29 + [40], "other")])
    assert unjudged_note(both, None, "country", "day").endswith("): RU.")      # "other" is never judged anyway
    assert unjudged_note(series([10] * 30), None, "none", "day") == ""
    earlier = series([10] * 30)                                          # a zoom: the history before the dates counts
    assert unjudged_note(earlier[earlier["bucket"] >= DAYS[25]], earlier, "none", "day") == ""


def test_a_niche_lines_jump_is_a_spike():
    # a user trial: Poland's 9 and 14 Karabakh articles of 19–20 September after one a fortnight were not starred
    # (the rule wanted 14 earlier days *with* articles); a few articles a fortnight is a baseline, near zero
    jump = [1] + [0] * 10 + [1] + [0] * 7 + [9, 14] + [1] * 9
    found = spikes(series(jump, "PL"))
    assert list(found["bucket"].dt.strftime("%Y-%m-%d")) == ["2023-09-20", "2023-09-21"]
    assert spikes(series([0] * 19 + [9, 14] + [1] * 9, "PL")).empty      # nothing in the fortnight before: no mean


def test_a_chart_says_which_lines_were_judged_only_after_their_jump():
    # a line that starts mid-period (an outlet collected from then on) jumps in its first days: no star, and why
    started = [0] * 15 + [2, 9, 14] + [3] * 12
    lines = pd.concat([series([10] * 30, "AZ"), series(started, "RT"), series([0] * 22 + [0, 3] * 4, "RU")])
    assert spikes(lines[lines["label"] == "RT"]).empty
    assert unjudged_note(lines, None, "source", "day") == (
        "Not judged for spikes (fewer than 14 days since the first article, so no baseline to be far above): RU. "
        "Judged for spikes only from 14 days after their first article: RT from 2023\\-09\\-30.")
    assert unjudged_note(series(started), None, "none", "day") == (
        "Judged for spikes only from 2023-09-30: the first article came fewer than 14 days before, so there was no "
        "baseline to be far above.")
    # the first 14 days of an archive are every line's, unjudged for want of a window: not worth a word
    assert unjudged_note(series([10] * 3 + [30] + [10] * 26), None, "none", "day") == ""
