"""What a widget session needs from the rest of the app, bound once the store is open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from adapters.widget_guard import RateLimiter, VisitorTokens
from bot.clock import Clock
from bot.messages import ConversationKey, Inbound
from bot.ports import Bus, Listener
from bot.state import StoredMessage


class Reply(Protocol):
    """What the service returns (bot.service.Reply), as far as the widget needs it."""

    @property
    def duplicate(self) -> bool: ...  # noqa: D102
    @property
    def inbound(self) -> StoredMessage | None: ...  # noqa: D102
    @property
    def messages(self) -> tuple[StoredMessage, ...]: ...  # noqa: D102


class Conversations(Protocol):
    """The two service calls the widget makes (bot.service.Service)."""

    async def start(self, key: ConversationKey) -> Reply: ...  # noqa: D102
    async def receive(self, inbound: Inbound) -> Reply: ...  # noqa: D102


class Transcripts(Protocol):
    """The store's read side the widget uses to replay and fill gaps."""

    async def transcript(  # noqa: D102
        self, key: ConversationKey, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]: ...


@dataclass(frozen=True, slots=True)
class Proactive:
    """A flow's proactive rule as the client needs it (see flows/bant.yaml ``widget``)."""

    page: str
    after_seconds: int
    message: str


class Inflight(contextlib.AbstractContextManager[None]):
    """Counts frames being processed, so a stopping server can wait for them to finish.

    A plain class, not ``@asynccontextmanager``: it is entered once per message, and a
    generator-based manager costs several times as much.
    """

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def __enter__(self) -> None:
        self.count += 1
        self.idle.clear()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


class Notified(Protocol):
    """A widget socket as the fanout sees it (adapters.widget_session.Session)."""

    def notify(self, seq: int) -> None:
        """Line ``seq`` of this socket's conversation was committed; must not block."""
        ...


class Fanout:
    """Bus notifications to this process's widget sockets: one bus listener for all of them.

    A subscription per socket cost a queue and a task each (a Redis connection each, with
    RedisBus); a shared subscription queue overflowed when the publisher sent a batch for many
    conversations at once. Here one ``Bus.listen`` on "conversation:" is registered by the first
    socket, each notification is handed synchronously to the sockets of its topic, and joining or
    leaving is a dict operation.
    """

    PREFIX = "conversation:"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._sockets: dict[str, set[Notified]] = {}
        self._listener: Listener | None = None
        self._starting = asyncio.Lock()

    def __len__(self) -> int:
        """Number of conversations with a socket in this process."""
        return len(self._sockets)

    async def join(self, topic: str, socket: Notified) -> None:
        """Notify ``socket`` of every message of ``topic`` published from now on."""
        if self._listener is None:
            async with self._starting:
                if self._listener is None:
                    self._listener = await self.bus.listen(self.PREFIX, self._dispatch)
        sockets = self._sockets.get(topic)
        if sockets is None:
            sockets = self._sockets[topic] = set()
        sockets.add(socket)

    def leave(self, topic: str, socket: Notified) -> None:
        """Stop notifying ``socket``; conversations without sockets leave no entry behind."""
        sockets = self._sockets.get(topic)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[topic]

    async def close(self) -> None:
        """Unregister from the bus (server shutdown); a later ``join`` registers again."""
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()

    def _dispatch(self, topic: str, payload: Mapping[str, Any]) -> None:
        sockets = self._sockets.get(topic)
        if not sockets:  # most topics in a multi-process deployment: not this process's
            return
        seq = payload.get("seq")
        if payload.get("event") != "message_added" or not isinstance(seq, int):
            return
        for socket in tuple(sockets):
            socket.notify(seq)


@dataclass(slots=True)
class Runtime:
    """Everything a session shares with its channel, bound once the store is open."""

    service: Conversations
    store: Transcripts
    bus: Bus
    fanout: Fanout
    clock: Clock
    tokens: VisitorTokens
    limiter: RateLimiter
    max_chars: int
    proactive: Sequence[Proactive]
    labels: Mapping[str, str]  # quick-reply value -> label, from the flow
    inflight: Inflight
    closing: Callable[[], bool]
    labels_limit: int = 500
    typing_after: float = 0.3  # seconds a reply may take before a ``typing`` frame goes out
