"""SQLite on one worker thread, with group commit: concurrent units share one transaction.

Why group commit: a turn's own statements cost less than the hops and the COMMIT around them
(docs/benchmarks.md, "What limits each figure now"). Units already queue one at a time for
SQLite's single writer, so a unit that finds others queued behind it leaves the transaction
open for them instead of committing; the last unit of the batch commits for all. Each unit runs
in its own SAVEPOINT, so a failing turn rolls back alone, and a unit returns only after the
COMMIT that holds its writes: a reply still never precedes its commit (docs/benchmarks.md,
"Group commit: how it fits").
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Connection, Engine

from storage.backend import Runner
from storage.engine import WRITE_OPTION
from storage.sqlite_jobs import JobQueue
from storage.sqlite_reads import Reader
from storage.sqlite_turn import SqliteWrites

T = TypeVar("T")

# A batch commits when no unit is queued behind it, or when it is this big or this old: so the
# age only matters while units queue without a break, and bounds what the batch's first turn
# waits for its commit then. 10 ms, not 2: under load one turn takes about 2 ms of wall time, so
# a 2 ms batch held 1.4 turns and saved little; 10 ms holds about 5 (measured at 10, 100 and
# 1,000 concurrent conversations: +13% messages/s against 2 ms, p99 no worse).
MAX_TURNS = 64
MAX_AGE = 0.010  # seconds since the batch's first unit took the writer


@dataclass(slots=True)
class _Batch:
    """Units sharing one BEGIN IMMEDIATE .. COMMIT; ``committed`` resolves with the COMMIT."""

    committed: asyncio.Future[None]
    started: float
    turns: int = 0


@dataclass(slots=True)
class _Turn:
    """One unit of a batch. ``opened`` is set on the worker thread once its SAVEPOINT exists.

    ``whole``: the unit began the transaction and is its only unit, so the transaction stands
    in for its savepoint (a unit of one hop when nobody else waits: every turn at one
    conversation at a time).
    """

    submitted: bool = False  # event loop side: the SAVEPOINT job has been queued
    opened: bool = field(default=False)
    whole: bool = False


class ThreadBackend:
    """SQLite through pysqlite, every call on one dedicated worker thread.

    One thread suits SQLite: it has a single writer anyway, and a pysqlite connection must stay
    on the thread that made it. Each Unit method is one hop to the thread, not one per cursor
    call as with aiosqlite: about ten times less overhead per statement. The writer connection
    stays open for the backend's lifetime; a unit's BEGIN and SAVEPOINT ride on its first hop.
    """

    def __init__(self, engine: Engine) -> None:
        self.sync_engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualibot-sqlite")
        self._conn: Connection | None = None  # created, used and closed on the thread only
        # The writer's pysqlite statements, made with it: a job's SyncUnit takes these rather
        # than reaching the driver through SQLAlchemy's proxies (4k instructions a turn).
        self.writes: SqliteWrites | None = None
        self._lock = asyncio.Lock()  # one unit at a time: SQLite has one writer
        self._queued = 0  # units waiting for the lock: while any, a batch stays open for them
        self._batch: _Batch | None = None
        self._release = False  # the previous unit's SAVEPOINT is still to be RELEASEd
        self._tasks: set[asyncio.Task[None]] = set()
        self._jobs = JobQueue(self.single)  # submitted jobs, many per hop
        self._reader = Reader(engine, self._run)  # first reads (``peek``), many per hop
        self._in_memory = engine.url.database in (None, "", ":memory:")  # one connection only

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    async def _take(self) -> _Batch:
        """Wait for the writer, then join the open batch (or start one)."""
        self._queued += 1
        try:
            await self._lock.acquire()
        except asyncio.CancelledError:
            self._queued -= 1
            self._commit_if_orphaned()
            raise
        self._queued -= 1
        try:
            return await self._join()
        except BaseException:
            self._lock.release()
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[Connection, Runner]]:
        """One unit: a SAVEPOINT in the current batch; returns once the batch has committed."""
        batch = await self._take()
        turn = _Turn()
        try:
            conn = self._conn
            assert conn is not None  # _join connects

            async def run(fn: Callable[[], T]) -> T:
                if turn.submitted:
                    return await self._run(fn)
                turn.submitted = True

                def first() -> T:
                    self._open(conn, turn)
                    return fn()

                return await self._run(first)

            yield conn, run
        except BaseException:
            await self._end(batch, turn, ok=False)
            raise
        await self._end(batch, turn, ok=True)
        await asyncio.shield(batch.committed)

    async def single(self, fn: Callable[[Connection], T]) -> T:
        """A unit of one call, ``fn(conn)``; returns once the batch holding it has committed.

        When the batch is due to commit after this unit (nobody queued for the writer: always
        so at one conversation at a time), the COMMIT rides on the unit's own hop: one hop
        per batch of jobs instead of two (about 100 µs of CPU and more of wall time each on
        a busy 2-core machine).
        """
        batch = await self._take()
        conn = self._conn
        assert conn is not None  # _take connects
        turn = _Turn(submitted=True)
        if not self._due(batch):  # others wait for the writer: the batch stays open for them
            try:
                value = await self._run(lambda: self._first(conn, turn, fn))
            except BaseException:
                await self._end(batch, turn, ok=False)
                raise
            await self._end(batch, turn, ok=True)
            await asyncio.shield(batch.committed)
            return value
        if self._batch is batch:
            self._batch = None  # closed to newcomers now, as in _end
        job = asyncio.ensure_future(self._run(lambda: self._last(conn, turn, fn)))
        job.add_done_callback(lambda done: self._settle_by(batch, done, commit=True))
        try:
            outcome: tuple[T | None, Exception | None] = await asyncio.shield(job)
        finally:
            self._lock.release()
        if outcome[1] is not None:
            raise outcome[1]
        return cast(T, outcome[0])

    def _first(self, conn: Connection, turn: _Turn, fn: Callable[[Connection], T]) -> T:
        self._open(conn, turn)
        return fn(conn)

    def _last(
        self, conn: Connection, turn: _Turn, fn: Callable[[Connection], T]
    ) -> tuple[T | None, Exception | None]:
        """On the thread: open, run ``fn``, close and COMMIT; ``fn``'s error fails only it."""
        try:
            self._open(conn, turn, alone=True)
            value = fn(conn)
        except Exception as exc:
            self._close_turn(conn, turn, ok=False, commit=True)
            return None, exc
        self._close_turn(conn, turn, ok=True, commit=True)
        return value, None

    def _due(self, batch: _Batch) -> bool:
        """Whether the batch commits when its current unit ends."""
        return (
            self._queued == 0
            or batch.turns >= MAX_TURNS
            or asyncio.get_running_loop().time() - batch.started >= MAX_AGE
        )

    def submit(self, job: Callable[[Connection], T]) -> asyncio.Future[T]:
        """Run ``job`` in the next batch, rolled back alone if it raises (``storage.sqlite_jobs``).

        A plain call returning the job's future, not a coroutine: at 1,000 concurrent
        conversations every turn comes this way, and each coroutine layer costs a frame to
        create and one to resume.
        """
        return self._jobs.submit(job)

    async def _join(self) -> _Batch:
        """The open batch, or a new one (connecting once per backend)."""
        if self._conn is None:
            await asyncio.shield(self._run(self._connect))
        if self._batch is None:
            loop = asyncio.get_running_loop()
            self._batch = _Batch(loop.create_future(), loop.time())
        self._batch.turns += 1
        return self._batch

    def _connect(self) -> None:
        # Sets the attribute on the thread, so a cancelled caller does not leak the connection.
        if self._conn is None:
            self._conn = self._writer.connect()
            self.writes = SqliteWrites(_driver(self._conn))

    def _open(self, conn: Connection, turn: _Turn, *, alone: bool = False) -> None:
        """On the thread, in the unit's first hop: RELEASE the last turn, BEGIN, SAVEPOINT.

        ``alone``: the batch commits in this very hop, so if the unit begins the transaction
        it is the batch's only unit and needs no SAVEPOINT (two statements of a turn's seven).
        """
        if self._release:
            conn.exec_driver_sql("RELEASE turn")
            self._release = False
        if not conn.in_transaction():
            conn.begin()  # BEGIN IMMEDIATE (storage.engine.configure_sqlite)
            if alone:
                turn.whole = True
                return
        conn.exec_driver_sql("SAVEPOINT turn")
        turn.opened = True

    async def _end(self, batch: _Batch, turn: _Turn, *, ok: bool) -> None:
        """Keep or undo the unit's savepoint, commit the batch if it is done, free the writer."""
        commit = self._due(batch)
        conn = self._conn
        assert conn is not None
        try:
            if ok and not commit:
                self._release = self._release or turn.opened  # rides on the next first hop
                return
            if commit and self._batch is batch:
                # Closed to newcomers now, not when the COMMIT is done: a unit taking the
                # writer meanwhile (this caller cancelled) must start the next batch.
                self._batch = None
            job = asyncio.ensure_future(
                self._run(lambda: self._close_turn(conn, turn, ok=ok, commit=commit))
            )
            # Settled from the job itself, so a caller cancelled meanwhile cannot strand the
            # batch; shielded, so cancelling the caller does not cancel the job.
            job.add_done_callback(lambda done: self._settle_by(batch, done, commit=commit))
            try:
                await asyncio.shield(job)
            except Exception:
                if ok:
                    raise  # else the unit's own error is the one to raise
        finally:
            self._lock.release()

    def _close_turn(self, conn: Connection, turn: _Turn, *, ok: bool, commit: bool) -> None:
        """On the thread: undo a failed turn's savepoint; COMMIT (which releases all) if asked."""
        try:
            if turn.whole and not ok:  # the transaction was the turn's savepoint
                conn.rollback()
                return
            if turn.opened and not ok:
                conn.exec_driver_sql("ROLLBACK TO turn")
                conn.exec_driver_sql("RELEASE turn")
            elif turn.opened:
                self._release = False  # COMMIT releases it
            if commit and conn.in_transaction():
                self._release = False
                conn.commit()
        except BaseException:
            # After a failed COMMIT, SQLAlchemy considers the transaction over while SQLite
            # still has it open (and holds the write lock): roll back at both levels.
            self._release = False
            conn.rollback()
            driver = conn.connection.dbapi_connection
            if driver is not None and driver.in_transaction:
                driver.rollback()
            raise

    def _settle_by(self, batch: _Batch, job: asyncio.Future[Any], *, commit: bool) -> None:
        """After a turn's closing job: a failure there ends the batch (its transaction is gone)."""
        if job.cancelled():
            self._settle(batch, asyncio.CancelledError())
        elif (exc := job.exception()) is not None:
            self._settle(batch, exc)
        elif commit:
            self._settle(batch, None)

    def _settle(self, batch: _Batch, exc: BaseException | None) -> None:
        """End the batch: every unit waiting on it returns, or raises ``exc``."""
        if self._batch is batch:
            self._batch = None
        if batch.committed.done():
            return
        if exc is None:
            batch.committed.set_result(None)
        else:
            batch.committed.set_exception(exc)
            batch.committed.exception()  # retrieved here: a batch of one has no other waiter

    def _commit_if_orphaned(self) -> None:
        """A queued unit was cancelled: if the open batch counted on it, commit it now."""
        if self._queued == 0 and self._batch is not None and not self._lock.locked():
            task = asyncio.get_running_loop().create_task(self._commit_open_batch())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _commit_open_batch(self) -> None:
        async with self._lock:
            batch, conn = self._batch, self._conn
            if batch is None or conn is None:
                return
            self._batch = None
            try:
                await self._run(lambda: self._close_turn(conn, _Turn(), ok=True, commit=True))
            except Exception as exc:
                self._settle(batch, exc)
            else:
                self._settle(batch, None)

    def peek(self, fn: Callable[[sqlite3.Connection], T]) -> Awaitable[T]:
        """Run ``fn`` on the thread on a reader connection: committed rows, no transaction.

        For a unit's first read of a conversation not in the cache: it neither queues for the
        writer nor waits for a batch's COMMIT (``storage.sqlite_reads``). An in-memory database
        has a single connection: the read is then a submitted job.
        """
        if self._in_memory:
            return self.submit(lambda conn: fn(_driver(conn)))
        return self._reader.read(fn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on the thread, on a pooled read connection (committed data)."""

        def call() -> T:
            with self.sync_engine.connect() as conn:
                return fn(conn)

        return await self._run(call)

    async def close(self) -> None:
        """Close the writer and the pool on the thread that owns them, then stop the thread."""
        for task in list(self._tasks):
            await task
        await self._jobs.drained()
        await self._reader.drained()
        await self._run(self._dispose)
        self._thread.shutdown(wait=True)

    def _dispose(self) -> None:
        self._reader.close()
        if self._conn is not None:
            if self._conn.in_transaction():
                self._conn.rollback()
            self._conn.close()
            self._conn = None
            self.writes = None
        self.sync_engine.dispose()



def _driver(conn: Connection) -> sqlite3.Connection:
    db = conn.connection.driver_connection
    assert isinstance(db, sqlite3.Connection)
    return db
