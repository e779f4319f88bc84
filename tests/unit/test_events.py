"""``Event.to_json``: the same dicts, in the same key order, as the plain field-by-field form."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import events
from bot.events import (
    ConversationClosed,
    Event,
    EvidenceRecorded,
    HandedBack,
    HandoffClaimed,
    HandoffRequested,
    HandoffRouted,
    MessageAdded,
    OptedOut,
    ScoreChanged,
    SlaMissed,
    StageChanged,
)
from bot.messages import ConversationKey

KEY = ConversationKey("widget", "v1")
AT = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)


def reference(event: Event) -> dict[str, Any]:
    """The form ``to_json`` had before its per-class plans: every field type-tested."""
    data: dict[str, Any] = {"event": event.name}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, ConversationKey):
            value = str(value)
        data[field.name] = value
    return data


def samples(key: ConversationKey, at: datetime) -> list[Event]:
    return [
        MessageAdded(key, at, 3, "bot", "Hi", None, (("Yes", "yes"),), "text"),
        MessageAdded(key, at, 4, "rep", "Hello", "Dana"),
        EvidenceRecorded(key, at, "budget", "answer", {"amount": 5000, "period": "month"}),
        EvidenceRecorded(key, at, "need", "answer", ("a", "b")),
        EvidenceRecorded(key, at, "x", "answer", at),
        EvidenceRecorded(key, at, "y", "answer", key),
        EvidenceRecorded(key, at, "budget", "refused", None),
        ScoreChanged(key, at, 45, 20),
        StageChanged(key, at, None, "SQL", 70, "SQL: score 70 >= 60"),
        HandoffRequested(key, at, "asked", "MQL", 30),
        HandoffRouted(key, at, "sales", None, "default", None, False),
        HandoffRouted(key, at, "sales", 7, "rule", "2026-03-04T05:16:07+00:00", True),
        HandoffClaimed(key, at, 7, "Dana"),
        HandedBack(key, at, 7, "Dana"),
        SlaMissed(key, at, None),
        OptedOut(key, at),
        ConversationClosed(key, at, "idle"),
        ConversationClosed(key, at, "closed by Dana", "won"),
    ]


@pytest.mark.parametrize("event", samples(KEY, AT), ids=lambda e: type(e).__name__)
def test_to_json_matches_the_reference(event: Event) -> None:
    got = event.to_json()
    assert got == reference(event)
    assert list(got) == list(reference(event))


def test_key_and_time_are_never_taken_from_another_event() -> None:
    """The text forms kept from the last event are reused only for the very same objects."""
    keys = [KEY, ConversationKey("widget", "v1"), ConversationKey("slack", "t:c:1")]
    times = [AT, AT + timedelta(0), AT + timedelta(seconds=1), AT.replace(tzinfo=None)]
    for key in keys:
        for at in times:
            for event in samples(key, at):
                assert event.to_json() == reference(event)
    assert events._LAST[0][0] is keys[-1]
