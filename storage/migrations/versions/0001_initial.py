"""Initial schema: leads, conversations, messages, evidence, stage changes, hand-offs, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00

Types are spelled out here rather than imported from storage.tables, so this revision keeps
creating the same schema however the models evolve (tests/contract/test_migrations.py checks
that head matches the models).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def TIME() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _conversation_fk() -> sa.Column[int]:
    return sa.Column(
        "conversation_id",
        ID,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("company", sa.String(), nullable=True),
        sa.Column("company_size", JSON, nullable=True),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column(
            "lead_id", ID, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("context", JSON, nullable=False),
        sa.Column("current_evidence", JSON, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_inbound_at", TIME(), nullable=True),
        sa.Column("wake_at", TIME(), nullable=True),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("updated_at", TIME(), nullable=False),
        sa.UniqueConstraint("channel", "address", name="uq_conversations_key"),
    )
    op.create_index("ix_conversations_lead_id", "conversations", ["lead_id"])
    op.create_index("ix_conversations_wake_at", "conversations", ["wake_at"])
    op.create_table(
        "messages",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _conversation_fk(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("quick_replies", JSON, nullable=True),
        sa.Column("at", TIME(), nullable=False),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_seq"),
        sa.UniqueConstraint("channel", "external_id", name="uq_messages_external_id"),
    )
    op.create_table(
        "evidence",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _conversation_fk(),
        sa.Column("slot", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("raw_text", sa.String(), nullable=False),
        sa.Column("extractor", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("at", TIME(), nullable=False),
    )
    op.create_index("ix_evidence_conversation", "evidence", ["conversation_id", "id"])
    op.create_table(
        "stage_changes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _conversation_fk(),
        sa.Column("previous", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("at", TIME(), nullable=False),
    )
    op.create_index("ix_stage_changes_conversation_id", "stage_changes", ["conversation_id"])
    op.create_table(
        "handoffs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _conversation_fk(),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), server_default="queued", nullable=False),
        sa.Column("requested_at", TIME(), nullable=False),
        sa.Column("rep_id", sa.String(), nullable=True),
        sa.Column("claimed_at", TIME(), nullable=True),
        sa.Column("closed_at", TIME(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_table(
        "outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(), server_default="events", nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("published_at", TIME(), nullable=True),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def downgrade() -> None:
    for table in ("outbox", "handoffs", "stage_changes", "evidence", "messages", "conversations", "leads"):
        op.drop_table(table)
