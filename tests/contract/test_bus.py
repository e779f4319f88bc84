"""Bus contract: MemoryBus and RedisBus fan out the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.events import StageChanged
from bot.messages import ConversationKey


async def receive(it: AsyncIterator[Mapping[str, Any]]) -> Mapping[str, Any]:
    return await asyncio.wait_for(anext(it), 2)


async def test_every_subscriber_receives(bus: Any) -> None:
    one, two = await bus.subscribe("events"), await bus.subscribe("events")
    at = datetime(2025, 1, 1, tzinfo=UTC)
    payload = StageChanged(ConversationKey("widget", "v"), at, None, "MQL", 40, "r").to_json()
    await bus.publish("events", payload)
    assert await receive(aiter(one)) == payload
    assert await receive(aiter(two)) == payload
    await one.close()
    await two.close()


async def test_topics_are_isolated(bus: Any) -> None:
    a, both = await bus.subscribe("a"), await bus.subscribe("a", "b")
    await bus.publish("b", {"n": 1})
    await bus.publish("a", {"n": 2})
    a_it, both_it = aiter(a), aiter(both)
    assert await receive(a_it) == {"n": 2}
    assert [await receive(both_it), await receive(both_it)] == [{"n": 1}, {"n": 2}]
    await bus.publish("c", {"n": 3})
    await bus.publish("a", {"n": 4})
    assert await receive(a_it) == {"n": 4}  # nothing from "c" came first
    await a.close()
    await both.close()


async def test_messages_arrive_in_publish_order(bus: Any) -> None:
    sub = await bus.subscribe("t")
    for n in range(5):
        await bus.publish("t", {"n": n})
    it = aiter(sub)
    assert [(await receive(it))["n"] for _ in range(5)] == list(range(5))
    await sub.close()


async def test_close_stops_delivery_and_ends_iteration(bus: Any) -> None:
    sub, other = await bus.subscribe("t"), await bus.subscribe("t")
    got: list[Mapping[str, Any]] = []
    first = asyncio.Event()

    async def read() -> None:
        async for payload in sub:
            got.append(payload)
            first.set()

    reader = asyncio.create_task(read())
    await bus.publish("t", {"n": 1})
    await asyncio.wait_for(first.wait(), 2)
    await sub.close()
    await asyncio.wait_for(reader, 2)  # the waiting reader was woken and its loop ended
    await bus.publish("t", {"n": 2})  # publishing with a closed subscriber is fine
    assert await receive(aiter(other)) == {"n": 1}
    assert await receive(aiter(other)) == {"n": 2}
    assert got == [{"n": 1}]
    with pytest.raises(StopAsyncIteration):
        await receive(aiter(sub))
    await sub.close()  # idempotent
    await other.close()


async def test_a_slow_subscriber_does_not_block_the_publisher(bus: Any) -> None:
    slow = await bus.subscribe("t")  # never reads while we publish; the fixture's queue holds 8
    async with asyncio.timeout(5):
        for n in range(20):
            await bus.publish("t", {"n": n})
        await _until(lambda: slow.dropped == 12)
    it = aiter(slow)
    assert [(await receive(it))["n"] for _ in range(8)] == list(range(12, 20))  # oldest dropped
    await slow.close()


async def _until(condition: Any) -> None:
    """Poll ``condition``: delivery through Redis happens on a reader task, a little later."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never became true")


class Collector:
    """A ``listen`` callback that records (topic, payload) and wakes a waiter at a count."""

    def __init__(self) -> None:
        self.got: list[tuple[str, Mapping[str, Any]]] = []
        self._want = 0
        self._reached = asyncio.Event()

    def __call__(self, topic: str, payload: Mapping[str, Any]) -> None:
        self.got.append((topic, payload))
        if len(self.got) >= self._want:
            self._reached.set()

    async def until(self, count: int) -> list[tuple[str, Mapping[str, Any]]]:
        """Wait until ``count`` deliveries have arrived (Redis delivers on a reader task)."""
        self._want = count
        if len(self.got) < count:
            self._reached.clear()
            await asyncio.wait_for(self._reached.wait(), 5)
        return self.got


