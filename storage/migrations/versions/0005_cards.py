"""Hand-off cards: which message in a reps' room (Slack's sales channel) is a hand-off's card.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:00:00

Until now the Slack desk kept each card's ts in the memory of the process that posted it: a
restart forgot every card, and with several processes each posted its own. The primary key
(handoff_id, room) is the claim that lets exactly one process post; (room, message_id) finds
the card a thread reply belongs to. Types are spelled out here, as in 0001 and 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def TIME() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column(
            "handoff_id",
            ID,
            sa.ForeignKey("handoffs.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("room", sa.String(), primary_key=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("head", JSON, nullable=True),
        sa.Column("claimed_at", TIME(), nullable=False),
        sa.Column("posted_at", TIME(), nullable=True),
        sa.UniqueConstraint("room", "message_id", name="uq_cards_message"),
    )


def downgrade() -> None:
    op.drop_table("cards")
