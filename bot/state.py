"""What the store hands the engine (Snapshot) and what the service hands back (Turn)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.events import Event
from bot.frozen import fast_init
from bot.messages import Author, ConversationKey, QuickReply

Owner = Literal["bot", "queued", "rep"]
Presence = Literal["online", "away", "offline"]
HandoffStatus = Literal["queued", "claimed", "handed_back", "closed"]
Outcome = Literal["won", "lost", "nurture", "spam"]
# "retracted": the prospect restarted; the slot counts as empty again (the row stays in the log).
EvidenceStatus = Literal["answer", "refused", "unknown", "retracted"]


@fast_init
@dataclass(frozen=True, slots=True)
class Evidence:
    """One recorded fact about a lead, appended and never edited.

    A newer one for the same slot supersedes it: the store keeps every row, and
    ``Snapshot.evidence`` holds the current ones.

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


@fast_init
@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One transcript line; ``seq`` orders a conversation and lets clients replay gaps."""

    seq: int
    author: Author
    text: str
    at: datetime
    external_id: str | None = None
    kind: str = "text"
    author_name: str | None = None
    quick_replies: tuple[QuickReply, ...] = field(default=())


@fast_init
@dataclass(frozen=True, slots=True)
class StageChange:
    """A lifecycle move with the reason, kept as history."""

    previous: str | None
    stage: str
    score: int
    reason: str
    at: datetime


@fast_init
@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """The bot wants a human.

    Routing fills the team, the rep offered the lead first, the routing reason (which rule,
    which rep, who was passed over and why) and the SLA deadline.
    """

    reason: str
    stage: str
    score: int
    at: datetime
    team: str | None = None
    offered_rep_id: int | None = None
    route_reason: str = ""
    sla_due_at: datetime | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Rep:
    """A sales rep who can log in to the console and take conversations over."""

    id: int
    email: str
    name: str
    team: str | None
    admin: bool
    disabled: bool
    presence: Presence
    capacity: int
    password_hash: str = field(repr=False)
    # When a console of theirs was last known open (refreshed while open): an "online" rep not
    # seen for a while had their console's process die, and routing passes them over.
    last_seen_at: datetime | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class HandoffView:
    """One hand-off as the rep console lists it: the conversation, its lead, who has it."""

    id: int
    key: ConversationKey
    status: HandoffStatus
    reason: str
    stage: str
    score: int
    team: str | None
    route_reason: str
    requested_at: datetime
    sla_due_at: datetime | None
    rep_id: int | None = None
    rep_name: str | None = None
    offered_rep_id: int | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    lead: Mapping[str, Any] = field(default_factory=dict)


@fast_init
@dataclass(frozen=True, slots=True)
class Note:
    """A rep's internal note on a conversation: never shown to the prospect on any channel."""

    rep_id: int
    rep_name: str
    text: str
    at: datetime


@fast_init
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


@fast_init
@dataclass(frozen=True, slots=True)
class Turn:
    """Everything one message changes, written by ``Unit.commit_turn`` in the same transaction.

    ``lead`` holds the lead-card fields (name, email, phone, company, company_size) as now known.
    ``wake_at`` is when the conversation's next timer (idle nudge, close) is due, or None.
    ``inbound`` is the message the turn answers, written in the same call, so a turn is one
    round trip to the store; the turn was decided before knowing whether it is a re-delivery
    (deciding is pure and cheap), and a re-delivery writes nothing. ``payloads`` are the events'
    ``to_json()`` when the caller has them already (else the store serializes the events).
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
    inbound: StoredMessage | None = None
    payloads: tuple[Mapping[str, Any], ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class Card:
    """A hand-off's card in a reps' room (Slack: a message in the sales channel).

    ``message_id`` is the room's id for the posted message (Slack's ``ts``), which is also how
    a reply in its thread finds the conversation. ``head`` is the card's lasting part in the
    room's own format (Slack blocks), kept so that any process can re-render the card with a
    new status line.
    """

    handoff_id: int
    key: ConversationKey
    room: str
    message_id: str
    head: Sequence[Mapping[str, Any]]
