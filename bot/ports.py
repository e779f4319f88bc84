"""The seams of the core: storage (Store + one-transaction Unit), Outbox, Bus, Locks.

Each is a small Protocol with an in-memory implementation that is both the test fake and the
single-process default (style rule 8, after httpx's transports).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.messages import ConversationKey
from bot.state import (
    Evidence,
    HandoffStatus,
    Outcome,
    Snapshot,
    StageChange,
    StoredMessage,
    Turn,
)


class Channel(Protocol):
    """Delivers to a prospect what no adapter call is waiting for.

    That is rep messages, notices such as "Dana joined", idle nudges and hand-off fallbacks. The
    bot's direct replies to an inbound message go back to the calling adapter instead (design:
    the path of one message, step 6).
    """

    async def send(self, key: ConversationKey, messages: Sequence[StoredMessage]) -> None:
        """Deliver ``messages`` (already stored, in seq order) to the conversation's prospect."""
        ...


class StaleSnapshot(Exception):
    """The conversation changed since the unit's snapshot was taken: redo the whole turn.

    A store may serve ``Unit.load`` from memory; it then writes the turn only if the
    conversation is still as loaded (optimistic concurrency) and raises this otherwise, after
    rolling the unit back and forgetting what it remembered. The caller retries in a new unit,
    which reads the conversation afresh.
    """


class Unit(Protocol):
    """One transaction: load, add the inbound message, commit the turn.

    Leaving the context manager commits; an exception rolls everything back.
    """

    async def load(self, key: ConversationKey, now: datetime, *, fresh: bool = False) -> Snapshot:
        """Load the conversation; on first contact, the fresh conversation a write will keep.

        A store may create lead and conversation only with the unit's first write (so a unit
        that writes nothing creates nothing); until the unit commits, ``conversation_id`` may
        then be provisional, valid in this unit's calls only. A store may answer from memory;
        ``commit_turn`` then checks that the conversation did not change meanwhile. A caller
        that may decide *not* to write (a rep's claim, say, refused on what it read) passes
        ``fresh=True`` to read the database itself.
        """
        ...

    async def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False, writing nothing, for a re-delivered message.

        The unique (channel, external_id) index decides (style rule 6), across processes too.
        """
        ...

    async def finish(self, turn: Turn) -> Sequence[int] | None:
        """``commit_turn`` as the unit's last call: nothing else may follow in this unit.

        Knowing that, a store may write and commit the turn at once, in one batch with other
        units' turns; it returns after the COMMIT that holds the turn.
        """
        ...

    async def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """Give the conversation's queued hand-off to ``rep_id``; False if it was not queued.

        A conditional UPDATE (``WHERE status = 'queued'``) decides, so exactly one rep wins even
        when several click at the same moment, in one process or several.
        """
        ...

    async def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Finish the conversation's open hand-off (handed back to the bot, or closed)."""
        ...

    async def commit_turn(self, turn: Turn) -> Sequence[int] | None:
        """Write the new state, messages, evidence, stage change, hand-off and outbox events.

        Returns the ids of the outbox rows written: one row holding all of ``turn.events`` (none
        for a turn without events; a row per turn, not per event, keeps the writer's per-turn
        work small), so the service can publish the events from memory after commit and mark
        them published without reading them back. When ``turn.inbound`` is set it is appended
        first, as ``add_message`` would; if it is a re-delivery nothing at all is written and
        the result is None. Raises ``StaleSnapshot`` when the conversation changed since ``load``.
        """
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
    """Events written in the turn's transaction and published after commit.

    One row per turn holds that turn's events in order (a turn without events writes none).
    The relay re-publishes what a crash left unpublished.
    """

    async def pending(
        self, limit: int = 100, older_than: datetime | None = None
    ) -> list[tuple[int, Sequence[Mapping[str, Any]]]]:
        """Unpublished rows (id, the turn's events as JSON, in order), oldest first; ``limit`` rows.

        With ``older_than``, only those written before it: the crash-recovery relay leaves the
        events that are being published right now to the process publishing them.
        """
        ...

    async def mark_published(self, ids: Sequence[int]) -> None:
        """Mark rows (all the events of each) as published."""
        ...


class Subscription(Protocol):
    """A live feed of bus messages; close it when done."""

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        """Iterate messages as they arrive."""
        ...

    async def close(self) -> None:
        """Stop receiving."""
        ...


Deliver = Callable[[str, Mapping[str, Any]], None]
"""What a ``Bus.listen`` listener is called with: the topic and the (read-only) payload."""


class Listener(Protocol):
    """A ``Bus.listen`` registration; close it when done."""

    async def close(self) -> None:
        """Stop delivering; idempotent."""
        ...


class Bus(Protocol):
    """Fan-out of events between the parts of one process, or of several (Redis)."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` to every current subscriber of ``topic``."""
        ...

    async def subscribe(self, *topics: str) -> Subscription:
        """Start receiving messages published to any of ``topics`` from now on."""
        ...

    async def listen(self, prefix: str, deliver: Deliver) -> Listener:
        """Call ``deliver(topic, payload)`` for every topic starting with ``prefix``, from now on.

        One listener serves a whole family of topics (every "conversation:<key>"), so a process
        holding thousands of widget sockets keeps one registration, not one queue (or one Redis
        connection) per socket. ``deliver`` runs synchronously, in publish order, and must not
        block; nothing is buffered, so nothing is dropped. An exception it raises is logged.
        """
        ...


class Locks(Protocol):
    """Per-conversation mutual exclusion, so two messages of one conversation never interleave."""

    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock called ``name`` for the duration of the ``async with``."""
        ...
