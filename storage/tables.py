"""SQLModel tables: the schema the migrations create and SqlStore reads and writes with Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Table,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from storage.columns import (
    BigId,
    fk_field,
    id_field,
    json_field,
    rep_fk_field,
    time_field,
)


class Lead(SQLModel, table=True):
    """The person behind one or more conversations, as shown on the rep's lead card."""

    __tablename__ = "leads"

    id: int | None = id_field()
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    company_size: Any = json_field()
    stage: str | None = None
    score: int = 0
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class Conversation(SQLModel, table=True):
    """The conversation's state: the one source of truth (style rule 4).

    ``current_evidence`` caches the latest evidence per slot (the ``evidence`` table is the
    log) so that loading a conversation is one query.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_conversations_key"),)

    id: int | None = id_field()
    channel: str
    address: str
    lead_id: int = fk_field("leads.id", index=True)
    state: str
    owner: str = "bot"
    stage: str | None = None
    score: int = 0
    opted_out: bool = False
    context: Any = json_field(nullable=False)
    current_evidence: Any = json_field(nullable=False)
    seq: int = 0
    # Bumped by every write to the row: a turn decided from a cached snapshot writes only if
    # the version is still the one it was decided from (storage.snapshots).
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_inbound_at: datetime | None = time_field(nullable=True)
    wake_at: datetime | None = time_field(nullable=True, index=True)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class Message(SQLModel, table=True):
    """One transcript line. ``channel`` is copied from the conversation for the unique index."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_seq"),
        # Idempotency by constraint (style rule 6). NULLs are distinct in both PostgreSQL and
        # SQLite, so bot and rep lines without an external id never collide.
        UniqueConstraint("channel", "external_id", name="uq_messages_external_id"),
    )

    id: int | None = id_field()
    conversation_id: int = fk_field("conversations.id")
    seq: int
    channel: str
    external_id: str | None = None
    author: str
    author_name: str | None = None
    kind: str = "text"
    text: str
    quick_replies: Any = json_field()
    at: datetime = time_field()


class EvidenceRow(SQLModel, table=True):
    """Append-only evidence log: a correction is a newer row, never an update."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_conversation", "conversation_id", "id"),)

    id: int | None = id_field()
    conversation_id: int = fk_field("conversations.id")
    slot: str
    status: str
    value: Any = json_field()
    raw_text: str
    extractor: str
    confidence: float
    message_id: str
    at: datetime = time_field()


class StageChangeRow(SQLModel, table=True):
    """Lifecycle history with the reason for each move."""

    __tablename__ = "stage_changes"

    id: int | None = id_field()
    conversation_id: int = fk_field("conversations.id", index=True)
    previous: str | None = None
    stage: str
    score: int
    reason: str
    at: datetime = time_field()


class RepRow(SQLModel, table=True):
    """A sales rep's account. ``email`` is stored lower-cased, so UNIQUE is case-insensitive."""

    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("email", name="uq_reps_email"),)

    id: int | None = id_field()
    email: str
    name: str
    team: str | None = None
    admin: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    disabled: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    presence: str = Field(default="offline", sa_column_kwargs={"server_default": "offline"})
    capacity: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    password_hash: str
    created_at: datetime = time_field()
    last_seen_at: datetime | None = time_field(nullable=True)
    # Round robin offers a lead to the rep who has waited longest (bot/routing.py).
    last_assigned_at: datetime | None = time_field(nullable=True)


class SessionRow(SQLModel, table=True):
    """A console log-in, by the hash of its cookie token (a leaked table holds no live cookie)."""

    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True)
    rep_id: int = fk_field("reps.id", index=True)
    csrf: str
    created_at: datetime = time_field()
    expires_at: datetime = time_field(index=True)


class NoteRow(SQLModel, table=True):
    """A rep's internal note, in its own table so no transcript query can ever return it."""

    __tablename__ = "notes"

    id: int | None = id_field()
    conversation_id: int = fk_field("conversations.id", index=True)
    rep_id: int = Field(sa_column=Column(BigId, ForeignKey("reps.id"), nullable=False))
    text: str
    at: datetime = time_field()


class Handoff(SQLModel, table=True):
    """A request for a human rep; routing and claims update ``status``/``rep_id``/``claimed_at``."""

    __tablename__ = "handoffs"

    id: int | None = id_field()
    conversation_id: int = fk_field("conversations.id", index=True)
    reason: str
    stage: str
    score: int
    status: str = Field(default="queued", index=True, sa_column_kwargs={"server_default": "queued"})
    requested_at: datetime = time_field()
    rep_id: int | None = rep_fk_field("fk_handoffs_rep_id", index=True)
    claimed_at: datetime | None = time_field(nullable=True)
    closed_at: datetime | None = time_field(nullable=True)
    outcome: str | None = None
    # Routing's decision, kept with the request so the console can show why (bot/routing.py).
    team: str | None = None
    offered_rep_id: int | None = rep_fk_field("fk_handoffs_offered_rep_id")
    route_reason: str = Field(default="", sa_column_kwargs={"server_default": ""})
    sla_due_at: datetime | None = time_field(nullable=True)


class CardRow(SQLModel, table=True):
    """A hand-off's card in a reps' room (Slack's sales channel): one per hand-off and room.

    The primary key is the claim: of the processes that see a hand-off, the one whose INSERT
    lands posts the card and the others skip. ``message_id`` (Slack's ``ts``) stays NULL
    until the card is posted; a reply in the card's thread finds the conversation by it.
    """

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("room", "message_id", name="uq_cards_message"),)

    handoff_id: int = Field(
        sa_column=Column(
            BigId,
            ForeignKey("handoffs.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    room: str = Field(primary_key=True)
    message_id: str | None = None
    head: Any = json_field()
    claimed_at: datetime = time_field()
    posted_at: datetime | None = time_field(nullable=True)


class OutboxRow(SQLModel, table=True):
    """Events written in the turn's transaction, published after commit (transactional outbox)."""

    __tablename__ = "outbox"

    id: int | None = id_field()
    topic: str = Field(default="events", sa_column_kwargs={"server_default": "events"})
    payload: Any = json_field(nullable=False)
    created_at: datetime = time_field()
    published_at: datetime | None = time_field(nullable=True, index=True)


# The Core tables the hot path uses (ORM sessions cost several times more per statement).
# SQLModel sets ``__table__`` through its metaclass, which mypy cannot see.
LEADS: Table = Lead.__table__  # type: ignore[attr-defined]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[attr-defined]
MESSAGES: Table = Message.__table__  # type: ignore[attr-defined]
EVIDENCE: Table = EvidenceRow.__table__  # type: ignore[attr-defined]
STAGE_CHANGES: Table = StageChangeRow.__table__  # type: ignore[attr-defined]
HANDOFFS: Table = Handoff.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
REPS: Table = RepRow.__table__  # type: ignore[attr-defined]
SESSIONS: Table = SessionRow.__table__  # type: ignore[attr-defined]
NOTES: Table = NoteRow.__table__  # type: ignore[attr-defined]
CARDS: Table = CardRow.__table__  # type: ignore[attr-defined]
metadata = SQLModel.metadata
