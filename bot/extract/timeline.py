"""Timeline extractor: when the prospect wants to buy, as an interval relative to ``now``."""

from __future__ import annotations

import re
from datetime import datetime
from operator import itemgetter

from bot.extract.common import clamp01, guarded
from bot.extract.folded import Folded, Message, Prefilter, current_message
from bot.extract.numbers import Rewritten, spell_out_digits
from bot.extract.timedates import ONE_DAY, start_of_day
from bot.extract.timegates import (
    VAGUE_SHIFT,
    has_cue,
    head_flags,
    rules_for,
    rules_of_flags,
)
from bot.extract.timerules import RULES
from bot.extract.timevague import vague
from bot.extract.timewords import (
    AFTER,
    DEADLINE,
    END_AFTER,
    FROM,
    PART,
    PAST,
    PREP,
    STRICTLY_BEFORE,
    Span,
    new_span,
    part_of,
)
from bot.extract.types import Extracted, Timeline, Urgency
from bot.extract.word_gates import Heads

# The modifier tests read the 40 characters left of each date; case-insensitive, they cost
# 1-15 µs each there, and most of those texts lack the tests' literals (``Folded.search`` is
# ``exact.search`` with the same match).
_PAST, _PART, _DEADLINE, _AFTER, _FROM = (Folded(p) for p in (PAST, PART, DEADLINE, AFTER, FROM))

# Each of those patterns is "(?:words)" followed by nothing but whitespace, "-" and one "the"
# up to the end ("\s*$", "[\s-]*(?:the\s+)?$", ...), and none of its words ends in whitespace,
# "-" or "the": in a match, its words end exactly where ``_bare`` cuts the text. So the cut text
# ends as one of them does, with one of these (a string test refuses most texts before a scan).
_PAST_ENDS = ("in", "since", "last", "ago", "early")
_PART_ENDS = ("early", "of", "mid", "late", "later", "in")
_DEADLINE_ENDS = (
    "by", "before", "til", "till", "than", "to", "of", "within", "for", "deadline", "is", ":", "eo",
)  # fmt: skip
_AFTER_ENDS = ("after", "beyond", "than")
_FROM_ENDS = (
    "from", "starting", "in", "on", "at", "of", "effective", "before", "than", "til", "till",
)  # fmt: skip
# ``str.rstrip`` of these strips what "[\s-]" matches at the end of ASCII text.
_SPACE_OR_DASH = "".join(c for c in map(chr, range(128)) if c.isspace()) + "-"


def _bare(lowered: str) -> str:
    """``lowered`` (ASCII) less its end of whitespace and "-", and a "the" and more before it."""
    body = lowered.rstrip(_SPACE_OR_DASH)
    if body.endswith("the"):
        body = body[:-3].rstrip(_SPACE_OR_DASH)
    return body


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


# DEADLINE is "(?:words)\s*(?:the\s+)?$" with words at most ``_DEADLINE_LONGEST`` long: they
# end where ``_bare`` cuts the text and start at most that many characters before: the fast
# scan from there finds the first match, as ``Folded`` does from 0 (its literal test first),
# and the exact scan from that match gives its match.
_DEADLINE_LONGEST = 18  # "towards the end of"


def _deadline(
    left: str, lowered: str | None = None, bare: str | None = None
) -> re.Match[str] | None:
    # ``DEADLINE.search(left)``, scanning only the end of ``left`` (``lowered`` is its lowered
    # text when the caller has it, ASCII only, and ``bare`` its ``_bare``).
    if lowered is None:
        if not left.isascii():
            return DEADLINE.search(left)
        lowered = left.lower()
    if bare is None:
        bare = _bare(lowered)
    if not bare.endswith(_DEADLINE_ENDS):
        return None
    fast = _DEADLINE.fast.search(lowered, max(0, len(bare) - _DEADLINE_LONGEST))
    return None if fast is None else DEADLINE.search(left, fast.start())


def _cued(m: re.Match[str], left: str) -> bool:
    """Whether a loose reading (bare month, year, weekday, "2 weeks") has a vouching word."""
    groups = m.groupdict()
    if "unit" in groups:  # "for 2 years" is a duration: only "in/within/next ..." is a timeline
        return bool(groups.get("pre") or groups.get("post"))
    if any(groups.get(k) for k in ("rel", "y")) and m.re is not RULES[-1].pattern:
        return True
    return _ends_in_prep(left) or m.group().lower().startswith("fy")


