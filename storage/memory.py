"""MemoryStore: the Store, Unit and Outbox ports in dicts, for tests and throwaway simulations."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.jsontext import dumps, loads
from bot.messages import ConversationKey
from bot.state import (
    Evidence,
    HandoffRequest,
    HandoffStatus,
    Outcome,
    Snapshot,
    StageChange,
    StoredMessage,
    Turn,
)
from storage.codec import lead_changes, utc
from storage.memory_cards import CardRecord, MemoryCards
from storage.memory_desk import HandoffRecord, MemoryDesk, NoteRecord, claimed, ended, new_handoff
from storage.memory_reps import MemoryReps, RepRecord, SessionRecord
from storage.memory_rows import Changes, ConversationRow, LeadRow

T = TypeVar("T")


def _json(value: T) -> T:
    """A JSON round trip, so values come back as SqlStore returns them.

    Tuples become lists, and a value the database would reject fails here too.
    """
    result: T = loads(dumps(value))
    return result


_utc = utc


def _utc_or_none(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


class MemoryUnit:
    """One MemoryStore transaction: writes are staged and applied on a clean exit."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.changes = Changes()

    def _conversation(self, conversation_id: int) -> ConversationRow:
        """This unit's working copy (changes to it are invisible outside until commit)."""
        staged = self.changes.conversations.get(conversation_id)
        if staged is None:
            committed = self._store._conversations.get(conversation_id)
            if committed is None:
                raise LookupError(f"no conversation with id {conversation_id}")
            staged = dataclasses.replace(
                committed, context=dict(committed.context), evidence=dict(committed.evidence)
            )
            self.changes.conversations[conversation_id] = staged
        return staged

    def _lead(self, lead_id: int) -> LeadRow:
        staged = self.changes.leads.get(lead_id)
        if staged is None:
            committed = self._store._leads[lead_id]
            staged = self.changes.leads[lead_id] = dataclasses.replace(
                committed, card=dict(committed.card)
            )
        return staged

    async def load(self, key: ConversationKey, now: datetime, *, fresh: bool = False) -> Snapshot:
        """Load the conversation, creating lead and conversation on first contact."""
        _utc(now)
        conversation_id = self._store._by_key.get(key)
        if conversation_id is None:
            # Units are serialized, so nobody can create the same key concurrently.
            conversation_id = next(self._store._ids)
            lead = LeadRow(next(self._store._ids))
            self.changes.leads[lead.id] = lead
            self.changes.conversations[conversation_id] = ConversationRow(
                conversation_id, key, lead.id
            )
        c = self._conversation(conversation_id)
        return Snapshot(
            conversation_id=c.id, key=c.key, state=c.state, owner=c.owner, stage=c.stage,
            score=c.score, evidence=dict(c.evidence), context=_json(c.context),
            opted_out=c.opted_out, seq=c.seq, last_inbound_at=c.last_inbound_at,
            lead=dict(self._lead(c.lead_id).card),
        )  # fmt: skip

    async def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) for a known external id."""
        c = self._conversation(conversation_id)
        if message.external_id is not None:
            ext = (c.key.channel, message.external_id)
            if ext in self._store._external_ids or ext in self.changes.external_ids:
                return False
            self.changes.external_ids.add(ext)
        self._append_message(c, message)
        return True

    def _append_message(self, c: ConversationRow, message: StoredMessage) -> None:
        taken = self._store._messages.get(c.id, {})
        if message.seq in taken or any(
            cid == c.id and m.seq == message.seq for cid, m in self.changes.messages
        ):
            # The SQL stores' UNIQUE (conversation_id, seq) raises here too: a seq collision
            # is a bug in the caller, not a duplicate delivery.
            raise ValueError(f"seq {message.seq} already used in conversation {c.id}")
        self.changes.messages.append((c.id, dataclasses.replace(message, at=_utc(message.at))))
        c.seq = max(c.seq, message.seq)

    async def commit_turn(self, turn: Turn) -> list[int] | None:
        """Write the inbound message, then the new state, messages, evidence, hand-off, outbox.

        None, with nothing written, when ``turn.inbound`` is a re-delivery. MemoryStore has no
        cache to go stale: ``StaleSnapshot`` never comes from here.
        """
        if turn.inbound is not None and not await self.add_message(
            turn.conversation_id, turn.inbound
        ):
            return None
        c = self._conversation(turn.conversation_id)
        c.state, c.owner, c.stage, c.score = turn.state, turn.owner, turn.stage, turn.score
        c.context, c.opted_out = _json(dict(turn.context)), turn.opted_out
        c.wake_at, c.last_inbound_at = (
            _utc_or_none(turn.wake_at),
            _utc_or_none(turn.last_inbound_at),
        )
        for m in turn.messages:
            self._append_message(c, m)
        for e in turn.evidence:
            e = dataclasses.replace(e, value=_json(e.value), at=_utc(e.at))
            c.evidence[e.slot] = e
            self.changes.evidence.append((c.id, e))
        if (sc := turn.stage_change) is not None:
            self.changes.stage_changes.append((c.id, dataclasses.replace(sc, at=_utc(sc.at))))
        if (h := turn.handoff) is not None:
            row = new_handoff(next(self._store._ids), c.id, h)
            self.changes.handoffs[row.id] = row
            if h.offered_rep_id is not None:  # round robin reads it (sql_statements.STAMP_REP)
                self.changes.assigned[h.offered_rep_id] = row.request.at
        outbox_ids = []
        if turn.events:  # one row per turn, as SqlStore writes it
            outbox_ids.append(next(self._store._ids))
            self.changes.outbox.append(
                (outbox_ids[-1], [_json(event.to_json()) for event in turn.events])
            )
        lead = self._lead(c.lead_id)
        lead.card.update(_json(lead_changes(turn.lead)))
        lead.stage, lead.score = turn.stage, turn.score
        return outbox_ids

    async def finish(self, turn: Turn) -> list[int] | None:
        """``commit_turn`` as the unit's last call (the same thing here)."""
        return await self.commit_turn(turn)

    def _handoffs(self, conversation_id: int, *statuses: HandoffStatus) -> list[HandoffRecord]:
        """The conversation's rows in ``statuses`` as this unit sees them (staged first)."""
        rows = {**self._store._handoff_rows, **self.changes.handoffs}.values()
        return [r for r in rows if r.conversation_id == conversation_id and r.status in statuses]

    async def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """Give the queued hand-off to ``rep_id``; False when it was not queued any more."""
        queued = self._handoffs(conversation_id, "queued")
        for row in queued:  # like the SQL UPDATE: every queued row of the conversation
            self.changes.handoffs[row.id] = claimed(row, rep_id, now)
        return bool(queued)

    async def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Finish the open hand-off (handed back or closed); the claiming rep stays on it."""
        for row in self._handoffs(conversation_id, "queued", "claimed"):
            self.changes.handoffs[row.id] = ended(row, status, outcome, now)


class MemoryStore(MemoryReps, MemoryDesk, MemoryCards):
    """Dict-based Store, Outbox, Reps, Desk, Sessions and Cards with SqlStore's semantics.

    Duplicates by (channel, external id) are no-ops, values make a JSON round trip, datetimes
    come back in UTC, and a unit that raises leaves nothing behind.

    Units run one at a time (an ``asyncio.Lock``), like SQLite's single writer; reads see only
    committed data.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._conversations: dict[int, ConversationRow] = {}
        self._by_key: dict[ConversationKey, int] = {}
        self._leads: dict[int, LeadRow] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._external_ids: set[tuple[str, str]] = set()
        self._evidence: dict[int, list[Evidence]] = {}
        self._stage_changes: dict[int, list[StageChange]] = {}
        self._handoff_rows: dict[int, HandoffRecord] = {}
        self._reps: dict[int, RepRecord] = {}
        self._sessions: dict[str, SessionRecord] = {}
        self._notes: list[NoteRecord] = []
        self._cards: dict[tuple[int, str], CardRecord] = {}  # (hand-off id, room)
        self._outbox: dict[int, list[dict[str, Any]]] = {}  # row id: the turn's events
        self._outbox_at: dict[int, datetime] = {}

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[MemoryUnit]:
        """One transaction: applied when the block exits, discarded when it raises."""
        async with self._lock:
            unit = MemoryUnit(self)
            yield unit
            self._apply(unit.changes)  # synchronous: nothing can observe it half-applied

    def _apply(self, ch: Changes) -> None:
        for c in ch.conversations.values():
            self._conversations[c.id] = c
            self._by_key[c.key] = c.id
        self._leads.update(ch.leads)
        for cid, m in ch.messages:
            self._messages.setdefault(cid, {})[m.seq] = m
        self._external_ids |= ch.external_ids
        for cid, e in ch.evidence:
            self._evidence.setdefault(cid, []).append(e)
        for cid, sc in ch.stage_changes:
            self._stage_changes.setdefault(cid, []).append(sc)
        self._handoff_rows.update(ch.handoffs)
        for rep_id, at in ch.assigned.items():
            self.stamp_assigned(rep_id, at)
        self._outbox.update(ch.outbox)
        written = datetime.now(UTC)
        self._outbox_at.update((row_id, written) for row_id, _ in ch.outbox)

    async def close(self) -> None:
        """Nothing to release; present so the app closes every store the same way."""

    async def transcript(
        self, key: ConversationKey, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]:
        """Messages with ``seq > after_seq``, oldest first."""
        messages = self._messages.get(self._by_key.get(key, -1), {})
        return [messages[s] for s in sorted(s for s in messages if s > after_seq)][:limit]

    async def evidence_log(self, key: ConversationKey) -> list[Evidence]:
        """Every evidence row ever recorded, oldest first, superseded ones included."""
        return list(self._evidence.get(self._by_key.get(key, -1), ()))

    async def stage_history(self, key: ConversationKey) -> list[StageChange]:
        """Stage changes, oldest first."""
        return list(self._stage_changes.get(self._by_key.get(key, -1), ()))

    async def handoff_requests(self, key: ConversationKey) -> list[HandoffRequest]:
        """Hand-off requests of a conversation, oldest first."""
        return self.handoff_requests_of(self._by_key.get(key, -1))

    async def due(self, now: datetime, limit: int = 100) -> list[ConversationKey]:
        """Conversations whose timer is at or before ``now``, most overdue first."""
        now = _utc(now)
        due = [
            c for c in self._conversations.values() if c.wake_at is not None and c.wake_at <= now
        ]
        due.sort(key=lambda c: (c.wake_at or now, c.id))
        return [c.key for c in due[:limit]]

    async def pending(
        self, limit: int = 100, older_than: datetime | None = None
    ) -> list[tuple[int, Sequence[Mapping[str, Any]]]]:
        """Unpublished rows (id, events), oldest first, written before ``older_than`` if given."""
        rows = (
            (i, p) for i, p in self._outbox.items()
            if older_than is None or self._outbox_at[i] < _utc(older_than)
        )
        return [(i, _json(p)) for i, p in itertools.islice(rows, limit)]

    async def mark_published(self, ids: Sequence[int]) -> None:
        """Forget published events (nothing reads them back)."""
        for i in ids:
            self._outbox.pop(i, None)
            self._outbox_at.pop(i, None)
