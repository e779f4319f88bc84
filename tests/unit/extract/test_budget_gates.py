"""The cheap tests that let budget skip work agree with the scans they stand for."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from bot.extract import budget
from bot.extract.common import RAW_ATTRIBUTE
from bot.extract.folded import begin_message, end_message
from bot.extract.money import MAX_LEFT, MONEY_WORDS, NOT_MONEY_LEFT, find_candidates
from bot.extract.money_period import _ANY_MONTH, _ANY_YEAR, stated_period
from tests.unit.extract.pieces import joined_texts

_NOW = datetime(2026, 1, 20)
_PIECES = [
    "$", "5k", "40usd", "40 usd", "USD 40", "usd40", "rs.500", "Rs 500", "rs5000", "r$ 9", "20eur",
    "5 euros", "7bucks", "ten grand", "a grand", "fifty thousand", "1,500", "2,5k", "20-30k",
    "per month", "a year", "/mo", "/ yr", "3.5k/month", "monthly", "annually", "per annum",
    "budget", "spend", "pay", "pricing", "cost", "under", "over", "team of", "headcount of",
    "version", "v", "q", "Q", "#", "no.", "ext.", "page", "aged", "ranked", "March", "sept.",
    "5 /", "5/", "2026", "in", "3 months", "100 people", "hi", "thanks", "and", "to", "-", ".",
    "we have", "sorry, I meant", "about", "roughly", "or so", "tops", "\t", "\n", "  ",
    "something", "amount", "pounds", "yen", "quid", "moment", "year", "yrs",
]  # fmt: skip


def _texts(seed: int, count: int) -> list[str]:
    return joined_texts(_PIECES, seed, count, 7)


def test_unpriced_means_no_currency_and_no_money_word() -> None:
    for text in _texts(11, 20_000):
        message = begin_message(text)
        try:
            if message is None or not budget._unpriced(message):
                continue
            assert MONEY_WORDS.search(text) is None, text
            lowered = text.lower()
            assert all(c.currency is None for c in find_candidates(text)), text
            assert all(c.currency is None for c in find_candidates(text, lowered)), text
        finally:
            end_message()


def test_money_context_is_the_money_words() -> None:
    for text in _texts(12, 10_000):
        expected = MONEY_WORDS.search(text) is not None
        message = begin_message(text)
        try:
            assert budget._money_context(text, message) is expected, text
        finally:
            end_message()
        assert budget._money_context(text, None) is expected, text


def test_not_money_left_finds_what_the_scan_finds() -> None:
    for text in _texts(13, 20_000):
        left = text.lower()[-30:]
        expected = NOT_MONEY_LEFT.search(left) is not None
        assert budget._not_money_left(left, True) is expected, left
        assert budget._not_money_left(left, False) is expected, left


def test_max_left_ends_as_listed() -> None:
    words = [
        "under", "less than", "max of", "up to", "upto", "at the most", "capped at", "cap is",
        "not to exceed", "exceeding", "won't go past", "ceiling of", "<=", "<", "sub",
        "as much as", "stretching up to", "we won't spend more than", "never pay over",
        "nothing in excess of", "about", "~", "of", "we have", "budget", "the", "can't", "go",
    ]  # fmt: skip
    rng = random.Random(15)
    for _ in range(20_000):
        left = " ".join(rng.choice(words) for _ in range(rng.randint(1, 5)))[-40:]
        left += rng.choice(["", " ", "  ", "\t"])
        if MAX_LEFT.search(left) is not None:
            assert left.rstrip().endswith(budget._MAX_LEFT_ENDS), left


@pytest.mark.parametrize("text", ["5k a month", "60k/yr", "annual budget", "10 mos", "hi", "5"])
def test_stated_period_with_the_lowered_text(text: str) -> None:
    expected = "month" if _ANY_MONTH.search(text) else "year" if _ANY_YEAR.search(text) else None
    assert stated_period(text, text.lower()) == expected
    assert stated_period(text) == expected


def test_reads_the_same_with_and_without_the_message_under_way() -> None:
    # The message under way takes the gates above (heads, spelled-out text); a text alone takes
    # the figure hint and the full reading: both give the same budget.
    raw = getattr(budget.extract_budget, RAW_ATTRIBUTE)
    for text in [*_texts(14, 3_000), "hi there", "zero dollars", "ten grand", "no budget yet"]:
        for asked in (False, True):
            alone = raw(text, _NOW, asked)
            begin_message(text)
            try:
                assert raw(text, _NOW, asked) == alone, text
            finally:
                end_message()
