"""Country: "we're based in Germany", "a UK company", "+44 20 7946 0958" → ISO 3166 code."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from typing import Any

import phonenumbers
import pycountry

from bot.extract.common import guarded
from bot.extract.folded import Folded, Message, current_message
from bot.extract.types import Extracted

# Everyday names pycountry does not list, and demonyms used as "a German company".
_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "the states": "US",
    "united states": "US",
    "uae": "AE",
    "holland": "NL",
    "the netherlands": "NL",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czechia": "CZ",
    "czech republic": "CZ",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "taiwan": "TW",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "laos": "LA",
    "turkey": "TR",
    "ivory coast": "CI",
}
_DEMONYMS = {
    "american": "US",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "german": "DE",
    "french": "FR",
    "canadian": "CA",
    "australian": "AU",
    "indian": "IN",
    "irish": "IE",
    "dutch": "NL",
    "spanish": "ES",
    "italian": "IT",
    "swedish": "SE",
    "norwegian": "NO",
    "danish": "DK",
    "finnish": "FI",
    "polish": "PL",
    "brazilian": "BR",
    "mexican": "MX",
    "japanese": "JP",
    "chinese": "CN",
    "singaporean": "SG",
    "swiss": "CH",
    "austrian": "AT",
    "belgian": "BE",
    "portuguese": "PT",
    "israeli": "IL",
    "kiwi": "NZ",
    "south african": "ZA",
    "nigerian": "NG",
    "kenyan": "KE",
    "emirati": "AE",
    "saudi": "SA",
}
# Names that are also common words or first names: read only after a location cue.
_AMBIGUOUS = {
    "chad",
    "jordan",
    "georgia",
    "turkey",
    "guinea",
    "niger",
    "panama",
    "cuba",
    "peru",
    "israel",
    "india",
    "america",
    "jersey",
    "man",
    "korea",
    "wales",
    "england",
}


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                names[value.lower()] = country.alpha_2
    names.update(_ALIASES)
    return names


_NAMES = {name.replace("-", " "): code for name, code in _names().items()}
_FIRST_WORDS = frozenset(name.split()[0] for name in _NAMES)
# The first two words of every name of two words or more ("the states", "united arab").
_FIRST_PAIRS = frozenset(" ".join(name.split(" ")[:2]) for name in _NAMES if " " in name)
# The longest run of letters of each first word a lowered ``_WORD`` token can be ("u.k." gives
# "u"), as bytes: each run of letters of such a token is a whole run of letters of the message
# (``_letter_runs``), so a message holding none of these proves the set test below false
# without the token scan.
_FIRST_PIECES = frozenset(
    max(re.findall("[a-z]+", word), key=len).encode("ascii")
    for word in _FIRST_WORDS
    if re.fullmatch("[a-z][a-z.']*", word)
)
# Every byte but a lowercase ASCII letter becomes a space: ``split`` gives the runs of letters.
_TO_LETTERS = bytes(c if 97 <= c <= 122 else 32 for c in range(256))


def _name_gates() -> tuple[frozenset[bytes], frozenset[bytes]]:
    """Runs of letters one of which, or two of which in a row, a text with a name has.

    The walk in ``_candidates`` finds a name where a token (a ``_WORD`` match, lowered, "."
    stripped) is one, or where two tokens in a row open one (a longer name). A token of
    letters only is a run of letters of the text, and two such tokens in a row are two runs
    in a row (what lies between holds no letter): the first set holds the one-word names, the
    second the opening pairs, as runs.
    A name or pair with "." or "'" ("u.k.", "people's republic") is stood for by its first
    two runs ("u k", "people s"), in a row wherever the token is.
    """
    singles: set[bytes] = set()
    pairs: set[bytes] = set()
    for phrase in [*(name for name in _NAMES if " " not in name), *_FIRST_PAIRS]:
        if not phrase.isascii():
            continue  # never in an ASCII text
        if re.fullmatch("[a-z]+", phrase):
            singles.add(phrase.encode("ascii"))
        elif re.fullmatch("[a-z]+ [a-z]+", phrase):
            pairs.add(phrase.encode("ascii"))
        else:
            first = re.findall("[a-z]+", phrase)[:2]  # its first runs, in a row in the text
            (pairs if len(first) == 2 else singles).add(" ".join(first).encode("ascii"))
    return frozenset(singles), frozenset(pairs)


_NAME_RUNS, _NAME_RUN_PAIRS = _name_gates()
_LONGEST = 4  # words in the longest name worth matching ("united states of america")
_WORD = re.compile(r"[A-Za-z][A-Za-z.']*")  # hyphens split: "Netherlands-based"
_CODE = re.compile(r"(?<![\w.])(US|U\.S\.A?\.?|UK|U\.K\.|UAE)(?![\w])")  # capitals only: not "us"
_DEMONYM = re.compile(
    r"\b(" + "|".join(sorted(_DEMONYMS, key=len, reverse=True)) + r")\b[\s-]+"
    r"(?:based\s+)?(?:company|firm|business|startup|start-up|team|agency|brand|retailer|bank|"
    r"company's|subsidiary|office|entity|customers?)\b",
    re.IGNORECASE,
)
# Searched in every message: ``Folded`` gives it a fast path on ASCII text.
_FAST_DEMONYM = Folded(_DEMONYM)
_CUE = re.compile(
    r"\b(?:based|located|headquartered|hq'?d?|registered|incorporated|operating|offices?|"
    r"we'?re|we are|i'?m|i am|live|living|out of|from|in|across)\s+"
    r"(?:in\s+|out of\s+)?(?:the\s+)?$",
    re.IGNORECASE,
)
# "based in Dublin, Ireland": a city between the cue and the country.
_CUE_CITY = re.compile(
    r"\b(?:based|located|headquartered|we'?re|we are|out of|from|in)\s+(?:in\s+)?"
    r"[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2},\s*(?:the\s+)?$"
)
_BASED = re.compile(r"^\s*-?\s*based\b", re.IGNORECASE)
_PHONE = re.compile(r"\+\d[\d\s().-]{6,18}\d")


@guarded
def extract_country(
    text: str, now: datetime, asked: bool = False
) -> Extracted[dict[str, Any]] | None:
    """Where the prospect's company is, as ``{"code": ISO 3166 alpha-2, "name"}``.

    A country name counts after a location cue ("based in", "we're in", "from") or before
    "-based"; capital codes (US, UK, UAE) and demonyms ("a German company") count alone; a
    phone number with a country prefix is weaker evidence; with ``asked``, a bare name counts.
    """
    del now
    for name, start, end in _candidates(text):
        left = text[max(0, start - 40) : start]
        cued = _CUE.search(left) or _CUE_CITY.search(left) or _BASED.match(text[end:])
        if cued or (asked and name not in _AMBIGUOUS and len(text.split()) <= 6):
            return _found(_NAMES[name], 0.9 if cued else 0.7, text[start:end])
    if "U" in text and (code := _CODE.search(text)) is not None:  # every code starts with "U"
        letters = re.sub(r"[.\s]", "", code.group(1)).upper()
        alpha2 = {"USA": "US", "UK": "GB", "UAE": "AE"}.get(letters, letters)
        return _found(alpha2, 0.8, code.group(0))
    if (demonym := _FAST_DEMONYM.search(text)) is not None:
        return _found(_DEMONYMS[demonym.group(1).lower()], 0.75, demonym.group(0))
    for phone in _PHONE.finditer(text) if "+" in text else ():  # every match starts with "+"
        try:
            number = phonenumbers.parse(phone.group(0), None)
        except phonenumbers.NumberParseException:
            continue
        region = phonenumbers.region_code_for_number(number)
        if region and region != "ZZ":
            return _found(region, 0.6, phone.group(0))
    return None


def _candidates(text: str) -> list[tuple[str, int, int]]:
    """Country names in ``text`` (longest match at each word), by dictionary lookup.

    Only words that can start a name are looked at, so a typical message costs a few
    microseconds; one regular expression of all the names cost ten times more.
    """
    if text.isascii():
        # On ASCII text the words of the lowered text are the words, lowered: a set test
        # skips the walk for the many messages with no word that can start a name.
        message = current_message(text)
        lowered = text.lower() if message is None else message.lowered
        runs = _letter_runs(lowered, message)
        if _FIRST_PIECES.isdisjoint(runs):
            return []  # no token is a first word (see ``_FIRST_PIECES``)
        if not may_name_runs(runs):
            return []
    words = [(w.group().lower(), w.start(), w.end()) for w in _WORD.finditer(text)]
    found = []
    for i, (first, start, _) in enumerate(words):
        if first.rstrip(".") not in _FIRST_WORDS and first not in _FIRST_WORDS:
            continue
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            phrase = " ".join(w for w, _, _ in words[i : i + n])
            key = phrase if phrase in _NAMES else phrase.rstrip(".")
            if key in _NAMES:
                found.append((key, start, words[i + n - 1][2]))
                break
    return found


def _letter_runs(lowered: str, message: Message | None) -> list[bytes]:
    """The runs of letters of ``lowered`` (ASCII text, lowered), as bytes.

    The message's words (``Message.words``) when ``lowered`` is the message under way's and it
    has no digit or "_": its words are then its runs of letters, with no pass over the text.
    (A test of the word heads instead passed every word starting "u" or "the", about half of
    the messages, to the token scan.)
    """
    if message is not None and b"#" not in message.heads and "_" not in lowered:
        return message.words
    return lowered.encode("ascii").translate(_TO_LETTERS).split()


def may_name_runs(runs: list[bytes]) -> bool:
    """Whether the walk in ``_candidates`` can find a name, from a text's runs of letters.

    Set tests in C (``_name_gates``), True whenever the walk can: a scan for the tokens and a
    walk of them cost about 20 thousand instructions on "I'm the head of sales at Acme".
    """
    if not _NAME_RUNS.isdisjoint(runs):
        return True
    return not _NAME_RUN_PAIRS.isdisjoint(map(b" ".join, pairwise(runs)))


def _found(code: str, confidence: float, span: str) -> Extracted[dict[str, Any]] | None:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    name = getattr(country, "common_name", None) or country.name
    return Extracted({"code": code, "name": name}, confidence, span.strip())
