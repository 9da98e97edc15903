"""Countries in the story in every supported language: names inflected, in every script, and the
phrases that name a country without being about it (currencies, time zones, outlets, clubs)."""

from __future__ import annotations

import shutil

import pytest

from collectors import countries as countries_module
from collectors.countries import countries, languages
from collectors.tagging import fingerprint, story_text

# The seed story: Azerbaijani citizens killed by Russian police in Yekaterinburg, as outlets write it.
SEED = {
    "az": "Rusiyanın Yekaterinburq şəhərində polis iki azərbaycanlını öldürüb",
    "ru": "В Екатеринбурге российские полицейские убили двух граждан Азербайджана",
    "uk": "У Єкатеринбурзі російські поліцейські вбили двох громадян Азербайджану",
    "tr": "Rusya'nın Yekaterinburg kentinde polis baskınında iki Azerbaycan vatandaşı öldürüldü",
    "ka": "რუსეთის პოლიციამ ეკატერინბურგში აზერბაიჯანის ორი მოქალაქე მოკლა",
    "hy": "Ռուսաստանի Եկատերինբուրգ քաղաքում ոստիկանները սպանել են Ադրբեջանի երկու քաղաքացու",
    "kk": "Ресейдің Екатеринбург қаласында полиция Әзербайжан азаматтарын өлтірді",
    "fa": "پلیس روسیه در یکاترینبورگ دو شهروند آذربایجان را کشت",
    "ar": "الشرطة الروسية تقتل مواطنين أذربيجانيين في يكاترينبورغ",
    "de": "Russische Polizei tötet zwei aserbaidschanische Staatsbürger in Jekaterinburg",
    "fr": "Deux citoyens azerbaïdjanais tués par la police russe à Iekaterinbourg",
    "es": "La policía rusa mata a dos ciudadanos azerbaiyanos en Ekaterimburgo",
    "zh": "俄罗斯警方在叶卡捷琳堡打死两名阿塞拜疆公民",
    "ja": "ロシア警察がエカテリンブルクでアゼルバイジャン国籍の男性2人を殺害",
    "ko": "러시아 경찰, 예카테린부르크에서 아제르바이잔 국민 2명 살해",
}


