"""How SqlStore reaches its database: asyncpg through an async engine, SQLite on one thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import WRITE_OPTION, writer

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

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a read-only connection."""
        ...

    async def close(self) -> None:
        """Release every connection (and thread)."""
        ...


class AsyncBackend:
    """PostgreSQL through asyncpg: sync Core code runs in ``run_sync`` (greenlet bridged)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sync_engine = engine.sync_engine
        self._writer = writer(engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[Connection, Runner]]:
        """One transaction on a pooled connection (``engine.begin()``)."""
        async with self._writer.begin() as conn:
            sync = conn.sync_connection
            assert sync is not None  # set once the connection is open

            async def run(fn: Callable[[], T]) -> T:
                return await conn.run_sync(lambda _: fn())

            yield sync, run

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a pooled connection."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn)

    async def close(self) -> None:
        """Dispose of the pool."""
        await self.engine.dispose()


class ThreadBackend:
    """SQLite through pysqlite, every call on one dedicated worker thread.

    One thread suits SQLite: it has a single writer anyway, and a pysqlite connection must stay
    on the thread that made it. Each Unit method is one hop to the thread, not one per cursor
    call as with aiosqlite: about ten times less overhead per statement.
    """

    def __init__(self, engine: Engine) -> None:
        self.sync_engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualibot-sqlite")

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def _finish(self, fn: Callable[[], T]) -> T:
        # Shielded: cancelling the caller (a client that hung up) must not cancel the queued
        # job that ends the transaction, or the connection would keep SQLite's write lock.
        return await asyncio.shield(self._run(fn))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[Connection, Runner]]:
        """One ``BEGIN IMMEDIATE`` transaction; commit/rollback/close also run on the thread."""
        opening = self._thread.submit(self._begin)
        try:
            conn = await asyncio.wrap_future(opening)
        except asyncio.CancelledError:
            # Cancelled while the thread opens the transaction: end it on the thread before
            # any later job runs there, or the next BEGIN IMMEDIATE waits on our write lock.
            if opening.done():
                self._thread.submit(_abandon, opening)
            else:
                opening.add_done_callback(_abandon)  # runs on the worker, right after BEGIN
            raise
        try:
            yield conn, self._run
        except BaseException:
            await self._finish(lambda: _end(conn, commit=False))
            raise
        await self._finish(lambda: _end(conn, commit=True))


    def _begin(self) -> Connection:
        # Connect and BEGIN in one hop to the thread (each hop costs about 80 us).
        conn = self._writer.connect()
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        return conn

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on the thread, on a pooled read connection."""

        def call() -> T:
            with self.sync_engine.connect() as conn:
                return fn(conn)

        return await self._run(call)

    async def close(self) -> None:
        """Dispose of the pool on the thread that owns its connections, then stop the thread."""
        await self._run(self.sync_engine.dispose)
        self._thread.shutdown(wait=True)


def _end(conn: Connection, *, commit: bool) -> None:
    """Commit or roll back, and return the connection to the pool, in one hop."""
    try:
        if commit:
            conn.commit()
        else:
            conn.rollback()
    finally:
        conn.close()


def _abandon(opening: Future[Connection]) -> None:
    """Roll back a transaction whose opener was cancelled (if it opened at all)."""
    if not opening.cancelled() and opening.exception() is None:
        _end(opening.result(), commit=False)
