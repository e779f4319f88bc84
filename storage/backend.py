"""How SqlStore reaches its database: the Backend port, and asyncpg through an async engine.

SQLite's backend (one worker thread, group commit) is in ``storage.sqlite_backend``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import MAX_OVERFLOW, POOL_SIZE, writer
from storage.pg_gate import FairGate

T = TypeVar("T")


class Runner(Protocol):
    """Runs a synchronous function that uses the unit's connection, from async code."""

    async def __call__(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` where the connection may be used; return its result."""
        ...


class Backend(Protocol):
    """A database reached through synchronous SQLAlchemy Core code, called from async code.

    The store's statements are plain sync Core (one code path for both databases); the backend
    decides how they reach the driver without blocking the event loop.
    """

    sync_engine: Engine

    def transaction(self) -> AbstractAsyncContextManager[tuple[Connection, Runner]]:
        """A write transaction: (connection, runner); commits on exit, rolls back on error."""
        ...

    def submit(self, job: Callable[[Connection], T]) -> Awaitable[T]:
        """Run ``job(connection)`` as a transaction of its own; resolve once it has committed.

        The backend may run many jobs in one transaction: a job that raises rolls back alone
        and its caller gets the exception. To get there it may roll back a job that succeeded
        and run it again (SQLite, ``storage.sqlite_jobs``), so a job must change nothing
        outside the database but what it returns.
        """
        ...

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a read-only connection."""
        ...

    async def close(self) -> None:
        """Release every connection (and thread)."""
        ...


class AsyncBackend:
    """PostgreSQL through asyncpg: sync Core code runs in ``run_sync`` (greenlet bridged).

    Every checkout passes a first-come, first-served gate as wide as the pool
    (``storage.pg_gate``): SQLAlchemy's own queue lets newcomers overtake waiters, which made
    the slowest turns wait seconds longer than the median under load.
    """

    def __init__(self, engine: AsyncEngine, connections: int = POOL_SIZE + MAX_OVERFLOW) -> None:
        self.engine = engine
        self.sync_engine = engine.sync_engine
        self._writer = writer(engine)
        self.gate = FairGate(connections)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[Connection, Runner]]:
        """One transaction on a pooled connection (``engine.begin()``)."""
        async with self.gate.hold(), self._writer.begin() as conn:
            sync = conn.sync_connection
            assert sync is not None  # set once the connection is open

            async def run(fn: Callable[[], T]) -> T:
                return await conn.run_sync(lambda _: fn())

            yield sync, run

    async def submit(self, job: Callable[[Connection], T]) -> T:
        """One transaction, one ``run_sync``: PostgreSQL runs concurrent jobs side by side."""
        async with self.gate.hold(), self._writer.begin() as conn:
            return await conn.run_sync(job)

    async def raw(self, fn: Callable[[Any], Awaitable[T]], *, urgent: bool = False) -> T:
        """Run ``fn(asyncpg connection)`` outside any transaction: the hot path, no Core.

        ``fn`` sends one statement (``storage.pg_turn``), which commits on its own: no BEGIN
        and COMMIT round trips. The connection comes from the engine's pool, so it has the
        engine's settings (``search_path``) and SQLAlchemy's JSON codecs. ``urgent``: the
        caller already waited in line once for this message (``FairGate.acquire``).
        """
        async with self.gate.hold(urgent=urgent), self._writer.connect() as conn:
            db = (await conn.get_raw_connection()).driver_connection
            assert db is not None
            return await fn(db)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a pooled connection."""
        async with self.gate.hold(), self.engine.connect() as conn:
            return await conn.run_sync(fn)

    async def close(self) -> None:
        """Dispose of the pool."""
        await self.engine.dispose()
