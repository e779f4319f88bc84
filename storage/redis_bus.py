"""RedisBus: the Bus port over Redis pub/sub, so events reach every process (JSON payloads)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.inprocess import DEFAULT_MAXSIZE, PrefixListener, QueueSubscription
from bot.jsontext import dumps
from bot.ports import Deliver
from storage.redis_cancel import stop_task
from storage.redis_client import connect_redis

log = logging.getLogger(__name__)

RECONNECT_DELAY = 1.0
_GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*?[]^"})


def _glob_escape(text: str) -> str:
    """``text`` matched literally in a Redis glob pattern (PSUBSCRIBE)."""
    return text.translate(_GLOB_SPECIAL)


class RedisBus:
    """Fan-out across processes, e.g. a visitor on one process and the rep on another.

    Redis pub/sub is fire-and-forget: a process that is down misses messages, which is fine
    because the bus only notifies; the store holds the record and the outbox relay re-publishes
    what a crash left unpublished. Each subscription gets its own pub/sub connection and a
    reader task that feeds the same bounded drop-oldest queue as MemoryBus, so a slow consumer
    never makes Redis buffer for it (Redis disconnects subscribers whose output buffer overflows).
    That is fine for the few long-lived consumers (consoles, Slack); families of topics with one
    consumer per topic (widget sockets) use ``listen``: one connection for all of them.

    Pub/sub channels are global to the Redis server, not per database number: ``prefix``
    keeps two installations sharing a server apart.
    """

    def __init__(
        self, url: str | Redis, *, prefix: str = "qualibot:", maxsize: int = DEFAULT_MAXSIZE
    ) -> None:
        # A URL gives the bus its own client (closed by ``close``); a client is shared, e.g.
        # with RedisLocks, and stays open for its owner to close.
        self._owned = isinstance(url, str)
        self._redis: Redis = connect_redis(url) if isinstance(url, str) else url
        self._prefix = prefix
        self._maxsize = maxsize
        self._subscriptions: set[QueueSubscription] = set()
        self._listeners: set[PrefixListener] = set()

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` to every current subscriber of ``topic``, in any process."""
        await self._redis.publish(self._prefix + topic, dumps(payload))

    async def publish_many(self, messages: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """``publish`` each (topic, payload) in order, in one pipeline: one round trip.

        The publisher sends each event on two topics, one after the other: a payload that
        repeats is encoded once.
        """
        async with self._redis.pipeline(transaction=False) as pipe:
            last: Mapping[str, Any] | None = None
            data = ""
            for topic, payload in messages:
                if payload is not last:
                    last, data = payload, dumps(payload)
                pipe.publish(self._prefix + topic, data)
            await pipe.execute()

    async def subscribe(self, *topics: str) -> QueueSubscription:
        """Start receiving messages published to any of ``topics`` from now on.

        Returns only once Redis has confirmed every channel: a message published after this
        call returns is guaranteed to be delivered ("from now on" in ``bot.ports.Bus``).
        """
        pubsub = self._redis.pubsub()
        channels = {self._prefix + t for t in topics}
        try:
            await pubsub.subscribe(*channels)
            confirmed = 0
            while confirmed < len(channels):
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    raise TimeoutError(f"Redis did not confirm SUBSCRIBE to {sorted(channels)}")
                confirmed += message["type"] == "subscribe"
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        sub = QueueSubscription(topics, self._maxsize)
        reader = asyncio.create_task(
            self._read(pubsub, "message", lambda m: sub.deliver(json.loads(m["data"]))),
            name=f"redis-bus {topics}",
        )
        sub.on_close(_stopper(reader, pubsub, lambda: self._subscriptions.discard(sub)))
        self._subscriptions.add(sub)
        return sub

    async def listen(self, prefix: str, deliver: Deliver) -> PrefixListener:
        """Call ``deliver(topic, payload)`` for every topic starting with ``prefix`` (see Bus).

        One PSUBSCRIBE on one pub/sub connection, however many topics it covers: the widget
        registers once per process instead of one connection per socket. Each payload is
        decoded once, here, and handed on synchronously. Returns once Redis has confirmed.
        """
        pattern = _glob_escape(self._prefix + prefix) + "*"
        pubsub = self._redis.pubsub()
        try:
            await pubsub.psubscribe(pattern)
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    raise TimeoutError(f"Redis did not confirm PSUBSCRIBE to {pattern}")
                if message["type"] == "psubscribe":
                    break
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        listener = PrefixListener(prefix, deliver)
        skip = len(self._prefix)

        def on_message(message: Mapping[str, Any]) -> None:
            channel = message["channel"]
            topic = (channel.decode() if isinstance(channel, bytes) else channel)[skip:]
            listener.deliver(topic, json.loads(message["data"]))

        reader = asyncio.create_task(
            self._read(pubsub, "pmessage", on_message), name=f"redis-bus {pattern}"
        )
        listener.on_close(_stopper(reader, pubsub, lambda: self._listeners.discard(listener)))
        self._listeners.add(listener)
        return listener

    async def _read(
        self, pubsub: PubSub, kind: str, handle: Callable[[Mapping[str, Any]], None]
    ) -> None:
        """Hand each ``kind`` message ("message" or "pmessage") of ``pubsub`` to ``handle``."""
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except RedisConnectionError:
                # redis-py reconnects and re-subscribes on the next read; messages published
                # meanwhile are lost, as with any pub/sub outage (the store has the record).
                log.warning("Redis bus connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            if message is not None and message["type"] == kind:
                try:
                    handle(message)
                except ValueError:  # not JSON: someone else's message on our channel
                    log.warning("Redis bus: undecodable message on %r", message["channel"])

    async def close(self) -> None:
        """Close every subscription and listener, and the client when the bus created it."""
        for sub in list(self._subscriptions):
            await sub.close()
        for listener in list(self._listeners):
            await listener.close()
        if self._owned:
            await self._redis.aclose()


def _stopper(
    reader: asyncio.Task[None], pubsub: PubSub, forget: Callable[[], None]
) -> Callable[[], Awaitable[None]]:
    """What closing a subscription or listener does: stop its reader, close its connection."""

    async def stop() -> None:
        await stop_task(reader)  # not a bare cancel: a reconnect in flight may swallow it
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        forget()

    return stop
