"""Company-size extractor: head count as an exact figure, a range, or a bound."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.common import guarded
from bot.extract.numbers import NUMBER, parse_number, spell_out_digits
from bot.extract.types import CompanySize, Extracted

_I = re.IGNORECASE
_N = rf"(?:{NUMBER})(?:\s?[kK]\b)?"
_NOUN = (
    r"(?:full[- ]time\s+|fte\s+|total\s+|active\s+)?(?:people|employees|employee|staff|staffers|"
    r"persons|person|heads|headcount|ftes?|folks|workers|team members|members|engineers|devs|"
    r"developers|agents|reps|colleagues|guys|souls|of us|strong|man|seats?|users?)\b"
)
_LOW = (
    r"(?P<lo>over|more than|above|at least|upwards of|north of|just over|in excess of|"
    r"greater than|>)"
)
_HIGH = r"(?P<hi>under|less than|fewer than|below|up to|at most|max|not even|<)"
_APPROX = r"(?:about|around|roughly|approx\.?|approximately|~|almost|nearly|close to|like|some)"
SIZE = re.compile(
    rf"(?:{_LOW}|{_HIGH}|{_APPROX})?\s*(?P<a>{_N})(?:\s*(?:-|–|to|or)\s*(?P<b>{_N}))?"
    rf"(?P<plus>\s?\+)?[\s-]*(?P<noun>{_NOUN}(?:[\s-]+(?:company|team|startup|business|org|"
    rf"organi[sz]ation|shop|agency|firm))?)",
    _I,
)
TEAM_OF = re.compile(
    rf"\b(?:team|company|staff|headcount|crew|group|organi[sz]ation|org|startup|shop|agency|"
    rf"firm|business)\s+(?:of|is|=|size(?: is)?|:)\s*(?:{_LOW}|{_HIGH}|{_APPROX})?\s*"
    rf"(?P<a>{_N})(?:\s*(?:-|–|to)\s*(?P<b>{_N}))?(?P<plus>\s?\+)?",
    _I,
)
BARE = re.compile(
    rf"^\s*(?:{_LOW}|{_HIGH}|{_APPROX})?\s*(?P<a>{_N})(?:\s*(?:-|–|to)\s*(?P<b>{_N}))?"
    rf"(?P<plus>\s?\+)?\s*(?:ish)?[.!]?\s*$",
    _I,
)
SOLO = re.compile(
    r"\b(?:just me|only me|me myself and i|just myself|solo|solopreneur|one[- ]man (?:band|show)|"
    r"one[- ]woman (?:band|show)|one[- ]person (?:company|business|shop|team)|sole (?:trader|"
    r"proprietor)|freelancer|on my own|by myself|i work alone)\b",
    _I,
)


def _num(token: str) -> int | None:
    t = token.strip()
    mult = 1000 if t[-1:] in "kK" else 1
    value = parse_number(t.rstrip("kK ").strip())
    return int(value * mult) if value is not None else None


def _size(m: re.Match[str]) -> CompanySize | None:
    a = _num(m["a"])
    b = _num(m["b"]) if m["b"] else None
    if a is None or a <= 0 or a > 5_000_000 or (b is not None and b > 5_000_000):
        return None
    if b is not None:
        return CompanySize(min(a, b), max(a, b))
    if m["lo"] or m["plus"]:
        return CompanySize(a, None)
    if m["hi"]:
        return CompanySize(None, a)
    return CompanySize(a, a)


@guarded
def extract_company_size(
    text: str, now: datetime, asked: bool = False
) -> Extracted[CompanySize] | None:
    """Find the prospect's head count.

    "over 500" gives ``min=500, max=None``; "under 50" gives ``min=None, max=50``; "about 1,000"
    is exact; "just me" is 1. With ``asked`` a bare "50" or "50-200" counts.

    Args:
        text: The prospect's message.
        now: Reference time (unused).
        asked: True when the bot just asked how big the company is.

    Returns:
        The size with its confidence and span, or None.
    """
    del now
    rw = spell_out_digits(text)
    work = rw.text
    for pattern, conf in ((TEAM_OF, 0.85), (SIZE, 0.85)):
        for m in pattern.finditer(work):
            if pattern is SIZE and re.match(r"\s*(?:users?|seats?)", m["noun"], _I) and not asked:
                continue  # "200 users" is usage, not head count, unless we asked
            if work[max(0, m.start() - 1) : m.start()] in ("$", "€", "£"):
                continue
            size = _size(m)
            if size is not None:
                return Extracted(size, conf, rw.span(m.start(), m.end()))
    if solo := SOLO.search(work):
        return Extracted(CompanySize(1, 1), 0.8, rw.span(solo.start(), solo.end()))
    if asked and (bare := BARE.match(work)) and (size := _size(bare)) is not None:
        return Extracted(size, 0.65, rw.span(bare.start(), bare.end()))
    return None
