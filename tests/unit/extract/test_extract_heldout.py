"""Accuracy floors over the held-out corpora in ./heldout, written apart from the rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.extract import EXTRACTORS
from bot.extract.accuracy import SlotScore, evaluate, report

HELDOUT = Path(__file__).parent / "heldout"
# Scores when the floors were set (docs/extractors.md): budget 99.6%, timeline 100%, authority
# 100%, need 98.5%, contact 100%, company size 100%. The first half of each file's slot was
# scored before any rule change and the rules were then improved against its failures, so these
# figures flatter the extractors; the "_blind" files were scored once after the changes (79-100%
# then). The floors sit a few points below to catch regressions, not to claim accuracy.
FLOORS = {
    "budget": 0.95,
    "timeline": 0.95,
    "authority": 0.95,
    "need": 0.93,
    "contact": 0.93,
    "company_size": 0.93,
}
MIN_CASES = {"budget": 150, "timeline": 150, "authority": 150, "need": 150}


@pytest.fixture(scope="module")
def scores() -> dict[str, SlotScore]:
    result = evaluate(HELDOUT)
    print("\n" + report(result))
    return result


@pytest.mark.parametrize("slot", sorted(FLOORS))
def test_heldout_accuracy_floor(scores: dict[str, SlotScore], slot: str) -> None:
    score = scores[slot]
    assert score.total >= MIN_CASES.get(slot, 50)
    shown = "\n".join(score.failures[:40])
    assert score.accuracy >= FLOORS[slot], f"{slot}: {score.accuracy:.1%}\n{shown}"


def test_brief_phrases_read_as_documented() -> None:
    """The product brief's own example, every slot at once."""
    now = datetime(2026, 1, 20, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    text = "I'm the COO, we have $75k and need it before March"
    budget = EXTRACTORS["budget"](text, now)
    timeline = EXTRACTORS["timeline"](text, now)
    authority = EXTRACTORS["authority"](text, now)
    assert budget is not None
    assert timeline is not None
    assert authority is not None
    assert (budget.value.amount, budget.value.currency) == (75000, "USD")
    assert (authority.value.level, authority.value.title) == ("decision_maker", "COO")
    # "before March" is done by 1 March; "by March" includes March.
    assert timeline.value.end == datetime(2026, 3, 1, tzinfo=now.tzinfo)
    by_march = EXTRACTORS["timeline"]("by March", now)
    assert by_march is not None
    assert by_march.value.end == datetime(2026, 4, 1, tzinfo=now.tzinfo)
