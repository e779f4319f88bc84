"""MemoryDesk: hand-off rows and the Desk port (views, notes) for MemoryStore."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.messages import ConversationKey
from bot.state import HandoffRequest, HandoffStatus, HandoffView, Note, Outcome
from storage.codec import utc

if TYPE_CHECKING:
    from storage.memory_reps import RepRecord
    from storage.memory_rows import ConversationRow, LeadRow


@dataclass(slots=True)
class HandoffRecord:
    """One ``handoffs`` row: the request as the turn wrote it, then claims and endings.

    A unit changes a copy (``dataclasses.replace``) and the store swaps it in on commit, so
    nothing outside the unit sees a claim before it is committed.
    """

    id: int
    conversation_id: int
    request: HandoffRequest
    status: HandoffStatus = "queued"
    rep_id: int | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None


def new_handoff(handoff_id: int, conversation_id: int, h: HandoffRequest) -> HandoffRecord:
    """A queued row for ``h``, its datetimes in UTC as the SQL stores return them."""
    sla = None if h.sla_due_at is None else utc(h.sla_due_at)
    return HandoffRecord(
        handoff_id, conversation_id, dataclasses.replace(h, at=utc(h.at), sla_due_at=sla)
    )


def claimed(record: HandoffRecord, rep_id: int, now: datetime) -> HandoffRecord:
    """A copy of a queued row, claimed by ``rep_id``."""
    return dataclasses.replace(record, status="claimed", rep_id=rep_id, claimed_at=utc(now))


def ended(
    record: HandoffRecord, status: HandoffStatus, outcome: Outcome | None, now: datetime
) -> HandoffRecord:
    """A copy of an open row, handed back or closed; the claiming rep stays on it."""
    return dataclasses.replace(record, status=status, outcome=outcome, closed_at=utc(now))


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """One ``notes`` row; the rep's name is looked up when read, as the SQL join does."""

    conversation_id: int
    rep_id: int
    text: str
    at: datetime


class MemoryDesk:
    """The Desk port for MemoryStore (mixed in); see ``bot.rep_ports.Desk``."""

    _conversations: dict[int, ConversationRow]
    _by_key: dict[ConversationKey, int]
    _leads: dict[int, LeadRow]
    _handoff_rows: dict[int, HandoffRecord]
    _reps: dict[int, RepRecord]
    _notes: list[NoteRecord]

    async def handoffs(
        self, statuses: Sequence[HandoffStatus] = ("queued", "claimed")
    ) -> list[HandoffView]:
        """Hand-offs in these states, oldest request first, with their lead cards."""
        rows = [r for r in self._handoff_rows.values() if r.status in statuses]
        rows.sort(key=lambda r: (r.request.at, r.id))
        return [self._view(r) for r in rows]

    async def handoff_for(self, key: ConversationKey) -> HandoffView | None:
        """The conversation's latest hand-off, if any."""
        cid = self._by_key.get(key)
        rows = [r for r in self._handoff_rows.values() if r.conversation_id == cid]
        return self._view(max(rows, key=lambda r: r.id)) if rows else None

    async def add_note(self, key: ConversationKey, rep_id: int, text: str, at: datetime) -> Note:
        """Store an internal note apart from the transcript; LookupError for unknown ids."""
        cid = self._by_key.get(key)
        if cid is None:
            raise LookupError(f"no conversation {key}")
        if rep_id not in self._reps:
            raise LookupError(f"no rep {rep_id}")
        note = NoteRecord(cid, rep_id, text, utc(at))
        self._notes.append(note)
        return Note(rep_id, self._reps[rep_id].rep.name, text, note.at)

    async def notes(self, key: ConversationKey) -> list[Note]:
        """The conversation's notes, oldest first, each with its rep's name."""
        cid = self._by_key.get(key)
        return [
            Note(n.rep_id, self._reps[n.rep_id].rep.name, n.text, n.at)
            for n in self._notes
            if n.conversation_id == cid
        ]

    def handoff_requests_of(self, conversation_id: int) -> list[HandoffRequest]:
        """The requests of one conversation, oldest first (``MemoryStore.handoff_requests``)."""
        return [r.request for r in _of(self._handoff_rows.values(), conversation_id)]

    def _view(self, r: HandoffRecord) -> HandoffView:
        c = self._conversations[r.conversation_id]
        lead: dict[str, Any] = dict(self._leads[c.lead_id].card)
        lead.update(stage=c.stage, score=c.score)
        h = r.request
        rep = self._reps.get(r.rep_id) if r.rep_id is not None else None
        return HandoffView(
            id=r.id, key=c.key, status=r.status, reason=h.reason, stage=h.stage, score=h.score,
            team=h.team, route_reason=h.route_reason, requested_at=h.at, sla_due_at=h.sla_due_at,
            rep_id=r.rep_id, rep_name=None if rep is None else rep.rep.name,
            offered_rep_id=h.offered_rep_id, claimed_at=r.claimed_at, closed_at=r.closed_at,
            outcome=r.outcome, lead=lead,
        )  # fmt: skip


def _of(rows: Iterable[HandoffRecord], conversation_id: int) -> list[HandoffRecord]:
    return sorted((r for r in rows if r.conversation_id == conversation_id), key=lambda r: r.id)
