"""Timeline extractor: when the prospect wants to buy, as an interval relative to ``now``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.extract.common import clamp01, guarded, start_of_day
from bot.extract.folded import Folded, Prefilter, foldable, heads_of
from bot.extract.numbers import spell_out_digits
from bot.extract.timerules import RULES
from bot.extract.timewords import (
    AFTER,
    ASAP,
    ASAP_ASKED,
    CUE,
    DEADLINE,
    END_AFTER,
    FROM,
    LATER,
    LATER_ASKED,
    NONE,
    NONE_ASKED,
    PART,
    PAST,
    PREP,
    SOON,
    STRICTLY_BEFORE,
    Span,
    part_of,
)
from bot.extract.types import Extracted, Timeline, Urgency

# Searched in every message: ``Folded`` gives them a fast path on ASCII text.
_CUE = Folded(CUE)
_VAGUE = {p: Folded(p) for p in (ASAP, LATER, SOON, NONE, ASAP_ASKED, LATER_ASKED, NONE_ASKED)}
# The modifier tests read the 40 characters left of each date; case-insensitive, they cost
# 1-15 µs each there, and most of those texts lack the tests' literals (``Folded.search`` is
# ``exact.search`` with the same match).
_PAST, _PART, _DEADLINE, _AFTER, _FROM = (Folded(p) for p in (PAST, PART, DEADLINE, AFTER, FROM))
# Most rules find nothing in most messages: a fast yes/no test skips their exact scan.
# The case-sensitive ones (figures: "2026-05-01", "1/6") still get the tests without the scan.
_RULE_TESTS = tuple(
    Folded(rule.pattern) if foldable(rule.pattern) else Prefilter(rule.pattern) for rule in RULES
)


# Keyword dispatch over the rules' word gates, as bit sets of rule indexes: a rule whose gate
# shares no token with the message's heads cannot match (its test would say so).
_ALL_RULES = (1 << len(RULES)) - 1
_UNGATED_RULES = sum(1 << i for i, test in enumerate(_RULE_TESTS) if test.gate is None)
_RULES_OF_TOKEN: dict[bytes, int] = {}
for _index, _test in enumerate(_RULE_TESTS):
    for _token in _test.gate or ():
        _RULES_OF_TOKEN[_token] = _RULES_OF_TOKEN.get(_token, 0) | 1 << _index
_RULE_TOKENS = frozenset(_RULES_OF_TOKEN)


# PREP is "(?:word|...|-)[\s-]*$": a match's alternative is followed by whitespace and "-" up to
# the end, so a word alternative ends where the text's trailing run of them begins and starts at
# most ``_PREP_LONGEST`` before it ("-" starts inside the run). Scanning from there finds the same
# matches; ``search(text, pos)`` still lets "\b" see the character before ``pos``.
# ``str.rstrip()`` strips exactly what ``\s`` matches (``str.isspace``).
_PREP_LONGEST = 8  # "probably", "sometime", "starting"
_PREP = Folded(PREP)


def _ends_in_prep(left: str) -> bool:
    # ``PREP.search(left) is not None``, scanning only the end of ``left``.
    body = left.rstrip()
    while body.endswith("-"):
        body = body[:-1].rstrip()
    pos = max(0, len(body) - _PREP_LONGEST)
    if left.isascii():  # ``Folded``'s fast pattern over lowered ASCII: the same matches
        return _PREP.fast.search(left.lower(), pos) is not None
    return PREP.search(left, pos) is not None


# DEADLINE is "(?:words)\s*(?:the\s+)?$" with words at most ``_DEADLINE_LONGEST`` long: after
# its words come only whitespace, or whitespace, "the" and whitespace. So they end no earlier
# than the text's end with trailing whitespace (and a last "the") cut off, and start at most
# that many characters before: the fast scan from there finds the first match, as ``Folded``
# does from 0 (its literal test first), and the exact scan from that match gives its match.
_DEADLINE_LONGEST = 18  # "towards the end of"


def _deadline(left: str) -> re.Match[str] | None:
    # ``DEADLINE.search(left)``, scanning only the end of ``left``.
    needs = _DEADLINE.needs
    if not left.isascii():
        return DEADLINE.search(left)
    lowered = left.lower()
    if needs is not None and not needs.present(lowered):
        return None
    body = lowered.rstrip()
    if body.endswith("the"):
        body = body[:-3].rstrip()
    fast = _DEADLINE.fast.search(lowered, max(0, len(body) - _DEADLINE_LONGEST))
    return None if fast is None else DEADLINE.search(left, fast.start())


def _cued(m: re.Match[str], left: str) -> bool:
    """Whether a loose reading (bare month, year, weekday, "2 weeks") has a vouching word."""
    groups = m.groupdict()
    if "unit" in groups:  # "for 2 years" is a duration: only "in/within/next ..." is a timeline
        return bool(groups.get("pre") or groups.get("post"))
    if any(groups.get(k) for k in ("rel", "y")) and m.re is not RULES[-1].pattern:
        return True
    return _ends_in_prep(left) or m.group().lower().startswith("fy")


def _modify(span: Span, left: str, now: datetime) -> tuple[Span, int]:
    """Apply "early/mid/late", "by/until/end of", "after" and "from" written before a date.

    Returns:
        The adjusted interval and how many characters of ``left`` the modifiers used.
    """
    used = 0
    if p := _PART.search(left):
        span, used, left = part_of(span, p["part"]), len(left) - p.start(), left[: p.start()]
    today = start_of_day(now)
    if (d := _deadline(left)) and span.end is not None:
        # "before March" ends when March starts; "by March" / "end of March" include March.
        end = span.start if STRICTLY_BEFORE.match(d.group()) and span.start > today else span.end
        return Span(today, end, span.grain), len(left) - d.start() + used
    if (a := _AFTER.search(left)) and span.end is not None:
        return Span(span.end, None, span.grain), len(left) - a.start() + used
    if f := _FROM.search(left):
        return Span(span.start, None, span.grain), len(left) - f.start() + used
    return span, used


class _Hit(NamedTuple):
    start: int
    end: int
    span: Span
    confidence: float


def _date_hits(work: str, now: datetime, asked: bool) -> list[_Hit]:
    today: datetime | None = None  # made when a rule matches: most messages have no date
    taken: list[tuple[int, int]] = []
    hits: list[_Hit] = []
    lower = work.lower() if work.isascii() else None
    heads = heads_of(lower) if lower is not None else None  # None once numbers are rewritten
    # Rules whose word gate the message opens: one set intersection instead of a test each.
    rules = _ALL_RULES
    if heads is not None:
        rules = _UNGATED_RULES
        for token in _RULE_TOKENS.intersection(heads):
            rules |= _RULES_OF_TOKEN[token]
    for index, (rule, test) in enumerate(zip(RULES, _RULE_TESTS, strict=True)):
        if not rules >> index & 1:
            continue
        # No match starts before ``start`` (the fast scan's first match): the exact scan from
        # there yields the same matches as from 0, without rescanning the text before it.
        start = 0 if lower is None else test._start(lower, heads)
        if start < 0:
            continue
        for m in rule.pattern.finditer(work, start):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            left = work[max(0, m.start() - 40) : m.start()]
            if rule.needs_cue and not asked and not _cued(m, left):
                continue
            if _PAST.search(left):
                continue
            span = rule.handler(m, now)
            if span is None:
                continue
            span, used = _modify(span, left, now)
            if today is None:
                today = start_of_day(now)
            tail = 0
            if span.end is not None and (e := END_AFTER.match(work, m.end())):
                # Indian English "by March end" / "Q3 end": the end of it is a deadline.
                span, tail = Span(today, span.end, span.grain), e.end() - m.end()
            if (span.end or span.start + timedelta(days=1)) <= today:
                continue  # a past date is history, not a buying timeline
            taken.append((m.start(), m.end() + tail))
            conf = rule.confidence - (0.1 if rule.needs_cue and asked else 0.0)
            hits.append(_Hit(m.start() - used, m.end() + tail, span, conf))
    return hits


def urgency_of(span: Span, now: datetime) -> Urgency:
    """Immediate when the interval ends within 31 days of today, soon within 92, else later.

    An open-ended interval ("after March") is judged by its start.
    """
    edge = span.end if span.end is not None else span.start
    days = (edge - start_of_day(now)).total_seconds() / 86400
    return "immediate" if days <= 31 else "soon" if days <= 92 else "later"


# The vague readings, in order: pattern, urgency, confidence, and whether only when asked.
_VAGUE_CHECKS: tuple[tuple[Folded, Urgency, float, bool], ...] = (
    (_VAGUE[ASAP], "immediate", 0.9, False),
    (_VAGUE[LATER], "later", 0.65, False),
    (_VAGUE[SOON], "soon", 0.65, False),
    (_VAGUE[NONE], "none", 0.85, False),
    (_VAGUE[ASAP_ASKED], "immediate", 0.7, True),
    (_VAGUE[LATER_ASKED], "later", 0.55, True),
    (_VAGUE[NONE_ASKED], "none", 0.6, True),
)


def _vague(work: str, now: datetime, asked: bool) -> tuple[Timeline, float, re.Match[str]] | None:
    for folded, urgency, conf, only_asked in _VAGUE_CHECKS:
        if (asked or not only_asked) and (m := folded.search(work)):
            if urgency == "immediate":
                today = start_of_day(now)
                week = Timeline(today, today + timedelta(days=7), "week", "immediate")
                return week, conf, m
            return Timeline(None, None, None, urgency), conf, m
    return None


@guarded
def extract_timeline(text: str, now: datetime, asked: bool = False) -> Extracted[Timeline] | None:
    """Find when the prospect wants to buy.

    Args:
        text: The prospect's message.
        now: Reference time, timezone-aware; results are in its offset.
        asked: True when the bot just asked about timing, so a bare "March" counts.

    Returns:
        The timeline with its confidence and span, or None.
    """
    if now.tzinfo is None or not _CUE.found(text):
        return None
    rw = spell_out_digits(text)
    hits = _date_hits(rw.text, now, asked)
    if hits:
        hit = min(hits, key=lambda h: h.start)
        start, end, grain = hit.span
        value = Timeline(start, end, grain, urgency_of(hit.span, now))
        return Extracted(value, clamp01(hit.confidence), rw.span(hit.start, hit.end))
    found = _vague(rw.text, now, asked)
    if found is None:
        return None
    value, conf, m = found
    return Extracted(value, conf, rw.span(m.start(), m.end()))
