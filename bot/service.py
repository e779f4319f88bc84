"""The one orchestrator every inbound message goes through: lock, load, decide, commit, publish."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from bot.clock import Clock
from bot.decision import Decision
from bot.engine import Engine
from bot.flow import Flow
from bot.frozen import fast_init
from bot.handoff import claimed, closed_by_rep, handed_back, routed
from bot.messages import ConversationKey, Inbound
from bot.ports import Bus, Channel, Locks, Outbox, StaleSnapshot, Store, Unit
from bot.publisher import Publisher
from bot.rep_ports import Reps
from bot.routing import route
from bot.state import Outcome, Rep, Snapshot, StoredMessage
from bot.turns import Committed, commit, storable

log = logging.getLogger(__name__)
T = TypeVar("T")
# A turn redone this often in a row on a stale snapshot gives up (raises StaleSnapshot): each
# redo reads the conversation afresh, so only a writer racing every single attempt gets here.
STALE_RETRIES = 5


@fast_init
@dataclass(frozen=True, slots=True)
class Reply:
    """What the calling adapter sends back at once: the bot's replies never wait for the bus."""

    duplicate: bool
    inbound: StoredMessage | None
    messages: tuple[StoredMessage, ...]


class Service:
    """Runs turns for every conversation of one flow, one at a time per conversation."""

    def __init__(
        self,
        flow: Flow,
        store: Store,
        bus: Bus,
        locks: Locks,
        clock: Clock,
        reps: Reps | None = None,
    ) -> None:
        self.flow, self.store, self.bus, self.locks, self.clock = flow, store, bus, locks, clock
        self.reps = reps
        # Channels that need a push for messages nobody is waiting on (Slack, Telegram). The
        # widget is not here: its sockets follow the bus. Filled by the app factory.
        self.channels: dict[str, Channel] = {}
        self.engine = Engine(flow)
        self.publisher = Publisher(bus, store if isinstance(store, Outbox) else None, clock)

    async def _in_unit(self, key: ConversationKey, body: Callable[[Unit], Awaitable[T]]) -> T:
        """Run ``body`` in one unit under the conversation's lock, redone on a stale snapshot.

        The store may load from memory and refuse the write if another process (or another
        path) changed the conversation meanwhile (``StaleSnapshot``); the turn is then decided
        again on a fresh load. ``body`` must be safe to redo: its writes are all rolled back.
        """
        async with self.locks.hold(str(key)):
            for attempt in range(1, STALE_RETRIES + 1):
                try:
                    async with self.store.unit() as unit:
                        return await body(unit)
                except StaleSnapshot:
                    if attempt == STALE_RETRIES:
                        raise
                    log.info("stale snapshot of %s, redoing the turn", key)
        raise AssertionError("unreachable")

    async def start(self, key: ConversationKey) -> Reply:
        """Open a conversation the bot speaks first in (greeting + first question); idempotent."""
        now = self.clock.now()

        async def body(unit: Unit) -> Committed | None:
            # Load after lock (aiogram #1317). From the cache is fine: seq only grows, so a
            # stale "seq > 0" cannot be, and a stale 0 fails the write and is redone.
            snapshot = await unit.load(key, now)
            if snapshot.seq:
                return None
            return await commit(unit, snapshot, self.engine.start(snapshot, now), now)

        done = await self._in_unit(key, body)
        if done is None:
            return Reply(False, None, ())
        self._after_commit(done)
        return Reply(False, None, done.replies)

    async def receive(self, inbound: Inbound) -> Reply:
        """Store one inbound message and run the bot's turn on it, in one transaction.

        A re-delivered message (same channel and external id) changes nothing and is reported
        as a duplicate. The turn is decided before the store says whether the message is new
        (deciding is pure), so the message and the turn are written in one call.
        """
        now = self.clock.now()
        text = storable(self._shown(inbound))

        async def body(unit: Unit) -> tuple[StoredMessage, Committed | None]:
            snapshot = await unit.load(inbound.key, now)
            message = StoredMessage(
                seq=snapshot.seq + 1,
                author="visitor",
                text=text,
                at=now,
                external_id=inbound.external_id,
                kind=inbound.kind,
                author_name=inbound.sender_name,
            )
            snapshot = at_seq(snapshot, message.seq)
            decision = self.engine.decide(snapshot, inbound, now)
            if decision.handoff is not None:
                decision = await self._route(snapshot, decision, now)
            return message, await commit(unit, snapshot, decision, now, inbound=message)

        message, done = await self._in_unit(inbound.key, body)
        if done is None:
            return Reply(True, None, ())
        self._after_commit(done)
        return Reply(False, message, done.replies)

    async def tick(self) -> int:
        """Run due timers (idle nudge, close).

        Timers live in the database, so they survive restarts and work with several processes.
        """
        now = self.clock.now()
        keys = await self.store.due(now)
        for key in keys:

            async def body(unit: Unit, key: ConversationKey = key) -> Committed | None:
                snapshot = await unit.load(key, now)
                return await commit(unit, snapshot, self.engine.on_timer(snapshot, now), now)

            done = await self._in_unit(key, body)
            assert done is not None  # no inbound message: never a duplicate
            self._after_commit(done)
            await self.push(key, done.replies)
        return len(keys)

    async def claim(self, key: ConversationKey, rep: Rep) -> bool:
        """Let ``rep`` take the conversation over; True for the one claim that wins."""
        now = self.clock.now()

        async def body(unit: Unit) -> Committed | None:
            snapshot = await unit.load(key, now, fresh=True)  # may end without a write
            if snapshot.owner != "queued" or not await unit.claim(
                snapshot.conversation_id, rep.id, now
            ):
                return None
            decision = claimed(self.flow, snapshot, rep.id, rep.name, now)
            return await commit(unit, snapshot, decision, now)

        done = await self._in_unit(key, body)
        if done is None:
            return False
        self._after_commit(done)
        await self.push(key, done.replies)
        return True

    async def rep_say(
        self, key: ConversationKey, rep: Rep, text: str, external_id: str
    ) -> StoredMessage | None:
        """A rep's message to the prospect.

        None unless ``rep`` owns the conversation now, or when ``external_id`` was delivered before.
        """
        now = self.clock.now()

        async def body(unit: Unit) -> tuple[StoredMessage, Committed] | None:
            snapshot = await unit.load(key, now, fresh=True)  # may end without a write
            if snapshot.owner != "rep" or snapshot.context.get("rep_id") != rep.id:
                return None
            message = StoredMessage(
                seq=snapshot.seq + 1,
                author="rep",
                text=storable(text),
                at=now,
                external_id=f"rep:{external_id}",
                author_name=rep.name,
            )
            snapshot = replace(snapshot, seq=message.seq)
            decision = self.engine.unchanged(snapshot, now)
            done = await commit(unit, snapshot, decision, now, inbound=message)
            return None if done is None else (message, done)

        said = await self._in_unit(key, body)
        if said is None:
            return None
        message, done = said
        self._after_commit(done)
        await self.push(key, (message,))
        return message

    async def hand_back(self, key: ConversationKey, rep: Rep) -> Reply:
        """The owning rep returns the conversation; the bot resumes the open questions."""
        return await self._end(key, rep, None)

    async def close(self, key: ConversationKey, rep: Rep, outcome: Outcome) -> Reply:
        """The owning (or any, if queued) rep closes the conversation with an outcome."""
        return await self._end(key, rep, outcome)

    async def _end(self, key: ConversationKey, rep: Rep, outcome: Outcome | None) -> Reply:
        now = self.clock.now()

        async def body(unit: Unit) -> Committed | None:
            snapshot = await unit.load(key, now, fresh=True)  # may end without a write
            owns = snapshot.owner == "rep" and snapshot.context.get("rep_id") == rep.id
            if not (owns or (outcome is not None and snapshot.owner == "queued")):
                return None
            if outcome is None:
                decision = handed_back(self.flow, snapshot, rep.id, rep.name, now)
                await unit.end_handoff(snapshot.conversation_id, "handed_back", None, now)
            else:
                decision = closed_by_rep(self.flow, snapshot, rep.name, outcome, now)
                await unit.end_handoff(snapshot.conversation_id, "closed", outcome, now)
            return await commit(unit, snapshot, decision, now)

        done = await self._in_unit(key, body)
        if done is None:
            return Reply(False, None, ())
        self._after_commit(done)
        await self.push(key, done.replies)
        return Reply(False, None, done.replies)

    async def push(self, key: ConversationKey, messages: Sequence[StoredMessage]) -> None:
        """Hand stored messages to the conversation's channel, if it needs a push.

        A delivery failure is logged, not raised: the message is stored either way, and the
        rep's action (claim, reply, hand back) must not fail because a platform is down.
        """
        channel = self.channels.get(key.channel)
        if channel is None or not messages:
            return
        try:
            await channel.send(key, messages)
        except Exception:
            log.exception("delivery to %s failed", key)

    def _after_commit(self, done: Committed) -> None:
        # The ids only serve to mark the turn's events published together: pairing is loose.
        self.publisher.committed(zip(done.outbox_ids, done.events, strict=True))

    async def drain(self) -> None:
        """Wait until the events of every finished turn are published (shutdown, tests)."""
        await self.publisher.drain()

    async def relay_outbox(self) -> int:
        """Publish events a crash left unpublished; see ``Publisher.relay``."""
        return await self.publisher.relay()

    def _shown(self, inbound: Inbound) -> str:
        """The transcript shows a click as the button's label ("Within 3 months"), not its value."""
        button = self.flow.buttons.get(inbound.text) if inbound.kind == "click" else None
        return button[1].label if button is not None else inbound.text

    async def _route(self, snapshot: Snapshot, decision: Decision, now: datetime) -> Decision:
        """Choose team and rep for a new hand-off (only on hand-off turns: no cost otherwise)."""
        evidence = {**snapshot.evidence, **{e.slot: e for e in decision.evidence}}
        loads = await self.reps.rep_loads() if self.reps is not None else []
        return routed(self.flow, decision, route(self.flow.spec.routing, evidence, loads, now), now)


def at_seq(snapshot: Snapshot, seq: int) -> Snapshot:
    """``dataclasses.replace(snapshot, seq=seq)``, for a third of its instructions.

    ``replace`` walks the class's fields and calls ``__init__`` with keywords on every message;
    this names them (tests/unit/test_service_speed_snapshot.py checks it against ``replace``
    with every field set, and fails when Snapshot gains a field this does not copy).
    """
    return Snapshot(snapshot.conversation_id, snapshot.key, snapshot.state, snapshot.owner,
                    snapshot.stage, snapshot.score, snapshot.evidence, snapshot.context,
                    snapshot.opted_out, seq, snapshot.last_inbound_at, snapshot.lead)  # fmt: skip
