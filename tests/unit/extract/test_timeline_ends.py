"""The timeline's string tests before its scans say no only where the scans find nothing.

The endings of the modifier words (``timeline._bare`` and ``*_ENDS``) and the month-and-day
``near`` tests (``timerules``) refuse texts before a scan, and an anchored rule starts its scan
at its first match: each is compared with the scan it shortcuts, and the extractor's answers
with the path without the refusals, at month, quarter and year ends.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.extract import timegates, timeline
from bot.extract.folded import Folded
from bot.extract.timegates import RULE_TESTS
from bot.extract.timerules import RULES
from bot.extract.timewords import AFTER, DEADLINE, FROM, PART, PAST
from tests.unit.extract.pieces import alone_and_prepared, joined_texts

_MODIFIERS = [
    (timeline._PAST, timeline._PAST_ENDS, PAST),
    (timeline._PART, timeline._PART_ENDS, PART),
    (timeline._DEADLINE, timeline._DEADLINE_ENDS, DEADLINE),
    (timeline._AFTER, timeline._AFTER_ENDS, AFTER),
    (timeline._FROM, timeline._FROM_ENDS, FROM),
]
_TAILS = [" ", "  ", "\n", "\t", "-", " - ", "\x1c", "the", "The", ":", "x", "not", "by"]


def _left_texts(pattern: re.Pattern[str], seed: int) -> list[str]:
    """Texts of ``pattern``'s words and what may follow them, in random order and case."""
    words = re.findall(r"[^\W_]+", pattern.pattern.replace(r"\b", " "))
    rng = random.Random(seed)
    texts = []
    for _ in range(6_000):
        parts = [
            rng.choice(words + _TAILS) + rng.choice(["", " "]) for _ in range(rng.randint(0, 6))
        ]
        texts.append("".join(p.upper() if rng.random() < 0.2 else p for p in parts))
    return texts


@pytest.mark.parametrize(("folded", "ends", "pattern"), _MODIFIERS)
def test_endings_refuse_only_texts_without_a_match(
    folded: Folded, ends: tuple[str, ...], pattern: re.Pattern[str]
) -> None:
    for text in _left_texts(pattern, 11):
        lowered = text.lower()
        found = timeline._find(folded, ends, text, lowered, timeline._bare(lowered))
        expected = pattern.search(text)
        assert (found and found.span()) == (expected and expected.span()), text


def test_deadline_with_dashes_is_deadline_search() -> None:
    for text in _left_texts(DEADLINE, 12):
        found, expected = timeline._deadline(text), DEADLINE.search(text)
        assert (found and found.span()) == (expected and expected.span()), text


_DAY_PIECES = [
    "3", "31st", "2nd", "22", "4th", "1", "the", "of", "March", "mar.", "sept", "September",
    "may", "Dec", "december", "jun", "marketing", "decides", "  ", "\t", ",", ".", "2027", "k",
]  # fmt: skip


def test_near_tests_are_sound() -> None:
    # A rule's ``near`` finds something in the lowered text wherever the rule matches.
    texts = joined_texts(_DAY_PIECES, 5, 20_000, 5)
    texts += ["".join(t.split()) for t in texts[:5_000]]  # pieces glued together
    for rule in RULES:
        if rule.near is None:
            continue
        for text in texts:
            if rule.pattern.search(text) is not None:
                assert rule.near.search(text.lower()) is not None, (rule.pattern.pattern, text)


_NOWS = [
    datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    datetime(2026, 1, 31, 23, 30, tzinfo=UTC),  # a month's end
    datetime(2026, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),  # a quarter's end
    datetime(2026, 6, 30, 0, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 12, 0, tzinfo=UTC),  # a year's end
    datetime(2027, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=9))),
]
_PIECES = [
    "by", "before", "until", "not", "end of", "the", "early", "late", "mid", "after", "from",
    "starting", "since", "last", "ago", "back in", "within", "deadline:", "-", "March", "3rd",
    "Q1", "q4", "2027", "next", "year", "month", "quarter", "Dec 31", "the 1st of January",
    "June", "in", "of", "video", "we need it", "$75k", "weeks", "2", "Friday", "fy27",
]  # fmt: skip


def _slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extractor without the ending and ``near`` tests: every modifier and rule scans."""
    for name in ("_PAST_ENDS", "_PART_ENDS", "_DEADLINE_ENDS", "_AFTER_ENDS", "_FROM_ENDS"):
        monkeypatch.setattr(timeline, name, ("",))
    monkeypatch.setattr(timegates, "_NEAR_TESTS", ())


@pytest.mark.parametrize("now", _NOWS)
def test_answers_are_the_scans_answers(now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = joined_texts(_PIECES, now.month, 600, 6)
    cases = [(text, asked) for text in texts for asked in (False, True)]
    fast = [alone_and_prepared(timeline.extract_timeline, t, now, a) for t, a in cases]
    _slow_path(monkeypatch)
    slow = [alone_and_prepared(timeline.extract_timeline, t, now, a) for t, a in cases]
    assert fast == slow
    assert sum(found is not None for found, _ in fast) > 300  # the texts do hold dates


_ANCHOR_PIECES = [
    "q1", "Q4", "q5", "quarter", "Quarter", "first", "fourth", "last", "next", "coming", "this",
    "of", "the", "fy", "2027", "'27", "year", "March", "mar.", "marketing", "may", "Sept", "jun",
    "december", "  ", "-", ",", "3rd",
]  # fmt: skip


def test_anchored_starts_are_the_first_matches() -> None:
    # A rule with an ``anchor`` starts its scan where its first match starts (-1: none).
    texts = joined_texts(_ANCHOR_PIECES, 9, 20_000, 5)
    texts += ["".join(t.split()) for t in texts[:5_000]]  # pieces glued together
    texts += ["so coming fourth quarter", "this 4th quarter", "next q2", "Coming Q3 of FY27"]
    anchored = [(rule, test) for rule, test in zip(RULES, RULE_TESTS, strict=True) if rule.anchor]
    assert len(anchored) == 1
    for rule, test in anchored:
        assert rule.anchor is not None
        for text in texts:
            first = rule.pattern.search(text)
            start = timeline._anchored_start(text.lower(), rule.anchor, rule.lead, test)
            assert start == (-1 if first is None else first.start()), (rule.pattern.pattern, text)
