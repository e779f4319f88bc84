"""Housekeeping the server runs hourly: drop published outbox rows and expired sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from storage.tables import OUTBOX

# Published rows (each a turn's events) are kept this long for inspection, then deleted: left
# alone they were 60% of the database at 100,000 conversations (docs/benchmarks.md).
KEEP_PUBLISHED = timedelta(days=1)


async def tidy(store: Any, now: datetime) -> tuple[int, int]:
    """Delete published outbox rows older than ``KEEP_PUBLISHED`` and expired console sessions.

    Args:
        store: a SqlStore or MemoryStore (the memory outbox forgets published rows at once).
        now: the current time.

    Returns:
        (outbox rows deleted, sessions deleted).
    """
    sessions = await store.purge_sessions(now)
    if not hasattr(store, "write"):
        return 0, sessions
    cutoff = now - KEEP_PUBLISHED

    def prune(conn: Connection) -> int:
        stmt = delete(OUTBOX).where(
            OUTBOX.c.published_at.is_not(None), OUTBOX.c.published_at < cutoff
        )
        return int(conn.execute(stmt).rowcount or 0)

    return await store.write(prune), sessions
