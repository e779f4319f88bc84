"""Accuracy floors over the hand-written corpora in ./corpus (see bot/extract/accuracy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extract.accuracy import SlotScore, evaluate, report

CORPUS = Path(__file__).parent / "corpus"
# The rules were written against these corpora (100% when written), so the floors guard against
# regressions; expect lower accuracy on unseen phrasings (see docs/extractors.md).
FLOORS = {
    "budget": 0.97,
    "timeline": 0.97,
    "authority": 0.97,
    "need": 0.97,
    "contact": 0.95,
    "company_size": 0.95,
}
MIN_CASES = {"budget": 300, "timeline": 300, "authority": 300, "need": 300}


@pytest.fixture(scope="module")
def scores() -> dict[str, SlotScore]:
    result = evaluate(CORPUS)
    print("\n" + report(result))
    return result


@pytest.mark.parametrize("slot", sorted(FLOORS))
def test_accuracy_floor(scores: dict[str, SlotScore], slot: str) -> None:
    score = scores[slot]
    assert score.total >= MIN_CASES.get(slot, 60)
    shown = "\n".join(score.failures[:40])
    assert score.accuracy >= FLOORS[slot], f"{slot}: {score.accuracy:.1%}\n{shown}"
