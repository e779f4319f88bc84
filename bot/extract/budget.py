"""Budget extractor: amounts, ranges and bounds of money, with currency and period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.extract.common import clamp01, guarded
from bot.extract.folded import Folded, Message, current_message
from bot.extract.money import (
    APPROX_LEFT,
    CURRENCY_WORDS,
    GLUED_CURRENCY,
    LOWERED_RULES,
    MAX_LEFT,
    MIN_LEFT,
    MONEY_PER,
    MONEY_TERMS,
    MONEY_WORDS,
    NO_BUDGET,
    NO_BUDGET_ASKED,
    NOT_MONEY_LEFT,
    PHONE_LIKE,
    RANGE_JOIN,
    RULES,
    YEAR_PREP,
    Candidate,
    find_candidates,
)
from bot.extract.money_period import period_of, stated_period
from bot.extract.numbers import MULTIPLIERS, NUMBER_HEADS, spell_out_digits
from bot.extract.types import Budget, Extracted
from bot.extract.word_gates import HEAD_WIDTH

# Any digit or number word: without one, only "no budget" phrases can match. Both are searched
# in every message, so they take ``Folded``'s fast path on ASCII text.
_FIGURE_HINT = Folded(
    re.compile(
        r"\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|twenty|thirty|"
        r"forty|fourty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|"
        r"couple|few|several|half|grand",
        re.IGNORECASE,
    ),
    # The pattern is its 37 literals: testing them (1.8 µs on the bench script) beats the
    # alternation tried at every character (2.4 µs), and rejects most messages.
    most_literals=40,
)
# Its literals without the digits, shortest (commonest) first: a message's heads hold b"#"
# exactly when it has a digit, and each literal is a whole alternative of the pattern, so on a
# message without a digit the hint is one of these being in it.
_HINT_STRINGS = _FIGURE_HINT.needs.strings if _FIGURE_HINT.needs is not None else ()
_FIGURE_WORDS = tuple(sorted((s for s in _HINT_STRINGS if not s.isdigit()), key=len))
if not _FIGURE_WORDS or not set(_FIGURE_WORDS) <= _FIGURE_HINT._sure_strings:
    raise ValueError("the figure hint's literals are not its whole alternatives")
_NO_BUDGET = Folded(NO_BUDGET)
# Each literal one of which a match of ``NO_BUDGET`` holds ("have n", "no cas", "budget", ...)
# holds one of these between its spaces, so a printable text (where the literal test is sound,
# see ``Folded``) without them has no match. Most messages reach that search and lack all five:
# five substring tests instead of ``Folded.search`` and its literal scan (2,900 instructions on
# "hey").
_NO_BUDGET_KEYS = ("no", "have", "budget", "unfund", "broke")
if _NO_BUDGET.needs is None or not all(
    any(key in part for part in literal.split(" ") for key in _NO_BUDGET_KEYS)
    for literal in _NO_BUDGET.needs.strings
):
    raise ValueError("a literal of NO_BUDGET holds none of the keys")
# Searched around every figure (in the 30 characters left of it) or in every message with a
# digit: case-insensitive scans of up to 10 µs each, which most texts lack the literals of.
# ``Folded.search`` is ``exact.search`` with the same match.
_NOT_MONEY_LEFT, _YEAR_PREP, _MONEY_WORDS = map(Folded, (NOT_MONEY_LEFT, YEAR_PREP, MONEY_WORDS))
_MAX_LEFT, _MIN_LEFT, _APPROX_LEFT = map(Folded, (MAX_LEFT, MIN_LEFT, APPROX_LEFT))
# ``MONEY_WORDS`` has no word gate and no literals, so testing a message scans it; its two
# parts have them, and most messages fail both in a set test or a literal test.
_MONEY_TERMS, _MONEY_PER = Folded(MONEY_TERMS), Folded(MONEY_PER)
if _MONEY_TERMS.gate is None:
    raise ValueError("the money words need a word gate")
# Heads of which a message without one has neither a money word of ``MONEY_TERMS`` nor a
# currency written as a word at a word's start (see ``money.CURRENCY_WORDS``).
_PRICED_HEADS = _MONEY_TERMS.gate | {word[:HEAD_WIDTH].encode("ascii") for word in CURRENCY_WORDS}
_DIGIT = re.compile(r"\d")
# MIN_LEFT and APPROX_LEFT are "(?:words)\s*$" whose every alternative ends in a character
# other than whitespace and has no look-behind or "\b": a match's words end where ``left``'s
# trailing whitespace begins and start at most the longest alternative before it, so the fast
# scan from there finds the same (leftmost) match as from 0 (``search(text, pos)`` keeps the
# text before ``pos`` in view). ``str.rstrip()`` strips exactly what ``\s`` matches.
# How each alternative of ``NOT_MONEY_LEFT`` can end, lowered ("team of" in "of"; "." for
# "no.", "ext." and "jan."), and the longest alternative.
_NOT_MONEY_ENDS = (
    "of", "q", "h", "fy", "v", "version", "step", "number", "#", "top", "page", "room", "ext",
    "tier", "level", "phase", "plan", "wave", "rank", "ranked", "age", "aged", "/", ".",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
)  # fmt: skip
_NOT_MONEY_LONGEST = 12  # "headcount of"
# How a match of ``MAX_LEFT`` can end, lowered, bar whitespace: its words end a cap ("under",
# "less than", "capped at", "up to", "<="), then an optional "of" and "about" or the like. On ASCII
# text one ``endswith`` call stands for the scan of 40 characters (10,000 instructions and more).
_MAX_LEFT_ENDS = (
    "under", "below", "than", "max", "maximum", "of", "to", "most", "at", "is", "cap", "within",
    "tops", "exceed", "exceeding", "above", "over", "beyond", "past", "<", "=", "≤", "sub", "as",
    "about", "around", "roughly", "approximately", "~",
)  # fmt: skip
_MIN_LEFT_LONGEST = 13  # "not less than", "starting from"
_APPROX_LEFT_LONGEST = 16  # "in the region of"
# Every match of ``PHONE_LIKE`` has a "+" or two runs of three digits, one after the other
# ("(555) 123", "0171 234", "0123456789"): without them the substitution, which tries seven
# alternatives at every character, is skipped. After the leftmost run, a second is searched
# from its end: a match's runs start no earlier (the leftmost ends at most where a match's
# first run ends), so "100k" or "2026" alone skips it.
_THREE_DIGITS = re.compile(r"\d\d\d")
# The same on ASCII text, where "\d" is "[0-9]": a class ``re`` tests faster than the category
# (4,100 instructions against 6,100 on 51 characters).
_THREE_ASCII_DIGITS = re.compile("[0-9][0-9][0-9]")


def _phone_like(text: str) -> bool:
    """False when ``PHONE_LIKE`` cannot match ``text`` (its substitution would change nothing)."""
    if "+" in text:
        return True
    three = _THREE_ASCII_DIGITS if text.isascii() else _THREE_DIGITS
    run = three.search(text)
    return run is not None and three.search(text, run.end()) is not None


def _figure_hint(text: str) -> bool:
    """``_FIGURE_HINT.found(text)``: a digit tested once by the heads, then the words only."""
    message = current_message(text)
    if message is None:
        return _FIGURE_HINT.found(text)
    if b"#" in message.heads:
        return True
    lowered = message.lowered
    for word in _FIGURE_WORDS:  # noqa: SIM110 (a plain loop: half the cost of ``any()``)
        if word in lowered:
            return True
    return False


@dataclass(slots=True)
class _Reading:
    """One interpretation of a money mention: a figure, a range, or a bound."""

    budget: Budget
    start: int
    end: int
    score: float


def _no_budget(text: str, message: Message | None) -> re.Match[str] | None:
    """``_NO_BUDGET.search(text)``; ``message``: the message under way, whose text ``text`` is."""
    if message is not None and message.printable:
        lowered = message.lowered
        if not (
            "no" in lowered
            or "have" in lowered
            or "budget" in lowered
            or "unfund" in lowered
            or "broke" in lowered
        ):
            return None
    return _NO_BUDGET.search(text)


def _found(folded: Folded, piece: str, lowered: bool) -> bool:
    """``folded.exact.search(piece) is not None``; ``lowered``: ``piece`` is ASCII, lowered."""
    return folded.in_lowered(piece) if lowered else folded.search(piece) is not None


def _not_money_left(left: str, lowered: bool) -> bool:
    """``_found(_NOT_MONEY_LEFT, left, lowered)``: "team of", "Q", "version", "March" before.

    Each alternative of ``NOT_MONEY_LEFT`` ends in a character other than whitespace and is
    followed by only whitespace to the end, so it ends where ``left.rstrip()`` does, with one
    of ``_NOT_MONEY_ENDS``, and starts at most ``_NOT_MONEY_LONGEST`` before. On ASCII text
    lowered one ``endswith`` call rejects most figures, where the scan of the 30 characters
    tried every alternative at each (28,000 instructions), and a scan from there finds the same
    match (see ``_MIN_LEFT_LONGEST``).
    """
    if not lowered:
        return _NOT_MONEY_LEFT.search(left) is not None
    body = left.rstrip()
    if not body.endswith(_NOT_MONEY_ENDS):
        return False
    start = len(body) - _NOT_MONEY_LONGEST
    return _NOT_MONEY_LEFT.fast.search(left, start if start > 0 else 0) is not None


def _usable(
    c: Candidate, text: str, lowered: str | None, asked: bool, money_context: bool
) -> tuple[bool, bool]:
    """Whether a figure can be money here, alone and as one end of a range.

    Not a year, time, head count, percentage or date. ``lowered`` is ``text.lower()`` when
    ``text`` is ASCII, else None (see ``period_of``).
    """
    folded = lowered is not None
    src, rules = (lowered, LOWERED_RULES) if lowered is not None else (text, RULES)
    cut = c.start - 30 if c.start > 30 else 0
    left, right = src[cut : c.start], src[c.end : c.end + 30]
    if c.currency is None and (rules.not_money.match(right) or _not_money_left(left, folded)):
        return False, False
    if c.mult is None and rules.time.match(right):
        return False, False
    alone = True
    if c.currency is None and c.mult is None:
        if c.value < 10:
            alone = False  # "2 brands", "(1)": single digits are counts, not money
        if c.plain_year:
            near_money = _found(_MONEY_WORDS, left, folded)
            recent = 2020 <= c.value <= 2040  # "around 2030" is a year, "around 2000" may be cash
            if (
                _found(_YEAR_PREP, left, folded)
                or not (asked or near_money)
                or (recent and not near_money)
            ):
                return False, False
    if c.value <= 0 and c.currency is None:
        return False, False
    return alone and (c.currency is not None or asked or money_context), True


def _scale_low(low: float, high: float, low_has_mult: bool, high_mult: str | None) -> float:
    """Give the low end of "20-30k" or "between 20 and 30 thousand" the high end's magnitude.

    The high end's own multiplier is tried first, so "1-2 lakh" is 100,000 to 200,000.
    """
    if low_has_mult or low <= 0 or low >= high / 100:
        return low
    factor = MULTIPLIERS.get(high_mult or "", MULTIPLIERS.get((high_mult or "").lower(), 0.0))
    if factor and low * factor <= high:
        return low * factor
    for scale in (1e3, 1e6, 1e9):
        if high / 10 <= low * scale <= high:
            return low * scale
    return low


def _readings(
    text: str,
    lowered: str | None,
    cands: list[Candidate],
    usable: list[tuple[bool, bool]],
    cued: bool,
) -> list[_Reading]:
    readings: list[_Reading] = []
    skip: set[int] = set()
    for i, c in enumerate(cands):
        if i in skip or not usable[i][1]:
            continue
        nxt = cands[i + 1] if i + 1 < len(cands) else None
        join = RANGE_JOIN.fullmatch(text[c.end : nxt.start]) if nxt else None
        left = text[c.start - 40 if c.start > 40 else 0 : c.start]
        currency = c.currency
        has_cue = cued or c.currency is not None or (nxt is not None and nxt.currency is not None)
        counted = c.currency is None and c.mult is None and join and join.group("word") != "and"
        if nxt is not None and counted and not usable[i + 1][1]:
            continue  # "50-200 people": the low end of a head count is not money either
        if nxt is not None and join and usable[i + 1][1] and has_cue:
            between = join.group("word") != "and" or left.rstrip().lower().endswith("between")
            if between:
                skip.add(i + 1)
                low = _scale_low(c.value, nxt.value, c.mult is not None, nxt.mult)
                currency = currency or nxt.currency
                period = period_of(text, c.start, nxt.end, lowered)
                lo, hi = min(low, nxt.value), max(low, nxt.value)
                score = 3.0 + (currency is not None) * 2 + (nxt.mult is not None)
                readings.append(
                    _Reading(Budget(None, lo, hi, currency, period), c.start, nxt.end, score)
                )
                continue
        if usable[i][0]:
            readings.append(_single(text, lowered, c))
    return readings


def _single(text: str, lowered: str | None, c: Candidate) -> _Reading:
    """One figure read alone: an amount, or a bound ("under 5k", "5k+")."""
    period = period_of(text, c.start, c.end, lowered)
    cut = c.start - 40 if c.start > 40 else 0
    start, end = c.start, c.end
    score = 1.0 + (c.currency is not None) * 2 + (c.mult is not None)
    if lowered is None:
        left, right = text[cut : c.start], text[c.end : c.end + 30]
        rules, max_left, min_left = RULES, _MAX_LEFT.exact, _MIN_LEFT.exact
        min_from = approx_from = 0
        capped = True
    else:  # the same matches, at the same offsets (see ``Folded``)
        left, right = lowered[cut : c.start], lowered[c.end : c.end + 30]
        rules, max_left, min_left = LOWERED_RULES, _MAX_LEFT.fast, _MIN_LEFT.fast
        stripped = left.rstrip()
        capped = stripped.endswith(_MAX_LEFT_ENDS)  # else MAX_LEFT cannot match
        body = len(stripped)  # where MIN_LEFT's and APPROX_LEFT's words end
        min_from = body - _MIN_LEFT_LONGEST if body > _MIN_LEFT_LONGEST else 0
        approx_from = body - _APPROX_LEFT_LONGEST if body > _APPROX_LEFT_LONGEST else 0
    # MIN_RIGHT's match, else MAX_RIGHT's, else APPROX_RIGHT's (no group), in one call.
    bound = rules.bound.match(right)
    if bound is not None and bound.lastgroup is not None:  # "min" or "max"
        if bound.lastgroup == "min":
            budget = Budget(None, c.value, None, c.currency, period)
        else:
            budget = Budget(None, None, c.value, c.currency, period)
        end += bound.end()
    elif capped and (m := max_left.search(left)):
        budget = Budget(None, None, c.value, c.currency, period)
        start -= len(left) - m.start()
    elif m := min_left.search(left, min_from):
        budget = Budget(None, c.value, None, c.currency, period)
        start -= len(left) - m.start()
    else:
        budget = Budget(c.value, None, None, c.currency, period)
        if lowered is None:
            approx = _APPROX_LEFT.search(left) is not None
        else:
            approx = _APPROX_LEFT.fast.search(left, approx_from) is not None
        # Neither bound matched: ``bound`` is APPROX_RIGHT's match, or None.
        score -= 0.2 * bool(approx or bound is not None)
    return _Reading(budget, start, end, score)


def _confidence(r: _Reading, asked: bool, money_context: bool) -> float:
    b = r.budget
    conf = 0.6 if asked else 0.5
    conf += 0.25 if b.currency else 0.0
    conf += 0.1 if money_context else 0.0
    conf += 0.05 if b.period else 0.0
    return clamp01(conf + 0.05 * (r.score > 2))


def _money_context(work: str, message: Message | None) -> bool:
    """``_MONEY_WORDS.found(work)``; ``message``: the message under way, whose text ``work`` is.

    By its two parts there: the words' heads rule most messages out in a set test, and "per
    month"'s literals in a substring test, where ``MONEY_WORDS`` scans the text (20,000
    instructions on 51 characters, against 7,000).
    """
    if message is None:
        return _MONEY_WORDS.found(work)
    lowered, heads = message.lowered, message.heads
    return _MONEY_TERMS.in_lowered(lowered, heads) or _MONEY_PER.in_lowered(lowered, heads)


def _spelled_figure(text: str) -> bool:
    """``_figure_hint(text)`` for the message under way without a digit, or as good as it.

    Without a digit, a figure is only a number word spelled out: with none (the words' heads,
    tested once per message by the first of budget, timeline and company size to spell it
    out), the text reads as it would with no hint, its "no budget" phrase with the same span
    (such a phrase neither starts nor ends with a space). This spares the hint's 37 substring
    tests on most messages (9,000 instructions on "hi there").
    """
    return bool(spell_out_digits(text).edits) and _figure_hint(text)


def _unpriced(message: Message) -> bool:
    """Whether no figure of the message can be read unasked: ``find_candidates`` is skipped.

    Unasked, a figure without a currency is read (alone, or as a range) only with a money word
    in the message (``_usable``'s ``alone``, the cue of ``_readings``). A message without a
    currency's or a money word's head, a "$", a currency glued to a digit and a "per month"
    has neither: most messages with a digit ("within 3 months", "sorry, I meant 100k"), where
    reading the figures costs 4,000 instructions and more each.
    """
    if not message.heads.isdisjoint(_PRICED_HEADS):
        return False
    lowered = message.lowered
    if "$" in lowered or GLUED_CURRENCY.search(lowered) is not None:
        return False
    # Every "per month", "a year" or "/mo" holds one of these three.
    if "mo" in lowered or "yr" in lowered or "year" in lowered:
        return not _MONEY_PER.in_lowered(lowered, message.heads)
    return True


@guarded
def extract_budget(text: str, now: datetime, asked: bool = False) -> Extracted[Budget] | None:
    """Find the budget in a message.

    Args:
        text: The prospect's message.
        now: Reference time (unused: budgets are timeless).
        asked: True when the bot just asked about budget, so a bare "50k" counts.

    Returns:
        The budget with its confidence and span, or None.
    """
    if asked and (m := NO_BUDGET_ASKED.match(text)):
        return Extracted(Budget(amount=0.0), 0.75, m.group().strip())
    message = current_message(text)
    if message is not None:
        # A digit: one set test of the heads, where ``_DIGIT.search`` scans the text (3,700
        # instructions on 37 characters against 300).
        heads = message.heads
        digit = b"#" in heads
        # Without a number word's head ``_spelled_figure`` is False (see ``spell_out_digits``):
        # one set test for most messages instead of three calls and a ``Rewritten`` (3,300
        # instructions per bench message alone; in ``decide()`` timeline then makes the latter).
        figure = digit or (not heads.isdisjoint(NUMBER_HEADS) and _spelled_figure(text))
    else:
        figure = _figure_hint(text)
        digit = figure and _DIGIT.search(text) is not None
    if not figure:
        m = _no_budget(text, message)
        return Extracted(Budget(amount=0.0), 0.85, m.group()) if m else None
    masked = text
    if digit and _phone_like(text):
        masked = PHONE_LIKE.sub(lambda m: "#" * len(m.group()), text)
    rw = spell_out_digits(masked)
    work = rw.text
    if work != text:  # a phone number masked or a number spelled out: other words and digits
        message, digit = None, _DIGIT.search(work) is not None
    # Every money figure has a digit (after spelling out): without one there is nothing to
    # read, and the scans below (the costliest here) are skipped.
    readings: list[_Reading] = []
    money_context = False  # read only with readings, which need candidates
    lowered: str | None = None  # ``work.lower()`` of ASCII ``work``, once known
    if digit and (asked or message is None or not _unpriced(message)):
        # On ASCII text the patterns run case-sensitively over the text lowered (see ``Folded``).
        if message is not None:
            lowered = message.lowered
        elif work.isascii():
            lowered = work.lower()
        cands = find_candidates(work, lowered)
        if cands:
            money_context = _money_context(work, message)
            usable = [_usable(c, work, lowered, asked, money_context) for c in cands]
            readings = _readings(work, lowered, cands, usable, asked or money_context)
    if readings:
        best = max(readings, key=lambda r: r.score)
        budget = best.budget
        if budget.period is None and (period := stated_period(work, lowered)) is not None:
            # A period stated elsewhere ("monthly budget ... 5k") when the figure had none.
            budget = Budget(budget.amount, budget.min, budget.max, budget.currency, period)
        conf = _confidence(best, asked, money_context)
        return Extracted(budget, conf, rw.span(best.start, best.end))
    if m := _no_budget(work, message):
        return Extracted(Budget(amount=0.0), 0.85, rw.span(m.start(), m.end()))
    return None
