"""Accuracy floors over the corpora: ./corpus (written with the rules) and ./heldout (apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extract.accuracy import SlotScore, evaluate, report

HERE = Path(__file__).parent
SLOTS = ("budget", "timeline", "authority", "need", "contact", "company_size")
# ./corpus: the rules were written against it (100% when written), so its floors guard against
# regressions; expect lower accuracy on unseen phrasings (see docs/extractors.md).
# ./heldout: written apart from the rules. The first half of each slot was scored before any rule
# change (budget 95.0%, timeline 97.6%, authority 88.2%, need 86.4%, contact 92.2%, company size
# 87.0%) and the rules were then improved against its failures; the "_blind" files were scored
# once after that (79-100%). Its floors sit a few points below today's scores.
CORPORA = {
    "corpus": (
        {"budget": 0.97, "timeline": 0.97, "authority": 0.97, "need": 0.97, "contact": 0.95,
         "company_size": 0.95},
        {"budget": 300, "timeline": 300, "authority": 300, "need": 300, "contact": 60,
         "company_size": 60},
    ),
    "heldout": (
        {"budget": 0.95, "timeline": 0.95, "authority": 0.95, "need": 0.93, "contact": 0.93,
         "company_size": 0.93},
        {"budget": 150, "timeline": 150, "authority": 150, "need": 150, "contact": 50,
         "company_size": 50},
    ),
}


@pytest.fixture(scope="module", params=sorted(CORPORA))
def corpus(request: pytest.FixtureRequest) -> tuple[str, dict[str, SlotScore]]:
    result = evaluate(HERE / request.param)
    print(f"\n{request.param}:\n" + report(result))
    return request.param, result


@pytest.mark.parametrize("slot", SLOTS)
def test_accuracy_floor(corpus: tuple[str, dict[str, SlotScore]], slot: str) -> None:
    name, scores = corpus
    floors, min_cases = CORPORA[name]
    score = scores[slot]
    assert score.total >= min_cases[slot]
    shown = "\n".join(score.failures[:40])
    assert score.accuracy >= floors[slot], f"{name} {slot}: {score.accuracy:.1%}\n{shown}"
