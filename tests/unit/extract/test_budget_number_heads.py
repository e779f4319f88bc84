"""Budget's number-word head test agrees with spelling out the message, and with the slow path."""

from __future__ import annotations

from datetime import datetime

from bot.extract import budget
from bot.extract.common import RAW_ATTRIBUTE
from bot.extract.folded import begin_message, end_message
from bot.extract.numbers import NUMBER_HEADS, _spell_out
from tests.unit.extract.pieces import alone_and_prepared, joined_texts

_NOW = datetime(2026, 1, 20)
# Number words and their look-alikes ("often", "someone", "tenant", "none", "thousands"), with
# figures, currencies and "no budget" phrases around them.
_PIECES = [
    "one", "someone", "none", "often", "tenant", "ten", "twenty", "fifty", "a", "an", "half",
    "a grand", "grand", "grandma", "hundred", "hundreds", "thousand", "thousands", "million",
    "a couple of", "couple", "few", "a few", "several", "dozen", "dozens", "seventeen", "nine",
    "ninety-nine", "two-hundred", "and", "of", "$", "5k", "per month", "a year", "budget",
    "no budget", "we don't have a budget", "not budgeted", "broke", "no $", "usd", "euros",
    "about", "under", "hi", "thanks", "-", ".", "  ", "Fifty", "TEN", "Thousand", "Q1",
    "3 months", "team of", "spend", "we have", "twelve", "eleven", "sixty", "fourty",
]  # fmt: skip
_RAW = getattr(budget.extract_budget, RAW_ATTRIBUTE)


def _texts(seed: int, count: int) -> list[str]:
    return joined_texts(_PIECES, seed, count, 6)


def test_no_number_head_means_nothing_spelled_out() -> None:
    for text in _texts(21, 20_000):
        message = begin_message(text)
        try:
            assert message is not None
            if message.heads.isdisjoint(NUMBER_HEADS):
                assert not _spell_out(text).edits, text
                assert not budget._spelled_figure(text), text
        finally:
            end_message()


def test_prepared_message_reads_as_the_figure_hint_path() -> None:
    # With the message prepared, budget tests digits and number words by the heads; without,
    # by ``_FIGURE_HINT`` and a digit scan: the same readings either way.
    for text in _texts(22, 6_000):
        for asked in (False, True):
            slow, fast = alone_and_prepared(_RAW, text, _NOW, asked)
            assert fast == slow, (text, asked)
