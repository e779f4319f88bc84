"""SQLModel tables: the schema the migrations create and SqlStore reads and writes with Core."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# BIGINT ids on PostgreSQL (messages and evidence grow without bound); plain INTEGER on SQLite,
# where only ``INTEGER PRIMARY KEY`` is the auto-incrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (binary, compact, indexable); JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out, on every backend.

    SQLite has no timezone type: SQLAlchemy stores a naive string and hands back a naive
    datetime. This decorator stores UTC (naive on SQLite, ``timestamptz`` on PostgreSQL) and
    always returns an aware UTC value, so ``Evidence.at`` and the timers compare correctly.
    Naive input is refused rather than guessed at: the Clock port promises aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalize to UTC; drop the tzinfo on SQLite so stored strings sort chronologically."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the driver gave."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _id() -> Any:
    return Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))


def _fk(target: str, *, index: bool = False) -> Any:
    return Field(
        sa_column=Column(BigId, ForeignKey(target, ondelete="CASCADE"), nullable=False, index=index)
    )


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _rep_fk(name: str, *, index: bool = False) -> Any:
    # Named, so migration 0002 can add it to an existing table (SQLite batch mode needs a name).
    # SET NULL: reps are disabled, not deleted, but a deleted one must not take history along.
    fk = ForeignKey("reps.id", name=name, ondelete="SET NULL")
    return Field(default=None, sa_column=Column(BigId, fk, nullable=True, index=index))


def _json(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Json, nullable=nullable))


class Lead(SQLModel, table=True):
    """The person behind one or more conversations, as shown on the rep's lead card."""

    __tablename__ = "leads"

    id: int | None = _id()
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    company_size: Any = _json()
    stage: str | None = None
    score: int = 0
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Conversation(SQLModel, table=True):
    """The conversation's state: the one source of truth (style rule 4).

    ``current_evidence`` caches the latest evidence per slot (the ``evidence`` table is the
    log) so that loading a conversation is one query.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_conversations_key"),)

    id: int | None = _id()
    channel: str
    address: str
    lead_id: int = _fk("leads.id", index=True)
    state: str
    owner: str = "bot"
    stage: str | None = None
    score: int = 0
    opted_out: bool = False
    context: Any = _json(nullable=False)
    current_evidence: Any = _json(nullable=False)
    seq: int = 0
    # Bumped by every write to the row: a turn decided from a cached snapshot writes only if
    # the version is still the one it was decided from (storage.snapshots).
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_inbound_at: datetime | None = _time(nullable=True)
    wake_at: datetime | None = _time(nullable=True, index=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Message(SQLModel, table=True):
    """One transcript line. ``channel`` is copied from the conversation for the unique index."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_seq"),
        # Idempotency by constraint (style rule 6). NULLs are distinct in both PostgreSQL and
        # SQLite, so bot and rep lines without an external id never collide.
        UniqueConstraint("channel", "external_id", name="uq_messages_external_id"),
    )

    id: int | None = _id()
    conversation_id: int = _fk("conversations.id")
    seq: int
    channel: str
    external_id: str | None = None
    author: str
    author_name: str | None = None
    kind: str = "text"
    text: str
    quick_replies: Any = _json()
    at: datetime = _time()


class EvidenceRow(SQLModel, table=True):
    """Append-only evidence log: a correction is a newer row, never an update."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_conversation", "conversation_id", "id"),)

    id: int | None = _id()
    conversation_id: int = _fk("conversations.id")
    slot: str
    status: str
    value: Any = _json()
    raw_text: str
    extractor: str
    confidence: float
    message_id: str
    at: datetime = _time()


class StageChangeRow(SQLModel, table=True):
    """Lifecycle history with the reason for each move."""

    __tablename__ = "stage_changes"

    id: int | None = _id()
    conversation_id: int = _fk("conversations.id", index=True)
    previous: str | None = None
    stage: str
    score: int
    reason: str
    at: datetime = _time()


class RepRow(SQLModel, table=True):
    """A sales rep's account. ``email`` is stored lower-cased, so UNIQUE is case-insensitive."""

    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("email", name="uq_reps_email"),)

    id: int | None = _id()
    email: str
    name: str
    team: str | None = None
    admin: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    disabled: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    presence: str = Field(default="offline", sa_column_kwargs={"server_default": "offline"})
    capacity: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    password_hash: str
    created_at: datetime = _time()
    last_seen_at: datetime | None = _time(nullable=True)
    # Round robin offers a lead to the rep who has waited longest (bot/routing.py).
    last_assigned_at: datetime | None = _time(nullable=True)


class SessionRow(SQLModel, table=True):
    """A console log-in, by the hash of its cookie token (a leaked table holds no live cookie)."""

    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True)
    rep_id: int = _fk("reps.id", index=True)
    csrf: str
    created_at: datetime = _time()
    expires_at: datetime = _time(index=True)


class NoteRow(SQLModel, table=True):
    """A rep's internal note, in its own table so no transcript query can ever return it."""

    __tablename__ = "notes"

    id: int | None = _id()
    conversation_id: int = _fk("conversations.id", index=True)
    rep_id: int = Field(sa_column=Column(BigId, ForeignKey("reps.id"), nullable=False))
    text: str
    at: datetime = _time()


class Handoff(SQLModel, table=True):
    """A request for a human rep; routing and claims update ``status``/``rep_id``/``claimed_at``."""

    __tablename__ = "handoffs"

    id: int | None = _id()
    conversation_id: int = _fk("conversations.id", index=True)
    reason: str
    stage: str
    score: int
    status: str = Field(default="queued", index=True, sa_column_kwargs={"server_default": "queued"})
    requested_at: datetime = _time()
    rep_id: int | None = _rep_fk("fk_handoffs_rep_id", index=True)
    claimed_at: datetime | None = _time(nullable=True)
    closed_at: datetime | None = _time(nullable=True)
    outcome: str | None = None
    # Routing's decision, kept with the request so the console can show why (bot/routing.py).
    team: str | None = None
    offered_rep_id: int | None = _rep_fk("fk_handoffs_offered_rep_id")
    route_reason: str = Field(default="", sa_column_kwargs={"server_default": ""})
    sla_due_at: datetime | None = _time(nullable=True)


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
    head: Any = _json()
    claimed_at: datetime = _time()
    posted_at: datetime | None = _time(nullable=True)


class OutboxRow(SQLModel, table=True):
    """Events written in the turn's transaction, published after commit (transactional outbox)."""

    __tablename__ = "outbox"

    id: int | None = _id()
    topic: str = Field(default="events", sa_column_kwargs={"server_default": "events"})
    payload: Any = _json(nullable=False)
    created_at: datetime = _time()
    published_at: datetime | None = _time(nullable=True, index=True)


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
