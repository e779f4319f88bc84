"""Schema migrations: Alembic configured in code, so they run from any directory or install."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.engine import normalize_url

MIGRATIONS = Path(__file__).with_name("migrations")
# Arbitrary constant key for pg_advisory_xact_lock: processes starting together migrate in turn.
_ADVISORY_LOCK = 0x5155414C  # "QUAL"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations, independent of the working dir."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


async def upgrade(url: str, *, schema: str | None = None) -> None:
    """Apply every migration up to head (``qualibot db upgrade``; idempotent)."""
    from storage.sql import SqlStore

    store = SqlStore.from_url(url, schema=schema)
    try:
        await store.write(upgrade_connection)
    finally:
        await store.close()


def upgrade_connection(conn: Connection) -> None:
    """Apply every migration up to head on ``conn``, inside its (write) transaction.

    env.py runs on this connection (Alembic's "sharing a connection" recipe) rather than
    opening its own, so the store's backend decides how the sync Alembic API reaches the
    database. On PostgreSQL an advisory lock makes processes starting together take turns.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
