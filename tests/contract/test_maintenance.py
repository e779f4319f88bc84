"""Hourly housekeeping: old published events and expired sessions go; the rest stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.events import EvidenceRecorded
from bot.messages import ConversationKey
from storage.maintenance import KEEP_PUBLISHED, tidy
from storage.tables import OUTBOX
from tests.contract.test_store import first_contact, turn

KEY = ConversationKey("widget", "visitor-1")


async def test_tidy_deletes_old_published_events_only(store: Any) -> None:
    cid = await first_contact(store)
    ids = []
    for _ in range(3):  # three turns: three outbox rows
        event = EvidenceRecorded(KEY, datetime.now(UTC), "need", "answer", {})
        async with store.unit() as u:
            ids += await u.commit_turn(turn(cid, events=(event, event)))
    await store.mark_published(ids[:2])
    deleted, _ = await tidy(store, datetime.now(UTC))  # published just now: kept for inspection
    assert deleted == 0
    later = datetime.now(UTC) + KEEP_PUBLISHED + timedelta(minutes=1)
    deleted, _ = await tidy(store, later)
    assert [i for i, _ in await store.pending()] == ids[2:]
    if hasattr(store, "read"):  # SQL: the rows are gone; the memory outbox never kept them
        assert deleted == 2
        assert await store.read(
            lambda conn: conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one()
        ) == 1


async def test_tidy_purges_expired_sessions(store: Any) -> None:
    rep = await store.add_rep("dana@example.com", "Dana", "hash")
    now = datetime.now(UTC)
    await store.create_session("old", rep.id, "csrf", now - timedelta(minutes=1))
    await store.create_session("new", rep.id, "csrf", now + timedelta(hours=1))
    assert (await tidy(store, now))[1] == 1
    assert await store.find_session("new", now) is not None
