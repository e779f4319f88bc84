"""The title-start shortcuts of the authority extractor find what the plain scans find.

``_start_title`` skips ``START_TITLE`` when the message's first word cannot start a title, and
``_any_title`` scans ``ANY_TITLE`` from the first whole word of ``TITLE_FIRST_WORDS`` that its
look-behinds do not refuse: both must give the plain ``_search``'s spans on every message.
"""

from __future__ import annotations

import pytest

from bot.extract import authority
from bot.extract.folded import Message, begin_message, end_message
from bot.extract.roles import TITLE_FIRST_WORDS
from tests.unit.extract.pieces import joined_texts

# Every word that may start a title, the look-behinds' words, glue and punctuation around them,
# and the parts whose first word is not a plain word ("sr.", "e-commerce", "r&d", "biz dev").
PIECES = [
    *sorted(word.decode() for word in TITLE_FIRST_WORDS),
    "my", "our", "not a", "not an", "not the", "army", "i'm", "I am", "of", "the", "to", ",",
    ".", "-", "x", "1", "_", "2nd", "ceo2", "ceo_x", "xceo", "Sr.", "sr. vp", "e-commerce",
    "ecommerce lead", "r&d", "biz dev", "bizdev", "co-founder", "co-owner", "vice-president",
    "vice president", "chief revenue officer", "chairwoman", "assistant to the CEO",
    "personal assistant to the founder", "head of ops", "VP sales", "my boss", "our CTO",
]  # fmt: skip

TEXTS = [
    "I recommend tools to my boss, she decides",
    "Hello! We want to integrate lead scoring with HubSpot",
    "my boss and our cto decide, not the ceo",
    "army lead",
    "ceo",
    "  ceo here",
    "-ceo",
    "1ceo",
    "e-commerce manager",
    "sr. vp of sales",
    "not a boss but a manager",
]


def _spans(match: object) -> tuple[int, int] | None:
    return None if match is None else match.span()  # type: ignore[attr-defined]


def _check(text: str) -> None:
    message = begin_message(text)
    try:
        assert isinstance(message, Message)
        plain_any = authority._search(authority._ANY_TITLE, text, message)
        plain_start = authority._search(authority._START_TITLE, text, message)
        assert _spans(authority._any_title(text, message)) == _spans(plain_any), text
        assert _spans(authority._start_title(text, message)) == _spans(plain_start), text
    finally:
        end_message()


@pytest.mark.parametrize("text", TEXTS)
def test_title_starts_on_known_texts(text: str) -> None:
    _check(text)


def test_title_starts_on_random_texts() -> None:
    for text in joined_texts(PIECES, seed=11, count=4000, most=6):
        _check(text)


def test_a_refused_title_word_is_skipped_not_the_later_one() -> None:
    # "my boss" is refused by the look-behind; "manager" later still starts a title.
    text = "I told my boss, the sales manager agrees"
    message = begin_message(text)
    try:
        assert message is not None
        match = authority._any_title(text, message)
        assert match is not None
        assert text[slice(*match.span("title"))] == "sales manager"
    finally:
        end_message()
