"""A throwaway PostgreSQL schema for one run, dropped afterwards, and the server's settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

POSTGRES_URL = os.environ.get(
    "QUALIBOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def available() -> bool:
    """Whether PostgreSQL answers on its port (the PostgreSQL rows are skipped otherwise)."""
    import asyncpg  # noqa: F401  (the driver must be there too)

    from bench.procs import answers

    return answers(5432)


@asynccontextmanager
async def schema() -> AsyncIterator[str]:
    """A fresh schema named ``bench_<random>``, dropped with everything in it on exit."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        yield name
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


@asynccontextmanager
async def database() -> AsyncIterator[str]:
    """A fresh database ``bench_<random>`` (a server process takes a URL, not a schema); its URL.

    Dropped on exit, with any connection still open to it.
    """
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def settings() -> dict[str, Any]:
    """Server version and the settings that decide commit cost (fsync, synchronous_commit)."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        result: dict[str, Any] = {}
        for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method",
                     "shared_buffers", "max_connections"):  # fmt: skip
            result[name] = await conn.fetchval(f"SHOW {name}")
        return result
    finally:
        await conn.close()
