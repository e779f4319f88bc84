"""``need.blank_not_pain`` tries ``NOT_PAIN`` only where a match can start: same as ``subn``."""

from __future__ import annotations

import re
from typing import Any

from bot.extract import need
from bot.extract.regex_tree import codes, parse
from tests.unit.extract.pieces import joined_texts

_ZERO_WIDTH = (codes.AT, codes.ASSERT, codes.ASSERT_NOT)


def _openings(items: Any, width: int) -> set[tuple[str, bool]]:
    """(string, cut) pairs: every match of the parsed ``items`` starts with one of the strings.

    ``cut`` when the walk stopped knowing the next character there (a class, a repeat, or
    ``width`` reached): what follows the string is then unknown, not the rest of the items.
    """
    done = {("", False)}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is codes.LITERAL:
            parts = {(chr(av), False)}
        elif op is codes.SUBPATTERN:
            parts = _openings(av[-1], width)
        elif op is codes.BRANCH:
            parts = set().union(*(_openings(branch, width) for branch in av[1]))
        else:
            parts = {("", True)}  # a class, a repeat: the opening ends here (sound)
        done = {
            (a, True) if cut else ((a + b)[:width], more or len(a + b) >= width)
            for a, cut in done
            for b, more in (parts if not cut else [("", True)])
        }
        if all(cut for _, cut in done):
            break
    return done


def test_every_match_starts_with_a_listed_string() -> None:
    openings = {s for s, _ in _openings(parse(re.compile(need._NOT_PAIN_PHRASES)), 8)}
    assert "do not " in openings  # the walk read the pattern
    for opening in openings:
        assert opening.startswith(need.NOT_PAIN_STARTS), opening


def test_the_walk_sees_a_missing_start() -> None:
    # The check above can fail: a pattern with an opening not in the list is caught.
    openings = {s for s, _ in _openings(parse(re.compile(r"\b(?:need it|stop (?:it|now))")), 8)}
    assert openings == {"need it", "stop it", "stop now"}
    assert not all(o.startswith(need.NOT_PAIN_STARTS) for o in openings)


_PIECES = [
    "we need it by march", "need approval", "I need to check with my boss",
    "we don't need anything", "undo not need anything", "outstay under", "keep it under 5k",
    "stay within", "no issues", "no issues with budget", "any issue with timing", "budget",
    "budgets", "no real problems",
    "not an issue", "without pain", "no need", "not really looking for", "looking for now",
    "can't spend", "cannot pay", "don't want to go above", "want to exceed", "trying to stay",
    "would like to spend", "have to pay", "planning to launch next week", "aimed to begin in q3",
    "hoping to start asap", "like this", "we need better reporting", "leads", "slow", ".", "!",
    "nono", "don", "do n", "can", "want", "need needs need it needs it", "without", "anyway",
]  # fmt: skip


def test_blanks_as_subn_does() -> None:
    texts = joined_texts(_PIECES, seed=11, count=3000, most=6)
    texts += ["", "need it", "need it by", "budgetbudget", "no need no need", "x" * 40]
    found = 0
    for text in texts:
        lowered = text.lower()
        expected = need._NOT_PAIN.fast.subn(" ", lowered)
        assert need.blank_not_pain(lowered) == expected, text
        found += expected[1] > 1
    assert found > 100  # adjacent and repeated matches were exercised
