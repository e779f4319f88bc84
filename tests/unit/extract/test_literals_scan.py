"""One-scan literal tests, the prepared message and clamp01's table agree with the definitions."""

from __future__ import annotations

import re

import pytest

from bot.extract.common import clamp01
from bot.extract.folded import Message
from bot.extract.prefilter import Literals
from bot.extract.word_gates import word_heads

TEXTS = (
    "",
    "hi there",
    "we need it before march, 50k (or so)",
    "i'm the vp of sales.\tcall me",
    "a+b c.d [x] $5 ^_^ what?",
    "no digits_here but under_scores",
)


@pytest.mark.parametrize(
    "strings",
    [
        frozenset(),
        frozenset({"need"}),
        frozenset({"need", "march", "vp of", "a+b", "[x]", "$5", "^_^", "what?"}),
        frozenset({"", "zzz"}),
    ],
)
def test_present_is_a_substring_test_of_any_string(strings: frozenset[str]) -> None:
    literals = Literals(strings)
    for text in TEXTS:
        assert literals.present(text) == any(s in text for s in strings), text
        found = literals.search(text)
        assert (found is not None) == any(s in text for s in strings), text
        assert found is None or found.group() in strings


@pytest.mark.parametrize("text", TEXTS)
def test_word_heads_digit_token_and_prefixes(text: str) -> None:
    heads = word_heads(text)
    assert (b"#" in heads) == any(c.isdigit() for c in text)
    for word in re.findall("[a-z0-9_]+", text):
        assert {word.encode(), *(word[:n].encode() for n in range(1, 5))} <= heads


@pytest.mark.parametrize("text", TEXTS)
def test_message_printable_is_that_of_its_lowered_text(text: str) -> None:
    message = Message(text)
    assert message.printable == message.lowered.isprintable()


@pytest.mark.parametrize(
    "value", [0.0, -0.0, 0.85, 0.75 + 0.1, 0.5 + 0.15, 1.0, 1.5, -2.0, 0.123, 0.855, 1, 0, True]
)
def test_clamp01_table_agrees_with_rounding(value: float) -> None:
    expected = round(max(0.0, min(1.0, value)), 2)
    got = clamp01(value)
    assert got == expected
    assert type(got) is type(expected)
    assert str(got) == str(expected)  # -0.0 and 0.0 told apart
