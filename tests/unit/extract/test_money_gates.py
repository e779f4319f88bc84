"""The cheap gates of budget, company size and timeline's vague readings agree with the scans."""

from __future__ import annotations

import random

import pytest

from bot.extract import budget, company_size, timevague
from bot.extract.folded import Folded, begin_message, current_message, end_message
from bot.extract.money import PHONE_LIKE

_SAMPLES = [
    "hi there",
    "we have 100k",
    "call me on +44 20 7946 0958",
    "(555) 123-4567 or 555.123.4567",
    "0171 2345678",
    "01234567890",
    "someone said ten grand",
    "often, money is tight",
    "it's me and my cofounder",
    "just me, a solo freelancer",
    "no rush at all, just browsing",
    "we need it asap",
    "Ünïcode 2026 and 300 000",
]


def test_phone_like_never_skips_a_phone_number() -> None:
    rng = random.Random(5)
    texts = _SAMPLES + [
        "".join(rng.choice("0123456789 ()-.+x") for _ in range(rng.randint(4, 20)))
        for _ in range(20_000)
    ]
    for text in texts:
        if PHONE_LIKE.search(text) is not None:
            assert budget._phone_like(text), text


@pytest.mark.parametrize("text", _SAMPLES)
def test_figure_hint_matches_the_pattern(text: str) -> None:
    expected = budget._FIGURE_HINT.exact.search(text) is not None
    begin_message(text)
    try:
        assert budget._figure_hint(text) is expected
    finally:
        end_message()
    assert budget._figure_hint(text) is expected  # without a prepared message


@pytest.mark.parametrize("text", _SAMPLES)
def test_duo_solo_gate_is_sound(text: str) -> None:
    begin_message(text)
    try:
        message = current_message(text)
        if message is not None and message.heads.isdisjoint(company_size._DUO_SOLO_GATE):
            assert company_size.DUO.search(text) is None
            assert company_size.SOLO.search(text) is None
    finally:
        end_message()


@pytest.mark.parametrize("text", _SAMPLES)
def test_vague_check_tokens_are_sound(text: str) -> None:
    begin_message(text)
    try:
        message = current_message(text)
        for check in timevague._GATED_CHECKS:
            folded, tokens = check[0], check[5]
            if message is not None and message.heads.isdisjoint(tokens):
                assert folded.exact.search(text) is None
    finally:
        end_message()


@pytest.mark.parametrize(
    ("folded", "longest"),
    [
        (budget._MIN_LEFT, budget._MIN_LEFT_LONGEST),
        (budget._APPROX_LEFT, budget._APPROX_LEFT_LONGEST),
    ],
)
def test_left_scans_from_the_end_find_the_same_match(folded: Folded, longest: int) -> None:
    # ``_single`` scans MIN_LEFT and APPROX_LEFT from ``longest`` before ``left``'s trailing
    # whitespace: the same match as a scan from 0, on words that match and on near misses.
    rng = random.Random(7)
    words = [
        "at least",
        "not less than",
        "in the region of",
        "approx.",
        "ca.",
        "min.",
        "~",
        "starting from",
        "something like",
        "unlike",
        "nearly",
        "from",
        "of",
        "x",
        "the",
    ]
    for _ in range(20_000):
        left = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        left = left[-40:] + rng.choice(["", " ", "  ", "\t", " \n"])
        body = len(left.rstrip())
        start = body - longest if body > longest else 0
        whole, short = folded.fast.search(left), folded.fast.search(left, start)
        assert (whole and whole.span()) == (short and short.span()), left
