"""MemoryBus and MemoryLocks: the single-process Bus and Locks, and the fakes tests run against.

TeeBus lets a process tell its own events apart on a shared bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ports import Bus, Deliver, Listener, Subscription

log = logging.getLogger(__name__)

DEFAULT_MAXSIZE = 1000


class QueueSubscription:
    """A subscription fed through a bounded queue; shared by MemoryBus and RedisBus.

    The queue is bounded and drops the *oldest* message when full, so a slow subscriber (a
    stalled rep console) never blocks the publisher: the service publishes after every turn and
    must not wait on its slowest listener. Bus messages are notifications, not the record (the
    store is, style rule 4), so a subscriber that fell behind re-reads what it missed with
    ``Store.transcript(after_seq=...)``. ``dropped`` counts what was lost.
    """

    def __init__(self, topics: Iterable[str], maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.topics = tuple(topics)
        self.dropped = 0
        self._queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue(maxsize)
        self._closed = False
        self._on_close: list[Callable[[], Awaitable[None] | None]] = []

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """Queue ``payload`` without waiting, dropping the oldest queued message when full."""
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("bus subscriber on %s is slow: %d dropped", self.topics, self.dropped)
        self._queue.put_nowait(payload)

    def on_close(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        """Register a no-argument callable (sync or async) to run once on ``close``."""
        self._on_close.append(callback)

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Mapping[str, Any]]:
        while not self._closed:
            item = await self._queue.get()
            if item is None:  # the sentinel close() puts in to wake a waiting reader
                return
            yield item

    async def close(self) -> None:
        """Stop receiving: buffered messages are discarded and iteration ends."""
        if self._closed:
            return
        self._closed = True
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)
        for callback in self._on_close:
            result = callback()
            if result is not None:
                await result


class PrefixListener:
    """A ``Bus.listen`` registration, shared by MemoryBus and RedisBus: a callback, no queue.

    Nothing is buffered, so nothing is dropped and an idle listener costs nothing; the callback
    must therefore be quick and never await (the widget's only records a seq per socket). One
    failing call is logged and does not stop later ones or the publisher.
    """

    def __init__(self, prefix: str, deliver: Deliver) -> None:
        self.prefix = prefix
        self._deliver = deliver
        self._closed = False
        self._on_close: list[Callable[[], Awaitable[None] | None]] = []

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def deliver(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Call the callback now, unless closed; its exceptions are logged, not raised."""
        if self._closed:
            return
        try:
            self._deliver(topic, payload)
        except Exception:
            log.exception("bus listener on %r failed on %r", self.prefix, topic)

    def on_close(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        """Register a no-argument callable (sync or async) to run once on ``close``."""
        self._on_close.append(callback)

    async def close(self) -> None:
        """Stop delivering; idempotent."""
        if self._closed:
            return
        self._closed = True
        for callback in self._on_close:
            result = callback()
            if result is not None:
                await result


class MemoryBus:
    """Per-topic fan-out within one process.

    ``publish`` never awaits a subscriber: each subscription has its own bounded queue (see
    ``QueueSubscription`` for the drop-oldest policy), so publishing costs one ``put_nowait`` per
    subscriber. Payloads are delivered as the same object to every subscriber: treat them as
    read-only, as they would be after a JSON round trip through Redis.
    """

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self._maxsize = maxsize
        self._topics: dict[str, set[QueueSubscription]] = {}
        self._listeners: list[PrefixListener] = []

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` to every current subscriber and listener of ``topic``."""
        for sub in tuple(self._topics.get(topic, ())):
            sub.deliver(payload)
        for listener in tuple(self._listeners):  # a handful at most: one per kind of consumer
            if topic.startswith(listener.prefix):
                listener.deliver(topic, payload)

    async def publish_many(self, messages: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """``publish`` each (topic, payload) in order (RedisBus does it in one round trip).

        ``publish``'s body inlined: a turn publishes two messages per event, and a coroutine
        each cost more than delivering to nobody (the usual case for per-conversation topics).
        """
        topics, listeners = self._topics, self._listeners
        for topic, payload in messages:
            subs = topics.get(topic)
            if subs:
                for sub in tuple(subs):
                    sub.deliver(payload)
            if listeners:
                for listener in tuple(listeners):
                    if topic.startswith(listener.prefix):
                        listener.deliver(topic, payload)

    async def listen(self, prefix: str, deliver: Deliver) -> PrefixListener:
        """Call ``deliver(topic, payload)`` for every topic starting with ``prefix`` (see Bus)."""
        listener = PrefixListener(prefix, deliver)
        self._listeners.append(listener)
        listener.on_close(lambda: self._listeners.remove(listener))
        return listener

    async def subscribe(self, *topics: str) -> QueueSubscription:
        """Start receiving messages published to any of ``topics`` from now on."""
        sub = QueueSubscription(topics, self._maxsize)
        for topic in topics:
            self._topics.setdefault(topic, set()).add(sub)
        sub.on_close(lambda: self._remove(sub))
        return sub

    def _remove(self, sub: QueueSubscription) -> None:
        for topic in sub.topics:
            subs = self._topics.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:  # no empty sets left behind: topics are often per-conversation
                    del self._topics[topic]


class TeeBus:
    """A shared bus (Redis) whose publications this process also sees on a bus of its own.

    Followers that must act once per event however many processes run (the Slack desk: one
    mirrored line per message, one card update per claim) subscribe to ``own``, which carries
    only what this process published; everything else goes to ``shared``.
    """

    def __init__(self, shared: Bus, own: Bus) -> None:
        self.shared, self.own = shared, own

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Publish to the shared bus, then to this process's own."""
        await self.shared.publish(topic, payload)
        await self.own.publish(topic, payload)

    async def publish_many(self, messages: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """``publish`` each (topic, payload) in order; in one go on a shared bus that can."""
        many = getattr(self.shared, "publish_many", None)
        if many is not None:
            await many(messages)
        else:
            for topic, payload in messages:
                await self.shared.publish(topic, payload)
        for topic, payload in messages:
            await self.own.publish(topic, payload)

    async def subscribe(self, *topics: str) -> Subscription:
        """Subscribe on the shared bus: every process's messages."""
        return await self.shared.subscribe(*topics)

    async def listen(self, prefix: str, deliver: Deliver) -> Listener:
        """Listen on the shared bus: every process's messages."""
        return await self.shared.listen(prefix, deliver)


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holders plus waiters


class MemoryLocks:
    """One ``asyncio.Lock`` per name, created on demand and dropped when nobody holds or waits.

    Entries are reference-counted (holder plus waiters) and removed at zero, so memory tracks the
    conversations active *now*, not every conversation ever seen.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        """Number of names currently held or waited on."""
        return len(self._entries)

    def hold(self, name: str) -> _Hold:
        """Hold the lock called ``name`` for the duration of the ``async with``."""
        return _Hold(self._entries, name)


class _Hold:
    """One ``async with`` of ``MemoryLocks.hold``.

    A class rather than an ``asynccontextmanager``: every turn enters one, and the generator
    machinery (a generator, two ``anext`` awaits, the exit's exception plumbing) cost more than
    the lock itself.
    """

    __slots__ = ("_entries", "_entry", "_name")

    def __init__(self, entries: dict[str, _Entry], name: str) -> None:
        self._entries, self._name = entries, name

    async def __aenter__(self) -> None:
        entry = self._entries.get(self._name)
        if entry is None:
            entry = self._entries[self._name] = _Entry()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:
            # A waiter cancelled before acquiring gives its count back.
            self._leave(entry)
            raise
        self._entry = entry

    async def __aexit__(self, *exc_info: object) -> None:
        entry = self._entry
        entry.lock.release()
        self._leave(entry)

    def _leave(self, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[self._name]
