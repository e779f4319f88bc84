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


def _word_rules_by_sets(words: list[bytes]) -> int:
    """The tests ``word_rules`` replaced: one ``isdisjoint`` per rule with a word test."""
    rules = (1 << len(timegates.RULES)) - 1
    for i, rule in enumerate(timegates.RULES):
        if rule.words and rule.words.isdisjoint(words):
            rules &= ~(1 << i)
    return rules


@pytest.mark.parametrize(
    "text",
    [
        *_TEXTS,
        "",
        "hello there",
        "march march",  # a word twice
        "spring fall week within during end fortnight fiscal fy quarter month year",
        "weeks months years marching decembers",  # near misses: no whole word
        "Sept 3, oct. 4th - the 5th of june",
    ],
)
def test_word_rules_match_isdisjoint_tests(text: str) -> None:
    words = Message(text).words
    assert timegates.word_rules(words) == _word_rules_by_sets(words)
