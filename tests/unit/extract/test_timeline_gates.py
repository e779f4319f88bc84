"""The timeline's one-pass word-set tests answer as the set tests they replace."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.extract import timegates, timevague
from bot.extract.folded import Message
from bot.extract.timerules import RULES
from bot.extract.timewords import ASAP, ASAP_HEADS, ASAP_SPELLED
from bot.extract.word_gates import word_heads

_NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
_SAMPLES = [
    "hi there",
    "no",
    "Our SDRs spend half their day chasing leads that never buy",
    "we'd like something live by end of Q1",
    "I'm the COO, we have $75k and need it before March",
    "within 3 months",
    "next quarter",
    "just browsing really",
    "sorry, I meant 100k",
    "I recommend tools to my boss, she decides",
    "I'd rather not say",
    "the day after tomorrow works",
    "by EOD today",
    "this is the week we decide, end of the month at the latest",
    "within the next fortnight",
    "over the coming year",
    "this fiscal year or next fy",
    "year-end, or the week end",
    "not sure, no rush, maybe later this year",
    "ASAP, we need it right now",
    "in 2 weeks, or 3days from now",
    "h2 2027 or the second half of the year",
    "we'll see, it depends, whenever",
    "Canadays and sundays",
    "today-ish, tonight or tmrw",
    "eom eoq eoy eow",
]


@pytest.mark.parametrize("text", _SAMPLES)
@pytest.mark.parametrize("asked", [False, True])
def test_flags_answer_as_the_set_tests(text: str, asked: bool) -> None:
    message = Message(text)
    flags = timegates.head_flags(message.heads)
    assert timegates.rules_of_flags(message.lowered, flags, asked) == timegates.rules_for(
        message.lowered, message.heads, asked
    )
    gated = flags >> timegates.VAGUE_SHIFT
    assert gated == timevague.gate_bits(message.heads)
    with_bits = timevague.vague(text, _NOW, asked, message, gated)
    without = timevague.vague(text, _NOW, asked, None)  # no heads: no gate skips a check
    assert _plain(with_bits) == _plain(without)


def _plain(found: tuple[object, float, re.Match[str]] | None) -> object:
    return None if found is None else (*found[:2], found[2].span(), found[2].group())


@pytest.mark.parametrize("text", _SAMPLES)
def test_rule_heads_are_sound(text: str) -> None:
    # A rule's ``heads``: the message holds one wherever the rule matches.
    heads = word_heads(text.lower())
    for rule in RULES:
        if rule.heads is not None and rule.pattern.search(text) is not None:
            assert not rule.heads.isdisjoint(heads), (rule.pattern.pattern, text)


@pytest.mark.parametrize(
    "text",
    [
        *_SAMPLES,
        "a.s.a.p. please",
        "A.S.A.P",
        "as soon as possible",
        "right away, straight away",
        "immediately, urgently, urgency",
        "at once, pronto",
        "the sooner the better",
        "we needed it yesterday",
        "top priority, like now, this instant",
        "time-sensitive, can't wait, cant wait",
        "we want to get this going right now",
    ],
)
def test_asap_heads_are_sound(text: str) -> None:
    # Every ASAP match has a word starting with one of ASAP_HEADS, or "a.s.a.p".
    if ASAP.search(text) is not None:
        lowered = text.lower()
        heads = word_heads(lowered)
        assert not ASAP_HEADS.isdisjoint(heads) or any(s in lowered for s in ASAP_SPELLED)
