"""SqlStore: the Store, Unit and Outbox ports on SQLite (default) or PostgreSQL (by URL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, select, update
from sqlalchemy.engine import Connection, Engine

from bot.messages import ConversationKey
from bot.state import Evidence, HandoffRequest, StageChange, StoredMessage
from storage.backend import AsyncBackend, Backend
from storage.cards import SqlCards
from storage.codec import evidence_from_row, message_from_row, stage_change_from_row
from storage.desk import SqlDesk
from storage.engine import DEFAULT_URL, make_engine, make_sqlite_engine, normalize_url
from storage.pg_unit import PgUnit
from storage.reps import SqlReps
from storage.sessions import SqlSessions
from storage.snapshots import CACHE_SIZE, SnapshotCache
from storage.sql_unit import SqlUnit
from storage.sqlite_backend import ThreadBackend
from storage.tables import CONVERSATIONS, EVIDENCE, HANDOFFS, MESSAGES, OUTBOX, STAGE_CHANGES

T = TypeVar("T")
_C = CONVERSATIONS.c


def _of(table: Any, key: ConversationKey) -> Select[Any]:
    """Rows of ``table`` belonging to the conversation ``key`` (join on the unique key index)."""
    return (
        select(table)
        .join(CONVERSATIONS, _C.id == table.c.conversation_id)
        .where(_C.channel == key.channel, _C.address == key.address)
    )


def _request(row: Row[Any]) -> HandoffRequest:
    """A ``handoffs`` row as the request the turn wrote (routing's fields included)."""
    return HandoffRequest(
        reason=row.reason,
        stage=row.stage,
        score=row.score,
        at=row.requested_at,
        team=row.team,
        offered_rep_id=row.offered_rep_id,
        route_reason=row.route_reason,
        sla_due_at=row.sla_due_at,
    )


class SqlStore(SqlReps, SqlDesk, SqlSessions, SqlCards):
    """Durable conversation state in a SQL database; see ``bot.ports.Store`` and ``Outbox``.

    The rep console's ports (``Reps``, ``Desk``, ``Sessions``) and the Slack desk's ``Cards``
    come from the mixins in ``storage.reps``, ``storage.desk``, ``storage.sessions`` and
    ``storage.cards``, written through ``write``.

    The hot path uses SQLAlchemy Core on the SQLModel tables' ``__table__`` (an ORM session
    costs several times more per statement at thousands of messages per second), written once
    as synchronous code and run by a backend: asyncpg via ``run_sync`` for PostgreSQL, pysqlite
    on one worker thread for SQLite (``storage.backend``). Reads use their own connections.

    On SQLite, units in this process queue on an ``asyncio.Lock`` in the backend: SQLite has
    one writer anyway, queueing in asyncio avoids SQLite's busy handler (which sleeps in steps
    of up to 100 ms), and the queue lets units share one commit (``storage.sqlite_backend``).
    Other processes still serialize on the database lock.
    """

    def __init__(self, backend: Backend, cache_size: int = CACHE_SIZE) -> None:
        self.backend = backend
        # Snapshots of recently committed turns: the common turn reads nothing (see
        # storage.snapshots for why that is safe with other writers on the same database).
        self.snapshots = SnapshotCache(cache_size)
        # PostgreSQL reads an uncached conversation, and creates a first contact with its
        # turn, in plain asyncpg statements (storage.pg_unit).
        self.unit_type: type[SqlUnit] = PgUnit if isinstance(backend, AsyncBackend) else SqlUnit

    @classmethod
    def from_url(cls, url: str = DEFAULT_URL, *, schema: str | None = None) -> SqlStore:
        """A store on a new engine for ``url`` (see ``storage.engine.make_engine``)."""
        if normalize_url(url).startswith("sqlite"):
            return cls(ThreadBackend(make_sqlite_engine(url)))
        return cls(AsyncBackend(make_engine(url, schema=schema)))

    @property
    def sync_engine(self) -> Engine:
        """The underlying synchronous engine, for event hooks (statement counting, tracing)."""
        return self.backend.sync_engine

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.backend.close()

    def unit(self) -> UnitScope:
        """One transaction: commits when the block exits, rolls back when it raises.

        The transaction begins at the unit's first use of the database (none for a cached
        ``load``). The snapshot cache learns what the unit wrote only after the COMMIT, and
        forgets every conversation the unit touched if anything failed.
        """
        stack = AsyncExitStack()
        return UnitScope(self.unit_type(self.backend, stack, self.snapshots), stack)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` in its own write transaction (migrations, maintenance)."""
        async with self.backend.transaction() as (conn, run):
            return await run(lambda: fn(conn))

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a read connection (tools, the console's own queries)."""
        return await self.backend.read(fn)

    async def transcript(
        self, key: ConversationKey, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]:
        """Messages with ``seq > after_seq``, oldest first (widget replay, console view)."""
        stmt = _of(MESSAGES, key).where(MESSAGES.c.seq > after_seq)
        rows = await self._rows(stmt.order_by(MESSAGES.c.seq).limit(limit))
        return [message_from_row(r) for r in rows]

    async def evidence_log(self, key: ConversationKey) -> list[Evidence]:
        """Every evidence row ever recorded, oldest first, superseded ones included."""
        rows = await self._rows(_of(EVIDENCE, key).order_by(EVIDENCE.c.id))
        return [evidence_from_row(r) for r in rows]

    async def stage_history(self, key: ConversationKey) -> list[StageChange]:
        """Stage changes, oldest first."""
        rows = await self._rows(_of(STAGE_CHANGES, key).order_by(STAGE_CHANGES.c.id))
        return [stage_change_from_row(r) for r in rows]

    async def handoff_requests(self, key: ConversationKey) -> list[HandoffRequest]:
        """Hand-off requests of a conversation, oldest first (routing reads the table itself)."""
        rows = await self._rows(_of(HANDOFFS, key).order_by(HANDOFFS.c.id))
        return [_request(r) for r in rows]

    async def due(self, now: datetime, limit: int = 100) -> list[ConversationKey]:
        """Conversations whose timer is at or before ``now``, most overdue first."""
        stmt = (
            select(_C.channel, _C.address)
            .where(_C.wake_at <= now)
            .order_by(_C.wake_at, _C.id)
            .limit(limit)
        )
        return [ConversationKey(r.channel, r.address) for r in await self._rows(stmt)]

    async def pending(
        self, limit: int = 100, older_than: datetime | None = None
    ) -> list[tuple[int, Sequence[Mapping[str, Any]]]]:
        """Unpublished rows (id, events), oldest first, written before ``older_than`` if given."""
        stmt = (
            select(OUTBOX.c.id, OUTBOX.c.payload)
            .where(OUTBOX.c.published_at.is_(None))
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        if older_than is not None:
            stmt = stmt.where(OUTBOX.c.created_at < older_than)
        return [(r.id, events_of(r.payload)) for r in await self._rows(stmt)]

    async def mark_published(self, ids: Sequence[int]) -> None:
        """Mark rows as published (at-least-once: a crash before this re-publishes them)."""
        if not ids:
            return
        stmt = update(OUTBOX).where(OUTBOX.c.id.in_(list(ids)))
        stmt = stmt.values(published_at=datetime.now(UTC))
        # A submitted job: on SQLite it rides in the next batch of turns, not a commit of its own.
        await self.backend.submit(lambda conn: conn.execute(stmt))

    async def _rows(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        def fetch(conn: Connection) -> Sequence[Row[Any]]:
            return conn.execute(stmt).all()

        return await self.backend.read(fetch)


def events_of(payload: Any) -> list[Mapping[str, Any]]:
    """A row's events: a JSON array (one row per turn), or one object (a single event).

    Rows are converted by migration 0004, but a process still running the code from before it
    (a rolling deploy) writes one object per event; those rows stay readable.
    """
    return [payload] if isinstance(payload, dict) else list(payload)


class UnitScope:
    """One ``async with store.unit()``: the unit, committed (or rolled back) on exit.

    A class rather than an ``asynccontextmanager``: every turn enters one, and the generator
    machinery cost more than the usual unit's work on exit (a cached turn's unit has no
    transaction of its own: ``SqlUnit.finish`` submits it to the backend's batch).
    """

    __slots__ = ("_stack", "_unit")

    def __init__(self, unit: SqlUnit, stack: AsyncExitStack) -> None:
        self._unit, self._stack = unit, stack

    async def __aenter__(self) -> SqlUnit:
        return self._unit

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        unit = self._unit
        try:
            # A unit that never began a transaction (a cached turn: its job committed it) has
            # nothing to flush and an empty stack, whose exit does nothing: both skipped.
            if unit.began:
                if error is None:
                    try:
                        await unit.flush()
                    except BaseException as failed:  # rolled back like the block's own error
                        await self._stack.__aexit__(type(failed), failed, failed.__traceback__)
                        raise
                # The backend's transaction: commit, or roll back on ``error``. It never
                # swallows an error, so the block's own one goes on as raised.
                await self._stack.__aexit__(kind, error, tb)
        except BaseException:
            unit.forget()
            raise
        if error is not None:
            unit.forget()
        else:
            unit.remember()

