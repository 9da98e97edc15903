"""The Saved views page's logic: save, list, describe in words, link, delete (no Streamlit here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from dashboard.access import Identity
from dashboard.editing import Outcome
from dashboard.labels import category_label, country_label, language_label
from db import connect
from db import views as view_store
from db.filters import FIELDS, FIELDS_BY_NAME, Filters, QueryError


@dataclass(frozen=True)
class ViewRow:
    id: int
    name: str
    owner: str
    created: str
    words: str                          # the filters in words
    params: list[tuple[str, str]]       # the link's query parameters: the filters', then the chart settings
    filters: Filters | None             # None: the stored filters no longer parse (no link then)
    deletable: bool                     # by the user looking at the list
    gone: tuple[str, ...] = ()          # parts of it that no longer exist: 'the topic “Karabakh”'
    settings: Mapping[str, str] = field(default_factory=dict)   # the chart settings it keeps

    @property
    def usable(self) -> bool:
        return self.filters is not None


def countries_words(filters: Filters) -> str:
    """'naming Azerbaijan (AZ) and Russia (RU)' (all of them in one story) or '… or …' (any of them)."""
    names = [country_label(c) for c in filters.countries]
    joint = " and " if filters.countries_all else " or "
    return "naming " + (", ".join(names[:-1]) + joint + names[-1] if len(names) > 1 else "".join(names))


# how a code reads in words (names are shown as they are)
_SHOW = {"categories": category_label, "source_countries": country_label, "langs": language_label}


def describe(filters: Filters) -> str:
    """'text “karabakh”; naming Azerbaijan (AZ) or Russia (RU); from 2023-09-15 to 2023-09-30', or 'everything'."""
    parts = []
    if filters.q:
        parts.append(f"{FIELDS_BY_NAME['q'].label} “{filters.q}”")
    if filters.countries:
        parts.append(countries_words(filters))
    for f in FIELDS:  # the other lists, in the filter model's order, with its words
        values = getattr(filters, f.name)
        if f.many and f.name != "countries" and values:
            parts.append(f"{f.label}: " + ", ".join(_SHOW.get(f.name, str)(v) for v in values))
    if filters.date_from or filters.date_to:
        parts.append(" ".join(p for p in (filters.date_from and f"from {filters.date_from}",
                                          filters.date_to and f"to {filters.date_to}") if p))
    return "; ".join(parts) or "everything (no filters)"


def settings_words(settings: Mapping[str, str]) -> str:
    """'chart: interval week, measure share', or '' (the pages' defaults)."""
    return "chart: " + ", ".join(f"{key} {value}" for key, value in settings.items()) if settings else ""


def app_base(page_url: str | None, page_path: str) -> str:
    """The dashboard's own address from a page's address as the browser sees it (`https://news.example.org/nr/views`
    → `https://news.example.org/nr/`), so a shared link works from anywhere, behind a proxy or a sub-path too; ''
    when the address is unknown (the link is then relative)."""
    if not page_url:
        return ""
    parts = urlsplit(page_url)
    path = parts.path.rstrip("/")
    if path.endswith("/" + page_path) or path == page_path:
        path = path[: len(path) - len(page_path)]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))


def view_link(base: str, params: list[tuple[str, str]]) -> str:
    """The address that opens a saved view on the Articles page: absolute when `base` is known."""
    return f"{base}articles?{query_string_of(params)}"


def link_params(filters: Filters) -> list[tuple[str, str]]:
    """The URL query parameters that reproduce `filters` (lists repeated: country=AZ&country=UA)."""
    pairs = []
    for key, value in filters.to_params().items():
        pairs.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    return pairs


def query_string(filters: Filters) -> str:
    """`country=AZ&q=karabakh+OR+%22lachin%22`: the URL-encoded link parameters."""
    return query_string_of(link_params(filters))


def query_string_of(params: list[tuple[str, str]]) -> str:
    """link_params() URL-encoded: every character that means something in a URL is escaped."""
    return urlencode(params)


def save(path: str | os.PathLike, name: str, filters: Filters | None, *, actor: Identity | None,
         settings: Mapping[str, str] | None = None) -> Outcome:
    """Save the current filters (and the chart `settings` that differ from the defaults) under `name` for the team."""
    if actor is None:
        return Outcome(False, "Sign in to save views.")
    if filters is None:
        return Outcome(False, "These filters cannot be applied, so they cannot be saved; fix them first.")
    try:
        with closing(connect(path)) as conn:
            view = view_store.save_view(conn, name, actor.name, filters, settings)
    except view_store.ViewError as exc:
        return Outcome(False, f"Cannot save the view: {exc}.")
    return Outcome(True, f"Saved the view “{view.name}”.")


def delete(path: str | os.PathLike, view_id: int, *, actor: Identity | None) -> Outcome:
    """Delete a view: its owner or an admin."""
    if actor is None:
        return Outcome(False, "Sign in to delete views.")
    try:
        with closing(connect(path)) as conn:
            view = view_store.delete_view(conn, view_id, actor.name, actor.is_admin)
    except view_store.ViewError as exc:
        return Outcome(False, f"Cannot delete the view: {exc}.")
    return Outcome(True, f"Deleted the view “{view.name}”.")


def rows(path: str | os.PathLike, viewer: Identity) -> list[ViewRow]:
    """Every saved view as the list shows it to `viewer`."""
    with closing(connect(path, readonly=True)) as conn:
        views = view_store.list_views(conn)
    out = []
    for view in views:
        try:
            filters = view.filters
            words = "; ".join(w for w in (describe(filters), settings_words(view.settings)) if w)
            params = link_params(filters) + list(view.settings.items())
        except QueryError as exc:   # e.g. a change to the query language made an old view invalid
            filters, words, params = None, f"(cannot be applied any more: {exc})", []
        if view.gone:
            words += f" (no longer exists: {' and '.join(view.gone)}; it opens refused until the filters are changed)"
        out.append(ViewRow(view.id, view.name, view.owner, view.created, words, params, filters,
                           viewer.is_admin or view.owner == viewer.name, view.gone, view.settings))
    return out
