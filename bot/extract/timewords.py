"""Calendar vocabulary and interval arithmetic for the timeline extractor."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from bot.extract.timedates import ONE_DAY, ONE_WEEK, add_months, day, start_of_day
from bot.extract.types import Grain

_I = re.IGNORECASE

MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
ORDINALS |= {"4th": 4, "last": 4, "back": 2, "latter": 2}
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


class Span(NamedTuple):
    """A half-open interval ``[start, end)`` with its grain; ``end`` None means open-ended."""

    start: datetime
    end: datetime | None
    grain: Grain | None


# ``Span(a, b, c)`` without the Python-level ``__new__`` a NamedTuple has: ``tuple.__new__``
# through ``partial`` is all C (0.44 against 0.71 µs here; a date reading makes a few spans).
new_span: Callable[[tuple[datetime, datetime | None, Grain | None]], Span] = partial(
    tuple.__new__, Span
)


def month_no(token: str) -> int:
    """Month number from a month name or abbreviation."""
    return MONTHS[token[:3].lower()]


def year_of(token: str | None, default: int) -> int:
    """Four-digit year from "2027" or "27"; ``default`` when absent."""
    if not token:
        return default
    value = int(token.lstrip("'"))
    return value + 2000 if value < 100 else value


def month_span(now: datetime, year: int, month: int) -> Span:
    """The calendar month."""
    return new_span((day(now, year, month), day(now, year, month + 1), "month"))


def quarter_span(now: datetime, year: int, quarter: int) -> Span:
    """The calendar quarter."""
    return new_span((day(now, year, 3 * quarter - 2), day(now, year, 3 * quarter + 1), "quarter"))


def half_span(now: datetime, year: int, half: int) -> Span:
    """The half year, at quarter grain (the contract has no "half" grain)."""
    return new_span((day(now, year, 6 * half - 5), day(now, year, 6 * half + 1), "quarter"))


def year_span(now: datetime, year: int) -> Span:
    """The calendar year."""
    return new_span((day(now, year, 1), day(now, year + 1, 1), "year"))


def week_span(moment: datetime) -> Span:
    """The Monday-to-Monday week containing ``moment``."""
    monday = start_of_day(moment) - timedelta(moment.weekday())
    return new_span((monday, monday + ONE_WEEK, "week"))


def day_span(moment: datetime) -> Span:
    """The single day of ``moment``."""
    start = start_of_day(moment)
    return new_span((start, start + ONE_DAY, "day"))


def next_occurrence(now: datetime, build: Callable[[int], Span]) -> Span:
    """This year's interval from ``build`` unless it has ended, else next year's."""
    span = build(now.year)
    return span if span.end is not None and span.end > start_of_day(now) else build(now.year + 1)


def shift(moment: datetime, n: float, unit: str) -> datetime:
    """``moment`` plus ``n`` days, weeks, months, quarters or years (fractions allowed)."""
    if unit == "day":
        return moment + timedelta(n)
    if unit == "week":
        return moment + timedelta(7 * n)
    months = n * {"month": 1, "quarter": 3, "year": 12}[unit]
    if months == int(months):
        return add_months(moment, int(months))
    return moment + timedelta(round(months * 30.44))


def part_of(span: Span, part: str) -> Span:
    """Early, mid or late part of a year, quarter or month (see docs/extractors.md)."""
    start, end, grain = span
    if end is None:
        return span
    p = part.lower()
    third = (
        0
        if p.startswith(("early", "beginning", "start", "the start", "the beginning"))
        else (2 if p.startswith(("late", "the end", "end")) else 1)
    )
    if grain == "year":
        bounds = [(0, 3), (3, 9), (9, 12)][third]
        return Span(add_months(start, bounds[0]), add_months(start, bounds[1]), "quarter")
    if grain == "quarter" and (end - start).days > 100:  # a half year: split into its quarters
        bounds = [(0, 3), (1, 5), (3, 6)][third]
        return Span(add_months(start, bounds[0]), add_months(start, bounds[1]), "quarter")
    if grain == "quarter":
        return Span(add_months(start, third), add_months(start, third + 1), "month")
    if grain == "month":
        cuts = [start, start.replace(day=11), start.replace(day=21), end]
        return Span(cuts[third], cuts[third + 1], "week")
    return span


# Lowercase "may" is a month only right after one of these ("in may", "by may").
MAY_PREP = re.compile(
    r"\b(?:in|by|until|till|before|after|from|early|mid|late|end of|of|starting|around|during|"
    r"since|through)[\s-]+$",
    _I,
)

# Deadline words that exclude the named period itself ("before March" = done by 1 March).
STRICTLY_BEFORE = re.compile(r"(?:before|prior to|ahead of)\s*(?:the\s+)?$", _I)

DEADLINE = re.compile(
    r"(?:\bby|(?<!not )before|(?<!not )until|(?<!not )till|\btil|no later than|"
    r"not later than|latest by|prior to|ahead of|"
    r"within|in time for|up to|deadline(?: is)?:?|(?:towards?|toward|around|at|before) the end of|"
    r"(?:by )?(?:the )?(?:end|close) of|eo)\s*(?:the\s+)?$",
    _I,
)
# "March end", "Q3 end" (Indian English) written after a month, quarter or year.
END_AFTER = re.compile(r"[\s-]*end\b(?!\s+of\b)", _I)
AFTER = re.compile(
    r"(?:\bafter|beyond|sometime after|later than)\s+"
    r"(?:the\s+)?$",
    _I,
)
FROM = re.compile(
    r"(?:\bfrom|starting(?: in| from| on| at)?|beginning in|as of|effective|onwards? from|"
    r"not before|no earlier than|not until|not till)\s+"
    r"(?:the\s+)?$",
    _I,
)
PART = re.compile(
    r"(?P<part>\bearly|(?:the )?(?:beginning|start) of|\bmid|middle of|\blate(?:r)?(?: in)?|"
    r"latter part of)"
    r"[\s-]*(?:the\s+)?$",
    _I,
)
PREP = re.compile(
    r"(?:\bin|\bby|before|until|till|\btil|\bon|\bfor|during|around|\bearly|\bmid|\blate|of|"
    r"after|from|starting|\bnext|\bthis|\bcoming|\bsometime|\bmaybe|\bprobably|\bbetween|"
    r"and|\bor|\bto|-|\bthan|\bthe)[\s-]*$",
    _I,
)
# "Not urgent" must not read as urgent: these look-behinds veto a negated cue.
_NOT = r"(?<!not )(?<!not very )(?<!isn't )(?<!no )(?<!nothing )"
ASAP = re.compile(
    rf"\b{_NOT}(?:asap|a\.s\.a\.p\b\.?|as soon as (?:possible|we can|feasible|practical|"
    r"humanly possible)|(?:right|straight) away|immediate(?:ly)?|urgent(?:ly)?|urgency|at once|"
    r"pronto|the sooner the better|(?:need|want|wanted)(?:ed)? (?:it |this |something |one |"
    r"a solution )?(?:like )?yesterday|top priority|like now|this instant|time[- ]sensitive|"
    r"can'?t wait|(?:need|want|start|get started|go live|launch|implement|buy|sign|move|roll)\w*"
    r"\s+(?:\w+\s+){0,3}(?:right )?now)\b",
    _I,
)
# Every ASAP match has a word starting with one of these heads (``word_heads``) or holds
# "a.s.a.p" (lowered): one per alternative, "now" or "yesterday" for the verb forms, which
# start with the common "need", "want" or "like". The derived word gate holds "s", from
# "a.s.a.p", which most messages have; the heads test cost a tenth of 15 substring tests.
ASAP_HEADS = frozenset(b"asap soon away imme urge once pron yest top now inst sens wait".split())
ASAP_SPELLED = ("a.s.a.p",)
ASAP_ASKED = re.compile(r"\b(?:right now|now|now-?ish|yesterday|quickly|fast)\b", _I)
LATER = re.compile(
    r"\b(?:not (?:any ?time |that |too |so |very )?soon|eventually|some ?day|at some point|"
    r"long[- ]term|down the (?:road|line)|in the (?:distant |far |longer )?future|"
    r"next year or (?:so|later|after)|later on|not (?:this|right) now|not for (?:a while|now)|"
    r"a few years|in a while|a while (?:away|out|off))\b",
    _I,
)
LATER_ASKED = re.compile(
    r"\b(?:later|not yet(?! (?:sure|decided|certain))|not now|future|a while)\b", _I
)
SOON = re.compile(
    rf"\b{_NOT}(?:soon(?:ish)?|shortly|near future|near[- ]term|short[- ]term|coming (?:weeks|"
    r"months)|before long|sooner rather than later|in a bit|fairly quick(?:ly)?|"
    r"pretty quick(?:ly)?|this season)\b",
    _I,
)
NONE = re.compile(
    r"\b(?:no (?:rush|hurry)|not in (?:a|any|much of a) (?:rush|hurry)|in no (?:rush|hurry)|"
    r"(?:no|(?:don'?t|do not|doesn'?t) (?:have|got) (?:a|any)) (?:real |set |fixed |firm |"
    r"specific |concrete |particular |hard |defined |clear )?"
    r"(?:timeline|time ?frame|time ?line|deadline|date|timing|schedule|time pressure|urgency)|"
    r"not (?:urgent|pressing|time[- ]sensitive)|nothing (?:urgent|planned|scheduled)|"
    r"not (?:a|an urgent|a high|a top) priority|just (?:researching|browsing|exploring|curious|"
    r"window shopping|checking|looking(?! for(?! now)| to| into| at (?:the|a|your)))|"
    r"(?:still |only |mostly |currently )(?:researching|exploring)|(?:very |really )?early stages?|"
    r"no (?:concrete |immediate |firm )?plans?(?: yet| to buy| for now)?|"
    r"(?:just |only )?(?:poking|nosing) around|"
    r"haven'?t (?:really |even |yet )?(?:set|decided on|got|thought about|planned) (?:a |any )?"
    r"(?:timeline|time ?frame|"
    r"date|deadline|timing)|whenever|no idea (?:when|on timing)|not (?:planning|looking) to buy)\b",
    _I,
)
NONE_ASKED = re.compile(
    r"\b(?:not (?:yet |really |quite |entirely )?sure|unsure|don'?t know|do not know|dunno|"
    r"no idea|tbd|tba|to be (?:determined|"
    r"decided|confirmed)|undecided|haven'?t decided|not decided|depends|flexible|n/?a|no clue|"
    r"can'?t say|hard to say|unknown|unclear|idk|not certain|we'?ll see|none|nope|no)\b",
    _I,
)
# Words and phrases a timing answer may hold, each matched from a word start, as plain text:
# the extractor tests them with the message's word heads and a few substring tests (timegates).
_CUES = (
    "q1|q2|q3|q4|h1|h2|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|week|month|quarter|"
    "year|fy|day|today|tom|tonight|tmrw|fortnight|timing|asap|a.s.a.p|soon|now|immediate|"
    "urgen|right away|straight away|at once|rush|hurry|time|deadline|date|poking|nosing|research|"
    "brows|explor|look|sure|know|idea|"
    "tbd|tba|half|spring|summer|fall|autumn|winter|monday|tuesday|wednesday|thursday|friday|"
    "saturday|sunday|eod|eow|eom|eoq|eoy|end of|yesterday|eventual|future|later|while|road|line|"
    "whenever|flexible|depend|decid|undecid|hard|say|determin|clue|dunno|idk|unsure|unclear|"
    "unknown|plan|priorit|pressing|"
    "early|mid|late|stage|pronto|sooner|wait|na|n/a|none|nope|no|quick|fast|someday|some|point|"
    "long|short|near|coming|curious|window|check|certain|see|season|one|two|three|four|five|six|"
    "seven|eight|nine|ten|twelve|couple|few|several|half"
)
CUE_WORDS = tuple(_CUES.split("|"))
CUE = re.compile(r"\d|\b(?:" + "|".join(map(re.escape, CUE_WORDS)) + ")", _I)
PAST = re.compile(r"\b(?:back in|since|last|ago|earlier in|during last|in early)\s*$", _I)
