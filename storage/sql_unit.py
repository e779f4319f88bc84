"""SqlUnit: one transaction's load, add_message and commit_turn.

A unit opens its database transaction only when it first needs the database: a turn whose
conversation is in the store's snapshot cache (``storage.snapshots``) reads nothing, and writes
its inbound message and the whole turn in one call (``commit_turn``), so it costs one trip to
the database (one hop to the SQLite thread, one ``run_sync`` on PostgreSQL).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from bot.state import HandoffStatus, Outcome, Snapshot, StoredMessage, Turn
from storage import pg_turn, sqlite_load
from storage.backend import AsyncBackend, Backend, Runner
from storage.codec import utc
from storage.snapshots import Known, SnapshotCache, provisional
from storage.sqlite_backend import ThreadBackend
from storage.sync_unit import SyncUnit


class SqlUnit:
    """One transaction, opened on first use; see ``bot.ports.Unit``.

    Each method is at most one call through the backend's runner (a ``run_sync`` on
    PostgreSQL, a hop to the SQLite thread), whatever the number of statements inside; ``load``
    of a cached conversation is none. ``SqlStore.unit`` caches what the unit knows once its
    transaction has committed (``remember``) and forgets it when the unit fails (``forget``).
    """

    def __init__(self, backend: Backend, stack: AsyncExitStack, cache: SnapshotCache) -> None:
        self._backend, self._stack, self._cache = backend, stack, cache
        self._known: dict[int, Known] = {}
        self._sync: SyncUnit | None = None
        self._runner: Runner | None = None
        self._now: datetime | None = None
        self._finished = False
        self._queued = False  # went through the backend's line once (an uncached load)
        # The unit entered the backend's transaction into its stack (UnitScope exits it only then)
        self.began = False
        # SQLite: cache entries are shared, not copied, until a write copies them (_open, finish)
        self._shared = isinstance(backend, ThreadBackend)

    async def _open(self) -> tuple[SyncUnit, Runner]:
        """The unit's transaction, begun now if this is its first use of the database."""
        if self._finished:
            raise RuntimeError("finish() was the unit's last call")
        if self._sync is None or self._runner is None:
            self.began = True  # (before: entering may fail half way, the stack's exit undoes it)
            conn, run = await self._stack.enter_async_context(self._backend.transaction())
            if self._shared:  # the unit's statements change what it knows: its own copies
                self._known = {cid: known.copy() for cid, known in self._known.items()}
            sync = SyncUnit(conn, self._known, self._now)
            if self._known:  # read outside this transaction: still current? (and lock them)
                await run(sync.check)
            self._sync, self._runner = sync, run
        return self._sync, self._runner

    async def load(self, key: ConversationKey, now: datetime, *, fresh: bool = False) -> Snapshot:
        """Load the conversation (from the cache unless ``fresh``), creating it on first contact."""
        self._now = utc(now)
        for mine in self._known.values():
            if mine.snapshot is not None and mine.snapshot.key == key and not fresh:
                return mine.snapshot
        get = self._cache.peek if self._shared else self._cache.get
        cached = None if fresh else get(key)
        if cached is not None and cached.conversation_id not in self._known:
            assert cached.snapshot is not None  # the cache only holds loaded conversations
            self._known[cached.conversation_id] = cached
            return cached.snapshot
        if fresh or self._sync is not None:
            sync, run = await self._open()
            return await run(lambda: sync.load(key, now))
        # Not cached: read outside the unit's transaction, so the unit does not hold the
        # writer while its turn is decided.
        backend = self._backend
        if isinstance(backend, ThreadBackend):
            # SQLite: on a reader connection. A first contact creates nothing here: the unit
            # knows it as new (provisional ids), and its first write creates lead and
            # conversation in its own transaction (SyncUnit.create_new): one transaction per
            # message, none for a unit that never writes.
            known = await backend.peek(lambda db: sqlite_load.read(db, key)) or provisional(key)
            self._known[known.conversation_id] = known
            assert known.snapshot is not None
            return known.snapshot
        # PostgreSQL: in a job of its own, which on first contact also creates and commits
        # lead and conversation, so that the turn stays one plain asyncpg statement
        # (storage/pg_turn.py; docs/storage.md says what a first write would cost here).
        read: dict[int, Known] = {}
        snapshot = await backend.submit(lambda conn: SyncUnit(conn, read, now).load(key, now))
        self._known.update(read)
        self._queued = True
        return snapshot

    async def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) for a known external id."""
        sync, run = await self._open()
        return await run(lambda: sync.add_message(conversation_id, message))

    async def commit_turn(self, turn: Turn) -> list[int] | None:
        """Write the inbound message and the turn; None when the inbound is a re-delivery."""
        sync, run = await self._open()
        return await run(lambda: sync.commit_turn(turn))

    async def finish(self, turn: Turn) -> list[int] | None:
        """``commit_turn`` as the unit's last call: returns after the COMMIT.

        When the unit has not begun a transaction (its conversation was cached) the turn is
        submitted as one job, batched with other units' turns (``Backend.submit``).
        """
        mine = self._known.get(turn.conversation_id)
        if self._sync is not None or mine is None:
            return await self.commit_turn(turn)
        self._finished = True
        known, now = self._known, self._now
        if isinstance(self._backend, AsyncBackend):  # PostgreSQL: plain asyncpg statements
            payloads = turn.payloads or tuple(e.to_json() for e in turn.events)
            at = now or datetime.now(UTC)
            try:
                return await self._backend.raw(
                    lambda db: pg_turn.commit_turn(db, mine, turn, payloads, at),
                    urgent=self._queued,
                )
            except pg_turn.Duplicate:
                return None

        # SQLite: on first contact the job creates lead and conversation first (SyncUnit). It
        # changes copies, which the unit takes once they are committed: what the unit knows is
        # shared with the cache until then, and the job may run twice (``Backend.submit``):
        # the second run must start where the first one did.
        backend = self._backend
        assert isinstance(backend, ThreadBackend)

        def job(conn: Connection) -> tuple[list[int] | None, dict[int, Known]]:
            copies: dict[int, Known] = {}
            for cid, k in known.items():  # a loop, not a dict comprehension: no frame a turn
                copies[cid] = k.copy()
            return SyncUnit(conn, copies, now, backend.writes).commit_turn(turn), copies

        ids, self._known = await self._backend.submit(job)
        return ids

    async def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """Give the queued hand-off to ``rep_id``; False when it was not queued any more."""
        sync, run = await self._open()
        return await run(lambda: sync.claim(conversation_id, rep_id, now))

    async def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Finish the open hand-off (handed back or closed)."""
        sync, run = await self._open()
        await run(lambda: sync.end_handoff(conversation_id, status, outcome, now))

    async def flush(self) -> None:
        """Write what the unit deferred; called before commit."""
        if self._sync is not None and self._runner is not None and self._sync.deferred:
            await self._runner(self._sync.flush)

    def remember(self) -> None:
        """After the commit: cache what this unit knows (drop what it wrote blind).

        A first contact the unit never wrote is not cached: it is still not in the database.
        """
        for known in self._known.values():
            if not known.new:
                self._cache.put(known)

    def forget(self) -> None:
        """After a failure: the cache may hold what this unit was about to change."""
        for conversation_id in self._known:
            self._cache.drop(conversation_id)
