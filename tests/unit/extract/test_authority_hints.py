"""The hint pre-test on word heads (``authority._HINT_PIECES``) answers as the word scan does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.extract import authority
from bot.extract.authority import extract_authority
from tests.unit.extract.pieces import alone_and_prepared

NOW = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "hi there",
        "I'm the co-founder",
        "co-founder here",
        "I'm the 2ceo, the ceo2",
        "we_ceo run the show",
        "just the day-to-day user",
        "I'm the ceo",
        "ceo's call",
        "my boss decides",
        "nothing to add",
        "asceo",
        "the owner-operator, I sign-off",
    ],
)
def test_hint_pretest_same_answer_as_without_message(text: str) -> None:
    alone, prepared = alone_and_prepared(extract_authority, text, NOW, False)
    assert prepared == alone


def test_hint_pieces_are_whole_runs_of_letters() -> None:
    assert b"founder" in authority._HINT_PIECES
    assert b"co" not in authority._HINT_PIECES  # "co-founder" keeps its longest run
