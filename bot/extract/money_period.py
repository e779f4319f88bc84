"""The period of a money figure ("5k a month", "annual budget: 60k"), for the budget extractor."""

from __future__ import annotations

import re

from bot.extract.folded import Folded, foldable
from bot.extract.regex_tree import scan_pattern
from bot.extract.types import Period

_I = re.IGNORECASE


def lowered_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` without IGNORECASE, to match ASCII text lowered.

    There it matches exactly where and as ``pattern`` matches the text (see ``Folded``), several
    times faster: 0.9 against 7 µs for ``money.NOT_MONEY_RIGHT`` on " a year". Compiled as
    ``Folded.fast`` is (``scan_pattern``: the same spans and groups), its alternatives grouped
    by first letter: ``NOT_MONEY_RIGHT``'s hundred words are then tried only when they start
    with the text's letter (5,600 instructions on " a year" against 8,600).
    """
    if not foldable(pattern):
        raise ValueError(f"not a lowercase case-insensitive pattern: {pattern.pattern!r}")
    return scan_pattern(pattern, pattern.flags & ~re.IGNORECASE)


_MONTH = (
    r"(?:/\s*(?:mo|mon|month|mth|m)\b|per\s*(?:mo|month|mth)\b|an?\s+mo(?:nth)?\b|"
    r"each\s+month|every\s+month|monthly|p\.?\s?/?m\.?(?![a-z0-9])|pcm\b|mrr\b|month\b|"
    r"for (?:the|a) (?:whole |full |entire )?month\b)"
)
_YEAR = (
    r"(?:/\s*(?:yr|year|y|annum|a)\b|per\s*(?:yr|year|annum)\b|an?\s+(?:year|yr)\b|"
    r"each\s+year|every\s+year|annually|yearly|annual\b|p\.?\s?a\.?(?![a-z0-9])|arr\b|year\b|"
    r"for (?:the|a) (?:whole |full |entire )?year\b)"
)
_FILLER = (
    r"(?:usd|eur|gbp|dollars?|euros?|in total|total|each|for (?:it|this|that|the \w+)|budget|"
    r"max|tops|\+|or so|-?ish|roughly|or (?:more|less)|give or take|is (?:our|the) budget|,)"
)
_RIGHT_MONTH = re.compile(rf"(?:\s*{_FILLER})*\s*{_MONTH}", _I)
_RIGHT_YEAR = re.compile(rf"(?:\s*{_FILLER})*\s*{_YEAR}", _I)
PERIOD_LEFT = re.compile(
    r"(?P<m>monthly|per month|each month|every month|a month)|"
    r"(?P<y>annual(?:ly)?|yearly|per year|per annum|each year|every year|a year)",
    _I,
)
_ANY_MONTH = re.compile(
    r"(?<!in )(?<!within )(?<!for )(?<!next )(?:monthly|per month|/\s?mo\b|/\s?month|a month\b)",
    _I,
)
_ANY_YEAR = re.compile(
    r"(?<!in )(?<!within )(?<!for )(?<!next )(?:annually|yearly|per year|per annum|/\s?yr\b|"
    r"/\s?year|a year\b|annual\b)",
    _I,
)
# ``period_of`` runs for every money figure: ``Folded`` skips these case-insensitive scans when
# their literals are absent (``search``/``finditer`` give the exact pattern's matches).
_PERIOD_LEFT, _ANY_MONTH_FAST, _ANY_YEAR_FAST = map(Folded, (PERIOD_LEFT, _ANY_MONTH, _ANY_YEAR))
# The patterns read right after a figure, for the text as written and for ASCII text lowered.
_RIGHT = (_RIGHT_MONTH, _RIGHT_YEAR)
_LOWERED_RIGHT = (lowered_twin(_RIGHT_MONTH), lowered_twin(_RIGHT_YEAR))


def period_of(text: str, start: int, end: int, lowered: str | None = None) -> Period | None:
    """Period of a figure at ``text[start:end]``, or None.

    Looks right after the figure ("5k a month"), then just before it ("monthly: 5k").
    ``lowered``, when given, is ``text.lower()`` of ASCII ``text``: the faster twins read it.
    """
    if lowered is None:
        src, (month, year) = text, _RIGHT
    else:
        src, (month, year) = lowered, _LOWERED_RIGHT
    right = src[end : end + 60]
    # Every match of ``_MONTH`` (and so of ``_RIGHT_MONTH``) holds an "m", lowered: without one
    # in ``right``, one substring test stands for the match (4,300 instructions on " a year").
    if (lowered is None or "m" in right) and month.match(right):
        return "month"
    if year.match(right):
        return "year"
    left = src[max(0, start - 50) : start]
    if lowered is None:
        matches = _PERIOD_LEFT.finditer(left)
    # Every match of ``PERIOD_LEFT`` holds "month", "year" or "annu": three substring tests
    # stand for its literal scan on most figures.
    elif ("month" in left or "year" in left or "annu" in left) and _PERIOD_LEFT.in_lowered(left):
        matches = _PERIOD_LEFT.fast.finditer(left)  # same matches (see ``Folded``)
    else:
        return None
    found: Period | None = None
    for m in matches:
        found = "month" if m.group("m") else "year"
    return found


def stated_period(text: str, lowered: str | None = None) -> Period | None:
    """A period stated anywhere in ``text`` in an unambiguous form ("per month"), or None.

    ``lowered``, when given, is ``text.lower()`` of ASCII ``text``: every match of
    ``_ANY_MONTH`` holds "mo", and every match of ``_ANY_YEAR`` "year", "yr" or "annu", so
    substring tests skip the two literal scans on most texts.
    """
    if (lowered is None or "mo" in lowered) and _ANY_MONTH_FAST.found(text):
        return "month"
    if (
        lowered is None or "year" in lowered or "yr" in lowered or "annu" in lowered
    ) and _ANY_YEAR_FAST.found(text):
        return "year"
    return None
