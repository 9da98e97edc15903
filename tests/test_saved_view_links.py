"""Saved-view links: absolute (the dashboard's address as the browser reached it) and with the chart's settings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import saved
from dashboard.access import Identity
from db.filters import Filters

ANN = Identity("ann", "analyst")


@pytest.mark.parametrize(("page_url", "base"), [
    ("http://127.0.0.1:8501/views", "http://127.0.0.1:8501/"),
    ("https://news.example.org/newsradar/views", "https://news.example.org/newsradar/"),   # behind a sub-path
    ("https://news.example.org/newsradar/views/", "https://news.example.org/newsradar/"),
    ("http://localhost:8501/", "http://localhost:8501/"),
    (None, ""),                                                                             # unknown: relative link
])
def test_the_dashboards_address_comes_from_the_page_the_browser_shows(page_url, base):
    assert saved.app_base(page_url, "views") == base


def test_a_saved_view_keeps_the_chart_settings_in_its_absolute_link(conn, db_path):
    filters = Filters.make(countries=["AZ"], date_from="2023-09-15")
    settings = {"interval": "week", "measure": "share", "split": "country", "top": "5"}
    assert saved.save(db_path, "Weekly AZ", filters, actor=ANN, settings=settings).ok
    assert saved.save(db_path, "Plain", filters, actor=ANN).ok
    rows = {row.name: row for row in saved.rows(db_path, ANN)}
    link = saved.view_link("https://news.example.org/nr/", rows["Weekly AZ"].params)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "news.example.org", "/nr/articles")
    assert parse_qs(parts.query) == {"country": ["AZ"], "from": ["2023-09-15"], "interval": ["week"],
                                     "measure": ["share"], "split": ["country"], "top": ["5"]}
    assert "chart: interval week, measure share, split country, top 5" in rows["Weekly AZ"].words
    # the chart settings are not filters: the view's filters are the same either way
    assert rows["Weekly AZ"].filters == rows["Plain"].filters == filters
    assert parse_qs(urlsplit(saved.view_link("", rows["Plain"].params)).query) == {"country": ["AZ"],
                                                                                   "from": ["2023-09-15"]}
