"""Contact extractors: email, phone (E.164), person name and company name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import phonenumbers

from bot.extract.common import clamp01, guarded, squash
from bot.extract.emails import normalized_email
from bot.extract.folded import current_message
from bot.extract.names import (
    CAPITAL_AFTER_SPACE,
    COMMON_WORDS,
    LEADING_NAME,
    NAME_CUE,
    NAME_CUE_GATE,
    NAME_CUE_LOWERED,
    NAME_HERE,
    ORG_CUE,
    ORG_CUE_GATE,
    ORG_SUFFIX,
    ORG_WORD_CUE_GATE,
    PLACES,
    bare_words,
)
from bot.extract.types import Contact, Extracted

_I = re.IGNORECASE
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_DIGITS = re.compile(r"\d")
_ASCII_DIGITS = re.compile(r"[0-9]")  # ``_DIGITS`` on ASCII text, without a category lookup
_PHONE_CUE = re.compile(
    r"\b(?:call|phone|tel|telephone|mobile|cell|number|whatsapp|text me|sms|reach me|ring|"
    r"contact)\b",
    _I,
)
# Numbers without "+country" are read as US numbers only when the message is about a phone
# (or the bot asked for one): elsewhere a bare 10-digit figure is more likely an ID or amount.
FALLBACK_REGION = "US"

Found = tuple[str, float, int, int]
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam"}
_TRAILING_CONNECTOR = re.compile(r"(?:\s+(?:&|and|of|the))+$")


def find_email(text: str) -> Found | None:
    """First syntactically valid email (no DNS lookup), normalized, with its offsets."""
    if "@" not in text:
        return None
    for m in _EMAIL.finditer(text):
        candidate = m.group().rstrip(".")
        normalized = normalized_email(candidate)
        if normalized is not None:
            return normalized, 0.99, m.start(), m.start() + len(candidate)
    return None


def find_phone(text: str, asked: bool) -> Found | None:
    """First phone number as E.164; bare national numbers need a phone cue or ``asked``."""
    if len((_ASCII_DIGITS if text.isascii() else _DIGITS).findall(text)) < 7:
        return None
    regions: list[str | None] = [None]
    if asked or _PHONE_CUE.search(text):
        regions.append(FALLBACK_REGION)
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.POSSIBLE):
            number = match.number
            if not phonenumbers.is_possible_number(number):
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            conf = 0.95 if phonenumbers.is_valid_number(number) else 0.7
            return e164, conf if region is None else conf - 0.1, match.start, match.end
    return None


def _clean_name(raw: str, strict: bool = False) -> str | None:
    """Keep the leading name words: stop at a common word or, when ``strict``, a lowercase one."""
    words: list[str] = []
    for w in raw.split():
        if not words and w.lower().rstrip(".") in _HONORIFICS:
            continue
        if w.lower() in COMMON_WORDS or not w[0].isalpha() or (strict and not w[0].isupper()):
            break
        cased = w.islower() or (w.isupper() and len(w) > 1)
        words.append("-".join(p.capitalize() for p in w.split("-")) if cased else w)
    return " ".join(words[:3]) or None


def find_name(text: str, asked: bool) -> Found | None:
    """A person's name after "I'm", "my name is", "this is"; with ``asked``, a bare name."""
    cued = NAME_CUE_GATE.found(text)
    if not cued and not asked and " here" not in text:
        return None  # most messages: none of the three readings below can start
    for m in _name_cues(text) if cued else ():
        raw = m["name"]
        lenient = m["cue"].lower().startswith(_LENIENT)
        if not lenient and not raw[0].isupper():
            continue
        name = _clean_name(raw, strict=not lenient)
        # An honorific sat between ("I'm Dr. Emily Chen"); "Dr. Smith" alone is too thin.
        titled = m.start("name") > m.end("cue") + 1
        if name and (not titled or len(name.split()) >= 2):
            return name, 0.85 if lenient else 0.75, m.start("name"), m.start("name") + len(raw)
    here = NAME_HERE.search(text) if " here" in text else None  # cheap gate: most text has none
    name = _clean_name(here["name"], strict=True) if here else None
    whole = here is not None and name is not None and len(name.split()) == len(here["name"].split())
    if here and name and whole and name.lower() not in PLACES:
        return name, 0.7, here.start("name"), here.end("name")
    if asked and (words := bare_words(text, 3)):
        name = _clean_name(words)
        if name and len(name.split()) == len(words.split()):
            return name, 0.6, text.find(words), text.find(words) + len(words)
    return None


def _name_cues(text: str) -> Iterator[re.Match[str]]:
    """``NAME_CUE.finditer(text)``, scanned on the lowered text when ASCII (several times faster).

    ``NAME_CUE_LOWERED`` finds the same spans in the lowered text, one after the other as
    ``finditer`` does; each is then matched in ``text`` for its groups as written. On that path
    a match ``find_name`` would skip (a strict cue before a lowercase word: "I'm the VP") is
    left out before that second match.
    """
    if not text.isascii():
        yield from NAME_CUE.finditer(text)
        return
    message = current_message(text)
    lowered = message.lowered if message is not None else text.lower()
    for found in NAME_CUE_LOWERED.finditer(lowered):
        if not text[found.start("name")].isupper() and not found["cue"].startswith(_LENIENT):
            continue  # ``find_name``'s first test, read from the same spans
        m = NAME_CUE.match(text, found.start())
        if m is not None:  # always: the same pattern, case aside, at the same place
            yield m


