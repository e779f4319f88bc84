"""Fixtures running one suite per port against every implementation (style rule 11)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.inprocess import MemoryBus, MemoryLocks
from storage import open_store
from storage.engine import make_engine
from storage.memory import MemoryStore
from storage.redis_bus import RedisBus
from storage.redis_locks import RedisLocks
from tests.services import POSTGRES_URL, REDIS_URL, require_postgres, require_redis

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards, so every test starts from nothing."""
    require_postgres()
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(POSTGRES_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{name}"'))
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        await admin.dispose()


@asynccontextmanager
async def sql_url(backend: str, tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    """(url, schema) of an empty database for ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}", None
    else:
        async with pg_schema() as schema:
            yield POSTGRES_URL, schema


@asynccontextmanager
async def empty_store(kind: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A migrated, empty store of ``kind`` (memory, sqlite, postgres), closed afterwards."""
    if kind == "memory":
        yield MemoryStore()
        return
    async with sql_url(kind, tmp_path) as (url, schema):
        s = await open_store(url, migrate=True, schema=schema)
        try:
            yield s
        finally:
            await s.close()


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A migrated, empty store of every kind."""
    async with empty_store(request.param, tmp_path) as s:
        yield s


@pytest.fixture(params=SQL_BACKENDS)
async def sql_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, str | None]]:
    """(url, schema) of an empty SQLite or PostgreSQL database, not yet migrated."""
    async with sql_url(request.param, tmp_path) as backend:
        yield backend


@pytest.fixture(params=BACKENDS)
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A bus with small queues (8) so the drop-oldest policy is quick to exercise."""
    if request.param == "memory":
        yield MemoryBus(maxsize=8)
        return
    require_redis()
    # Unique prefix per test: pub/sub channels are server-wide, whatever the database number.
    b = RedisBus(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:", maxsize=8)
    try:
        yield b
    finally:
        await b.close()


@pytest.fixture(params=BACKENDS)
async def locks(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Locks of every kind; Redis ones under a prefix unique to the test."""
    if request.param == "memory":
        yield MemoryLocks()
        return
    require_redis()
    lk = RedisLocks(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:lock:", wait_timeout=10)
    try:
        yield lk
    finally:
        await lk.close()
