"""Budget's shortcuts of the tenth round agree with the scans they replace."""

from __future__ import annotations

import re

import pytest

from bot.extract import budget, money, money_period
from bot.extract.folded import begin_message, current_message, end_message
from bot.extract.money import LOWERED_RULES, RULES, Candidate, find_candidates
from bot.extract.numbers import MULTIPLIERS, parse_number
from tests.unit.extract.pieces import joined_texts

# Words read right after a figure: bounds, periods, "ish", counts, and near misses.
_RIGHT_WORDS = [
    "+", "plus", "or more", "or above", "and up", "and beyond", "minimum", "min", "at least",
    "upwards", "max", "maximum", "tops", "at most", "or less", "and under", "cap", "hard cap",
    "ceiling", "limit", "absolute max", "is our max", "'s the most", "would be my ceiling",
    "/mo", "/ month", "per seat", "a month", "a year", "monthly", "annually", "yearly", "ish",
    "-ish", "or so", "give or take", "ballpark", "roughly", "people", "users", "%", "pm", "p.m",
    "per annum", "pa", "p/m", "pcm", "MRR", "Month", "YEAR", "Max", "PLUS", "usd", "total",
    "budget", ",", "for the whole month", "each year", "of", "the", "m", "x", "\t", "mins",
]  # fmt: skip


def _right_texts() -> list[str]:
    texts = joined_texts(_RIGHT_WORDS, seed=10, count=6_000, most=4)
    return [" " + t for t in texts[::2]] + texts[1::2] + [""]


def _sequential(rules: money.Rules, right: str) -> tuple[str, int] | None:
    """What ``_single`` read before ``bound``: MIN_RIGHT, else MAX_RIGHT, else APPROX_RIGHT."""
    for kind, pattern in (("min", rules.min), ("max", rules.max), ("approx", rules.approx)):
        if m := pattern.match(right):
            return kind, m.end()
    return None


@pytest.mark.parametrize("lowered", [False, True])
def test_bound_is_min_else_max_else_approx(lowered: bool) -> None:
    rules = LOWERED_RULES if lowered else RULES
    for text in _right_texts():
        right = text.lower() if lowered else text
        m = rules.bound.match(right)
        got = None if m is None else (m.lastgroup or "approx", m.end())
        assert got == _sequential(rules, right), right


def _spans_and_groups(m: re.Match[str] | None) -> object:
    return None if m is None else (m.span(), [m.span(g) for g in range(1, m.re.groups + 1)])


@pytest.mark.parametrize(
    ("exact", "twin"),
    [
        *zip(RULES, LOWERED_RULES, strict=True),
        *zip(money_period._RIGHT, money_period._LOWERED_RIGHT, strict=True),
    ],
)
def test_lowered_twins_match_where_the_patterns_do(
    exact: re.Pattern[str], twin: re.Pattern[str]
) -> None:
    # The twins are compiled by ``scan_pattern`` (alternatives grouped by first letter): on
    # ASCII text lowered, the same spans and groups as the case-insensitive pattern.
    assert twin.pattern != exact.pattern or twin.flags != exact.flags
    for text in _right_texts():
        assert _spans_and_groups(twin.match(text.lower())) == _spans_and_groups(
            exact.match(text)
        ), text


def test_period_of_reads_the_same_with_the_month_gate() -> None:
    # The "m" gate runs on lowered text only; the text as written takes the exact patterns.
    for right in _right_texts():
        for left in ("", "monthly budget ", "annual: ", "per year we pay "):
            text = f"{left}5k{right}"
            start = len(left)
            expected = money_period.period_of(text, start, start + 2)
            assert money_period.period_of(text, start, start + 2, text.lower()) == expected, text


def test_every_month_reading_holds_an_m() -> None:
    month = money_period._LOWERED_RIGHT[0]
    for text in _right_texts():
        if m := month.match(text.lower()):
            assert "m" in m.group(), text


# Phrases of NO_BUDGET and near misses, with a tab and a newline (not printable: no gate).
# "budget is zero", "haven't allocated anything", "nothing allocated", "unfunded" and "broke"
# each hold one key of ``_no_budget``'s gate alone: a key left out of it fails the test.
_NO_BUDGET_WORDS = [
    "no budget", "nobudget", "zero budget", "we don't have a budget", "haven't set a budget",
    "nothing allocated", "nothing's been earmarked", "not yet funded", "unbudgeted", "unfunded",
    "budget is zero", "budget = $0", "haven't allocated anything", "no money for", "no cash yet",
    "budget hasn't been approved", "no $", "broke", "NO BUDGET", "Broke", "have\tnot", "no\ncash",
    "know", "now", "hey", "we have 50k", "budget", "the", "I'd rather not say", "no", "have",
    "Unfunded", "havent allocated any", "$0", "funding", "cash", "money", "set aside",
]  # fmt: skip


def test_no_budget_gate_finds_what_the_search_finds() -> None:
    texts = joined_texts(_NO_BUDGET_WORDS, seed=11, count=6_000, most=4) + _NO_BUDGET_WORDS
    for text in texts:
        expected = money.NO_BUDGET.search(text)
        begin_message(text)
        try:
            got = budget._no_budget(text, current_message(text))
        finally:
            end_message()
        assert (got and got.span()) == (expected and expected.span()), text
        assert budget._no_budget(text, None) is not None or expected is None


_FIGURES = [
    "5k", "5 K", "2MM", "3 Lakhs", "1 crore", "2 bn", "$40k", "€ 3,5 Mil", "40.000 EUR",
    "1,00,000 rs", "7 grand", "9 THOUSAND", "12 Mn", "2026", "50", "1'000 CHF", "rs. 500",
    "USD 10 Billion", "about", "a year", "between", "and", "-", "to",
]  # fmt: skip


def _reference(text: str, lowered: str | None) -> list[tuple[object, ...]]:
    """``find_candidates`` as it was: the match's parts read one by one, ``Candidate(...)``."""
    out: list[tuple[object, ...]] = []
    for c in find_candidates(text, lowered):
        src = text if lowered is None else lowered
        m = money._MONEY_NEAR_LOWERED.match(src, c.start) if lowered else None
        m = m or money._MONEY_NEAR.match(text, c.start)
        assert m is not None
        assert m.start("at") == c.start
        num = m.group("num")
        value = parse_number(num)
        assert value is not None
        mult = text[m.start("mult") : m.end("mult")] if m.start("mult") >= 0 else None
        if mult:
            value *= MULTIPLIERS.get(mult, MULTIPLIERS.get(mult.lower(), 1.0))
        out.append((c.start, value, mult))
    return out


def test_candidates_are_candidates_with_their_multipliers() -> None:
    for text in joined_texts(_FIGURES, seed=12, count=3_000, most=4):
        for lowered in (None, text.lower() if text.isascii() else None):
            cands = find_candidates(text, lowered)
            assert all(type(c) is Candidate and len(c) == 6 for c in cands)
            assert [(c.start, c.value, c.mult) for c in cands] == _reference(text, lowered)
