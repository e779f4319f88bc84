"""Fast paths in extract/folded.py and common.py (``Folded``, ``clean``, ``squash``) are exact."""

from __future__ import annotations

import re
import sys

import pytest

from bot.extract.common import clean, squash
from bot.extract.folded import Folded, foldable

TEXTS = [
    "We need it by March",
    "WE NEED IT BY MARCH",
    "no budget yet",
    "Über-fast, by März",  # non-ASCII: the exact pattern runs
    "ſix weeks",  # the long s matches "s" case-insensitively
    "",
]


@pytest.mark.parametrize(
    "pattern",
    [r"\bneed\b", r"(?P<mon>march|may)\b", r"\d|six|budget", r"\S+ weeks", r"[a-z]+ by"],
)
@pytest.mark.parametrize("text", TEXTS)
def test_found_and_search_agree_with_the_exact_pattern(pattern: str, text: str) -> None:
    exact = re.compile(pattern, re.IGNORECASE)
    folded = Folded(exact)
    expected = exact.search(text)
    assert folded.found(text) is (expected is not None)
    found = folded.search(text)
    assert (found and found.span()) == (expected and expected.span())


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        (r"March", re.IGNORECASE),  # a capital literal
        (r"[A-Z]", re.IGNORECASE),
        (r"\N{LATIN SMALL LETTER A}", re.IGNORECASE),
        (r"ſ", re.IGNORECASE),  # matches "s" only case-insensitively
        (r"x(?-i:y)", re.IGNORECASE),
        (r"march", 0),  # not case-insensitive in the first place
    ],
)
def test_patterns_that_cannot_fold_are_refused(pattern: str, flags: int) -> None:
    compiled = re.compile(pattern, flags)
    assert not foldable(compiled)
    with pytest.raises(ValueError, match="not a lowercase"):
        Folded(compiled)


@pytest.mark.parametrize("text", ["plain", "tab\there", "nul\x00", "zero\u200bwidth", "x" * 2100])
def test_clean_fast_path_matches_the_regex(text: str) -> None:
    expected = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]", " ", text)
    assert clean(text) == expected[:2000]


def test_squash_splits_on_exactly_the_regex_whitespace() -> None:
    spaces = re.compile(r"\s")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert (spaces.fullmatch(char) is not None) == char.isspace(), hex(code)
    text = " a\u00a0\u2003 b\t\nc\u3000 "
    assert squash(text) == re.sub(r"\s+", " ", text).strip() == "a b c"
