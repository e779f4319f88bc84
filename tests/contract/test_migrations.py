"""Migrations on SQLite and PostgreSQL: idempotent, and head matches the SQLModel tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from storage import open_store
from storage.engine import make_engine
from storage.migrate import alembic_config, upgrade
from storage.tables import metadata


def _drift(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_upgrade_is_idempotent_and_matches_the_models(
    sql_backend: tuple[str, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, schema = sql_backend
    monkeypatch.chdir(tmp_path)  # migrations are found from the package, not the working dir
    await upgrade(url, schema=schema)
    await upgrade(url, schema=schema)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = make_engine(url, schema=schema)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            assert [v for (v,) in version] == [head]
            assert await conn.run_sync(_drift) == []
            assert {t.name for t in metadata.sorted_tables} <= await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_open_store_migrates_on_request(sql_backend: tuple[str, str | None]) -> None:
    url, schema = sql_backend
    store = await open_store(url, migrate=True, schema=schema)
    try:
        assert await store.transcript(ConversationKey("widget", "nobody")) == []
    finally:
        await store.close()
    again = await open_store(url, migrate=True, schema=schema)  # second start-up: a no-op
    await again.close()

