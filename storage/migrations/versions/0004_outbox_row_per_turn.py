"""The outbox holds one row per turn: its payload is a JSON array of the turn's events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 11:10:00

A turn has 3 to 5 events; one row per event cost SQLite's writer a row and two index entries
each, and PostgreSQL's turn statement a VALUES row each. The schema does not change: existing
single-event rows (a JSON object) are wrapped in a one-element array, so every row reads the
same. The reader (``storage.sql.events_of``) still accepts an object, for rows a process
running the previous code writes during a rolling deploy. Downgrade splits each array back into
one row per event (in order; ids change, ``published_at`` is kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE outbox SET payload = jsonb_build_array(payload) "
            "WHERE jsonb_typeof(payload) = 'object'"
        )
    else:
        op.execute(
            "UPDATE outbox SET payload = json_array(json(payload)) "
            "WHERE json_type(payload) = 'object'"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO outbox (topic, payload, created_at, published_at) "
            "SELECT o.topic, e.value, o.created_at, o.published_at "
            "FROM outbox o, jsonb_array_elements(o.payload) WITH ORDINALITY AS e(value, n) "
            "WHERE jsonb_typeof(o.payload) = 'array' ORDER BY o.id, e.n"
        )
        op.execute("DELETE FROM outbox WHERE jsonb_typeof(payload) = 'array'")
    else:
        op.execute(
            "INSERT INTO outbox (topic, payload, created_at, published_at) "
            "SELECT o.topic, e.value, o.created_at, o.published_at "
            "FROM outbox o, json_each(o.payload) e "
            "WHERE json_type(o.payload) = 'array' ORDER BY o.id, e.key"
        )
        op.execute("DELETE FROM outbox WHERE json_type(payload) = 'array'")
