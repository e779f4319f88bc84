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
