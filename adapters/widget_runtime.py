"""What a widget session needs from the rest of the app, bound once the store is open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from adapters.widget_guard import RateLimiter, VisitorTokens
from bot.clock import Clock
from bot.messages import ConversationKey, Inbound
from bot.ports import Bus
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


@dataclass(slots=True)
class Runtime:
    """Everything a session shares with its channel, bound once the store is open."""

    service: Conversations
    store: Transcripts
    bus: Bus
    clock: Clock
    tokens: VisitorTokens
    limiter: RateLimiter
    max_chars: int
    proactive: Sequence[Proactive]
    labels: Mapping[str, str]  # quick-reply value -> label, from the flow
    inflight: Inflight
    closing: Callable[[], bool]
    labels_limit: int = 500
