"""The company cue's head test agrees with the cue gate it skips, and with the slow path."""

from __future__ import annotations

from datetime import datetime

from bot.extract import contact
from bot.extract.common import RAW_ATTRIBUTE
from bot.extract.folded import begin_message, end_message
from bot.extract.names import ORG_CUE_GATE
from tests.unit.extract.pieces import alone_and_prepared, joined_texts

_NOW = datetime(2026, 1, 20)
# Cues, their look-alikes ("that", "format", "workshop", "companion", "heretic"), "@" and
# capitals after spaces.
_PIECES = [
    "from", "at", "that", "@", "a@b.co", "Acme", "Globex Inc", "I work for", "i work at",
    "working for", "workshop", "I'm with", "im with", "I am with", "we're with", "were with",
    "represent", "representing", "company is", "company name is", "company:", "company called",
    "our company,", "our company", "companion", "founder of", "CEO of", "owner of", "here at",
    "heretic", "on behalf of", "employed by", "employed at", "format", "Our", "SDRs", "the",
    "VP", "of", "Sales", "with", "hi", ",", ".", "\t", "  ", "Q1", "chat", "what", "at\tAcme",
]  # fmt: skip
_RAW = getattr(contact.extract_company, RAW_ATTRIBUTE)


def _texts(seed: int, count: int) -> list[str]:
    return joined_texts(_PIECES, seed, count, 7)


def test_no_cue_head_means_no_cue() -> None:
    skipped = 0
    for text in _texts(31, 30_000):
        begin_message(text)
        try:
            if not contact._may_cue(text):
                skipped += 1
                assert ORG_CUE_GATE.exact.search(text) is None, text
        finally:
            end_message()
    assert skipped > 1_000  # the test does test the skip


def test_prepared_message_finds_the_same_company() -> None:
    for text in _texts(32, 8_000):
        for asked in (False, True):
            # alone: no message under way, no head test
            slow, fast = alone_and_prepared(_RAW, text, _NOW, asked)
            assert fast == slow, (text, asked)
