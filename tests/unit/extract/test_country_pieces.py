"""The first-word pre-test on word heads (``country._FIRST_PIECES``) answers as the token scan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.extract import country
from bot.extract.country import extract_country
from tests.unit.extract.pieces import alone_and_prepared

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "hi there",
        "we're based in the U.K.",
        "based in u.s.a.",
        "we're in 2germany",
        "we're in germany_x",
        "located in the netherlands.",
        "we're from sri lanka",
        "based in Cote d'Ivoire",
        "a German company",
        "call +44 20 7946 0958",
        "nothing here",
    ],
)
def test_piece_pretest_same_answer_as_without_message(text: str) -> None:
    alone, prepared = alone_and_prepared(extract_country, text, NOW, True)
    assert prepared == alone


def test_pieces_are_runs_of_letters_of_first_words() -> None:
    assert b"germany" in country._FIRST_PIECES
    assert b"the" in country._FIRST_PIECES  # "the netherlands"
