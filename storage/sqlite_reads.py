"""First reads of conversations not in the cache, on a reader connection, many per hop.

A unit reads a conversation it has not cached outside any transaction (``storage.sql_unit``):
in WAL mode a reader sees the last COMMIT without waiting for the writer or for a batch's
COMMIT. The reads run on the SQLite worker thread between the writer's hops, on a connection
kept open (a checkout per read costs more than the read), in autocommit, so each SELECT sees
the latest commit. Reads asked for while the thread is busy go there together in one hop: at
1,000 concurrent conversations a cell starts with 1,000 first contacts, and a hop each cost
more CPU than the job they replaced.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from storage.sqlite_jobs import fail_all, settle

T = TypeVar("T")


@dataclass(slots=True)
class _Read(Generic[T]):
    fn: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]


class Reader:
    """A reader connection of ``engine``, used only on the thread ``run`` runs on."""

    def __init__(self, engine: Engine, run: Callable[[Callable[[], Any]], Awaitable[Any]]) -> None:
        self._engine, self._run = engine, run
        self._conn: PoolProxiedConnection | None = None  # made, used, closed on the thread
        self._reads: list[_Read[Any]] = []
        self._drainer: asyncio.Task[None] | None = None

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Run ``fn(reader)`` in the next hop; cancelling the future withdraws it if not taken."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._reads.append(_Read(fn, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        while self._reads:
            reads = [r for r in self._reads if not r.future.done()]
            self._reads.clear()
            try:
                outcomes = await self._run(functools.partial(self._read_all, reads))
            except BaseException as exc:  # the hop failed (or the drain was cancelled)
                fail_all([r.future for r in reads], exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            settle([r.future for r in reads], outcomes)

    def _read_all(self, reads: list[_Read[Any]]) -> list[tuple[Any, Exception | None]]:
        """On the thread: each read on its own; one failing fails only its caller."""
        if self._conn is None:
            self._conn = self._engine.raw_connection()
        db = self._conn.driver_connection
        assert isinstance(db, sqlite3.Connection)
        outcomes: list[tuple[Any, Exception | None]] = []
        for r in reads:
            try:
                outcomes.append((r.fn(db), None))
            except Exception as exc:
                outcomes.append((None, exc))
        return outcomes

    async def drained(self) -> None:
        """Wait until every read asked for has run (before closing)."""
        if self._drainer is not None:
            await self._drainer

    def close(self) -> None:
        """On the thread: give the connection back to the engine's pool."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
