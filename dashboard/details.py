"""The Articles page's details: a selected article or story opens in a dialog over the table, where the row was
clicked (below a page of 50 rows, analysts never saw the details appear), and stays closed once closed."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd
import streamlit as st

from dashboard import queries, state
from dashboard.labels import counted, country_label

_SHOWN, _CLOSED = "_details_shown", "_details_closed"


def _closed() -> None:
    st.session_state[_CLOSED] = st.session_state.get(_SHOWN)


def _once(which: Hashable) -> bool:
    """Whether to open the dialog of the selection `which`: not when the analyst closed it for that selection (a rerun
    with the row still selected, after a page's other control moved, would open it again)."""
    if which == st.session_state.get(_CLOSED):
        return False
    st.session_state[_SHOWN], st.session_state[_CLOSED] = which, None
    return True


@st.dialog("Article", width="large", on_dismiss=_closed)
def _article(article: pd.Series) -> None:
    st.text(article["title"])
    source = f" ({article['source']})" if article["source"] else ""
    st.caption(f"{article['outlet'] or 'unknown outlet'}{source} · {article['published']:%Y-%m-%d %H:%M} UTC")
    st.text(article["description"] or "(no description)")
    st.caption(tags_line(article))
    if article["link"]:
        st.link_button("Open the original", article["link"], icon=":material/open_in_new:")


def tags_line(article: pd.Series) -> str:
    """What the article was tagged with, in words (the table's columns cut them short)."""
    countries = ", ".join(country_label(code) for code in (article["countries"] or "").split())   # 'AZ RU'
    return (f"Countries in the story: {countries or 'none found'} · Topics: {article['topics'] or 'none'} · "
            f"Category: {article['category'] or 'none'}")


@st.dialog("Story", width="large", on_dismiss=_closed)
def _story(story: pd.Series) -> None:
    st.text(story["title"])
    st.caption(f"{counted(int(story['articles']), 'articles', 'matching')} from "
               f"{counted(int(story['outlet_count']), 'outlets')}; every article of the story:")
    st.dataframe(queries.member_table(state.story_members(state.db_path(), int(story["story"]))),
                 hide_index=True, key="story_members", column_config={
                     "published": st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
                     "outlet": "Outlet", "title": st.column_config.TextColumn("Title", width="large"),
                     "link": st.column_config.LinkColumn("Link", display_text=":material/open_in_new:",
                                                         width="small")})


def article(rows: pd.DataFrame, picked: list[int]) -> None:
    """The dialog of the article selected in the table of `rows`, if one is and it was not closed."""
    if picked and _once(("article", rows.iloc[picked[0]]["link"])):
        _article(rows.iloc[picked[0]])


def story(rows: pd.DataFrame, picked: list[int]) -> None:
    """The dialog of the story selected in the table of story `rows`, if one is and it was not closed."""
    if picked and _once(("story", int(rows.iloc[picked[0]]["story"]))):
        _story(rows.iloc[picked[0]])
