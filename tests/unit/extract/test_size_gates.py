"""Company size's cheap test of a bare answer agrees with the pattern it stands for."""

from __future__ import annotations

import random

import pytest

from bot.extract import company_size
from bot.extract.folded import begin_message, end_message

_PIECES = [
    "we're", "about", "around", "roughly", "~", "over", "under", "50", "50k", "5K", "1,200",
    "50-200", "10 to 20", "+", " +", "ish", "-ish", "or so", "in total", "all in", "worldwide",
    "right now", "give or take", "at the moment", "atm", "i think", "approx", "approximately",
    ".", "!", "  ", "\n", "people", "a year", "hmm", "ok", "mid-size,", "startup",
]  # fmt: skip


def _same(text: str) -> None:
    expected = company_size.BARE.match(text)
    message = begin_message(text)
    try:
        got = company_size._bare(text, message)
    finally:
        end_message()
    assert (got and (got.span(), company_size._size(got))) == (
        expected and (expected.span(), company_size._size(expected))
    ), text


@pytest.mark.parametrize(
    "text",
    ["50", "about 50.", "50 .", "50+!", "500 worldwide", "~40ish", "10 to 20 or so", "5K", "hi"],
)
def test_bare_answers(text: str) -> None:
    _same(text)


def test_bare_agrees_with_the_pattern() -> None:
    rng = random.Random(21)
    for _ in range(20_000):
        _same(" ".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5))))


def test_duo_gate_is_sound() -> None:
    words = [
        "me", "i", "myself", "and", "&", "plus", "my", "our", "a", "co-founder", "cofounder",
        "coo", "co", "founder", "partner", "3", "others", "people", "it's", "just", "could",
    ]  # fmt: skip
    rng = random.Random(22)
    for _ in range(20_000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 6)))
        message = begin_message(text)
        try:
            if message is not None and message.heads.isdisjoint(company_size._DUO_GATE):
                assert company_size.DUO.search(text) is None, text
        finally:
            end_message()
