"""The title-start shortcuts of the authority extractor find what the plain scans find.

``_start_title`` skips ``START_TITLE`` when the message's first word cannot start a title, and
``_any_title`` scans ``ANY_TITLE`` from the first whole word of ``TITLE_FIRST_WORDS`` that its
look-behinds do not refuse: both must give the plain ``_search``'s spans on every message.
``_may_introduce`` skips ``OWN_TITLE`` without an intro: it must pass every message it matches.
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


# Each intro of ``OWN_TITLE``, glued or spaced, the words around them, and look-alikes that are
# no intro ("ii", "ai", "iam", "mceo").
INTRO_PIECES = [
    "i", "I", "im", "i'm", "I am", "ive been", "i've been", "i was hired as", "i serve as",
    "i work as", "as", "my role is", "my title is", "my position is", "my job is",
    "my job title is", "working as", "currently", "the", "a", "one of the", ",", ".", "-", " - ",
    "ceo", "imceo", "asceo", "mceo", "iam", "ii", "ai", "am", "my", "role", "is", "sales",
    "manager", "lead", "hi", "we want", "x",
]  # fmt: skip


def _intro_check(text: str) -> None:
    message = begin_message(text)
    try:
        assert isinstance(message, Message)
        if authority._search(authority._OWN_TITLE, text, message) is not None:
            assert authority._may_introduce(message), text
    finally:
        end_message()


@pytest.mark.parametrize(
    "text",
    ["imceo here", "I'mceo", "asceo, I sign", "my role isvp of sales", "i work asmanager",
     "ive beenowner", "working as lead", "x, ceo", "x - ceo", "x. ceo", "Hi! I am the CEO"],
)  # fmt: skip
def test_every_own_title_has_an_intro_the_gate_sees(text: str) -> None:
    message = begin_message(text)
    try:
        assert message is not None
        assert authority._search(authority._OWN_TITLE, text, message) is not None
        assert authority._may_introduce(message)
    finally:
        end_message()


def test_intro_gate_on_random_texts() -> None:
    for text in joined_texts(INTRO_PIECES, seed=12, count=4000, most=6):
        _intro_check(text)
    glued = [text.replace(" ", "") for text in joined_texts(INTRO_PIECES, 13, 3000, 3)]
    for text in glued:
        _intro_check(text)


def test_intro_gate_skips_a_message_without_intro() -> None:
    text = "We want to integrate lead scoring with HubSpot"
    message = begin_message(text)
    try:
        assert message is not None
        assert not authority._may_introduce(message)
    finally:
        end_message()
