"""What the store hands the engine (Snapshot) and what the service hands back to the store (Turn)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.events import Event
from bot.messages import Author, ConversationKey, QuickReply

Owner = Literal["bot", "queued", "rep"]
# "retracted": the prospect restarted; the slot counts as empty again (the row stays in the log).
EvidenceStatus = Literal["answer", "refused", "unknown", "retracted"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One recorded fact about a lead. Appended, never edited: a newer one for the same slot
    supersedes it (the store keeps every row; ``Snapshot.evidence`` holds the current ones).

    ``value`` is the JSON shape of the extracted value (what ``qualibot extract`` prints), so
    it persists as-is and scoring conditions read it without knowing the extractor's types.
    """

    slot: str
    status: EvidenceStatus
    value: Any
    raw_text: str
    extractor: str
    confidence: float
    message_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One transcript line; ``seq`` orders a conversation and lets clients replay what they missed."""

    seq: int
    author: Author
    text: str
    at: datetime
    external_id: str | None = None
    kind: str = "text"
    author_name: str | None = None
    quick_replies: tuple[QuickReply, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class StageChange:
    """A lifecycle move with the reason, kept as history."""

    previous: str | None
    stage: str
    score: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """The bot wants a human; routing and claims (issue 4) build on this row."""

    reason: str
    stage: str
    score: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A conversation as loaded under its lock: everything ``Engine.decide`` needs, nothing more.

    ``context`` is the engine's own JSON (attempts per slot, the slot being asked, nudge state);
    the store persists it without looking inside, so the engine can evolve without migrations.
    """

    conversation_id: int
    key: ConversationKey
    state: str
    owner: Owner
    stage: str | None
    score: int
    evidence: Mapping[str, Evidence]
    context: Mapping[str, Any]
    opted_out: bool
    seq: int
    last_inbound_at: datetime | None = None
    lead: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Turn:
    """Everything one message changes, written by ``Unit.commit_turn`` in the same transaction.

    ``lead`` holds the lead-card fields (name, email, phone, company, company_size) as now known.
    ``wake_at`` is when the conversation's next timer (idle nudge, close) is due, or None.
    """

    conversation_id: int
    state: str
    owner: Owner
    stage: str | None
    score: int
    context: Mapping[str, Any]
    opted_out: bool
    wake_at: datetime | None
    last_inbound_at: datetime | None
    messages: tuple[StoredMessage, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    stage_change: StageChange | None = None
    handoff: HandoffRequest | None = None
    events: tuple[Event, ...] = ()
    lead: Mapping[str, Any] = field(default_factory=dict)
