"""The default topic pack reads every supported language: a headline about the topic in each of the 24 languages
is tagged with it, and headlines with look-alike words (Rente, εκπομπή, 유가족, выбор, Karabağlar) with none."""

from __future__ import annotations

import json

import pytest

from collectors.tagging import tag_lines
from db.topics import DEFAULT_TOPICS, read_toml

AZ_RU = "Azerbaijan–Russia relations"
HEADLINES = [
    ("en", "Azerbaijan summons Russian ambassador", {AZ_RU}),
    ("pl", "Azerbejdżan wzywa ambasadora Rosji", {AZ_RU}),
    ("ru", "Азербайджан вызвал посла России", {AZ_RU}),
    ("uk", "Азербайджан викликав посла Росії", {AZ_RU}),
    ("de", "Aserbaidschan bestellt russischen Botschafter ein", {AZ_RU}),
    ("fr", "L'Azerbaïdjan convoque l'ambassadeur russe", {AZ_RU}),
    ("es", "Azerbaiyán convoca al embajador ruso", {AZ_RU}),
    ("it", "L'Azerbaigian convoca l'ambasciatore russo", {AZ_RU}),
    ("pt", "Azerbaijão convoca embaixador russo", {AZ_RU}),
    ("nl", "Azerbeidzjan ontbiedt Russische ambassadeur", {AZ_RU}),
    ("cs", "Ázerbájdžán si předvolal ruského velvyslance", {AZ_RU}),
    ("el", "Το Αζερμπαϊτζάν κάλεσε τον Ρώσο πρέσβη", {AZ_RU}),
    ("tr", "Azerbaycan, Rusya'nın büyükelçisini bakanlığa çağırdı", {AZ_RU}),
    ("az", "Azərbaycan Rusiyanın səfirini XİN-ə çağırıb", {AZ_RU}),
    ("ka", "აზერბაიჯანმა რუსეთის ელჩი დაიბარა", {AZ_RU}),
    ("hy", "Ադրբեջանը կանչել է Ռուսաստանի դեսպանին", {AZ_RU}),
    ("kk", "Әзірбайжан Ресей елшісін шақырды", {AZ_RU}),
    ("fa", "آذربایجان سفیر روسیه را احضار کرد", {AZ_RU}),
    ("ar", "أذربيجان تستدعي السفير الروسي", {AZ_RU}),
    ("he", "אזרבייג'ן זימנה את שגריר רוסיה", {AZ_RU}),
    ("zh", "阿塞拜疆召见俄罗斯大使", {AZ_RU}),
    ("ja", "アゼルバイジャン、ロシア大使を召喚", {AZ_RU}),
    ("ko", "아제르바이잔, 러시아 대사 초치", {AZ_RU}),
    ("hi", "अज़रबैजान ने रूसी राजदूत को तलब किया", {AZ_RU}),
    # other topics, other languages
    ("zh", "加沙地带停火谈判", {"Israel–Gaza"}),
    ("ja", "ガザ地区で停戦交渉", {"Israel–Gaza"}),
    ("ko", "하마스, 인질 석방", {"Israel–Gaza"}),
    ("he", "הבחירות לכנסת", {"Elections"}),
    ("ar", "الانتخابات الرئاسية في مصر", {"Elections"}),
    ("hi", "चुनाव आयोग ने तारीखों का ऐलान किया", {"Elections"}),
    ("kk", "Қазақстандағы сайлау", {"Elections"}),
    ("nl", "Verkiezingen in Nederland", {"Elections"}),
    ("fa", "تورم در ایران رکورد زد", {"Inflation and cost of living"}),
    ("tr", "Enflasyon yüzde 60'ı aştı", {"Inflation and cost of living"}),
    ("el", "Ο πληθωρισμός στην Ελλάδα", {"Inflation and cost of living"}),
    ("ka", "ინფლაცია საქართველოში", {"Inflation and cost of living"}),
    ("de", "Flüchtlinge an der Grenze", {"Migration"}),
    ("cs", "Umělá inteligence mění práci", {"Artificial intelligence"}),
    ("pt", "Inteligência artificial nas escolas", {"Artificial intelligence"}),
    ("it", "Prigožin e il gruppo Wagner", {"Wagner and Prigozhin"}),
    ("fr", "Le réchauffement climatique s'accélère", {"Climate"}),
    ("hy", "Ղարաբաղից փախստականներ", {"Nagorno-Karabakh", "Migration"}),
    ("az", "Qarabağda yeni yollar", {"Nagorno-Karabakh"}),
    ("ko", "국제유가 급등", {"Energy and gas"}),
    ("zh", "天然气价格上涨", {"Energy and gas"}),
    ("ja", "ポーランドとベラルーシの国境", {"Poland–Belarus border"}),
    ("uk", "Росія обстріляла Україну", {"Russia–Ukraine war"}),
    # look-alikes that are none of the topics
    ("de", "Die Rente steigt im Juli", set()),
    ("el", "Νέα τηλεοπτική εκπομπή μαγειρικής", set()),
    ("he", "פליטות של מכוניות", set()),
    ("ko", "세월호 유가족 기자회견", set()),
    ("ru", "Выбор профессии для школьников", set()),
    ("en", "Lacing shoes and rushing home", set()),
    ("tr", "Karabağlar'da trafik kazası", set()),
    ("hy", "Գազի գները բարձրացան", set()),
    ("fa", "آذربایجان شرقی میزبان جشنواره است", set()),
    ("es", "Un asilo de ancianos en Madrid", set()),
    ("zh", "新疆棉花出口增长", set()),
    ("it", "La Gazzetta dello Sport", set()),                      # Turkish Gazze is not a prefix
    ("pl", "Polsat News: wywiad z Łukaszenką", set()),             # Azerbaijani Polşa is not a prefix
    ("en", "It's time to bring back asylums", set()),
    ("de", "Seckinger gewinnt das Rennen", set()),                 # Azerbaijani seçki is not a prefix
]


@pytest.fixture(scope="module")
def tagged() -> list[set[str]]:
    topics = read_toml(DEFAULT_TOPICS.read_text("utf-8"))
    lines = [json.dumps({"title": title, "language": lang}) for lang, title, _ in HEADLINES]
    return [set(json.loads(line)["topics"]) for line in tag_lines(lines, topics)]


@pytest.mark.parametrize("index", range(len(HEADLINES)), ids=[f"{h[0]}-{h[1][:24]}" for h in HEADLINES])
def test_default_topics_in_every_language(tagged, index):
    assert tagged[index] == HEADLINES[index][2]


def test_every_supported_language_has_a_headline():
    assert {lang for lang, _, _ in HEADLINES} == {"en", "pl", "ru", "uk", "de", "fr", "es", "it", "pt", "nl", "cs",
                                                  "el", "tr", "az", "ka", "hy", "kk", "fa", "ar", "he", "zh", "ja",
                                                  "ko", "hi"}
