"""The service's hand-written shortcuts against the library calls they replace."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from bot.events import MessageAdded
from bot.inprocess import MemoryBus
from bot.messages import ConversationKey, QuickReply
from bot.service import at_seq
from bot.state import Evidence, Snapshot, StoredMessage
from bot.turns import _added

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KEY = ConversationKey("widget", "v-1")


def _full_snapshot() -> Snapshot:
    """A snapshot whose every field differs from its default and from every other field."""
    ev = Evidence("budget", "answer", 5000, "5k", "budget", 0.9, "m-1", T0)
    values: dict[str, Any] = {
        "conversation_id": 7, "key": KEY, "state": "asking", "owner": "queued",
        "stage": "mql", "score": 42, "evidence": {"budget": ev}, "context": {"greeted": True},
        "opted_out": True, "seq": 3, "last_inbound_at": T0, "lead": {"name": "Ann"},
    }  # fmt: skip
    # Every field is set here: a field Snapshot gains fails this until at_seq copies it too.
    assert set(values) == {f.name for f in dataclasses.fields(Snapshot)}
    return Snapshot(**values)


def test_at_seq_is_replace_with_seq() -> None:
    snapshot = _full_snapshot()
    fast, slow = at_seq(snapshot, 9), dataclasses.replace(snapshot, seq=9)
    assert fast == slow
    for f in dataclasses.fields(Snapshot):  # the very objects, as replace passes them on
        assert getattr(fast, f.name) is getattr(slow, f.name)


def _added_slow(key: ConversationKey, message: StoredMessage) -> MessageAdded:
    return MessageAdded(
        key, message.at, message.seq, message.author, message.text, message.author_name,
        tuple((q.label, q.value) for q in message.quick_replies), message.kind,
    )  # fmt: skip


def test_message_added_with_and_without_buttons() -> None:
    buttons = (QuickReply("Within 3 months", "3m"), QuickReply("Later", "later"))
    for replies in ((), buttons):
        message = StoredMessage(4, "bot", "When?", T0, quick_replies=replies)
        assert _added(KEY, message) == _added_slow(KEY, message)
        assert _added(KEY, message).to_json() == _added_slow(KEY, message).to_json()


async def _received(many: bool) -> list[Any]:
    bus = MemoryBus()
    got: list[Any] = []
    await bus.listen("conversation:", lambda topic, payload: got.append(("l", topic, payload)))
    await bus.listen("events", lambda topic, payload: got.append(("e", topic, payload)))
    sub = await bus.subscribe("events", "conversation:b")
    messages = [
        ("events", {"n": 1}), ("conversation:a", {"n": 1}), ("events", {"n": 2}),
        ("conversation:b", {"n": 2}), ("other", {"n": 3}),
    ]  # fmt: skip
    if many:
        await bus.publish_many(messages)
    else:
        for topic, payload in messages:
            await bus.publish(topic, payload)
    await sub.close()
    queued = sub._queue  # what the subscriber got, in order (close() left the sentinel only)
    return [*got, sub.dropped, queued.qsize()]


async def _queued(many: bool) -> list[Any]:
    bus = MemoryBus()
    sub = await bus.subscribe("events", "conversation:b")
    messages = [("events", {"n": 1}), ("conversation:a", {"n": 1}), ("conversation:b", {"n": 2})]
    if many:
        await bus.publish_many(messages)
    else:
        for topic, payload in messages:
            await bus.publish(topic, payload)
    return [sub._queue.get_nowait() for _ in range(sub._queue.qsize())]


async def test_publish_many_delivers_as_publish_does() -> None:
    assert await _received(True) == await _received(False)
    assert await _queued(True) == await _queued(False) == [{"n": 1}, {"n": 2}]