@pytest.mark.parametrize(("lang", "text"), SEED.items(), ids=list(SEED))
def test_seed_story_tags_azerbaijan_and_russia(lang: str, text: str):
    assert countries(text, lang) == ["AZ", "RU"]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("uk", "Росія атакувала Україну; удар по Росії; санкції проти Росією керованих компаній", ["RU", "UA"]),
    ("az", "Azərbaycanın xarici işlər naziri Rusiyaya səfər edib", ["AZ", "RU"]),
    ("tr", "Dışişleri Bakanı Rusya'ya gitti, Azerbaycan'dan döndü", ["AZ", "RU"]),
    ("ka", "საქართველოს მთავრობა რუსეთში", ["GE", "RU"]),
    ("hy", "Հայաստանի վարչապետը Ռուսաստանում է", ["AM", "RU"]),
    ("ar", "وروسيا وإيران تبحثان التعاون بروسيا", ["IR", "RU"]),
    ("he", "שר החוץ ביקר ברוסיה ובאיראן", ["IR", "RU"]),
    ("el", "Η Ρωσία και η Τουρκία· συνάντηση στην Άγκυρα για τη Ρωσίας πολιτική", ["RU", "TR"]),
    ("cs", "Prezident odjel do Ruska a pak na Ukrajinu", ["RU", "UA"]),
    ("hi", "रूस और भारत के बीच व्यापार समझौता", ["IN", "RU"]),
    ("fr", "Le président s'est rendu en Iran puis à l'Élysée", ["FR", "IR"]),
    ("it", "Il ministro dell'Iran incontra l'omologo russo", ["IR", "RU"]),
    ("ko", "미국과 중국의 무역 협상", ["CN", "US"]),
    ("zh", "美国和中国举行贸易谈判", ["CN", "US"]),
    ("ja", "米国と中国が貿易協議", ["CN", "US"]),
    ("zh", "中美贸易谈判重启", ["CN", "US"]),                 # two countries in one abbreviation
    ("ja", "日米首脳会談を調整", ["JP", "US"]),
    ("ko", "한미 정상회담 개최", ["KR", "US"]),
])
def test_inflected_and_attached_names(lang: str, text: str, expected: list[str]):
    assert countries(text, lang) == expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("nl", "Oekraïne krijgt meer wapens uit Duitsland", ["DE", "UA"]),
    ("nl", "Amerikaanse president bezoekt Japan", ["JP", "US"]),
    ("cs", "Ve Spojených státech roste inflace", ["US"]),
    ("cs", "Válka na Ukrajině: ruské drony nad Charkovem", ["RU", "UA"]),
    ("el", "Ο Μητσοτάκης συναντήθηκε με τον Ερντογάν στην Άγκυρα", ["GR", "TR"]),
    ("el", "Οι Ηνωμένες Πολιτείες και η Κίνα", ["CN", "US"]),
    ("he", "נתניהו נפגש עם ביידן בוושינגטון", ["IL", "US"]),
    ("he", "שר החוץ הגרמני הגיע לישראל", ["DE", "IL"]),
    ("hi", "प्रधानमंत्री मोदी अमेरिका की यात्रा पर", ["IN", "US"]),
    ("kk", "Тоқаев Мәскеуге барды", ["KZ", "RU"]),
    ("kk", "Қазақстан мен Қытай келісімге қол қойды", ["CN", "KZ"]),
    ("fa", "وزیر خارجه ایران به مسکو رفت", ["IR", "RU"]),
    ("ka", "საქართველოს პრემიერი ერევანში", ["AM", "GE"]),
    ("hy", "Փաշինյանը Մոսկվայում է", ["AM", "RU"]),
    ("az", "Türkiyə ilə Gürcüstan arasında", ["GE", "TR"]),
    ("tr", "ABD'nin Çin politikası; İstanbul'da toplantı", ["CN", "TR", "US"]),
])
def test_languages_without_a_labelled_set(lang: str, text: str, expected: list[str]):
    assert countries(text, lang) == expected


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "Над городом стоял густой чад"),              # Slavic: чад is smoke, not Chad
    ("uk", "Ціни на газ зросли вдвічі"),                  # газ is gas, not Gaza
    ("de", "Ein Deutscher Schäferhund rettet ein Kind"),  # Germanic: a dog breed
    ("es", "La economía de América Latina crece"),        # Romance: América is the continent
    ("az", "Qarabağ FK Çempionlar Liqasında qalib gəldi"),  # Turkic: a club
    ("ja", "週末のタイムセールが始まる"),                   # katakana: タイ inside タイム
    ("ko", "인도적 지원이 시작됐다"),                        # Korean: humanitarian, not India
    ("zh", "印度洋上空出现台风"),                            # Chinese: the Indian Ocean
    ("hi", "बाज़ार में चीनी की कीमत बढ़ी"),                     # Indic: sugar, not Chinese
    ("tr", "Mali kriz derinleşiyor"),                      # Turkish: financial, not Mali
    ("ko", "고양이가 집에 돌아왔다"),                          # a cat, not the city of Goyang
])
def test_traps_tag_nothing(lang: str, text: str):
    assert countries(text, lang) == []


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The US dollar rose against the euro"),
    ("az", "ABŞ dolları bahalaşdı"),
    ("ru", "Курс доллара США вырос"),
    ("zh", "美元汇率上涨"),
    ("ar", "ارتفع سعر الدولار الأمريكي"),
    ("ka", "აშშ დოლარის კურსი გაიზარდა"),
])
def test_a_currency_is_not_a_country(lang: str, text: str):
    assert countries(text, lang) == []


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The vote closes at 18:00 Moscow time"),
    ("zh", "北京时间上午十点发布"),
    ("ru", "в 10:00 по московскому времени"),
    ("ar", "الساعة العاشرة بتوقيت القاهرة"),
    ("az", "Bakı vaxtı ilə saat 10-da"),
])
def test_a_time_zone_is_not_a_country(lang: str, text: str):
    assert countries(text, lang) == []


@pytest.mark.parametrize(("lang", "title", "expected"), [
    ("es", "Inflación récord en Argentina - Infobae America", ["AR"]),
    ("ja", "円安で輸入価格が上昇 - Forbes JAPAN", []),
    ("es", "Descubren el agujero negro más cercano - Aire de Santa Fe", []),
    ("en", "Bolsonaro's return poses risks - and Brazil", ["BR"]),       # starts in lower case: the story
    ("en", "Luxury Imports to Russia Take a Detour — Through Dubai", ["AE", "RU"]),   # a title-case headline
    ("en", "The most expensive cities for expats — Hong Kong is No. 1", ["HK"]),
    ("ar", "ارتفاع درجات الحرارة - المصري اليوم", []),
    ("en", "Russia planning invasion anniversary offensive - Ukraine", ["RU", "UA"]),  # one word: the story
    ("en", "Human rights report - Ukraine president speaks", ["UA"]),   # lower case: the story
])
def test_an_outlet_appended_to_the_title_is_not_the_story(lang: str, title: str, expected: list[str]):
    assert countries(story_text(title, ""), lang) == expected


def test_every_language_of_the_issue_is_supported():
    wanted = {"en", "pl", "ru", "uk", "de", "fr", "es", "it", "pt", "nl", "cs", "el",
              "tr", "az", "ka", "hy", "kk", "fa", "ar", "he", "zh", "ja", "ko", "hi"}
    assert wanted <= set(languages())


@pytest.mark.parametrize("changed", ["generated/de.tsv", "de.tsv", "languages.toml", "traps.tsv"])
def test_a_changed_gazetteer_file_changes_the_tagger_fingerprint(tmp_path, monkeypatch, changed: str):
    """So that a database tagged before a gazetteer update is reported as needing `newsradar retag`."""
    copy = tmp_path / "gazetteer"
    shutil.copytree(countries_module.GAZETTEER, copy)
    monkeypatch.setattr(countries_module, "GAZETTEER", copy)
    before = fingerprint.__wrapped__()
    with (copy / changed).open("a", encoding="utf-8") as fh:
        fh.write("# one more line\n")
    assert fingerprint.__wrapped__() != before
