"""Budget extractor: amounts, ranges and bounds of money, with currency and period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.extract.common import clamp01, guarded
from bot.extract.folded import Folded
from bot.extract.money import (
    APPROX_LEFT,
    APPROX_RIGHT,
    MAX_LEFT,
    MAX_RIGHT,
    MIN_LEFT,
    MIN_RIGHT,
    MONEY_WORDS,
    NO_BUDGET,
    NO_BUDGET_ASKED,
    NOT_MONEY_LEFT,
    NOT_MONEY_RIGHT,
    PHONE_LIKE,
    RANGE_JOIN,
    TIME_RIGHT,
    YEAR_PREP,
    Candidate,
    find_candidates,
    period_of,
)
from bot.extract.numbers import MULTIPLIERS, spell_out_digits
from bot.extract.types import Budget, Extracted

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
_NO_BUDGET = Folded(NO_BUDGET)
# Searched around every figure (in the 30 characters left of it) or in every message with a
# digit: case-insensitive scans of up to 10 µs each, which most texts lack the literals of.
# ``Folded.search`` is ``exact.search`` with the same match.
_NOT_MONEY_LEFT, _YEAR_PREP, _MONEY_WORDS = map(Folded, (NOT_MONEY_LEFT, YEAR_PREP, MONEY_WORDS))
_MAX_LEFT, _MIN_LEFT, _APPROX_LEFT = map(Folded, (MAX_LEFT, MIN_LEFT, APPROX_LEFT))
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class _Reading:
    """One interpretation of a money mention: a figure, a range, or a bound."""

    budget: Budget
    start: int
    end: int
    score: float


def _usable(
    c: Candidate, text: str, asked: bool, money_context: bool, in_range: bool = False
) -> bool:
    """Whether a figure can be money here: not a year, time, head count, percentage or date."""
    left, right = text[max(0, c.start - 30) : c.start], text[c.end : c.end + 30]
    if c.currency is None and (NOT_MONEY_RIGHT.match(right) or _NOT_MONEY_LEFT.search(left)):
        return False
    if c.mult is None and TIME_RIGHT.match(right):
        return False
    if c.currency is None and c.mult is None:
        if c.value < 10 and not in_range:
            return False  # "2 brands", "(1)": single digits are counts, not money
        if c.plain_year:
            near_money = _MONEY_WORDS.search(left) is not None
            recent = 2020 <= c.value <= 2040  # "around 2030" is a year, "around 2000" may be cash
            if _YEAR_PREP.search(left) or not (asked or near_money) or (recent and not near_money):
                return False
    if c.value <= 0 and c.currency is None:
        return False
    return in_range or c.currency is not None or asked or money_context


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
    text: str, cands: list[Candidate], ok: list[bool], ok_in_range: list[bool], cued: bool
) -> list[_Reading]:
    readings: list[_Reading] = []
    skip: set[int] = set()
    for i, c in enumerate(cands):
        if i in skip or not ok_in_range[i]:
            continue
        nxt = cands[i + 1] if i + 1 < len(cands) else None
        join = RANGE_JOIN.fullmatch(text[c.end : nxt.start]) if nxt else None
        left = text[max(0, c.start - 40) : c.start]
        currency = c.currency
        has_cue = cued or c.currency is not None or (nxt is not None and nxt.currency is not None)
        counted = c.currency is None and c.mult is None and join and join.group("word") != "and"
        if nxt is not None and counted and not ok_in_range[i + 1]:
            continue  # "50-200 people": the low end of a head count is not money either
        if nxt is not None and join and ok_in_range[i + 1] and has_cue:
            between = join.group("word") != "and" or left.rstrip().lower().endswith("between")
            if between:
                skip.add(i + 1)
                low = _scale_low(c.value, nxt.value, c.mult is not None, nxt.mult)
                currency = currency or nxt.currency
                period = period_of(text, c.start, nxt.end)
                lo, hi = min(low, nxt.value), max(low, nxt.value)
                score = 3.0 + (currency is not None) * 2 + (nxt.mult is not None)
                readings.append(
                    _Reading(Budget(None, lo, hi, currency, period), c.start, nxt.end, score)
                )
                continue
        if ok[i]:
            readings.append(_single(text, c, left))
    return readings


def _single(text: str, c: Candidate, left: str) -> _Reading:
    right = text[c.end : c.end + 30]
    period = period_of(text, c.start, c.end)
    start, end = c.start, c.end
    score = 1.0 + (c.currency is not None) * 2 + (c.mult is not None)
    if m := MIN_RIGHT.match(right):
        budget = Budget(None, c.value, None, c.currency, period)
        end += m.end()
    elif m := MAX_RIGHT.match(right):
        budget = Budget(None, None, c.value, c.currency, period)
        end += m.end()
    elif m := _MAX_LEFT.search(left):
        budget = Budget(None, None, c.value, c.currency, period)
        start -= len(left) - m.start()
    elif m := _MIN_LEFT.search(left):
        budget = Budget(None, c.value, None, c.currency, period)
        start -= len(left) - m.start()
    else:
        budget = Budget(c.value, None, None, c.currency, period)
        score -= 0.2 * bool(_APPROX_LEFT.search(left) or APPROX_RIGHT.match(right))
    return _Reading(budget, start, end, score)


def _confidence(r: _Reading, asked: bool, money_context: bool) -> float:
    b = r.budget
    conf = 0.6 if asked else 0.5
    conf += 0.25 if b.currency else 0.0
    conf += 0.1 if money_context else 0.0
    conf += 0.05 if b.period else 0.0
    return clamp01(conf + 0.05 * (r.score > 2))


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
    if not _FIGURE_HINT.found(text):
        m = _NO_BUDGET.search(text)
        return Extracted(Budget(amount=0.0), 0.85, m.group()) if m else None
    masked = PHONE_LIKE.sub(lambda m: "#" * len(m.group()), text)
    rw = spell_out_digits(masked)
    work = rw.text
    # Every money figure has a digit (after spelling out): without one there is nothing to
    # read, and the two scans below (the costliest here) are skipped.
    readings: list[_Reading] = []
    if _DIGIT.search(work) is not None:
        money_context = _MONEY_WORDS.search(work) is not None
        cands = find_candidates(work)
        ok = [_usable(c, work, asked, money_context) for c in cands]
        in_range = [_usable(c, work, asked, money_context, True) for c in cands]
        readings = _readings(work, cands, ok, in_range, asked or money_context)
    if readings:
        best = max(readings, key=lambda r: r.score)
        budget = best.budget
        if budget.period is None:
            budget = _period_anywhere(work, budget)
        conf = _confidence(best, asked, money_context)
        return Extracted(budget, conf, rw.span(best.start, best.end))
    if m := _NO_BUDGET.search(work):
        return Extracted(Budget(amount=0.0), 0.85, rw.span(m.start(), m.end()))
    return None


def _period_anywhere(text: str, budget: Budget) -> Budget:
    """Use a period stated elsewhere ("monthly budget ... 5k") when the figure had none."""
    found = period_of(text, 0, len(text), anywhere=True)
    if found is None:
        return budget
    return Budget(budget.amount, budget.min, budget.max, budget.currency, found)
