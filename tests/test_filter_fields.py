"""db.filters.FIELDS: each filter field is spelled once, and the URL, the CLI, the app and the words follow it."""

from __future__ import annotations

import dataclasses
import shlex

import pytest

from dashboard import downloads, saved
from db.filters import FIELDS, Filters
from newsradar.cli import build_parser

# one value for each field, as a user would set it
EXAMPLE = {"q": "karabakh", "date_from": "2023-09-01", "date_to": "2023-09-30", "outlets": ["BBC News"],
           "langs": ["en"], "source_countries": ["GB"], "countries": ["AZ", "AM"], "topics": ["Elections"],
           "categories": ["politics"], "countries_all": "all"}


def one_field(name: str) -> Filters:
    """Filters with only the field `name` set (countries_all needs two countries to mean anything)."""
    values = {f.param: None for f in FIELDS}
    field = next(f for f in FIELDS if f.name == name)
    values[field.param] = EXAMPLE[name]
    if name == "countries_all":
        values["country"] = EXAMPLE["countries"]
    return Filters.from_values(values)


def test_every_attribute_of_filters_has_one_field():
    assert [f.name for f in FIELDS] == [f.name for f in dataclasses.fields(Filters)]
    assert len({f.param for f in FIELDS}) == len({f.flag for f in FIELDS}) == len(FIELDS)


@pytest.mark.parametrize("name", EXAMPLE)
def test_a_field_survives_the_url(name):
    filters = one_field(name)
    assert filters != Filters()
    assert Filters.from_params(filters.to_params()) == filters


@pytest.mark.parametrize("name", EXAMPLE)
def test_the_cli_command_the_app_shows_selects_the_same_articles(name):
    filters = one_field(name)
    words = shlex.split(downloads.cli_export_command(filters, "/tmp/x.db"))
    args = build_parser().parse_args(words[1:])
    assert Filters.from_values({f.param: getattr(args, f.param) for f in FIELDS}) == filters


@pytest.mark.parametrize("field", [f for f in FIELDS if f.many and f.name != "countries"], ids=lambda f: f.name)
def test_the_words_name_each_list_field(field):
    assert f"{field.label}: " in saved.describe(one_field(field.name))


@pytest.mark.parametrize("field", [f for f in FIELDS if f.sql], ids=lambda f: f.name)
def test_a_list_field_with_sql_narrows_the_where_clause(field):
    where, params = one_field(field.name).where()
    assert field.sql.format(marks="?") in where and params == EXAMPLE[field.name]