# Cues after which the name may be written in lower case ("my name is jane").
_LENIENT = ("my name", "name", "call me")

_SENTENCE_END = re.compile(r"(?:(?<=[a-z]{2})|(?<=[0-9)]))[.!?;]\s+|\n")


def find_company(text: str, asked: bool) -> Found | None:
    """A company after "from", "at", "I work for"; with ``asked``, a bare name."""
    cued = (
        CAPITAL_AFTER_SPACE.search(text) is not None and _may_cue(text) and ORG_CUE_GATE.found(text)
    )
    if not cued and not asked:
        return None  # most messages: neither reading below can start
    for m in ORG_CUE.finditer(text) if cued else ():
        # A company name ends with its sentence: "from Acme Retail. Our SDRs..." is Acme Retail.
        raw = _SENTENCE_END.split(m["org"], maxsplit=1)[0].strip(" .,")
        raw = _TRAILING_CONNECTOR.sub("", raw)
        first = raw.split()[0] if raw else ""
        if not any(c.isalpha() for c in raw) or first.lower() in PLACES:
            continue
        if not first or (first.lower() in COMMON_WORDS and not ORG_SUFFIX.search(raw)):
            continue
        conf = 0.8 if ORG_SUFFIX.search(raw) else 0.7
        return raw, conf, m.start("org"), m.start("org") + len(raw)
    if asked and (words := bare_words(text, 5, companies=True)):
        return words, 0.6, text.find(words), text.find(words) + len(words)
    return None


def _may_cue(text: str) -> bool:
    """False when ``ORG_CUE_GATE`` cannot match: the message under way without "@" or a cue word.

    A set test of the heads, where the gate's literal test passes most messages with a capital
    ("at " in "that ") and its scan then finds nothing (49,500 -> 45,200 instructions per bench
    message in extract:company).
    """
    message = current_message(text)
    return message is None or "@" in text or not message.heads.isdisjoint(ORG_WORD_CUE_GATE)


# The four extractors below test for None before ``_wrap`` and for "@" before
# ``_without_email``: most messages find nothing and have no "@", and a Python call is some
# hundreds of instructions (a sixth of ``extract_email``'s own cost on the bench's messages).


def _wrap(found: Found, text: str) -> Extracted[str]:
    value, conf, start, end = found
    return Extracted(value, clamp01(conf), squash(text[start:end]))


@guarded
def extract_email(text: str, now: datetime, asked: bool = False) -> Extracted[str] | None:
    """Email address, normalized (lower-cased domain); no deliverability check."""
    del now, asked
    found = find_email(text) if "@" in text else None  # ``find_email``'s own first test
    return None if found is None else _wrap(found, text)


@guarded
def extract_phone(text: str, now: datetime, asked: bool = False) -> Extracted[str] | None:
    """Phone number in E.164 ("+14155550123")."""
    del now
    found = find_phone(text, asked)
    return None if found is None else _wrap(found, text)


@guarded
def extract_name(text: str, now: datetime, asked: bool = False) -> Extracted[str] | None:
    """Person name ("I'm Jane Doe" → "Jane Doe"); with ``asked``, a bare 1–3 word name."""
    del now
    found = find_name(_without_email(text) if "@" in text else text, asked)
    return None if found is None else _wrap(found, text)


@guarded
def extract_company(text: str, now: datetime, asked: bool = False) -> Extracted[str] | None:
    """Company name ("I work for Globex" → "Globex"); with ``asked``, a bare name."""
    del now
    found = find_company(_without_email(text) if "@" in text else text, asked)
    return None if found is None else _wrap(found, text)


def _without_email(text: str) -> str:
    """Blank out emails (same length) so "jane@acme.com" is not read as a name or company."""
    if "@" not in text:
        return text  # every email has one; most messages have none
    return _EMAIL.sub(lambda m: " " * len(m.group()), text)


@guarded
def extract_contact(text: str, now: datetime, asked: bool = False) -> Extracted[Contact] | None:
    """Email, phone, name and company found in one message.

    Args:
        text: The prospect's message.
        now: Reference time (unused).
        asked: True when the bot just asked for contact details, licensing bare names.

    Returns:
        The contact (any field may be None) with the best field confidence, or None.
    """
    del now
    plain = _without_email(text)
    email = find_email(text)
    phone = find_phone(plain, asked)
    # A bare answer to "how can we reach you?" is a name only when nothing else was given.
    loose = asked and email is None and phone is None
    name = find_name(plain, loose)
    if name is None and (email or phone) and (lead := LEADING_NAME.match(plain)):
        # "Sarah Connor, sarah@cyberdyne.io": a capitalized name opening a list of details.
        raw = lead["name"]
        cleaned = _clean_name(raw, strict=True)
        if cleaned and len(cleaned.split()) == len(raw.split()) and not ORG_SUFFIX.search(raw):
            name = cleaned, 0.65, lead.start("name"), lead.end("name")
    company = find_company(plain, False)
    found = [f for f in (email, phone, name, company) if f is not None]
    if not found:
        return None
    contact = Contact(
        email=email[0] if email else None,
        phone=phone[0] if phone else None,
        name=name[0] if name else None,
        company=company[0] if company else None,
    )
    start, end = min(f[2] for f in found), max(f[3] for f in found)
    return Extracted(contact, clamp01(max(f[1] for f in found)), squash(text[start:end]))
