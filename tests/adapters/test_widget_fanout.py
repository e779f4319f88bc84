"""Bus notifications to widget sockets: one listener per process, nothing lost in a burst."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.widget_runtime import Fanout
from bot.app import BUS, FLOW, LOCKS, STORE
from bot.clock import SystemClock
from bot.config import Settings
from bot.events import MessageAdded
from bot.inprocess import MemoryBus, PrefixListener
from bot.messages import ConversationKey, Inbound
from bot.ports import Deliver, Subscription
from bot.service import Service
from tests.adapters.conftest import Connect, make_settings, seqs
from tests.services import REDIS_URL, require_redis

NEED = "We need to qualify our inbound leads faster"


class Socket:
    """What the fanout needs of a session: ``notify``, recorded."""

    def __init__(self) -> None:
        self.seqs: list[int] = []

    def notify(self, seq: int) -> None:
        self.seqs.append(seq)


class CountingBus(MemoryBus):
    """A MemoryBus that counts ``listen`` calls (registrations a process holds)."""

    def __init__(self) -> None:
        super().__init__(maxsize=8)  # small queues: a subscription per socket would drop here
        self.listens = 0

    async def listen(self, prefix: str, deliver: Deliver) -> PrefixListener:
        self.listens += 1
        return await super().listen(prefix, deliver)


def added(key: str, seq: int) -> dict[str, Any]:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    return MessageAdded(ConversationKey("widget", key), at, seq, "bot", "hi").to_json()


async def test_a_burst_over_many_conversations_reaches_every_socket_once_each() -> None:
    bus = CountingBus()
    fanout = Fanout(bus)
    sockets = {f"v{n}": [Socket() for _ in range(1 + n % 2)] for n in range(300)}  # tabs
    await asyncio.gather(*(
        fanout.join(f"conversation:widget:{key}", s) for key, tabs in sockets.items() for s in tabs
    ))
    assert bus.listens == 1  # one registration for 450 sockets, joined concurrently
    # The publisher delivers whole batches at once: 900 notifications, ten times the queue size.
    for seq in (1, 2, 3):
        for key in sockets:
            await bus.publish(f"conversation:widget:{key}", added(key, seq))
    await bus.publish("conversation:widget:v0", {"event": "stage_changed", "seq": 9})
    await bus.publish("conversation:widget:nobody-here", added("nobody-here", 1))
    assert all(s.seqs == [1, 2, 3] for tabs in sockets.values() for s in tabs)
    await fanout.close()


async def test_a_socket_that_left_is_not_notified_and_leaves_nothing_behind() -> None:
    bus = CountingBus()
    fanout = Fanout(bus)
    stays, leaves = Socket(), Socket()
    await fanout.join("conversation:widget:a", stays)
    await fanout.join("conversation:widget:a", leaves)
    await fanout.join("conversation:widget:b", leaves)
    fanout.leave("conversation:widget:a", leaves)
    fanout.leave("conversation:widget:b", leaves)
    await bus.publish("conversation:widget:a", added("a", 1))
    await bus.publish("conversation:widget:b", added("b", 1))
    assert (stays.seqs, leaves.seqs) == ([1], [])
    fanout.leave("conversation:widget:a", stays)
    assert len(fanout) == 0  # memory follows open sockets, not every conversation seen
    await fanout.close()
    await fanout.join("conversation:widget:a", stays)  # a closed fanout registers again
    await bus.publish("conversation:widget:a", added("a", 2))
    assert (stays.seqs, bus.listens) == ([1, 2], 2)
    await fanout.close()


async def test_notifications_for_many_conversations_at_once_all_reach_their_sockets(
    connect: Connect, client: TestClient[Any, Any]
) -> None:
    # Lines written by another process whose notifications arrive in one burst, buried under
    # more duplicates (at-least-once relays) than a shared bounded queue would hold.
    app = client.app
    socks = [await connect() for _ in range(12)]
    for n, sock in enumerate(socks):
        await sock.hello()
        await sock.say(f"m{n}", NEED)
    deaf = Service(app[FLOW], app[STORE], _DeafBus(), app[LOCKS], SystemClock())
    lasts: list[int] = []
    burst: list[tuple[str, dict[str, Any]]] = []
    for sock in socks:
        key = ConversationKey("widget", (sock.token or "").split(".")[1])
        reply = await deaf.receive(
            Inbound(key, f"{key.address}:x1", "ASAP", datetime.now(UTC), kind="text")
        )
        last = reply.messages[-1]
        lasts.append(last.seq)
        event = MessageAdded(key, last.at, last.seq, last.author, last.text).to_json()
        stale = MessageAdded(key, last.at, 1, last.author, last.text).to_json()
        burst += [(f"conversation:{key}", event)] + [(f"conversation:{key}", stale)] * 90
    for topic, payload in burst:
        await app[BUS].publish(topic, payload)
    for sock, last in zip(socks, lasts, strict=True):
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1]["seq"] < last:
            frame = await sock.recv()
            if frame["type"] == "message":
                frames.append(frame)
        assert frames[0]["id"] == "x1"
        assert seqs(frames) == list(range(frames[0]["seq"], last + 1))  # each line once
        await sock.close()


@pytest.fixture
def redis_settings(tmp_path: Path) -> Settings:
    require_redis()
    return make_settings(tmp_path, QUALIBOT_REDIS_URL=REDIS_URL)


async def test_another_tab_sees_each_message_once_over_the_redis_bus(
    aiohttp_client: Any, redis_settings: Settings
) -> None:
    from bot.app import create_app

    client = await aiohttp_client(create_app(redis_settings))
    watcher = await client.ws_connect("/widget/ws", headers={"Origin": "http://localhost:8080"})
    writer = await client.ws_connect("/widget/ws", headers={"Origin": "http://localhost:8080"})
    await watcher.send_json({"type": "hello", "token": None, "last_seq": 0})
    welcome = await _until(watcher, "welcome")
    await writer.send_json({"type": "hello", "token": welcome["token"], "last_seq": 0})
    await _until(writer, "welcome")
    await writer.send_json({"type": "message", "id": "m1", "text": NEED})
    ack = await _until(writer, "ack")
    seen: list[dict[str, Any]] = []  # through Redis: one PSUBSCRIBE, then the store
    while not seen or seen[-1]["seq"] < ack["seq"]:
        seen.append(await _until(watcher, "message"))
    assert seqs(seen) == list(range(1, ack["seq"] + 1))  # the greeting first, each line once
    assert (seen[-1]["id"], seen[-1]["text"]) == ("m1", NEED)
    await writer.close()
    await watcher.close()


async def _until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=10)
        if frame["type"] == kind:
            return frame


class _DeafBus:
    """A bus that loses every notification (a crashed or partitioned publisher)."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        return None

    async def subscribe(self, *topics: str) -> Subscription:
        raise NotImplementedError

    async def listen(self, prefix: str, deliver: Deliver) -> PrefixListener:
        raise NotImplementedError


async def test_stopping_the_server_stops_its_redis_readers_and_lock_keeper(
    aiohttp_client: Any, redis_settings: Settings
) -> None:
    from bot.app import create_app

    client = await aiohttp_client(create_app(redis_settings))
    ws = await client.ws_connect("/widget/ws", headers={"Origin": "http://localhost:8080"})
    await ws.send_json({"type": "hello", "token": None, "last_seq": 0})
    await _until(ws, "welcome")
    await ws.send_json({"type": "message", "id": "m1", "text": NEED})  # takes a lock
    await _until(ws, "ack")

    def redis_tasks() -> list[str]:
        return sorted(t.get_name() for t in asyncio.all_tasks() if not t.done()
                      and t.get_name().startswith(("redis-bus", "renew redis locks")))  # fmt: skip

    assert redis_tasks()  # the widget's bus listener and the lock keeper run while serving
    await ws.close()
    await client.close()  # the server's shutdown
    assert redis_tasks() == []  # nothing left renewing or reading through a closed client
