"""The one orchestrator every inbound message goes through: lock, load, decide, commit, publish."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from bot.clock import Clock
from bot.decision import Decision
from bot.engine import Engine
from bot.events import Event, MessageAdded
from bot.flow import Flow
from bot.messages import ConversationKey, Inbound
from bot.ports import Bus, Locks, Outbox, Store, Unit
from bot.state import Snapshot, StoredMessage, Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reply:
    """What the calling adapter sends back at once: the bot's replies never wait for the bus."""

    duplicate: bool
    inbound: StoredMessage | None
    messages: tuple[StoredMessage, ...]


class Service:
    """Runs turns for every conversation of one flow, one at a time per conversation."""

    def __init__(self, flow: Flow, store: Store, bus: Bus, locks: Locks, clock: Clock) -> None:
        self.flow, self.store, self.bus, self.locks, self.clock = flow, store, bus, locks, clock
        self.engine = Engine(flow)
        self._relay_lock = asyncio.Lock()
        self._relay_again = False

    async def start(self, key: ConversationKey) -> Reply:
        """Open a conversation the bot speaks first in (greeting + first question); idempotent."""
        now = self.clock.now()
        async with self.locks.hold(str(key)), self.store.unit() as unit:
            snapshot = await unit.load(key, now)  # load after lock: see aiogram #1317
            if snapshot.seq:
                return Reply(False, None, ())
            stored = await self._commit(unit, snapshot, self.engine.start(snapshot, now), now)
        await self.relay_outbox()
        return Reply(False, None, stored)

    async def receive(self, inbound: Inbound) -> Reply:
        """Store one inbound message and run the bot's turn on it, in one transaction.

        A re-delivered message (same channel and external id) changes nothing and is reported
        as a duplicate.
        """
        now = self.clock.now()
        async with self.locks.hold(str(inbound.key)), self.store.unit() as unit:
            snapshot = await unit.load(inbound.key, now)
            message = StoredMessage(
                seq=snapshot.seq + 1, author="visitor", text=storable(inbound.text), at=now,
                external_id=inbound.external_id, kind=inbound.kind, author_name=inbound.sender_name,
            )
            if not await unit.add_message(snapshot.conversation_id, message):
                return Reply(True, None, ())
            snapshot = replace(snapshot, seq=message.seq)
            decision = self.engine.decide(snapshot, inbound, now)
            stored = await self._commit(unit, snapshot, decision, now, inbound=message)
        await self.relay_outbox()
        return Reply(False, message, stored)

    async def tick(self) -> int:
        """Run due timers (idle nudge, close); timers live in the database, so they survive
        restarts and work with several processes."""
        now = self.clock.now()
        keys = await self.store.due(now)
        for key in keys:
            async with self.locks.hold(str(key)), self.store.unit() as unit:
                snapshot = await unit.load(key, now)
                await self._commit(unit, snapshot, self.engine.on_timer(snapshot, now), now)
        if keys:
            await self.relay_outbox()
        return len(keys)

    async def hand_back(self, key: ConversationKey) -> Reply:
        """A rep returns the conversation to the bot, which resumes the open questions."""
        now = self.clock.now()
        async with self.locks.hold(str(key)), self.store.unit() as unit:
            snapshot = await unit.load(key, now)
            stored = await self._commit(unit, snapshot, self.engine.hand_back(snapshot, now), now)
        await self.relay_outbox()
        return Reply(False, None, stored)

    async def relay_outbox(self) -> int:
        """Publish committed events that are not published yet: after every turn, and
        periodically for what a crash left behind. Concurrent calls coalesce into one loop."""
        outbox = self.store
        if not isinstance(outbox, Outbox):
            return 0
        if self._relay_lock.locked():
            self._relay_again = True
            return 0
        published = 0
        async with self._relay_lock:
            self._relay_again = True
            while self._relay_again:
                self._relay_again = False
                while batch := await outbox.pending(500):
                    for _, payload in batch:
                        await self.bus.publish("events", payload)
                        await self.bus.publish(f"conversation:{payload['key']}", payload)
                    await outbox.mark_published([event_id for event_id, _ in batch])
                    published += len(batch)
        return published

    async def _commit(
        self, unit: Unit, snapshot: Snapshot, decision: Decision, now: datetime,
        inbound: StoredMessage | None = None,
    ) -> tuple[StoredMessage, ...]:
        replies = tuple(
            StoredMessage(seq=snapshot.seq + i, author="bot", text=line.text, at=now,
                          quick_replies=line.quick_replies)
            for i, line in enumerate(decision.replies, start=1)
        )
        said = (inbound, *replies) if inbound is not None else replies
        await unit.commit_turn(Turn(
            conversation_id=snapshot.conversation_id, state=decision.state, owner=decision.owner,
            stage=decision.stage, score=decision.score, context=decision.context,
            opted_out=decision.opted_out, wake_at=decision.wake_at,
            last_inbound_at=decision.last_inbound_at, messages=replies,
            evidence=decision.evidence, stage_change=decision.stage_change,
            handoff=decision.handoff, lead=decision.lead,
            events=(*(_added(snapshot.key, m) for m in said if m is not None), *decision.events),
        ))
        return replies


def _added(key: ConversationKey, message: StoredMessage) -> Event:
    return MessageAdded(
        key, message.at, message.seq, message.author, message.text, message.author_name,
        tuple((q.label, q.value) for q in message.quick_replies), message.kind,
    )


def storable(text: str) -> str:
    """The text as the prospect wrote it, but for NUL, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "\ufffd")
