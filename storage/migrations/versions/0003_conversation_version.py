"""Conversations gain ``version``, bumped by every write (optimistic concurrency).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:20:00

SqlStore keeps recent snapshots in memory; a turn decided from one writes only if the row's
version is still the one it was read at (storage/snapshots.py). Existing rows start at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "conversations",
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("version")
