"""The publisher: events from memory after commit, and the crash-recovery relay, per outbox row."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import FixedClock
from bot.publisher import OUTBOX_GRACE, Publisher

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class RecordingBus:
    """Keeps (topic, payload) in publish order."""

    def __init__(self) -> None:
        self.published: list[tuple[str, Mapping[str, Any]]] = []

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.published.append((topic, payload))


class ListOutbox:
    """Rows (id, events, written at), as SqlStore's outbox returns them."""

    def __init__(self, rows: list[tuple[int, list[dict[str, Any]], datetime]]) -> None:
        self.rows = rows
        self.marked: list[list[int]] = []

    async def pending(
        self, limit: int = 100, older_than: datetime | None = None
    ) -> list[tuple[int, Sequence[Mapping[str, Any]]]]:
        rows = [(i, p) for i, p, at in self.rows if older_than is None or at < older_than]
        return rows[:limit]

    async def mark_published(self, ids: Sequence[int]) -> None:
        self.marked.append(list(ids))
        self.rows = [r for r in self.rows if r[0] not in ids]


def _event(key: str, n: int) -> dict[str, Any]:
    return {"name": "message_added", "key": key, "n": n}


async def test_the_relay_publishes_each_rows_events_in_order_on_both_topics() -> None:
    old = T0 - OUTBOX_GRACE - timedelta(seconds=1)
    a, b = "widget:a", "widget:b"
    outbox = ListOutbox([
        (1, [_event(a, 1), _event(a, 2)], old),
        (2, [_event(b, 1)], old),
        (3, [_event(a, 3)], old),
        (4, [_event(a, 4)], T0),  # too young: the writing process is publishing it
    ])  # fmt: skip
    bus = RecordingBus()
    publisher = Publisher(bus, outbox, FixedClock(T0))  # type: ignore[arg-type]
    assert await publisher.relay() == 4
    assert bus.published[::2] == [
        ("events", e) for e in (_event(a, 1), _event(a, 2), _event(b, 1), _event(a, 3))
    ]
    assert [t for t, _ in bus.published[1::2]] == [f"conversation:{k}" for k in (a, a, b, a)]
    assert outbox.marked == [[1, 2, 3]]
    assert [i for i, _, _ in outbox.rows] == [4]


async def test_committed_events_mark_their_row_once() -> None:
    outbox = ListOutbox([])
    bus = RecordingBus()
    publisher = Publisher(bus, outbox, FixedClock(T0))  # type: ignore[arg-type]
    publisher.committed([(7, _event("widget:a", 1)), (7, _event("widget:a", 2))])
    publisher.committed([(9, _event("widget:a", 3))])
    await publisher.drain()
    assert [p["n"] for t, p in bus.published if t == "events"] == [1, 2, 3]
    assert [i for batch in outbox.marked for i in batch] == [7, 9]


class FailingBus(RecordingBus):
    """Refuses to publish the payloads it is told to (a bus outage in the middle of a turn)."""

    def __init__(self, refuse: set[int]) -> None:
        super().__init__()
        self.refuse = refuse

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        if payload["n"] in self.refuse:
            raise ConnectionError("bus down")
        await super().publish(topic, payload)


class SignallingBus(RecordingBus):
    """Tells a waiting test when a payload has gone out on the conversation's topic."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        await super().publish(topic, payload)
        if topic.startswith("conversation:"):
            self.sent.set()


async def test_turns_published_close_together_are_marked_in_one_update() -> None:
    outbox = ListOutbox([])
    bus = SignallingBus()
    publisher = Publisher(bus, outbox, FixedClock(T0), mark_delay=3600)  # type: ignore[arg-type]
    for row, n in ((7, 1), (9, 2), (11, 3)):  # three turns, each published on its own
        bus.sent.clear()
        publisher.committed([(row, _event("widget:a", n))])
        await bus.sent.wait()
    assert outbox.marked == []  # still within the delay: nothing written yet
    await publisher.drain()
    assert outbox.marked == [[7, 9, 11]]


async def test_a_row_with_an_event_left_unpublished_stays_for_the_relay() -> None:
    outbox = ListOutbox([])
    bus = FailingBus(refuse={2})
    publisher = Publisher(bus, outbox, FixedClock(T0))  # type: ignore[arg-type]
    publisher.committed([(7, _event("widget:a", 1)), (8, _event("widget:a", 2)),
                         (8, _event("widget:a", 3)), (9, _event("widget:a", 4))])  # fmt: skip
    await publisher.drain()
    assert [p["n"] for t, p in bus.published if t == "events"] == [1]
    assert [i for batch in outbox.marked for i in batch] == [7]  # 8 and 9: the relay's


class BatchBus(RecordingBus):
    """A bus that publishes many at once (RedisBus: one pipeline), failing when told to."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.calls = 0

    async def publish_many(self, messages: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        self.calls += 1
        if self.fail:
            raise ConnectionError("bus down")
        self.published += messages


async def test_a_batch_goes_out_in_one_call_in_the_order_of_one_publish_per_topic() -> None:
    outbox = ListOutbox([])
    bus = BatchBus()
    publisher = Publisher(bus, outbox, FixedClock(T0))  # type: ignore[arg-type]
    events = [(7, _event("widget:a", 1)), (7, _event("widget:a", 2)), (9, _event("widget:b", 3))]
    publisher.committed(events)
    await publisher.drain()
    assert bus.calls == 1
    assert bus.published == [
        (t, e) for _, e in events for t in ("events", f"conversation:{e['key']}")
    ]
    assert [i for batch in outbox.marked for i in batch] == [7, 9]


async def test_a_failed_batch_leaves_every_row_for_the_relay() -> None:
    outbox = ListOutbox([])
    bus = BatchBus(fail=True)
    publisher = Publisher(bus, outbox, FixedClock(T0))  # type: ignore[arg-type]
    publisher.committed([(7, _event("widget:a", 1)), (9, _event("widget:a", 2))])
    await publisher.drain()
    assert bus.calls == 1
    assert outbox.marked == []
