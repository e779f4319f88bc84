"""The stored bytes of events and buttons are those of the paths the shortcuts replace.

``Event.to_json`` is compiled per class (a dict display, not a loop over the fields), and a
line's buttons are encoded once per tuple (``storage.codec.quick_replies_text``).
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass
from typing import ClassVar

import pytest

from bot.events import Event, MessageAdded
from bot.frozen import fast_init
from bot.jsontext import dumps
from bot.messages import QuickReply
from storage import codec
from storage.codec import quick_replies_text, quick_replies_to_json
from tests.unit.test_events import AT, KEY, reference, samples


@pytest.mark.parametrize("event", samples(KEY, AT), ids=lambda e: type(e).__name__)
def test_event_text_is_the_reference_text(event: Event) -> None:
    assert dumps(event.to_json()) == dumps(reference(event))
    assert dumps([event.to_json(), event.to_json()]) == dumps([reference(event)] * 2)


@fast_init
@dataclass(frozen=True, slots=True)
class _Later(MessageAdded):
    """A subclass made after its base compiled its ``to_json``: its own fields must show."""

    name: ClassVar[str] = "later"
    extra: tuple[str, ...] = ()


def test_a_subclass_gets_its_own_fields_after_its_base_compiled() -> None:
    base = MessageAdded(KEY, AT, 1, "bot", "hi")
    assert base.to_json() == reference(base)  # the base's compiled one is in place
    later = _Later(KEY, AT, 2, "bot", "hi", None, (), "text", ("a", "b"))
    got = later.to_json()
    assert got == reference(later)
    assert list(got) == list(reference(later))
    assert got["event"] == "later"
    assert got["extra"] == ["a", "b"]
    assert base.to_json() == reference(base)  # and the base keeps its own
    assert type(base).to_json is not type(later).to_json


def _buttons(*pairs: tuple[str, str]) -> tuple[QuickReply, ...]:
    return tuple(QuickReply(label, value) for label, value in pairs)


@pytest.mark.parametrize(
    "replies",
    [
        _buttons(("Yes", "yes")),
        _buttons(("I decide", "auth_dm"), ("I'd use it", "auth_user")),
        _buttons(('say "hi"', "q\\x"), ("naïve ✓", "\u2028")),
    ],
)
def test_buttons_text_is_the_encoded_dicts(replies: tuple[QuickReply, ...]) -> None:
    expected = dumps(quick_replies_to_json(replies))
    assert quick_replies_text(replies) == expected
    assert quick_replies_text(replies) == expected  # kept
    assert quick_replies_text(tuple(replies)) == expected


def test_buttons_kept_by_identity_never_answer_for_another_tuple() -> None:
    first = _buttons(("A", "a"))
    assert quick_replies_text(first) == '[{"label":"A","value":"a"}]'
    other = _buttons(("B", "b"))  # same shape, another tuple
    assert quick_replies_text(other) == '[{"label":"B","value":"b"}]'
    del first
    gc.collect()
    # A tuple made now may take a freed id; a kept one is held, so its id stays its own.
    for n in range(200):
        fresh = _buttons((f"C{n}", f"c{n}"))
        assert quick_replies_text(fresh) == dumps([{"label": f"C{n}", "value": f"c{n}"}])


def test_buttons_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_REPLIES_KEPT", 4)
    monkeypatch.setattr(codec, "_REPLIES_TEXT", {})
    made = [_buttons((f"L{n}", f"v{n}")) for n in range(10)]
    for replies in made:
        assert quick_replies_text(replies) == dumps(quick_replies_to_json(replies))
        assert len(codec._REPLIES_TEXT) <= 4
    for replies in made:  # again, after the clears: still each its own text
        assert quick_replies_text(replies) == dumps(quick_replies_to_json(replies))


def test_the_reference_fields_cover_every_dataclass_field() -> None:
    for event in samples(KEY, AT):
        names = [f.name for f in dataclasses.fields(event)]
        assert list(event.to_json()) == ["event", *names]
