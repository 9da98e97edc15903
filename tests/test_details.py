"""The Articles page's dialog of a selected article says what it was tagged with, in words."""

import pandas as pd
import pytest

from dashboard.details import tags_line


@pytest.mark.parametrize(("countries", "topics", "category", "line"), [
    ("AZ RU", "Nagorno-Karabakh; Migration", "Politics",
     "Countries in the story: Azerbaijan (AZ), Russia (RU) · Topics: Nagorno-Karabakh; Migration · Category: Politics"),
    (None, None, None, "Countries in the story: none found · Topics: none · Category: none"),
])
def test_the_dialog_names_the_articles_tags(countries, topics, category, line):
    assert tags_line(pd.Series({"countries": countries, "topics": topics, "category": category})) == line
