"""Reps, console sessions and notes; hand-offs gain routing fields and an integer rep_id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:00:00

Types are spelled out here, as in 0001, rather than imported from storage.tables.
SQLite cannot ALTER a column's type or add a foreign key, so the hand-off changes run in
batch mode, which rebuilds the table there and emits plain ALTERs on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def TIME() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _rep_fk(nullable: bool = False) -> sa.Column[int]:
    ondelete = "CASCADE" if not nullable else None
    return sa.Column("rep_id", ID, sa.ForeignKey("reps.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reps",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("presence", sa.String(), server_default="offline", nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="3", nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("last_seen_at", TIME(), nullable=True),
        sa.Column("last_assigned_at", TIME(), nullable=True),
        sa.UniqueConstraint("email", name="uq_reps_email"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(), primary_key=True),
        _rep_fk(),
        sa.Column("csrf", sa.String(), nullable=False),
        sa.Column("created_at", TIME(), nullable=False),
        sa.Column("expires_at", TIME(), nullable=False),
    )
    op.create_index("ix_sessions_rep_id", "sessions", ["rep_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    op.create_table(
        "notes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            ID,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rep_id", ID, sa.ForeignKey("reps.id"), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("at", TIME(), nullable=False),
    )
    op.create_index("ix_notes_conversation_id", "notes", ["conversation_id"])
    # Before this revision there was no reps table, so no stored rep_id can reference a rep:
    # clear them, or the new foreign key (and the integer cast) would refuse the rows.
    op.execute(sa.text("UPDATE handoffs SET rep_id = NULL"))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("team", sa.String(), nullable=True))
        batch.add_column(sa.Column("offered_rep_id", ID, nullable=True))
        batch.add_column(
            sa.Column("route_reason", sa.String(), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("sla_due_at", TIME(), nullable=True))
        batch.alter_column(
            "rep_id",
            existing_type=sa.String(),
            type_=ID,
            existing_nullable=True,
            postgresql_using="rep_id::bigint",
        )
        batch.create_foreign_key(
            "fk_handoffs_rep_id", "reps", ["rep_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_handoffs_offered_rep_id", "reps", ["offered_rep_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_handoffs_rep_id", ["rep_id"])


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_index("ix_handoffs_rep_id")
        batch.drop_constraint("fk_handoffs_offered_rep_id", type_="foreignkey")
        batch.drop_constraint("fk_handoffs_rep_id", type_="foreignkey")
        batch.alter_column(
            "rep_id",
            existing_type=ID,
            type_=sa.String(),
            existing_nullable=True,
            postgresql_using="rep_id::text",
        )
        for column in ("sla_due_at", "route_reason", "offered_rep_id", "team"):
            batch.drop_column(column)
    for table in ("notes", "sessions", "reps"):
        op.drop_table(table)
