"""Pattern prefilters (prefilter.py, word_gates.py, sure_matches.py): a skip must be sound."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import bot.extract
from bot.extract.folded import Folded, begin_message, end_message, heads_of
from bot.extract.prefilter import required
from bot.extract.sure_matches import sure
from bot.extract.timerules import RULES
from bot.extract.word_gates import word_gate, word_heads

HERE = Path(__file__).parent


def _patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern of the extractors, by module and name."""
    found: dict[str, re.Pattern[str]] = {}
    for info in pkgutil.iter_modules(bot.extract.__path__):
        module = importlib.import_module(f"bot.extract.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{info.name}.{name}"] = value
    for index, rule in enumerate(RULES):
        found[f"timerules.RULES[{index}]"] = rule.pattern
    return found


def _texts() -> list[str]:
    """The corpus texts and their lower- and upper-case forms, ASCII only (as the gate runs)."""
    texts: list[str] = []
    for path in sorted(HERE.glob("*/*.yaml")):
        texts += [str(case["text"]) for case in yaml.safe_load(path.read_text())["cases"]]
    variants = {v for t in texts for v in (t, t.lower(), t.upper(), f"well, {t}.")}
    return sorted(v for v in variants if v.isascii())


PATTERNS = _patterns()
TEXTS = _texts()
# Patterns with no small set of required literals have no gate, so nothing to check.
LITERAL_GATED = sorted(n for n, pattern in PATTERNS.items() if required(pattern) is not None)


def test_most_patterns_have_required_literals() -> None:
    # Guards the parametrization below against going empty when prefilter.required() breaks.
    assert len(LITERAL_GATED) >= len(PATTERNS) // 2


@pytest.mark.parametrize("name", LITERAL_GATED)
def test_a_pattern_never_matches_text_without_its_literals(name: str) -> None:
    pattern = PATTERNS[name]
    needs = required(pattern)
    assert needs is not None
    wrong = [t for t in TEXTS if not needs.present(t.lower()) and pattern.search(t)]
    assert wrong == [], f"{needs} absent but {name} matches"


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\bneed(?:s|ed)?\b", ("need",)),
        (r"(?:next|this) (?:week|month)", ("next month", "next week", "this month", "this week")),
        (r"q[1-4]", ("q1", "q2", "q3", "q4")),
        (r"\d+ weeks?", (" week",)),  # the longer of the digits and " week"
        (r"(?:budget)?\w+", None),  # every part optional or open: nothing is required
    ],
)  # fmt: skip
def test_required_literals_of_small_patterns(pattern: str, needs: tuple[str, ...] | None) -> None:
    found = required(re.compile(pattern, re.IGNORECASE))
    assert (found and sorted(found.strings)) == (needs and sorted(needs))


def test_letters_that_fold_to_ascii_are_not_required() -> None:
    # The Kelvin sign matches "k" case-insensitively: "k" text lacks it and still matches.
    kelvin = re.compile("\u212aelvin", re.IGNORECASE)
    needs = required(kelvin)
    assert kelvin.search("kelvin") is not None
    assert needs is None or needs.present("kelvin")


def _folded() -> dict[str, Folded]:
    """Every ``Folded`` of the extractors, with the literal bound it was built with."""
    found: dict[str, Folded] = {}
    for info in pkgutil.iter_modules(bot.extract.__path__):
        module = importlib.import_module(f"bot.extract.{info.name}")
        for name, value in vars(module).items():
            values = value if isinstance(value, tuple | list) else [value]
            for index, item in enumerate(values):
                if isinstance(item, Folded):
                    found[f"{info.name}.{name}[{index}]"] = item
    return found


@pytest.mark.parametrize(("name", "folded"), sorted(_folded().items()))
def test_folded_patterns_skip_only_text_they_cannot_match(name: str, folded: Folded) -> None:
    wrong = [t for t in TEXTS if folded.exact.search(t) and not folded.found(t)]
    assert wrong == [], name


def test_a_space_stands_for_any_whitespace_only_on_printable_text() -> None:
    pattern = re.compile(r"\bnext\sweek\b", re.IGNORECASE)
    needs = required(pattern)
    assert needs is not None
    assert needs.strings == ("next week",)
    for text in ("next week", "next\tweek", "next\nweek", "NEXT\x0bWEEK"):
        assert pattern.search(text)
        assert needs.present(text.lower())
        assert Folded(pattern).found(text)


# Whole-word gates ------------------------------------------------------------------------------


def _gate_texts() -> list[str]:
    """Corpus texts plus variants that move word boundaries (glued, hyphened, underscored)."""
    extra = []
    for text in TEXTS:
        extra += [f"x{text}", text.replace(" ", "-"), text.replace(" ", "_"), text.replace(" ", "")]
        extra += [text.replace(" ", "1"), f"{text}s", text.replace("'", "")]
    return TEXTS + extra


GATE_TEXTS = _gate_texts()
GATE_HEADS = [(t, word_heads(t.lower())) for t in GATE_TEXTS]
# Each pattern once (modules share some): the first name it has. Only the patterns that have a
# word gate, or a sure alternative (read on lowered text: case-insensitive patterns only), have
# anything to check in the tests below.
UNIQUE = sorted({id(p): n for n, p in sorted(PATTERNS.items(), reverse=True)}.values())
WORD_GATED = [n for n in UNIQUE if word_gate(PATTERNS[n]) is not None]
WITH_SURE = [n for n in UNIQUE if PATTERNS[n].flags & re.IGNORECASE and any(sure(PATTERNS[n]))]


