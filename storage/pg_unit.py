"""PgUnit: SqlUnit on PostgreSQL, with an uncached conversation read as one asyncpg statement.

``SqlUnit`` reads a conversation it has not cached in a Core job of its own, which on first
contact also creates lead and conversation: BEGIN, SELECT, two INSERTs and COMMIT through the
greenlet bridge, then the turn's statement. Here the read is one plain SELECT that creates
nothing (``storage.pg_load``), and a first contact's turn creates lead and conversation in its
own statement (``storage.pg_turn``): two round trips, no Core, and a first turn that fails
leaves nothing behind. Everything else is ``SqlUnit``'s.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

from bot.messages import ConversationKey
from bot.state import Snapshot
from storage import pg_load
from storage.backend import AsyncBackend
from storage.codec import utc
from storage.snapshots import SnapshotCache, provisional
from storage.sql_unit import SqlUnit


class PgUnit(SqlUnit):
    """``SqlUnit`` whose read of an uncached conversation is plain asyncpg; see the module."""

    def __init__(self, backend: AsyncBackend, stack: AsyncExitStack, cache: SnapshotCache) -> None:
        super().__init__(backend, stack, cache)
        self._pg = backend

    async def load(self, key: ConversationKey, now: datetime, *, fresh: bool = False) -> Snapshot:
        """As ``SqlUnit.load``; a conversation neither cached nor known is read, not created.

        A first contact is then new (provisional ids, ``Known.new``): its turn creates it
        (``pg_turn``), and so does the unit's transaction if it opens one (``SyncUnit.check``).
        """
        if fresh or self._sync is not None or self._knows(key):
            return await super().load(key, now, fresh=fresh)
        self._now = utc(now)
        known = await self._pg.raw(lambda db: pg_load.read(db, key)) or provisional(key)
        self._known[known.conversation_id] = known
        self._queued = True  # its turn's checkout goes to the front of the line (FairGate)
        assert known.snapshot is not None
        return known.snapshot

    def _knows(self, key: ConversationKey) -> bool:
        """Whether ``SqlUnit.load`` has ``key`` without the database (cached, or loaded here)."""
        if key in self._cache:
            return True
        return any(m.snapshot is not None and m.snapshot.key == key for m in self._known.values())
