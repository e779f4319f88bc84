"""Date patterns of the timeline extractor, each with the handler that turns it into a span."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from bot.extract.timespans import (
    amount,
    dayword,
    half,
    iso,
    month,
    month_day,
    numeric,
    period_end_any,
    quarter,
    relative,
    season,
    weekday,
    within_one,
    year,
)
from bot.extract.timewords import (
    MONTH,
    WEEKDAYS,
    Span,
)

_I = re.IGNORECASE
Handler = Callable[[re.Match[str], datetime], Span | None]


class Rule(NamedTuple):
    """A date pattern, how to read it, and whether it needs a preposition when not asked."""

    pattern: re.Pattern[str]
    handler: Handler
    needs_cue: bool  # without ``asked``, only counts after a preposition ("in March")
    confidence: float
    # Cheap necessary conditions on the lowered ASCII message, tested before the scan: whole
    # words one of which every match is made of, and a case-sensitive pattern that finds
    # something in the lowered text wherever the rule matches.
    words: frozenset[bytes] | None = None
    near: re.Pattern[str] | None = None
    # Word heads (``word_gates.word_heads``) one of which the message has: whenever the rule
    # matches (sharper than the derived gate), and whenever a match counts without ``asked``.
    heads: frozenset[bytes] | None = None
    vouch: frozenset[bytes] | None = None
    # A case-sensitive pattern every match holds a match of (lowered) at most ``lead``
    # characters from its start: the scans may start ``lead`` before its first in the text.
    anchor: re.Pattern[str] | None = None
    lead: int = 0


# A month name in a match is a whole word: ``\b`` or whitespace before it, ``\b`` after (MONTH).
# The word heads cannot tell "dec" from "decides"; whole words can.
_MONTH_WORDS = frozenset(
    b"jan january feb february mar march apr april may jun june jul july aug august "
    b"sep sept september oct october nov november dec december".split()
)
# The day of a month and day ("March 3rd", "the 3rd of March") is a figure.
_A_DIGIT = frozenset({b"#"})
# And it is next to the month: after its name (the rest of the name, ".", whitespace and "the"
# between) or before it (an ordinal suffix, whitespace and "of" between). A message with a
# month word and a figure apart ("$75k ... before March") is refused by these scans, which
# skip to a first character; the rules' fast scans from 0 cost twice as much or more.
_MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_MONTH_THEN_DAY = re.compile(rf"(?:{_MONTH_NAMES})[a-z]*\.?\s+(?:the\s+)?\d")
_DAY_THEN_MONTH = re.compile(rf"\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_NAMES})")
# Right before an amount's unit, after optional whitespace, is the last character of a figure
# (``n`` or ``n2``) or of "a" / "an": a unit after anything else cannot be an amount.
_UNIT_AFTER_NUMBER = re.compile(
    r"[0-9an]\s*(?:days?|weeks?|wks?|fortnights?|months?|mos?|quarters?|years?|yrs?)\b"
)

# The heads (first HEAD_WIDTH characters) of "week", "month", "quarter" and "year", which
# start a word wherever a period rule reads them (after "\b", whitespace or "-").
_UNIT_HEADS = frozenset({b"week", b"mont", b"quar", b"year"})

# A numeric date is a digit, "/" or ".", and a digit.
_DIGIT_SEP_DIGIT = re.compile(r"[0-9][/.][0-9]")
# Without ``asked`` an amount counts with its "pre" word (whole, before whitespace) or "post"
# word (after whitespace): ``timeline._cued``.
_AMOUNT_VOUCHERS = frozenset(
    b"in within over during the next inside under less from out away time".split()
)

# Never start inside a figure: on a long run of digits that would make the scan quadratic.
_NUM = r"(?P<n>(?<![\d.])\d+(?:\.\d+)?|an?)"
RULES: tuple[Rule, ...] = (
    Rule(re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"), iso, False, 0.95),
    Rule(
        re.compile(
            r"(?<![\d/.,$€£])(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)"
            r"(?:[/.](?P<y>(?:20)?\d\d))?(?![\d/%.,]|\s?k\b)"
        ),
        numeric,
        False,
        0.9,
        near=_DIGIT_SEP_DIGIT,
    ),
    Rule(
        re.compile(
            rf"\b{MONTH}\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?!\s*(?:%|k\b|[:,.]\d))"
            rf"(?:,?\s*(?P<y>20\d\d))?",
            _I,
        ),
        month_day,
        False,
        0.95,
        words=_MONTH_WORDS,
        heads=_A_DIGIT,
        near=_MONTH_THEN_DAY,
    ),
    Rule(
        re.compile(
            rf"\b(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s*(?P<y>20\d\d))?",
            _I,
        ),
        month_day,
        False,
        0.95,
        words=_MONTH_WORDS,
        heads=_A_DIGIT,
        near=_DAY_THEN_MONTH,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>next|this|coming) )?(?:q(?P<q>[1-4])|(?P<qw>first|1st|second|2nd|third|"
            r"3rd|fourth|4th|last) quarter)(?:\s*(?:of\s*)?(?:fy\s*)?'?(?P<y>20\d\d|\d\d)\b|"
            r"\s+(?:of\s+)?(?:the\s+)?(?P<rel2>next|this|coming) (?:fiscal )?year)?",
            _I,
        ),
        quarter,
        False,
        0.9,
        # "q1".."q4" start a word; the others are whole words (a space follows).
        heads=frozenset(b"q1 q2 q3 q4 first 1st second 2nd third 3rd fourth 4th last".split()),
        # After at most "coming " (and "fourth "): 7 characters before "q1", 14 before "quarter".
        anchor=re.compile("q[1-4]|quarter"),
        lead=14,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>next|this|coming) )?(?:h(?P<h>[12])\b|(?P<hw>first|second|1st|2nd|back|"
            r"latter) half)(?:\s*(?:of\s*)?'?(?P<y>20\d\d|\d\d)\b|\s+(?:of\s+)?(?:the\s+)?"
            r"(?P<rel2>next|this) year|\s+of\s+the\s+year)?",
            _I,
        ),
        half,
        False,
        0.85,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>this|next|coming) )?(?P<s>spring|summer|fall|autumn|winter)"
            r"(?:\s+(?:of\s+)?(?P<y>20\d\d))?\b",
            _I,
        ),
        season,
        True,
        0.75,
        words=frozenset({b"spring", b"summer", b"fall", b"autumn", b"winter"}),  # "\b" both sides
    ),
    Rule(
        re.compile(
            r"\b(?:eod|eow|eom|eoq|eoy|today|tonight|tomorrow|tmrw|day after tomorrow)\b", _I
        ),
        dayword,
        False,
        0.9,
        # Each alternative is or holds one of these whole words ("day after tomorrow": the
        # last), where the gate also admits any word "day".
        heads=frozenset(b"eod eow eom eoq eoy today tonight tomorrow tmrw".split()),
    ),
    Rule(
        re.compile(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>week|month|quarter|year)|"
            r"(?P<unit2>week|month|quarter|year)[\s-]end|(?:within|during) (?:the|this) "
            r"(?P<unit3>week|month|quarter|year))\b(?!\s+(?:of|20\d\d))",
            _I,
        ),
        lambda m, now: period_end_any(m, now),
        False,
        0.85,
        words=frozenset({b"end", b"within", b"during"}),  # after "\b" or [\s-], before \s or "\b"
        heads=_UNIT_HEADS,
    ),
    Rule(
        re.compile(
            r"\b(?:within (?:the )?|(?:(?:in|over|during) )?(?:the )?(?=(?:next|coming) fortnight))"
            r"(?:next|coming) (?P<unit>day|week|month|quarter|year|fortnight)\b",
            _I,
        ),
        lambda m, now: within_one(m, now),
        False,
        0.85,
        words=frozenset({b"within", b"fortnight"}),  # "within " after "\b"; " fortnight\b"
        heads=_UNIT_HEADS | {b"day", b"fort"},
    ),
    Rule(
        re.compile(
            r"\b(?P<rel>next|this|coming|the following|following|current|upcoming)\s+"
            r"(?P<unit>week|month|quarter|fiscal year|year|fy)\b",
            _I,
        ),
        relative,
        False,
        0.9,
        # The unit follows \s and ends at "\b"; "fiscal" is followed by a space.
        words=frozenset({b"week", b"month", b"quarter", b"fiscal", b"year", b"fy"}),
        # Their heads: no split into words when "this" or "next" has no unit after it.
        heads=_UNIT_HEADS | {b"fisc", b"fy"},
    ),
    Rule(
        re.compile(
            rf"(?:\b(?P<pre>in|within|in the next|over the next|during the next|the next|next|"
            rf"inside(?: of)?|in about|in around|in roughly|in like|under|less than)\s+)?"
            rf"(?:(?:about|around|roughly|approx(?:imately)?|like|maybe|~)\s*)?{_NUM}"
            rf"(?:\s*(?:-|–|to|or)\s*(?P<n2>\d+))?\s*(?P<unit>days?|weeks?|wks?|fortnights?|months?|mos?|"
            rf"quarters?|years?|yrs?)\b(?:\s+or\s+(?P<n3>\d+))?(?P<post>\s+(?:from now|out|away|"
            rf"from today|time))?",
            _I,
        ),
        amount,
        True,
        0.85,
        near=_UNIT_AFTER_NUMBER,
        vouch=_AMOUNT_VOUCHERS,
    ),
    Rule(
        re.compile(rf"\b(?:(?P<rel>next|this|coming|on)\s+)?(?P<wd>{'|'.join(WEEKDAYS)})\b", _I),
        weekday,
        True,
        0.85,
    ),
    Rule(
        re.compile(
            rf"\b(?:(?P<rel>next|this|coming)\s+)?{MONTH}(?:\s*(?:of\s*)?,?\s*'?(?P<y>20\d\d|\d\d)"
            rf"(?![\d%:]))?",
            _I,
        ),
        month,
        True,
        0.85,
        words=_MONTH_WORDS,
    ),
    Rule(
        re.compile(
            r"\b(?:fy\s?'?)?(?P<y>20[2-9]\d|(?<=fy)\d\d|(?<=fy')\d\d|(?<=fy )\d\d)\b"
            r"(?![\d%,.]|\s?(?:k|people|employees))",
            _I,
        ),
        year,
        True,
        0.8,
    ),
)
