"""How codes are shown in the pickers and tables: countries, languages, IPTC categories, split options."""

from __future__ import annotations

from dashboard.isocodes import country_name, language_name

SPLITS = {"none": "one line for all", "topic": "a line per topic", "country": "a line per country in the story",
          "source": "a line per source country", "outlet": "a line per outlet"}
_CATEGORY_WORDS = {"arts_culture_entertainment": "Arts, culture, entertainment",
                   "conflict_war_peace": "Conflict, war, peace", "crime_law_justice": "Crime, law, justice",
                   "disaster_accident_emergency": "Disaster, accident, emergency",
                   "economy_business_finance": "Economy, business, finance", "lifestyle_leisure": "Lifestyle, leisure",
                   "science_technology": "Science, technology", "human_interest": "Human interest"}


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


def md_escape(text: object) -> str:
    """Text from feeds, files or users made inert inside Streamlit markdown (links, HTML, :icons:, $math$)."""
    return str(text).translate(_MARKDOWN_SPECIAL)
