# Alternations split by branch (extract/branches.py) and timeline's end-only PREP test are exact.
# (No new short string literals here: the engine's correctness guard reads them as texts.)

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from bench.script import CONVERSATIONS
from bot.extract.branches import Branches, top_level_branches
from bot.extract.common import clean
from bot.extract.folded import begin_message, end_message
from bot.extract.numbers import spell_out_digits
from bot.extract.regex_tree import _parser
from bot.extract.roles import OTHER_DECIDES, SELF_DECIDES
from bot.extract.timeline import _DEADLINE_LONGEST, _PREP_LONGEST, _deadline, _ends_in_prep
from bot.extract.timewords import DEADLINE, PREP

HERE = Path(__file__).parent


def _texts() -> list[str]:
    # Corpus and bench texts in several cases, non-ASCII ones too (they take the whole pattern).
    texts = [line.text for conversation in CONVERSATIONS for line in conversation]
    for path in sorted(HERE.glob("*/*.yaml")):
        texts += [str(case["text"]) for case in yaml.safe_load(path.read_text())["cases"]]
    variants = {v for t in texts for v in (t, t.lower(), t.upper(), f"well, {t}.")}
    return sorted(variants)


TEXTS = _texts()


@pytest.mark.parametrize("pattern", [OTHER_DECIDES, SELF_DECIDES])
def test_branches_find_the_whole_patterns_match(pattern: re.Pattern[str]) -> None:
    assert len(top_level_branches(pattern.pattern)) > 10
    branches = Branches(pattern)
    for text in TEXTS:
        expected = pattern.search(text)
        for under_way in (False, True):  # with and without the message's word heads
            if under_way:
                begin_message(text)
            try:
                found = branches.search(text)
            finally:
                end_message()
            assert (found and (found.span(), found.group())) == (
                expected and (expected.span(), expected.group())
            ), text


@pytest.mark.parametrize("pattern", [OTHER_DECIDES, SELF_DECIDES])
def test_branches_finditer_yields_the_whole_patterns_matches(pattern: re.Pattern[str]) -> None:
    branches = Branches(pattern)
    for text in TEXTS:
        expected = [(m.span(), m.group()) for m in pattern.finditer(text)]
        begin_message(text)
        try:
            found = [(m.span(), m.group()) for m in branches.finditer(text)]
        finally:
            end_message()
        assert found == expected, text


def test_branches_hand_empty_matches_to_the_whole_pattern() -> None:
    # Alternatives that can match the empty string: finditer's own rule takes over.
    bar, star = "|", "*"
    for source in ("a" + bar + "x" + star, "x" + bar + r"\b", "ab" + bar + "(?:" + ")"):
        pattern = re.compile(source, re.IGNORECASE)
        branches = Branches(pattern)
        for text in ("", "a", "x", "ab", "a b c", "x" + "ab", "abc"):
            expected = pattern.search(text)
            assert [m.span() for m in branches.finditer(text)] == [
                m.span() for m in pattern.finditer(text)
            ]
            found = branches.search(text)
            assert (found and found.span()) == (expected and expected.span())


def test_spelled_message_without_number_words_is_unchanged() -> None:
    # ``spell_out_digits`` skips the scan when no word of the message starts as a number word.
    for text in TEXTS:
        cleaned = clean(text)
        begin_message(cleaned)
        try:
            spelled = spell_out_digits(cleaned)
        finally:
            end_message()
        alone = spell_out_digits(cleaned)
        assert (spelled.text, spelled.original, spelled.edits) == (
            alone.text,
            alone.original,
            alone.edits,
        ), text


def test_top_level_branches_skip_groups_classes_and_escapes() -> None:
    # Built from pieces: a|(a|x)|[|]|\||x, and [^]|]|(?:a|x) (a class opening with "]").
    backslash, bar = chr(92), "|"
    group = "".join(["(", "a", bar, "x", ")"])
    nested = bar.join(["a", group, "".join(["[", bar, "]"]), backslash + bar, "x"])
    first = bar.join(["".join(["[", "^", "]", bar, "]"]), "".join(["(?:", "a", bar, "x", ")"])])
    assert top_level_branches(nested)[1:4] == [group, "".join(["[", bar, "]"]), backslash + bar]
    assert len(top_level_branches(nested)) == 5
    assert len(top_level_branches(first)) == 2
    for source in (nested, first, SELF_DECIDES.pattern):
        assert bar.join(top_level_branches(source)) == source
        for piece in top_level_branches(source):
            re.compile(piece)


def test_ends_in_prep_is_prep_search() -> None:
    # PREP's alternatives and the characters around them, in random order and case.
    words = re.findall(r"[^\W_]+", PREP.pattern.replace(r"\b", " "))
    pieces = [*words, "-", " ", "\n", "\t", "x", "ſ", "by"]
    rng = random.Random(7)
    for _ in range(20_000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(0, 6))]
        text = "".join(p.upper() if rng.random() < 0.2 else p for p in parts)
        assert _ends_in_prep(text) == (PREP.search(text) is not None), text


@pytest.mark.parametrize(
    ("pattern", "width"), [(PREP, _PREP_LONGEST), (DEADLINE, _DEADLINE_LONGEST)]
)
def test_end_windows_cover_the_longest_alternative(pattern: re.Pattern[str], width: int) -> None:
    tree = _parser.parse(pattern.pattern, pattern.flags)
    assert _parser.SubPattern(tree.state, [tree.data[0]]).getwidth()[1] == width


def test_deadline_is_deadline_search() -> None:
    # DEADLINE's words and the characters around them, in random order and case.
    words = re.findall(r"[^\W_]+", DEADLINE.pattern.replace(r"\b", " "))
    pieces = [*words, "the", "not", " ", " ", "\n", "\t", ":", "x", "ſ", "by"]
    rng = random.Random(7)
    for _ in range(20_000):
        parts = [rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 7))]
        text = "".join(p.upper() if rng.random() < 0.2 else p for p in parts)
        found, expected = _deadline(text), DEADLINE.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
