"""SQLite group commit: units share a COMMIT, a failing turn undoes only itself, none returns early.

See storage/sqlite_backend.py and docs/benchmarks.md ("Group commit: how it fits").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

import storage.sqlite_backend
from bot.messages import ConversationKey
from bot.state import StoredMessage, Turn
from storage import SqlStore, open_store
from storage.tables import CONVERSATIONS, LEADS, MESSAGES

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Boom(Exception):
    """A turn's own failure."""


@pytest.fixture
async def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SqlStore]:
    # Batches close when nobody is queued, not on age: a slow CI machine must not split them.
    monkeypatch.setattr(storage.sqlite_backend, "MAX_AGE", 60.0)
    store = await open_store(f"sqlite:///{tmp_path / 'q.db'}", migrate=True)
    try:
        yield store
    finally:
        await store.close()


async def _say(store: SqlStore, address: str, fail: bool = False) -> int:
    """One inbound message in its own unit; returns how many messages another connection sees."""
    key = ConversationKey("widget", address)
    async with store.unit() as u:
        snap = await u.load(key, T0)
        message = StoredMessage(snap.seq + 1, "visitor", "hi", T0, external_id=f"x-{address}")
        assert await u.add_message(snap.conversation_id, message)
        if fail:
            raise Boom(address)
    return len(await store.transcript(key))


async def _known(store: SqlStore, address: str) -> None:
    """Create (and cache) a conversation: its next unit needs no read before the writer."""
    async with store.unit() as u:
        snap = await u.load(ConversationKey("widget", address), T0)
        await u.finish(_turn(snap.conversation_id, None))


def _turn(cid: int, inbound: StoredMessage | None) -> Turn:
    return Turn(
        conversation_id=cid, state="asking", owner="bot", stage=None, score=0, context={},
        opted_out=False, wake_at=None, last_inbound_at=T0, inbound=inbound,
    )  # fmt: skip


def _count_commits(store: SqlStore) -> list[int]:
    commits: list[int] = []
    event.listen(store.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


async def _messages(store: SqlStore) -> int:
    count = select(func.count()).select_from(MESSAGES)
    return int(await store.read(lambda conn: conn.execute(count).scalar_one()))


async def test_concurrent_units_share_one_commit_and_see_their_writes(
    sqlite_store: SqlStore,
) -> None:
    for n in range(5):  # known conversations (first contacts read first: see the next test)
        await _known(sqlite_store, str(n))
    commits = _count_commits(sqlite_store)
    seen = await asyncio.gather(*(_say(sqlite_store, str(n)) for n in range(5)))
    # Each unit returned only after the COMMIT holding it: another connection sees its message.
    assert seen == [1] * 5
    assert len(commits) == 1


async def test_a_first_contact_is_one_job_and_one_commit(
    sqlite_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read outside the writer; lead, conversation and the turn in the turn's own job."""
    backend: Any = sqlite_store.backend
    jobs: list[int] = []
    submit = backend.submit
    monkeypatch.setattr(backend, "submit", lambda job: jobs.append(1) or submit(job))
    commits = _count_commits(sqlite_store)
    keys = [ConversationKey("widget", str(n)) for n in range(5)]
    for key in keys:
        async with sqlite_store.unit() as u:
            snap = await u.load(key, T0)
            message = StoredMessage(1, "visitor", "hi", T0, external_id=f"x-{key.address}")
            assert await u.finish(_turn(snap.conversation_id, message)) == []
    assert (len(jobs), len(commits)) == (5, 5)
    assert [len(await sqlite_store.transcript(key)) for key in keys] == [1] * 5


async def test_one_conversation_at_a_time_is_one_hop_per_turn(
    sqlite_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing else waiting, the COMMIT rides on the job's hop to the SQLite thread.

    A hop costs about 100 µs of CPU. A first contact's read is a hop of its own.
    """
    await _known(sqlite_store, "warm")  # the writer connection exists
    backend: Any = sqlite_store.backend
    hops: list[int] = []
    for owner in (backend, backend._reader):
        run = owner._run
        monkeypatch.setattr(owner, "_run", lambda fn, run=run: hops.append(1) or run(fn))
    commits = _count_commits(sqlite_store)
    key = ConversationKey("widget", "one")
    for n in (1, 2):  # a first contact, then a cached turn
        async with sqlite_store.unit() as u:
            snap = await u.load(key, T0)
            message = StoredMessage(n, "visitor", "hi", T0, external_id=f"one-{n}")
            assert await u.finish(_turn(snap.conversation_id, message)) == []
        assert (len(hops), len(commits)) == ((2, 3)[n - 1], n)
    assert [m.external_id for m in await sqlite_store.transcript(key)] == ["one-1", "one-2"]


async def test_a_failing_turn_rolls_back_alone(sqlite_store: SqlStore) -> None:
    results = await asyncio.gather(
        _say(sqlite_store, "a"), _say(sqlite_store, "b", fail=True), _say(sqlite_store, "c"),
        return_exceptions=True,
    )  # fmt: skip
    assert results[0] == 1
    assert isinstance(results[1], Boom)
    assert results[2] == 1
    assert await _messages(sqlite_store) == 2
    # b's first contact was to be created by its turn's transaction: nothing of it is left.
    count = select(func.count()).select_from(CONVERSATIONS)
    assert await sqlite_store.read(lambda conn: conn.execute(count).scalar_one()) == 2
    count = select(func.count()).select_from(LEADS)
    assert await sqlite_store.read(lambda conn: conn.execute(count).scalar_one()) == 2


async def test_a_failed_commit_fails_every_unit_of_the_batch(sqlite_store: SqlStore) -> None:
    def orphan(conn: Connection) -> Any:
        # A foreign key checked only at COMMIT: the whole batch's COMMIT fails.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        values = {
            "channel": "widget", "address": "orphan", "lead_id": 999_999, "state": "start",
            "owner": "bot", "score": 0, "opted_out": False, "context": {},
            "current_evidence": {}, "seq": 0, "created_at": T0, "updated_at": T0,
        }  # fmt: skip
        return conn.execute(insert(CONVERSATIONS).values(values))

    for address in "ac":  # known: both take the writer at once, in orphan's batch
        await _known(sqlite_store, address)
    results = await asyncio.gather(
        _say(sqlite_store, "a"), sqlite_store.write(orphan), _say(sqlite_store, "c"),
        return_exceptions=True,
    )  # fmt: skip
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert await _messages(sqlite_store) == 0
    assert await _say(sqlite_store, "a") == 1  # a resend with the same id goes through


async def test_a_cancelled_waiter_does_not_strand_the_batch(sqlite_store: SqlStore) -> None:
    first = asyncio.create_task(_say(sqlite_store, "a"))
    await asyncio.sleep(0)  # a holds the writer
    queued = asyncio.create_task(_say(sqlite_store, "b"))
    await asyncio.sleep(0)  # b waits for it, so a leaves the batch open for b
    queued.cancel()
    assert await asyncio.wait_for(first, 5) == 1
    with pytest.raises(asyncio.CancelledError):
        await queued
