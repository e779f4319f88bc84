"""Migrations on SQLite and PostgreSQL: idempotent, and head matches the SQLModel tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from storage import open_store
from storage.engine import make_engine
from storage.migrate import alembic_config, upgrade
from storage.sql import SqlStore
from storage.tables import OUTBOX, metadata


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


def _migrate_to(revision: str, *, down: bool = False) -> Any:
    """A store.write job moving the schema up (or down) to ``revision`` on its connection."""

    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    return run


async def test_0004_turns_single_event_rows_into_arrays_and_back(
    sql_backend: tuple[str, str | None],
) -> None:
    """Rows written one per event before 0004 read as one-event rows after it; downgrade splits."""
    url, schema = sql_backend
    store = SqlStore.from_url(url, schema=schema)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    old = [{"name": "message_added", "key": "widget:a", "n": i} for i in range(3)]
    try:
        await store.write(_migrate_to("0003"))
        await store.write(
            lambda conn: conn.execute(
                OUTBOX.insert(),
                [{"topic": "events", "payload": p, "created_at": now} for p in old],
            )
        )
        await store.mark_published([2])
        await store.write(_migrate_to("head"))
        assert await store.pending() == [(1, [old[0]]), (3, [old[2]])]
        by_id = select(OUTBOX.c.payload).order_by(OUTBOX.c.id)
        payloads = await store.read(lambda conn: conn.execute(by_id).scalars().all())
        assert payloads == [[p] for p in old]  # wrapped, so every row reads the same
        await store.write(  # a turn's row, as the new code writes it
            lambda conn: conn.execute(
                OUTBOX.insert(), {"topic": "events", "payload": old[:2], "created_at": now}
            )
        )
        await store.write(_migrate_to("0003", down=True))
        rows = await store.read(
            lambda conn: conn.execute(
                select(OUTBOX.c.payload, OUTBOX.c.published_at.is_not(None)).order_by(OUTBOX.c.id)
            ).all()
        )
        assert [tuple(r) for r in rows] == [
            (old[0], False), (old[1], True), (old[2], False), (old[0], False), (old[1], False),
        ]  # fmt: skip
    finally:
        await store.close()
