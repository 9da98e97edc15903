"""How codes and names are shown: countries, languages, IPTC categories, split options, and text from feeds or users
made inert for Streamlit's markdown (md_escape) and for Plotly's labels (plot_text)."""

from __future__ import annotations

import re

from dashboard.isocodes import COUNTRIES, COUNTRY_ALIASES, LANGUAGES, country_name, language_name
from db.engine import Connection
from db.filters import Vocabulary, vocabulary

SPLITS = {"none": "one line for all", "topic": "a line per topic", "country": "a line per country in the story",
          "source": "a line per source country", "outlet": "a line per outlet"}
_CATEGORY_WORDS = {"arts_culture_entertainment": "Arts, culture, entertainment",
                   "conflict_war_peace": "Conflict, war, peace", "crime_law_justice": "Crime, law, justice",
                   "disaster_accident_emergency": "Disaster, accident, emergency",
                   "economy_business_finance": "Economy, business, finance", "lifestyle_leisure": "Lifestyle, leisure",
                   "science_technology": "Science, technology", "human_interest": "Human interest",
                   "unclassified": "Unclassified (no confident category)"}


_ONE = {"articles": "article", "stories": "story", "outlets": "outlet", "days": "day"}


def counted(n: int, unit: str, adjective: str = "") -> str:
    """'1 matching story', '2,163 articles': `n` of the unit (articles or stories), singular for one."""
    noun = _ONE.get(unit, unit) if n == 1 else unit
    return " ".join(part for part in (f"{n:,}", adjective, noun) if part)


def country_label(code: object) -> str:
    """'Azerbaijan (AZ)'; '' for a missing code."""
    return f"{country_name(code)} ({code})" if isinstance(code, str) and code else ""


def language_label(code: object) -> str:
    """'Polish (pl)'; '' for a missing code."""
    return f"{language_name(code)} ({code})" if isinstance(code, str) and code else ""


def category_label(code: object) -> str:
    """'Conflict, war, peace' for conflict_war_peace; '' for a missing code."""
    if not isinstance(code, str) or not code:
        return ""
    return _CATEGORY_WORDS.get(code, code.replace("_", " ").capitalize())


_MARKDOWN_SPECIAL = {ord(c): "\\" + c for c in "\\`*_{}[]()<>#+-.!|:~$=\"'&"}
# GFM turns URLs, www. names and e-mail addresses in the text into links after escapes are undone; an invisible
# WORD JOINER where those patterns need a letter or a dot keeps them plain text that reads the same
_AUTOLINK = re.compile(r"(?<=://)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
# the Articles table: rows tall enough for three lines, which the grid wraps text into only above 64 px
ARTICLE_ROW_PX = 66
ARTICLES_TITLE_PX = 380   # the Articles table: its Link column within a 1280-pixel window, beside the title
# with descriptions: title and description share the title's room in the 820 pixels of a 1280-pixel window (the
# description had gone past its right edge), in rows of six lines
DESCRIBED_ROW_PX = 123
DESCRIBED_TITLE_PX = 260
DESCRIPTION_PX = 270
LINK_COLUMN_PX = 48   # an icon: Streamlit's "small" is 75
STORY_TITLE_PX = 330   # the stories' table: room for its counts beside it


def md_escape(text: object) -> str:
    """Text from feeds, files or users made inert inside Streamlit markdown (links, autolinks, HTML, :icons:,
    $math$): it reads the same, with an invisible word joiner inside what would otherwise become a link."""
    return _AUTOLINK.sub(WORD_JOINER, str(text)).translate(_MARKDOWN_SPECIAL)


# Plotly reads a subset of HTML (<a href>, <b>, <br>, <span style>…) and entities in legend entries, hover text, tick
# labels and titles, and LaTeX between $…$ when MathJax is on the page; these entities show the characters themselves
_PLOTLY_SPECIAL = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("$"): "&#36;"}


def plot_text(text: object) -> str:
    """Text from feeds, files or users made inert inside a Plotly label (legend, hover, tick, title)."""
    return str(text).translate(_PLOTLY_SPECIAL)


def filter_vocabulary(conn: Connection) -> Vocabulary:
    """What the filters may name in this database, with the country, language and category names that
    db.filters.Filters.checked accepts beside the codes (the CLI and the dashboard check against this one list)."""
    from collectors.category import CLASSES  # numpy and the model's code: only when a vocabulary is built

    return vocabulary(conn, {code: name for code, (_, name) in COUNTRIES.items()}, LANGUAGES,
                      {code: category_label(code) for code in CLASSES}, COUNTRY_ALIASES)
