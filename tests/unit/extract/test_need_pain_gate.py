"""``need._PAIN_GATE``, the pain cues' word gate made of each alternative's, lets every cue by."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.extract import need
from bot.extract.branches import top_level_branches
from bot.extract.word_gates import word_gate, word_heads
from tests.unit.extract.pieces import alone_and_prepared, joined_texts

NOW = datetime(2026, 1, 5)

_PIECES = [
    "we need", "needs", "we'd like", "'d like", "it's huge", "'s huge", "x's slow", "they're bad",
    "tools", "too many", "too", "like this", "not", "not converting", "don't know which", "head",
    "headaches", "the head of", "(slow)", "-slow", "slowly", "spend 3 whole days", "spending hours",
    "can't", "cannot", "we want everything", "nobody", "no-one", "zero visibility", "piles up",
    "sign off", "i'm the vp", "of sales,", "budget", "need it by march", "need approval",
    "I'd rather not say", "stay under", "keep it within", "tons of", "so many of", "'", "_slow",
    "9slow", "é", ".", "!", "?", "\n", "  ",
]  # fmt: skip


def test_every_alternative_has_a_gate() -> None:
    alternatives = top_level_branches(need._PAIN_WORDS)
    assert len(alternatives) > 100
    assert "|".join(alternatives) == need._PAIN_WORDS
    for alternative in alternatives:
        assert word_gate(re.compile(rf"\b(?:{alternative})\b")) is not None, alternative


@pytest.mark.parametrize(
    ("text", "cue"),
    [("I'm the head of marketing", False), ("I'd rather not say", False),
     ("the headaches", True), ("not converting", True), ("too many tools", True)],
)  # fmt: skip
def test_gate_is_tighter_than_the_whole_patterns(text: str, cue: bool) -> None:
    heads = word_heads(text.lower())
    assert need._PAIN_CUE.may_match(heads)  # the whole pattern's gate lets these by
    assert (not need._PAIN_GATE.isdisjoint(heads)) is cue
    assert (need._PAIN_SCAN.search(text.lower()) is not None) is cue


def test_gate_lets_every_cue_by() -> None:
    texts = joined_texts(_PIECES, seed=7, count=4000, most=7)
    shut = 0
    for text in texts:
        lowered = text.lower()
        if not lowered.isascii():
            continue
        heads = word_heads(lowered)
        if need._PAIN_GATE.isdisjoint(heads):
            assert need._PAIN_SCAN.search(lowered) is None, text
            shut += need._PAIN_CUE.may_match(heads)
    assert shut > 50  # texts the old gate let by were shut


def test_answers_alike_alone_and_prepared() -> None:
    pieces = [*_PIECES, "We need it by March.", "Reporting is a joke!", "Hi.", "need approval?"]
    for text in joined_texts(pieces, seed=9, count=1500, most=6):
        for asked in (False, True):
            alone, prepared = alone_and_prepared(need.extract_need, text, NOW, asked)
            assert alone == prepared, text
