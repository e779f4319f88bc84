"""Storage: SQLModel tables, SqlStore (SQLite, or PostgreSQL by URL), MemoryStore, migrations."""

from __future__ import annotations

from storage.engine import DEFAULT_URL
from storage.sql import SqlStore


async def open_store(
    url: str = DEFAULT_URL, *, migrate: bool, schema: str | None = None
) -> SqlStore:
    """Open the SQL store at ``url``, first migrating the schema to head when ``migrate``.

    The app migrates the default SQLite file on start-up so ``qualibot chat`` just works; with
    PostgreSQL an operator usually runs ``qualibot db upgrade`` once per deploy instead.

    Args:
        url: database URL (``sqlite:///file.db``, ``postgresql://...``; drivers are rewritten).
        migrate: apply pending migrations before returning.
        schema: PostgreSQL schema to use (see ``storage.engine.make_engine``).
    """
    store = SqlStore.from_url(url, schema=schema)
    if migrate:
        from storage.migrate import upgrade_connection  # Alembic is only imported when needed

        try:
            await store.write(upgrade_connection)
        except BaseException:
            await store.close()
            raise
    return store


__all__ = ["DEFAULT_URL", "SqlStore", "open_store"]
