"""Countries in the story: every rule and trap of analysis.md, in English and Polish (and Russian names)."""

from __future__ import annotations

import pytest

from collectors.countries import countries

SEED_TITLE = "The killing of Azerbaijanis in Yekaterinburg shows what Moscow thinks of Baku"
SEED_DESCRIPTION = ("Opinion: Russian OMON units raided the homes of Azerbaijani nationals in Yekaterinburg; two died. "
                    "The Kremlin's message is aimed at Aliyev, who has been courting Ukraine and Armenia.")


def test_seed_case_tags_azerbaijan_russia_ukraine_armenia():
    assert countries(f"{SEED_TITLE}. {SEED_DESCRIPTION}", "en") == ["AM", "AZ", "RU", "UA"]


def test_seed_case_without_the_other_countries():
    text = ("Russian OMON units raided the homes of Azerbaijani nationals in Yekaterinburg, killing two; "
            "Baku protests")
    assert countries(text, "en") == ["AZ", "RU"]


@pytest.mark.parametrize("text, language, expected", [
    # names, in several languages and inflections
    ("Russia and Azerbaijan sign a deal", "en", ["AZ", "RU"]),
    ("Rosja i Azerbejdżan podpisały umowę", "pl", ["AZ", "RU"]),
    ("Sankcje wobec Rosji", "pl", ["RU"]),
    ("Polska wysyła pomoc na Ukrainę", "pl", ["PL", "UA"]),
    ("Spotkanie w Niemczech", "pl", ["DE"]),
    ("Россия и Азербайджан", "ru", ["AZ", "RU"]),
    # demonyms and adjectives
    ("Russian troops advance", "en", ["RU"]),
    ("Rosyjskie wojska nacierają", "pl", ["RU"]),
    ("Polish farmers protest", "en", ["PL"]),
    ("Azerbaijani forces", "en", ["AZ"]),
    ("azerbejdżańskie wojsko", "pl", ["AZ"]),
    ("Russian-backed separatists", "en", ["RU"]),
    # capitals, cities, regions
    ("Explosions heard in Kyiv", "en", ["UA"]),
    ("Wybuchy w Kijowie", "pl", ["UA"]),
    ("Protest in Yekaterinburg", "en", ["RU"]),
    ("Strikes on Gaza", "en", ["PS"]),
    ("Crimea bridge attacked", "en", ["UA"]),
    ("Exodus from Nagorno-Karabakh", "en", ["AZ"]),
    ("Ucieczka z Górskiego Karabachu", "pl", ["AZ"]),
    ("Floods in Texas", "en", ["US"]),
    ("Storm hits Scotland", "en", ["GB"]),
    # government metonyms
    ("The Kremlin denies involvement", "en", ["RU"]),
    ("Kreml zaprzecza", "pl", ["RU"]),
    ("Downing Street responds", "en", ["GB"]),
    ("The White House said on Monday", "en", ["US"]),
    ("Biały Dom ostrzega", "pl", ["US"]),
    # heads of state and government
    ("Putin meets Erdogan", "en", ["RU", "TR"]),
    ("Putin spotkał się z Erdoğanem", "pl", ["RU", "TR"]),
    ("Zelensky visits Warsaw", "en", ["PL", "UA"]),
    ("Tusk rozmawiał z Zełenskim", "pl", ["PL", "UA"]),
    # organisations are not countries
    ("NATO and the EU meet the UN", "en", []),
    ("Szczyt NATO i UE", "pl", []),
])
def test_rules(text, language, expected):
    assert countries(text, language) == expected


@pytest.mark.parametrize("text, language, expected", [
    # Georgia the US state
    ("Georgia election officials certify results in Atlanta", "en", ["US"]),
    ("Fulton County, Georgia prosecutors indict Trump", "en", ["US"]),
    ("Georgia protests against foreign agents law in Tbilisi", "en", ["GE"]),
    ("Georgia applies for EU membership", "en", ["GE"]),
    # Turkey the bird
    ("How to roast a turkey for Thanksgiving", "en", []),
    ("Turkey and Syria earthquake toll rises", "en", ["SY", "TR"]),
    # Jordan and Chad as first names
    ("Michael Jordan's sneakers sell for $2m", "en", []),
    ("Jordan Henderson joins Ajax", "en", []),
    ("Jordan's King Abdullah warns of war", "en", ["JO"]),
    ("Refugees cross from Sudan into Chad", "en", ["SD", "TD"]),
    ("Chad Johnson scores twice", "en", []),
    # phrases that are not about the country
    ("German shepherd saves child", "en", []),
    ("French fries prices rise", "en", []),
    ("My guinea pig is sick", "en", []),
    # longer names win
    ("Papua New Guinea earthquake", "en", ["PG"]),
    ("Clashes in South Sudan", "en", ["SS"]),
    ("New Mexico wildfire", "en", ["US"]),
])
def test_traps(text, language, expected):
    assert countries(text, language) == expected


