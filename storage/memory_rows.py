"""The in-memory store's rows, and the changes a unit stages before they are applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.messages import ConversationKey
from bot.state import Evidence, Owner, StageChange, StoredMessage
from storage.codec import INITIAL_STATE
from storage.memory_desk import HandoffRecord


@dataclass(slots=True)
class ConversationRow:
    """A conversation as the store keeps it (what SqlStore keeps in ``conversations``)."""

    id: int
    key: ConversationKey
    lead_id: int
    state: str = INITIAL_STATE
    owner: Owner = "bot"
    stage: str | None = None
    score: int = 0
    opted_out: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    seq: int = 0
    last_inbound_at: datetime | None = None
    wake_at: datetime | None = None


@dataclass(slots=True)
class LeadRow:
    """A lead: its card fields and its latest stage and score."""

    id: int
    card: dict[str, Any] = field(default_factory=dict)
    stage: str | None = None
    score: int = 0


@dataclass(slots=True)
class Changes:
    """Everything a unit wrote, applied to the store only when the unit exits cleanly."""

    conversations: dict[int, ConversationRow] = field(default_factory=dict)
    leads: dict[int, LeadRow] = field(default_factory=dict)
    messages: list[tuple[int, StoredMessage]] = field(default_factory=list)
    external_ids: set[tuple[str, str]] = field(default_factory=set)
    evidence: list[tuple[int, Evidence]] = field(default_factory=list)
    stage_changes: list[tuple[int, StageChange]] = field(default_factory=list)
    handoffs: dict[int, HandoffRecord] = field(default_factory=dict)  # new and changed rows
    assigned: dict[int, datetime] = field(default_factory=dict)  # rep id -> last offered at
    outbox: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)
