"""Every seam of the core on one page: storage (Store + one-transaction Unit), Outbox, Bus, Locks.

Each is a small Protocol with an in-memory implementation that is both the test fake and the
single-process default (style rule 8, after httpx's transports).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.messages import ConversationKey
from bot.state import Evidence, Snapshot, StageChange, StoredMessage, Turn


class Unit(Protocol):
    """One transaction: load, add the inbound message, commit the turn. Leaving the context
    manager commits; an exception rolls everything back."""

    async def load(self, key: ConversationKey, now: datetime) -> Snapshot:
        """Load the conversation, creating lead and conversation on first contact."""
        ...

    async def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) when ``message.external_id``
        was already stored for this channel: the idempotency constraint of style rule 6."""
        ...

    async def commit_turn(self, turn: Turn) -> None:
        """Write the conversation's new state, messages, evidence, stage change, hand-off, outbox."""
        ...


class Store(Protocol):
    """Durable conversation state: the one source of truth (style rule 4)."""

    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """Open one transaction."""
        ...

    async def transcript(
        self, key: ConversationKey, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]:
        """Messages with ``seq > after_seq``, oldest first (widget replay, console view)."""
        ...

    async def evidence_log(self, key: ConversationKey) -> list[Evidence]:
        """Every evidence row ever recorded, oldest first, superseded ones included."""
        ...

    async def stage_history(self, key: ConversationKey) -> list[StageChange]:
        """Stage changes, oldest first."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> list[ConversationKey]:
        """Conversations whose timer (``Turn.wake_at``) is at or before ``now``."""
        ...


@runtime_checkable
class Outbox(Protocol):
    """Events written in the turn's transaction, published after commit; the relay re-publishes
    what a crash left unpublished."""

    async def pending(self, limit: int = 100) -> list[tuple[int, Mapping[str, Any]]]:
        """Unpublished events (id, JSON), oldest first."""
        ...

    async def mark_published(self, ids: Sequence[int]) -> None:
        """Mark events as published."""
        ...


class Subscription(Protocol):
    """A live feed of bus messages; close it when done."""

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        """Iterate messages as they arrive."""
        ...

    async def close(self) -> None:
        """Stop receiving."""
        ...


class Bus(Protocol):
    """Fan-out of events between the parts of one process, or of several (Redis)."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` to every current subscriber of ``topic``."""
        ...

    async def subscribe(self, *topics: str) -> Subscription:
        """Start receiving messages published to any of ``topics`` from now on."""
        ...


class Locks(Protocol):
    """Per-conversation mutual exclusion, so two messages of one conversation never interleave."""

    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock called ``name`` for the duration of the ``async with``."""
        ...