def test_possessive_and_case_do_not_matter():
    assert countries("RUSSIA'S ECONOMY SHRINKS", "en") == ["RU"]
    assert countries("Russia’s economy", "en") == ["RU"]


def test_english_names_are_found_in_polish_articles():
    assert countries("Ukraine: Zelensky w Polsce", "pl") == ["PL", "UA"]


def test_no_country():
    assert countries("A quiet day on the markets", "en") == []


@pytest.mark.parametrize("text, language, expected", [
    # the UK's counties, a demonym and its politics' own names
    ("Floods close roads across Worcestershire and Somerset", "en", ["GB"]),
    ("Cornish fishermen count the cost of the storm", "en", ["GB"]),
    ("Brexit deal for Northern Ireland goods", "en", ["GB"]),
    ("Former UKIP leader launches a new party", "en", ["GB"]),
    ("Partygate report published", "en", ["GB"]),
    ("President Xi meets business leaders", "en", ["CN"]),
    # Manchester is in New Hampshire during the primary, else in England
    ("Haley holds a rally in Manchester, New Hampshire", "en", ["US"]),
    ("Police cordon off Manchester city centre", "en", ["GB"]),
    # a publication or a company named after a place is not the country
    ("A new comic strip from the Wall Street Journal", "en", []),
    ("The New York Times sues over its articles", "en", []),
    ("Berkshire Hathaway's quarterly profit rises", "en", []),
    # Greek: καιρός (weather) folds like Κάιρο; κιν- starts cinema and danger as well as China
    ("Καιρός: Έκτακτο δελτίο για καταιγίδες", "el", []),
    ("Φεστιβάλ Κινηματογράφου και κίνδυνος", "el", []),
    ("Η Κίνα και οι Κινέζοι επενδυτές", "el", ["CN"]),
    ("ο 20χρονος Αιγύπτιος κρατούμενος", "el", ["EG"]),
    # Kazakh is written in the Latin alphabet too, and in the Arabic script in China
    ("Astanada boks keshi ótedi", "kk", ["KZ"]),
    ("Qazaqstan quramasy Polshadan jeńildi", "kk", ["KZ", "PL"]),
    ("Sonymen qatar joldardy retke keltіrý", "kk", []),
    ("قازاقستان سپورتى تاريحىندا", "kk", ["KZ"]),
    # Brussels is Belgium's capital, but not where it stands for the EU (as the EU is not tagged)
    ("Explosion in the Brussels metro, Belgian police say", "en", ["BE"]),
    ("Attack in Brussels kills two Swedish fans", "en", ["BE", "SE"]),
    ("Brussels demands that member states cut gas use", "en", []),
    ("Brüssel untersucht Wahleinmischung in Rumänien durch die EU", "de", ["RO"]),
    ("Zamach w Brukseli, belgijska policja szuka sprawców", "pl", ["BE"]),
    ("Bruksela grozi Polsce karami, Komisja Europejska czeka", "pl", ["PL"]),
    # Japanese prefectures and the Japanese state's agencies; a club named after the country is not it
    ("宮崎県で震度5弱、津波注意報", "ja", ["JP"]),
    ("気象庁は13日、地震があったと発表した", "ja", ["JP"]),
    ("日本ハムは逆転負け", "ja", []),
    ("中国外務省の報道官は", "ja", ["CN"]),
    # Czech: čeští, Welsh, the Holy See
    ("Čeští hokejisté se zapojili do přípravy", "cs", ["CZ"]),
    ("Němec zabil velšského turistu", "cs", ["DE", "GB"]),
    ("Tiskové středisko Svatého stolce zveřejnilo", "cs", ["VA"]),
    # a currency named after a country is not the country
    ("Ресей рублінің бағамы төмендеді", "kk", []),
])
def test_added_facts(text, language, expected):
    assert countries(text, language) == expected
