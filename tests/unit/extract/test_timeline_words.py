"""``timegates`` reuses ``Message.words`` for its whole-word tests: the same words, same plans."""

from __future__ import annotations

import pytest

from bot.extract import timegates
from bot.extract.folded import Message

_TEXTS = [
    "by end of March",
    "Q1 2027 or next year",
    "in 3 Months, maybe the 4th of July",
    "Within\tthe next WEEK\x07, fiscal_year",
    "spring-summer; Dec 3rd; decides",
    "next fy? mid-quarter end",
    "no",
    "during the month of may 5",
    "x" * 30 + " end of the week",
]


@pytest.mark.parametrize("text", _TEXTS)
def test_message_words_are_the_split_words(text: str) -> None:
    lowered = text.lower()
    split = lowered.encode("ascii").translate(timegates._TO_WORDS).split()
    assert Message(text).words == split


@pytest.mark.parametrize("text", _TEXTS)
@pytest.mark.parametrize("asked", [False, True])
def test_plan_with_message_words_matches_split(text: str, asked: bool) -> None:
    message = Message(text)
    flags = timegates.head_flags(message.heads)
    slow = timegates.rules_of_flags(message.lowered, flags, asked)
    fast = timegates.rules_of_flags(message.lowered, flags, asked, message.words)
    assert fast == slow
    every = (1 << len(timegates.RULES)) - 1
    assert timegates._narrowed(every, message.lowered, message.words) == timegates._narrowed(
        every, message.lowered
    )
