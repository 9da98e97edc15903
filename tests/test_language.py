"""The language of an article: the declared one, checked by an offline identifier where the script says it is wrong."""

from __future__ import annotations

import pytest

from collectors.language import fits_script, resolve

UKRAINIAN = "Росія завдала масованого ракетного удару по Києву, загинули троє людей", "Повітряні сили збили 20 ракет"
RUSSIAN = "Москва обвинила Баку в нарушении договоренностей", "Министерство иностранных дел России заявило об этом"
GERMAN = "Bundesregierung beschließt neues Klimaschutzgesetz", "Der Bundestag soll noch im Herbst abstimmen"
ARABIC = "الرئيس يستقبل وزير الخارجية الروسي في القصر", "بحث الجانبان العلاقات الثنائية والأوضاع في المنطقة"


@pytest.mark.parametrize(("declared", "text", "code", "source"), [
    ("en", UKRAINIAN, "uk", "detected"),       # an English feed serving Ukrainian
    ("ru", UKRAINIAN, "uk", "detected"),       # Ukrainian letters in a feed declaring Russian
    ("ka", RUSSIAN, "ru", "detected"),         # the Russian service of a Georgian outlet
    ("en", ARABIC, "ar", "detected"),
    (None, GERMAN, "de", "detected"),          # no declaration
    ("de-DE", GERMAN, "de", "declared"),
    ("ru", RUSSIAN, "ru", "declared"),
    ("en", GERMAN, "en", "declared"),          # same script: the declaration stands (the identifier is not run)
    ("en", ("Путин", ""), "en", "declared"),   # one word: the identifier is not sure enough to override
    (None, ("2023", "12:00"), None, "unknown"),
])
def test_declared_language_is_overridden_only_when_the_identifier_is_sure(declared, text, code, source):
    found = resolve(declared, *text)
    assert (found.code, found.source) == (code, source)


@pytest.mark.parametrize("code, sample, fits", [
    ("de", "Zürich: Ölpreis steigt", True),                     # every letter in the script
    ("ru", "Москва и Санкт-Петербург", True),
    ("ru", "Москва hosts the summit of world leaders", False),   # mostly Latin letters under a Russian declaration
    ("en", "Путин и Зеленский говорят", False),
    ("ru", "Київ і Львів", False),                               # letters Russian never writes
    ("uk", "Київ і Львів", True),
    ("ja", "東京で新型iPhoneを発売へ", True),                    # mostly kana and kanji, some Latin
    ("ko", "서울 2024", True),
    ("el", "123 456", True),                                     # no letters at all
])
def test_declared_script_check(code, sample, fits):
    assert fits_script(code, sample) is fits
