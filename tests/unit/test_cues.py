"""The flow's cues tested together (bot/cues.py) agree with each cue tested alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cues import CueSet
from bot.extract.common import clean as clean_for_extractors
from bot.extract.folded import begin_message, end_message
from bot.understand import clean
from flows import load_flow

FLOW = load_flow()
CORPORA = Path(__file__).parent / "extract"
PHRASES = [
    "stop", "STOP!", "please stop messaging me", "unsubscribe me", "can I talk to a real person",
    "human please", "could someone call me", "start over", "let's start over", "help", "?",
    "what can you do?", "I'd rather not say", "can't share that", "that's confidential", "skip",
    "n/a", "sorry, it's 50k", "actually, we have 20 people", "not 10 but 20", "I mean 100k",
    "hi there", "thanks!", "hmmm", "ok", "Ünïcode stop", "we'd like something live by end of Q1",
]  # fmt: skip


def _texts() -> list[str]:
    texts = list(PHRASES)
    for path in sorted(CORPORA.glob("*/*.yaml")):
        texts += [str(case["text"]) for case in yaml.safe_load(path.read_text())["cases"]]
    return [clean(text) for text in texts]


@pytest.mark.parametrize("under_way", [True, False])
def test_cue_set_agrees_with_each_cue(under_way: bool) -> None:
    for text in _texts():
        expected = {name for name, cue in FLOW.cues.items() if cue(text)}
        if under_way:
            begin_message(clean_for_extractors(text))
        try:
            assert FLOW.cue_set.found(text) == expected, text
        finally:
            end_message()


def test_an_intent_with_numbered_groups_or_no_patterns_is_still_answered() -> None:
    patterns = {"echo": [r"(\w+) \1"], "none": [], "upper": [r"Stop"]}
    cues = {"echo": lambda t: "go go" in t, "none": lambda t: False, "upper": lambda t: "x" in t}
    cue_set = CueSet(patterns, cues)
    begin_message("go go x")
    try:
        assert cue_set.found("go go x") == {"echo", "upper"}
    finally:
        end_message()
