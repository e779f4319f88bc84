"""``country.may_name_runs``, set tests on runs of letters, lets by every text the walk can name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.extract import country
from bot.extract.country import extract_country
from tests.unit.extract.pieces import alone_and_prepared, joined_texts

NOW = datetime(2026, 11, 22, tzinfo=UTC)

_PIECES = [
    "I'm the head of sales at Acme", "we're based in", "the", "The Netherlands", "the states",
    "Germany", "germany's", "india's", "U.K.", "u.k", "the U.S.", "u.s.a.", "U S A", "UK-based",
    "people's republic of china", "Democratic People's Republic of Korea", "lao people's",
    "people", "republic", "south", "korea", "united", "arab emirates", "united states of america",
    "virgin islands, u.s.", "sri lanka", "new zealand", "new", "zealand", "côte d'ivoire",
    "cote d'ivoire", "2germany", "germany_x", "x-germany", "-", ",", ".", "'", "..", "9", "us",
]  # fmt: skip


def _walk_may_name(lowered: str) -> bool:
    """The tests ``may_name_runs`` replaced: the token scan and its walk (kept here to compare)."""
    tokens = re.findall(r"[a-z][a-z.']*", lowered)
    firsts = country._FIRST_WORDS
    if firsts.isdisjoint(tokens) and firsts.isdisjoint([t.rstrip(".") for t in tokens]):
        return False
    for i, token in enumerate(tokens):
        if token not in firsts and token.rstrip(".") not in firsts:
            continue
        if token in country._NAMES or token.rstrip(".") in country._NAMES:
            return True
        if i + 1 < len(tokens):
            pair = f"{token} {tokens[i + 1]}"
            if pair in country._FIRST_PAIRS or pair.rstrip(".") in country._FIRST_PAIRS:
                return True
    return False


def _texts() -> list[str]:
    return joined_texts(_PIECES, seed=4, count=3000, most=5) + [p.lower() for p in _PIECES]


def test_runs_let_by_every_text_the_walk_can_name() -> None:
    passed = shut = 0
    for text in _texts():
        lowered = text.lower()
        if not lowered.isascii():
            continue
        runs = lowered.encode("ascii").translate(country._TO_LETTERS).split()
        if _walk_may_name(lowered):
            assert country.may_name_runs(runs), text
            passed += 1
        else:
            shut += not country.may_name_runs(runs)
    assert passed > 500  # both answers were exercised
    assert shut > 100


def test_quoted_and_dotted_names_are_pairs_of_runs() -> None:
    # "u.k." and "people's republic" stand for their first two runs, not the common "u", "people".
    assert country.may_name_runs([b"u", b"k"])
    assert country.may_name_runs([b"people", b"s", b"republic"])
    assert not country.may_name_runs([b"people", b"like", b"u"])


def test_answers_alike_alone_and_prepared() -> None:
    for text in _texts()[:1500]:
        for asked in (False, True):
            alone, prepared = alone_and_prepared(extract_country, text, NOW, asked)
            assert alone == prepared, text
