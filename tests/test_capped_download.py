"""A capped download says so: in the file's name, on its button and on the Articles page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import no_errors, plain, run_app

from dashboard import downloads
from dashboard.testing import build_sample_db
from db.filters import Filters

NOW = dt.datetime(2023, 10, 3, 14, 5)


@pytest.mark.parametrize(("total", "suffix"), [(312_345, "_first-200000-of-312345.csv"), (200_000, ".csv"),
                                               (12, ".csv")])
def test_the_file_name_says_when_the_download_is_capped(total, suffix):
    name = downloads.export_file_name(Filters.make(countries=["AZ"]), NOW, total=total)
    assert name == f"newsradar_country-AZ_20231003-1405{suffix}"


def test_the_articles_page_names_the_cap_on_the_button_and_in_words(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "sample.db", every=200)
    monkeypatch.setattr(downloads, "EXPORT_CAP", 40)
    at = no_errors(run_app(db, monkeypatch, "articles"))
    total = int(re.match(r"([\d,]+) matching", at.subheader[0].value).group(1).replace(",", ""))
    assert total > 40
    [button] = at.get("download_button")[:1]
    assert button.proto.label == "Download CSV (newest 40)"
    assert f"newest 40 of these {total:,} articles" in plain(at.warning[0])
