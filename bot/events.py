"""Past-tense facts the service publishes after a turn commits (rep console, notifiers, routing)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from bot.messages import ConversationKey


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event; ``name`` is stable and goes into the outbox and onto the bus."""

    name: ClassVar[str] = "event"
    key: ConversationKey
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form for the outbox and cross-process buses.

        Runs for every event of every turn: the field names are looked up once per class
        (``dataclasses.fields`` is slow), and ``key`` and ``at``, which every event has, skip
        the type tests.
        """
        names = _NAMES.get(type(self))
        if names is None:
            names = _NAMES[type(self)] = tuple(f.name for f in dataclasses.fields(self))[2:]
        data: dict[str, Any] = {
            "event": self.name, "key": str(self.key), "at": self.at.isoformat()
        }
        for name in names:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, ConversationKey):
                value = str(value)
            data[name] = value
        return data


# Per event class: its fields after ``key`` and ``at`` (see ``Event.to_json``).
_NAMES: dict[type[Event], tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class MessageAdded(Event):
    """A message was stored in the transcript (either direction); carries its sequence number."""

    name: ClassVar[str] = "message_added"
    seq: int
    author: str
    text: str
    author_name: str | None = None
    quick_replies: tuple[tuple[str, str], ...] = ()
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class EvidenceRecorded(Event):
    """A slot got a new value (or a refusal / unknown)."""

    name: ClassVar[str] = "evidence_recorded"
    slot: str
    status: str
    value: Any


@dataclass(frozen=True, slots=True)
class ScoreChanged(Event):
    """The lead's score moved."""

    name: ClassVar[str] = "score_changed"
    score: int
    previous: int


@dataclass(frozen=True, slots=True)
class StageChanged(Event):
    """The lead moved between lifecycle stages; ``reason`` says which rule of the flow did it."""

    name: ClassVar[str] = "stage_changed"
    previous: str | None
    stage: str
    score: int
    reason: str


@dataclass(frozen=True, slots=True)
class HandoffRequested(Event):
    """The bot stopped and a human rep is wanted (SQL reached, or the prospect asked)."""

    name: ClassVar[str] = "handoff_requested"
    reason: str
    stage: str
    score: int


@dataclass(frozen=True, slots=True)
class HandoffRouted(Event):
    """Routing chose a team (and the rep offered the lead first); the SLA clock is running."""

    name: ClassVar[str] = "handoff_routed"
    team: str
    offered_rep_id: int | None
    route_reason: str
    sla_due_at: str | None
    open: bool


@dataclass(frozen=True, slots=True)
class HandoffClaimed(Event):
    """A rep took the conversation over; exactly one claim wins."""

    name: ClassVar[str] = "handoff_claimed"
    rep_id: int
    rep_name: str


@dataclass(frozen=True, slots=True)
class HandedBack(Event):
    """The rep gave the conversation back to the bot."""

    name: ClassVar[str] = "handed_back"
    rep_id: int
    rep_name: str


@dataclass(frozen=True, slots=True)
class SlaMissed(Event):
    """Nobody claimed the hand-off in time; the prospect got the fallback."""

    name: ClassVar[str] = "sla_missed"
    team: str | None


@dataclass(frozen=True, slots=True)
class OptedOut(Event):
    """The prospect asked the bot to stop; it stays quiet until they start again."""

    name: ClassVar[str] = "opted_out"


@dataclass(frozen=True, slots=True)
class ConversationClosed(Event):
    """The conversation ended (idle timeout, completion, or a rep closing it)."""

    name: ClassVar[str] = "conversation_closed"
    reason: str
    outcome: str | None = None
