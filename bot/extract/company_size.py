"""Company-size extractor: head count as an exact figure, a range, or a bound."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.common import guarded
from bot.extract.folded import Folded, Message, current_message
from bot.extract.money_period import lowered_twin
from bot.extract.numbers import NUMBER, parse_number, spell_out_digits
from bot.extract.types import CompanySize, Extracted

_I = re.IGNORECASE
# Every pattern here is case-insensitive, so "k" also reads "K"; written lowercase, the patterns
# can take ``Folded``'s fast path.
_N = rf"(?:{NUMBER})(?:\s?k\b)?"
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
    # Never start inside a figure: on a long run of digits that would make the scan quadratic.
    rf"(?:{_LOW}|{_HIGH}|{_APPROX})?\s*(?<![\d.,])(?P<a>{_N})"
    rf"(?:\s*(?P<join>-|–|to|or|and)\s*(?P<b>{_N}))?"
    rf"(?P<plus>\s?\+)?(?:\s?-?ish)?[\s-]*(?P<noun>{_NOUN}(?:[\s-]+(?:company|team|startup|business|org|"
    rf"organi[sz]ation|shop|agency|firm))?)",
    _I,
)
TEAM_OF = re.compile(
    rf"\b(?:(?:team|company|staff|headcount|crew|group|organi[sz]ation|org|startup|shop|agency|"
    rf"firm|business)(?:\s+size)?\s*(?:of|is|=|:)|(?:team|company|org) size|(?:number of )?"
    rf"(?:employees|staff|people|ftes?|employee count|head ?count)\s*(?::|=|is|are)|"
    rf"\bhave a headcount of)\s*"
    rf"(?:{_LOW}|{_HIGH}|{_APPROX})?\s*"
    rf"(?P<a>{_N})(?:\s*(?:-|–|to)\s*(?P<b>{_N}))?(?P<plus>\s?\+)?",
    _I,
)
# "we employ around 300", but not "we employ 3 agencies".
EMPLOY = re.compile(
    rf"\bemploy(?:s|ing)?\s+(?:{_LOW}|{_HIGH}|{_APPROX})?\s*(?P<a>{_N})(?:\s*(?:-|–|to)\s*"
    rf"(?P<b>{_N}))?(?P<plus>\s?\+)?(?=\s*(?:$|[.,;!)]|{_NOUN}|and\b|in\b|across\b|"
    rf"worldwide|globally|full[- ]time|locally|here))",
    _I,
)
# With ``asked``, a short answer whose only figure is the head count: "we're about 40",
# "mid-size, around 250", "500 worldwide".
_BARE_LEAD = (
    r"(?:(?:hmm+|um+|ok|so|well|we'?re|we are|were|it'?s|its|there are|there's|just|only|maybe|"
    r"probably|small|tiny|medium|mid-?size[d]?|large|big|startup|currently|right now|roughly)"
    r"[\s,:.-]+)*"
)
_BARE_TAIL = (
    r"(?:[\s,]+(?:or so|in total|total|all in|worldwide|globally|overall|right now|currently|"
    r"now|give or take|at the moment|atm|i think|approx(?:imately)?|roughly))*"
)
BARE = re.compile(
    rf"^\s*{_BARE_LEAD}(?:{_LOW}|{_HIGH}|{_APPROX})?\s*(?P<a>{_N})(?:\s*(?:-|–|to)\s*"
    rf"(?P<b>{_N}))?(?P<plus>\s?\+)?\s*(?:-?ish)?{_BARE_TAIL}[.!]?\s*$",
    _I,
)
# "me and my cofounder" is two; "me and 3 others" is four.
DUO = re.compile(
    r"\b(?:me|myself|i) (?:and|&|\+|plus) (?:(?P<n>\d+) (?:others|other people|employees|staff|"
    r"people|colleagues|guys|folks)|(?:my|our|a|one) (?:co-?founder|business partner|partner|"
    r"wife|husband|brother|sister|colleague|friend|assistant|employee|dad|mom|father|mother|son|"
    r"daughter))\b|\b(?:my|our) (?:co-?founder|business partner|partner|wife|husband|brother|"
    r"sister) (?:and|&) (?:i|me|myself)\b",
    _I,
)
SOLO = re.compile(
    r"\b(?:just me|only me|me myself and i|just myself|solo|solopreneur|one[- ]man (?:band|show)|"
    r"one[- ]woman (?:band|show)|one[- ]person (?:company|business|shop|team)|sole (?:trader|"
    r"proprietor)|freelancer|on my own|by myself|i work alone|(?:the |our )?only (?:employee|"
    r"staff member|person (?:in|at) the (?:company|business)))\b",
    _I,
)


# Without ``asked``, "me and my cofounder" is a head count only as "it's (just) me and ...".
_DUO_CUE = re.compile(r"(?:it'?s|we'?re|we are|just|only|team is|company is)\s*$", _I)
# A yes/no gate run on every message: the fast ASCII path of ``Folded`` keeps it cheap.
_HINT = Folded(
    re.compile(
        r"\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|twenty|thirty|"
        r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|couple|few|several|"
        r"\bme\b|myself|solo|freelanc|sole|alone|my own|only employee|only staff|only person|"
        r"founder|partner|wife|husband|brother|sister|colleague|friend|assistant|dad|mom|father|"
        r"mother|son\b|daughter",
        _I,
    ),
    most_literals=60,  # 56 literals test faster than the scan (2.9 vs 3.6 µs, bench script)
)
_BETWEEN = re.compile(r"\bbetween\s*$", _I)
_SEATS = re.compile(r"\s*(?:users?|seats?)", _I)
# Searched in every message with a figure, and rarely matching: ``Folded`` skips the exact
# scans on ASCII text when the fast one finds nothing.
_PATTERNS = ((Folded(TEAM_OF), 0.85), (Folded(EMPLOY), 0.8), (Folded(SIZE), 0.85))
_DUO, _SOLO = Folded(DUO), Folded(SOLO)
# Heads of which a message without one matches neither (their word gates; no sure heads): one
# set test instead of two searches on most messages.
if _DUO.gate is None or _SOLO.gate is None or _DUO._sure_heads or _SOLO._sure_heads:
    raise ValueError("the duo and solo patterns need word gates and no sure heads")
# The duo's gate holds "co" for "co-founder", the head of every word "co...": "coo", "could". There
# "founder" starts a word too ("cofounder" has "cofo"), so "foun" stands for it instead.
_DUO_GATE = (_DUO.gate - {b"co"}) | {b"foun"}
_DUO_SOLO_GATE = _DUO_GATE | _SOLO.gate
_DIGIT = re.compile(r"\d")
# How a text ``BARE`` matches can end, lowered, bar whitespace and one "." or "!": a figure's
# digit or "k", "+", "ish", or a word of ``_BARE_TAIL`` ("all in", "right now", "or so").
_BARE_ENDS = (
    *"0123456789", "k", "+", "ish", "so", "in", "total", "worldwide", "globally", "overall", "now",
    "currently", "take", "moment", "atm", "think", "approx", "approximately", "roughly",
)  # fmt: skip
_BARE_LOWERED = lowered_twin(BARE)


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
    found = _read(text, asked)
    # Without a figure, number word or solo cue (most answers to other questions) the answer is
    # None. The gate is tested only when there is an answer: it costs up to 10 µs on a message
    # holding "me" ("let me think"), where the reading is about 1 µs.
    if found is None or not _HINT.found(text):
        return None
    return found


def _read(text: str, asked: bool) -> Extracted[CompanySize] | None:
    rw = spell_out_digits(text)
    work = rw.text
    message = current_message(work)
    # The three head-count patterns need a figure: without a digit their scans are skipped.
    # The heads know it in a set test, where ``_DIGIT.search`` scans the text (about a hundred
    # instructions a character).
    digit = b"#" in message.heads if message is not None else _DIGIT.search(work) is not None
    for folded, conf in _PATTERNS if digit else ():
        pattern = folded.exact
        for m in folded.finditer(work):
            if pattern is SIZE and _SEATS.match(m["noun"]) and not asked:
                continue  # "200 users" is usage, not head count, unless we asked
            if work[max(0, m.start() - 1) : m.start()] in ("$", "€", "£"):
                continue
            if pattern is SIZE and m["join"] == "and" and not _BETWEEN.search(work, 0, m.start()):
                continue  # "5 offices and 200 employees": only "between 5 and 200" is a range
            size = _size(m)
            if size is not None:
                return Extracted(size, conf, rw.span(m.start(), m.end()))
    heads = message.heads if message is not None else None
    if heads is not None and heads.isdisjoint(_DUO_SOLO_GATE):
        pass  # both searches below would find nothing (their word gates)
    elif (
        (heads is None or not heads.isdisjoint(_DUO_GATE))
        and (duo := _DUO.search(work))
        and (asked or _DUO_CUE.search(work, 0, duo.start()))
    ):
        extra = int(duo["n"]) if duo["n"] else 1
        return Extracted(CompanySize(extra + 1, extra + 1), 0.75, rw.span(duo.start(), duo.end()))
    elif solo := _SOLO.search(work):
        return Extracted(CompanySize(1, 1), 0.8, rw.span(solo.start(), solo.end()))
    if asked and (bare := _bare(work, message)) and (size := _size(bare)) is not None:
        return Extracted(size, 0.65, rw.span(bare.start(), bare.end()))
    return None


def _bare(work: str, message: Message | None) -> re.Match[str] | None:
    """``BARE.match(work)``; ``message``: the message under way, whose text ``work`` is.

    ``BARE`` spans the whole text: ASCII text that does not end (bar whitespace and one "." or
    "!") as its last part can ("50", "50k", "50+", "50ish", "or so") is rejected with one
    ``endswith``, where the match backtracks through the text (60,000 instructions on "roughly
    60k a year"); else the lowercase twin matches the lowered text (same spans and figures).
    """
    if message is None:
        return BARE.match(work)
    body = message.lowered.rstrip()
    if body.endswith((".", "!")):
        body = body[:-1].rstrip()  # "50 ." (the "\s*" before "ish")
    if not body.endswith(_BARE_ENDS):
        return None
    return _BARE_LOWERED.match(message.lowered)