def _find(
    folded: Folded, ends: tuple[str, ...], text: str, lowered: str | None, bare: str | None
) -> re.Match[str] | None:
    """``folded.search(text)`` for the text left of a date, given it lowered (None: not ASCII).

    ``bare`` is ``_bare(lowered)``, and ``ends`` the endings of ``folded``'s words (``_PAST_ENDS``
    for ``_PAST``, ...): a ``bare`` without one of them has no match.
    """
    if lowered is None or bare is None:
        return folded.exact.search(text)
    if not bare.endswith(ends):
        return None
    start = folded._start(lowered, None)
    return None if start < 0 else folded.exact.search(text, start)


def _modify(
    span: Span, left: str, lowered: str | None, bare: str | None, today: datetime
) -> tuple[Span, int]:
    """Apply "early/mid/late", "by/until/end of", "after" and "from" written before a date.

    ``lowered`` is ``left`` lowered (None when not ASCII) and ``bare`` its ``_bare``, ``today``
    the start of today.

    Returns:
        The adjusted interval and how many characters of ``left`` the modifiers used.
    """
    if not left:
        return span, 0  # every modifier is a word before the date
    used = 0
    if p := _find(_PART, _PART_ENDS, left, lowered, bare):
        span, used, left = part_of(span, p["part"]), len(left) - p.start(), left[: p.start()]
        if lowered is not None:
            lowered = lowered[: p.start()]
            bare = _bare(lowered)
    # The searches have no side effect: testing ``span.end`` first skips them, same outcome.
    if span.end is not None and (d := _deadline(left, lowered, bare)):
        # "before March" ends when March starts; "by March" / "end of March" include March.
        end = span.start if STRICTLY_BEFORE.match(d.group()) and span.start > today else span.end
        return new_span((today, end, span.grain)), len(left) - d.start() + used
    if span.end is not None and (a := _find(_AFTER, _AFTER_ENDS, left, lowered, bare)):
        return new_span((span.end, None, span.grain)), len(left) - a.start() + used
    if f := _find(_FROM, _FROM_ENDS, left, lowered, bare):
        return new_span((span.start, None, span.grain)), len(left) - f.start() + used
    return span, used


# A date read: where it starts and ends in the text, its interval and confidence. A plain
# tuple: a NamedTuple's ``__new__`` is a Python call per hit.
_Hit = tuple[int, int, Span, float]


def _anchored_start(
    lower: str, anchor: re.Pattern[str], lead: int, test: Folded | Prefilter
) -> int:
    """Where the exact scan may start for a rule with an ``anchor`` (``Rule``); -1: no match."""
    found = anchor.search(lower)
    if found is None:
        return -1
    start = max(0, found.start() - lead)
    if isinstance(test, Prefilter):
        return start
    # The case-sensitive scan from there is cheaper than the exact one; its first match is the
    # exact pattern's first (``Folded``).
    first = test.fast.search(lower, start)
    return -1 if first is None else first.start()