async def test_a_listener_gets_every_topic_under_its_prefix_in_publish_order(bus: Any) -> None:
    seen = Collector()
    listener = await bus.listen("conversation:", seen)
    await bus.publish("conversation:widget:a", {"n": 1})
    await bus.publish("events", {"n": 2})  # not under the prefix
    await bus.publish("conversation:telegram:b", {"n": 3})
    await bus.publish("conversation:widget:a", {"n": 4})
    await bus.publish("end", {"n": 5})
    await bus.publish("conversation:widget:a", {"n": 6})
    assert await seen.until(4) == [
        ("conversation:widget:a", {"n": 1}),
        ("conversation:telegram:b", {"n": 3}),
        ("conversation:widget:a", {"n": 4}),
        ("conversation:widget:a", {"n": 6}),
    ]
    await listener.close()


async def test_a_listener_loses_nothing_in_a_burst_over_many_topics(bus: Any) -> None:
    # The publisher sends whole batches at once; a listener has no queue to overflow (the
    # subscriptions of this fixture would keep 8 of these 3,000).
    seen = Collector()
    listener = await bus.listen("conversation:", seen)
    sent = [(f"conversation:widget:{n % 1000}", {"seq": n}) for n in range(3000)]
    for topic, payload in sent:
        await bus.publish(topic, payload)
    assert await seen.until(len(sent)) == sent
    await listener.close()


async def test_publish_many_delivers_every_message_in_order(bus: Any) -> None:
    # The publisher hands a whole batch over at once (one Redis round trip); what arrives must
    # be what one ``publish`` per message would have delivered, the same payload on two topics.
    seen = Collector()
    listener = await bus.listen("conversation:", seen)
    sub = await bus.subscribe("events")
    payloads = [{"n": n, "key": f"widget:{n % 3}"} for n in range(6)]
    messages = [(t, p) for p in payloads for t in ("events", f"conversation:{p['key']}")]
    await bus.publish_many(messages)
    assert await seen.until(6) == [(t, p) for t, p in messages if t != "events"]
    it = aiter(sub)
    assert [await receive(it) for _ in range(6)] == payloads
    await listener.close()
    await sub.close()


async def test_listeners_and_subscribers_of_a_topic_all_receive(bus: Any) -> None:
    one, two = Collector(), Collector()
    first, second = await bus.listen("conversation:", one), await bus.listen("conv", two)
    sub = await bus.subscribe("conversation:x")
    await bus.publish("conversation:x", {"n": 1})
    assert await one.until(1) == [("conversation:x", {"n": 1})]
    assert await two.until(1) == [("conversation:x", {"n": 1})]
    assert await receive(aiter(sub)) == {"n": 1}
    await first.close()
    await second.close()
    await sub.close()


async def test_a_prefix_with_glob_characters_matches_literally(bus: Any) -> None:
    seen = Collector()
    listener = await bus.listen("odd*[x]?", seen)
    await bus.publish("odd-and-more", {"n": 1})  # would match the prefix read as a pattern
    await bus.publish("oddx", {"n": 2})
    await bus.publish("odd*[x]?:1", {"n": 3})
    assert await seen.until(1) == [("odd*[x]?:1", {"n": 3})]
    await listener.close()


async def test_closing_a_listener_stops_delivery(bus: Any) -> None:
    closed, open_ = Collector(), Collector()
    listener, other = await bus.listen("t", closed), await bus.listen("t", open_)
    await bus.publish("t", {"n": 1})
    await closed.until(1)
    await listener.close()
    await bus.publish("t", {"n": 2})
    await bus.publish("t", {"n": 3})
    assert await open_.until(3) == [("t", {"n": 1}), ("t", {"n": 2}), ("t", {"n": 3})]
    assert closed.got == [("t", {"n": 1})]  # the later two reached the open one, not this one
    await listener.close()  # idempotent
    await other.close()


async def test_a_failing_listener_does_not_stop_the_publisher_or_later_messages(
    bus: Any,
) -> None:
    seen = Collector()

    def flaky(topic: str, payload: Mapping[str, Any]) -> None:
        seen(topic, payload)
        if payload["n"] == 1:
            raise RuntimeError("a bug in one consumer")

    listener = await bus.listen("t", flaky)
    await bus.publish("t", {"n": 1})
    await bus.publish("t", {"n": 2})
    assert await seen.until(2) == [("t", {"n": 1}), ("t", {"n": 2})]
    await listener.close()