def test_many_patterns_have_word_gates_and_sure_alternatives() -> None:
    # Guards the parametrizations below against going empty when the gate analysis breaks.
    assert len(WORD_GATED) >= len(UNIQUE) // 2
    assert len(WITH_SURE) >= 4  # the timeline cue and the figure hints, at least


@pytest.mark.parametrize("name", WORD_GATED)
def test_a_pattern_never_matches_text_without_its_word_tokens(name: str) -> None:
    pattern = PATTERNS[name]
    gate = word_gate(pattern)
    assert gate is not None
    wrong = [t for t, heads in GATE_HEADS if heads.isdisjoint(gate) and pattern.search(t)]
    assert wrong == [], f"{sorted(gate)[:20]} absent but {name} matches"


@pytest.mark.parametrize(
    ("pattern", "gate"),
    [
        (r"\bneed(?:s|ed)?\b", (b"need", b"needed", b"needs")),
        (r"\bstruggl\w*", (b"stru",)),
        (r"\b(?:is|are|'s) (?:huge|a joke)\b", (b"huge", b"joke")),  # "a" is in every message
        (r"(?:\b(?:my|our) |^)(?:boss|ceo)\b", (b"boss", b"ceo")),
        (r"\d|\bq[1-4]\b", (b"#", b"q1", b"q2", b"q3", b"q4")),
        (r"(?:need)?\w+", None),  # every part optional or open: nothing is required
        (r"im\b", None),  # not at a word start: "him" matches
        (r"\bcan'?t\b", (b"can", b"cant")),
    ],
)  # fmt: skip
def test_word_gates_of_small_patterns(pattern: str, gate: tuple[bytes, ...] | None) -> None:
    found = word_gate(re.compile(pattern, re.IGNORECASE))
    assert (found and sorted(found)) == (gate and sorted(gate))


def test_word_heads() -> None:
    heads = word_heads("we can't scale_it, q3 2027")
    assert {b"w", b"we", b"ca", b"can", b"t", b"scal", b"scale_it", b"q3", b"2027", b"#"} <= heads
    assert b"scale" not in heads  # heads are at most four characters, and whole words
    assert b"#" not in word_heads("no digits here")


@pytest.mark.parametrize(("name", "folded"), sorted(_folded().items()))
def test_folded_patterns_with_the_message_heads_skip_only_text_they_cannot_match(
    name: str, folded: Folded
) -> None:
    wrong = []
    for text in GATE_TEXTS[:: max(1, len(GATE_TEXTS) // 3000)]:
        begin_message(text)
        try:
            if (folded.exact.search(text) is not None) != folded.found(text):
                wrong.append(text)
        finally:
            end_message()
    assert wrong == [], name


def test_heads_are_used_only_for_the_message_under_way() -> None:
    folded = Folded(re.compile(r"\bneed\b", re.IGNORECASE))
    begin_message("nothing here")
    try:
        assert heads_of("nothing here") is not None
        assert heads_of("we need it") is None  # another text: no heads, the scan decides
        assert folded.found("we need it")
    finally:
        end_message()
    assert heads_of("nothing here") is None


@pytest.mark.parametrize("name", WITH_SURE)
def test_a_sure_string_or_head_always_means_a_match(name: str) -> None:
    strings, heads = sure(PATTERNS[name])
    pattern = PATTERNS[name]
    wrong = [
        t
        for t, text_heads in GATE_HEADS
        if (any(s in t.lower() for s in strings) or not text_heads.isdisjoint(heads))
        and not pattern.search(t)
    ]
    assert wrong == [], name


@pytest.mark.parametrize(
    ("pattern", "strings", "heads"),
    [
        (r"\d|one|two", ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "one", "two"), (b"#",)),
        (r"\b(?:jan|feb\b)|x(?:y|z)", ("xy", "xz"), (b"jan",)),  # "feb\b" has an assertion
        (r"\bneed(?:s|ed)?\b", (), ()),
        (r"(?<!not )soon", (), ()),
    ],
)  # fmt: skip
def test_sure_alternatives_of_small_patterns(
    pattern: str, strings: tuple[str, ...], heads: tuple[bytes, ...]
) -> None:
    found = sure(re.compile(pattern, re.IGNORECASE))
    assert (sorted(found[0]), sorted(found[1])) == (sorted(strings), sorted(heads))


def test_heads_of_a_longer_text_only_close_the_gate() -> None:
    # "week" is a sure word of the timeline cue in the message, not in its first sentence.
    cue = Folded(re.compile(r"\d|\b(?:week|soon)", re.IGNORECASE))
    heads = word_heads("hello there. next week")
    assert cue.in_lowered("next week", word_heads("next week"))
    assert cue.may_match(heads)  # the message may hold a match somewhere
    assert not cue.in_lowered("hello there.")  # the sentence itself has none
    assert not cue.may_match(word_heads("hello there."))


@pytest.mark.parametrize(("name", "folded"), sorted(_folded().items()))
def test_folded_search_and_finditer_give_the_exact_matches(name: str, folded: Folded) -> None:
    # They start the exact scan at the first fast match: the same matches, groups and all.
    def shape(m: re.Match[str] | None) -> object:
        return None if m is None else (m.span(), m.groups())

    wrong = []
    for text in GATE_TEXTS[:: max(1, len(GATE_TEXTS) // 2000)]:
        for message in (False, True):
            if message:
                begin_message(text)
            try:
                same = shape(folded.search(text)) == shape(folded.exact.search(text)) and [
                    shape(m) for m in folded.finditer(text)
                ] == [shape(m) for m in folded.exact.finditer(text)]
            finally:
                end_message()
            if not same:
                wrong.append(text)
    assert wrong == [], name