def _date_hits(
    work: str, now: datetime, asked: bool, message: Message | None, flags: int | None = None
) -> tuple[list[_Hit], datetime | None]:
    """The dates read in ``work``, and the start of today once one was (None before).

    ``message`` is ``work`` prepared (``folded.Message``), or None; ``flags`` its
    ``timegates.head_flags`` when the caller has them.
    """
    today: datetime | None = None  # made when a rule matches: most messages have no date
    taken: list[tuple[int, int]] = []
    hits: list[_Hit] = []
    lower: str | None = None
    heads: Heads | None = None
    if message is not None:
        lower, heads = message.lowered, message.heads
        if flags is None:
            plan = rules_for(lower, heads, asked)
        else:
            plan = rules_of_flags(lower, flags, asked, message.words)
    else:
        if work.isascii():
            lower = work.lower()
        plan = rules_for(lower, None, asked)
    for rule, test in plan:
        # No match starts before ``start`` (the fast scan's first match): the exact scan from
        # there yields the same matches as from 0, without rescanning the text before it.
        if lower is None:
            start = 0
        elif rule.anchor is not None:
            start = _anchored_start(lower, rule.anchor, rule.lead, test)
        else:
            start = test._start(lower, heads)
        if start < 0:
            continue
        for m in rule.pattern.finditer(work, start):
            at = m.start()
            if taken and any(at < e and s < m.end() for s, e in taken):
                continue
            cut = at - 40 if at > 40 else 0
            left = work[cut:at]
            if rule.needs_cue and not asked and not _cued(m, left):
                continue
            # Lowering ASCII keeps offsets: the lowered slice is ``left`` lowered.
            lowered = bare = None
            if lower is not None:
                lowered = lower[cut:at]
                bare = _bare(lowered) if left else ""  # no modifier is read in ""
            if left and _find(_PAST, _PAST_ENDS, left, lowered, bare):  # needs a word: not in ""
                continue
            span = rule.handler(m, now)
            if span is None:
                continue
            if today is None:
                today = start_of_day(now)
            if span.end is not None and span.end + ONE_DAY <= today:
                # Ended a day or more before today, it stays past (the test below) whatever
                # ``_modify`` and END_AFTER make of it: a part or a deadline ends no later,
                # "after" starts at its end and "from" at its start. Skipping them saves their
                # scans on old dates (quoted history, logs).
                continue
            span, used = _modify(span, left, lowered, bare, today)
            tail = 0
            if span.end is not None and (e := END_AFTER.match(work, m.end())):
                # Indian English "by March end" / "Q3 end": the end of it is a deadline.
                span, tail = new_span((today, span.end, span.grain)), e.end() - m.end()
            if (span.end or span.start + ONE_DAY) <= today:
                continue  # a past date is history, not a buying timeline
            taken.append((at, m.end() + tail))
            conf = rule.confidence - (0.1 if rule.needs_cue and asked else 0.0)
            hits.append((at - used, m.end() + tail, span, conf))
    return hits, today


_start_of = itemgetter(0)  # ``min`` by start keeps the first of equals, as a key function does


def urgency_of(span: Span, today: datetime) -> Urgency:
    """Immediate when the interval ends within 31 days of ``today``, soon within 92, else later.

    ``today`` is the start of today. An open-ended interval ("after March") is judged by its
    start.
    """
    edge = span.end if span.end is not None else span.start
    days = (edge - today).total_seconds() / 86400
    return "immediate" if days <= 31 else "soon" if days <= 92 else "later"


def _span(rw: Rewritten, start: int, end: int) -> str:
    """``rw.span(start, end)``: without edits, offsets in ``rw.text`` are the original's."""
    return rw.original[start:end].strip() if not rw.edits else rw.span(start, end)


# ``clamp01`` of each confidence seen: a handful of constants (the rules', less 0.1 if asked).
_CLAMPED: dict[float, float] = {}


def _clamped(confidence: float) -> float:
    clamped = _CLAMPED.get(confidence)
    if clamped is None:
        clamped = _CLAMPED[confidence] = clamp01(confidence)
    return clamped


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
    if now.tzinfo is None:
        return None
    message = current_message(text)
    if message is None and text.isascii():
        message = Message(text)  # called outside ``read_text``: prepared here, for this call
    if not has_cue(text, message):
        return None  # most messages: a set test or two, before the one pass below
    rw = spell_out_digits(text)
    flags = None
    if message is not None:
        if rw.text != text:
            message = None  # the heads are the written text's, not of its numbers spelled out
        else:  # every other word-set test of the rules and the vague readings, in one pass
            flags = head_flags(message.heads)
    hits, today = _date_hits(rw.text, now, asked, message, flags)
    if hits and today is not None:  # a hit makes ``today``
        at, to, span, confidence = hits[0] if len(hits) == 1 else min(hits, key=_start_of)
        value = Timeline(span.start, span.end, span.grain, urgency_of(span, today))
        return Extracted(value, _clamped(confidence), _span(rw, at, to))
    gated = None if flags is None else flags >> VAGUE_SHIFT
    found = vague(rw.text, now, asked, message, gated)
    if found is None:
        return None
    value, conf, m = found
    return Extracted(value, conf, _span(rw, m.start(), m.end()))
