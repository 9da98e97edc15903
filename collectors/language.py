"""The language of an article: the one its feed or record declares, checked against the text it really has.

A declared language is trusted when most letters of the title and lede are in that language's script
(English declared over Latin text, Russian over Cyrillic). Otherwise (no declaration, or a feed declaring
`en` that serves Ukrainian) the offline identifier py3langid decides, restricted to the languages of
SCRIPTS; it overrides a declaration only when at least OVERRIDE_CONFIDENCE sure, and names a language
for an undeclared text only when at least GUESS_CONFIDENCE sure. The identifier runs only on those
texts, so tagging keeps its speed on feeds that declare their language correctly. A language in the
same script as the declared one (German declared, French served) is not caught: the script check is
what keeps the identifier off the common path; only within Cyrillic, letters a language never writes (і, ї, є
in a feed declaring Russian) call the identifier too.

Adding a language is adding its code and script to SCRIPTS.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

SAMPLE_CHARS = 300  # title and lede: enough for the script and for the identifier
OVERRIDE_CONFIDENCE = 0.9  # identifier probability needed to replace a declared language
GUESS_CONFIDENCE = 0.5  # ... and to name the language of a text that declares none
SCRIPT_SHARE = 0.5  # share of letters in the declared language's script that keeps the declaration

_SCRIPT_CHARS = {
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "cyrillic": "\u0400-\u052f",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "armenian": "\u0530-\u058f",
    "hebrew": "\u0590-\u05ff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
    "devanagari": "\u0900-\u097f",
    "georgian": "\u10a0-\u10ff\u1c90-\u1cbf",
    "hangul": "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
    "kana": "\u3040-\u30ff\u31f0-\u31ff",
    "han": "\u3400-\u4dbf\u4e00-\u9fff",
    "thai": "\u0e00-\u0e7f",
    "bengali": "\u0980-\u09ff",
}
# language -> scripts its texts are written in (Japanese mixes kana and kanji, Korean may quote hanja)
SCRIPTS: dict[str, tuple[str, ...]] = {
    **{code: ("latin",) for code in ("en", "pl", "de", "fr", "es", "it", "pt", "nl", "cs", "tr", "az", "sk", "sl",
                                     "hr", "ro", "hu", "sv", "no", "nb", "da", "fi", "et", "lv", "lt", "id", "ms",
                                     "vi", "ca", "sq", "uz", "tl", "sw")},
    **{code: ("cyrillic",) for code in ("ru", "uk", "kk", "be", "bg", "mk", "sr", "ky", "mn", "tg")},
    "el": ("greek",), "hy": ("armenian",), "ka": ("georgian",), "he": ("hebrew",), "yi": ("hebrew",),
    "ar": ("arabic",), "fa": ("arabic",), "ur": ("arabic",), "ps": ("arabic",),
    "hi": ("devanagari",), "mr": ("devanagari",), "ne": ("devanagari",), "bn": ("bengali",), "th": ("thai",),
    "zh": ("han",), "ja": ("kana", "han"), "ko": ("hangul", "han"),
}
# letters a language never writes, though its script has them: a Russian feed serving Ukrainian or Kazakh
_ALIEN_LETTERS = {"ru": "іїєґўәғқңөұүһІЇЄҐЎӘҒҚҢӨҰҮҺ", "uk": "ыэъёЫЭЪЁәғқңөұүһӘҒҚҢӨҰҮҺ", "be": "щъиЩЪИ"}
_LETTER = re.compile(r"[^\W\d_]")
_ALIEN = {code: re.compile(f"[{letters}]") for code, letters in _ALIEN_LETTERS.items()}
_IN_SCRIPT = {script: re.compile(f"[{chars}]") for script, chars in _SCRIPT_CHARS.items()}
# a letter outside the language's scripts; without one the text fits, and counting is not needed
_OUTSIDE = {code: re.compile("[^\\W\\d_" + "".join(_SCRIPT_CHARS[s] for s in scripts) + "]")
            for code, scripts in SCRIPTS.items()}


class Language(NamedTuple):
    """The language used for an article (None: unknown), and whether it was 'declared', 'detected' or 'unknown'."""

    code: str | None
    source: str
    declared: str | None = None


def declared_code(value: object) -> str | None:
    """'en-US' -> 'en', 'pl_PL' -> 'pl'; anything else that is not a 2-3 letter code -> None."""
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_\s]", value.strip().lower(), maxsplit=1)[0]
    return code if code.isascii() and code.isalpha() and 2 <= len(code) <= 3 else None


def fits_script(code: str, sample: str) -> bool:
    """Whether at least SCRIPT_SHARE of the sample's letters are in the script of `code` (unknown codes fit)."""
    scripts = SCRIPTS.get(code)
    if scripts is None:
        return True
    if sample.isascii():  # the common case, decided without a regex
        return "latin" in scripts or not any(c.isalpha() for c in sample)
    alien = _ALIEN.get(code)
    if not _OUTSIDE[code].search(sample):  # the common case: every letter in the script
        return not (alien and alien.search(sample))
    letters = len(_LETTER.findall(sample))
    if not letters:
        return True
    inside = sum(len(_IN_SCRIPT[s].findall(sample)) for s in scripts)
    return inside >= SCRIPT_SHARE * letters and not (alien and alien.search(sample))


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's model (shipped in the package; loaded once, about 2 s), limited to the languages of SCRIPTS."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in SCRIPTS if code in set(identifier.labels)])
    return identifier


def identify(sample: str) -> tuple[str, float]:
    """The most likely language of a text and the identifier's probability for it."""
    code, confidence = _identifier().classify(sample)
    return code, confidence


def resolve(declared: object, title: str, description: str = "") -> Language:
    """The language to use for an article with this declared language, title and (plain-text) description."""
    code = declared_code(declared)
    sample = f"{title or ''}\n{description or ''}"[:SAMPLE_CHARS]
    if code and fits_script(code, sample):
        return Language(code, "declared", code)
    if not any(c.isalpha() for c in sample):
        return Language(code, "declared" if code else "unknown", code)
    found, confidence = identify(sample)
    if confidence >= (OVERRIDE_CONFIDENCE if code else GUESS_CONFIDENCE) and found != code:
        return Language(found, "detected", code)
    return Language(code, "declared" if code else "unknown", code)
