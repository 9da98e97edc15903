"""Publication dates feedparser cannot read: month and day names in other languages, US-style dates."""

from __future__ import annotations

import datetime as dt
import re
import time

import feedparser.datetimes

from collectors.normalize import DATE_MAX

_MONTHS = {
    # en, pt, es, fr, it, de, pl (nominative and genitive), nl, ru (genitive)
    1: "jan january janeiro enero ene janvier janv gennaio gen januar jänner styczeń stycznia sty januari "
       "января янв",
    2: "feb february fevereiro fev febrero février févr febbraio februar luty lutego lut februari февраля фев",
    3: "mar march março marzo mars märz marzec marca maart марта мар",
    4: "apr april abril abr avril avr aprile kwiecień kwietnia kwi апреля апр",
    5: "may maio mayo mai maggio mag maj mei мая май",
    6: "jun june junho junio juin giugno giu juni czerwiec czerwca cze июня июн",
    7: "jul july julho julio juillet juil luglio lug juli lipiec lipca lip июля июл",
    8: "aug august agosto ago août aout augusti sierpień sierpnia sie augustus августа авг",
    9: "sep sept september setembro set septiembre septembre settembre wrzesień września wrz "
       "сентября сен",
    10: "oct october outubro out octubre octobre ottobre ott oktober październik października paź "
        "okt октября окт",
    11: "nov november novembro noviembre novembre listopad listopada lis ноября ноя",
    12: "dec december dezembro dez diciembre dic décembre déc dicembre dezember grudzień grudnia gru "
        "декабря дек",
}
MONTH_NUMBER = {name: number for number, names in _MONTHS.items() for name in names.split()}
# month words are bounded (the longest is 12 letters): an unbounded run of letters made the search quadratic
_WORD = rf"[^\W\d_]{{2,{max(map(len, MONTH_NUMBER))}}}"

_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})\.?\s+(?P<month>WORD)\.?,?\s+(?P<year>\d{4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<tz>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?".replace("WORD", _WORD))
_MONTH_FIRST = re.compile(
    r"(?P<month>WORD)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?\s*"
    r"(?P<tz>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?".replace("WORD", _WORD))
_ZONES = {"gmt": 0, "utc": 0, "z": 0, "ut": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7,
          "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2, "bst": 1, "msk": 3}


def _offset(tz: str | None) -> dt.timedelta | None:
    if not tz:
        return dt.timedelta(0)
    if tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return -delta if tz[0] == "-" else delta
    hours = _ZONES.get(tz.lower())
    return None if hours is None else dt.timedelta(hours=hours)


def parse_loose_date(value: str) -> dt.datetime | None:
    """A UTC datetime from dates like 'Seg, 24 Set 2018 19:42:40 -0300' or 'Friday, January 29, 2021 04:42 PM'."""
    text = value.strip()
    if len(text) > DATE_MAX:  # no date is that long; a long one would only cost time
        return None
    for pattern in (_DAY_FIRST, _MONTH_FIRST):
        match = pattern.search(text)
        if not match:
            continue
        month = MONTH_NUMBER.get(match["month"].lower())
        offset = _offset(match["tz"])
        if month is None or offset is None:
            continue
        hour = int(match["h"])
        ampm = match.groupdict().get("ampm")
        if ampm:
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            local = dt.datetime(int(match["year"]), month, int(match["day"]), hour, int(match["m"]),
                                int(match["s"] or 0), tzinfo=dt.UTC)
        except ValueError:
            return None
        return local - offset
    return None


def _feedparser_handler(value: str) -> time.struct_time | None:
    moment = parse_loose_date(value)
    return moment.utctimetuple() if moment else None


def register() -> None:
    """Teach feedparser the loose formats (tried after its own handlers fail)."""
    handlers = feedparser.datetimes._date_handlers
    if _feedparser_handler not in handlers:
        handlers.append(_feedparser_handler)
