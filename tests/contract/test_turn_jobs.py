"""A turn written in one call (``Unit.finish`` with its inbound message), and the snapshot cache.

Every store: a re-delivery writes nothing. SQL stores: a snapshot served from memory is what a
read would return, a stale one (another store wrote the conversation) is detected and the turn
redone, and on SQLite a failing turn in a batch of jobs leaves the others alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

import storage.sqlite_backend
from bot.clock import FixedClock
from bot.events import MessageAdded
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey, Inbound
from bot.ports import StaleSnapshot
from bot.service import Service
from flows import load_flow
from storage import SqlStore, open_store
from tests.contract.test_store import KEY, T0, ev, msg, turn


async def _inbound_turn(store: Any, ext: str, key: ConversationKey = KEY, **kw: Any) -> Any:
    """Load, then write a turn with its inbound message in one call, as the service does."""
    async with store.unit() as u:
        snap = await u.load(key, T0)
        inbound = msg(snap.seq + 1, f"text {ext}", ext=ext)
        reply = replace(msg(snap.seq + 2, "reply"), author="bot")
        event = MessageAdded(key, T0, inbound.seq, "visitor", inbound.text)
        return await u.finish(turn(snap.conversation_id, inbound=inbound, messages=(reply,),
                                   events=(event,), **kw))  # fmt: skip


async def test_a_redelivered_inbound_turn_writes_nothing(store: Any) -> None:
    assert await _inbound_turn(store, "m1", state="first")
    assert await _inbound_turn(store, "m1", state="second") is None
    assert [m.text for m in await store.transcript(KEY)] == ["text m1", "reply"]
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
    assert (snap.state, snap.seq) == ("first", 2)
    assert len(await store.pending(100)) == 1  # the duplicate's event was not written either


@pytest.fixture
async def two_stores(sql_backend: tuple[str, str | None]) -> AsyncIterator[tuple[SqlStore, ...]]:
    """Two stores (two caches) on one database, as two processes would have."""
    url, schema = sql_backend
    first = await open_store(url, migrate=True, schema=schema)
    second = await open_store(url, migrate=False, schema=schema)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


async def test_a_cached_snapshot_is_what_a_read_returns(two_stores: tuple[SqlStore, ...]) -> None:
    store, _ = two_stores
    context = {"asked": ("budget", "timeline"), "n": 1}
    await _inbound_turn(store, "m1", context=context, evidence=(ev("budget", (5000, "EUR")),),
                        lead={"name": "Ada", "company_size": (10, 50)}, score=20)  # fmt: skip
    async with store.unit() as u:
        cached = await u.load(KEY, T0)
    store.snapshots.clear()
    async with store.unit() as u:
        read = await u.load(KEY, T0)
    assert cached == read
    assert read.context["asked"] == ["budget", "timeline"]  # JSON, as stored


async def test_a_stale_snapshot_fails_the_write_and_leaves_nothing(
    two_stores: tuple[SqlStore, ...],
) -> None:
    a, b = two_stores
    await _inbound_turn(a, "m1")  # a caches the conversation at seq 2
    await _inbound_turn(b, "m2", state="by-b")  # b writes it: seq 4, a's cache is stale
    with pytest.raises(StaleSnapshot):
        await _inbound_turn(a, "m3", state="by-a")
    assert [m.external_id for m in await a.transcript(KEY) if m.external_id] == ["m1", "m2"]
    await _inbound_turn(a, "m3", state="by-a")  # redone: a reads the conversation afresh
    texts = [(m.seq, m.text) for m in await a.transcript(KEY)]
    assert texts == [(1, "text m1"), (2, "reply"), (3, "text m2"), (4, "reply"),
                     (5, "text m3"), (6, "reply")]  # fmt: skip


async def test_the_service_redoes_a_turn_decided_on_a_stale_snapshot(
    two_stores: tuple[SqlStore, ...],
) -> None:
    clock = FixedClock(T0)
    flow = load_flow()
    services = [Service(flow, s, MemoryBus(), MemoryLocks(), clock) for s in two_stores]
    key = ConversationKey("widget", "stale")

    async def say(service: Service, n: int, text: str) -> Any:
        clock.advance(timedelta(seconds=1))
        return await service.receive(Inbound(key, f"m{n}", text, clock.now()))

    await say(services[0], 1, "hi, I'm looking for a CRM for my team")
    await say(services[1], 2, "we have about 50k budget")  # the other process answers
    reply = await say(services[0], 3, "within 3 months")  # decided on a stale cache: redone
    assert not reply.duplicate
    assert reply.messages
    transcript = await two_stores[0].transcript(key)
    assert [m.seq for m in transcript] == list(range(1, len(transcript) + 1))
    assert [m.external_id for m in transcript if m.author == "visitor"] == ["m1", "m2", "m3"]
    evidence = {e.slot for e in await two_stores[0].evidence_log(key)}
    assert "budget" in evidence  # what the other process recorded was not lost
    for service in services:
        await service.drain()


@pytest.fixture
async def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SqlStore]:
    monkeypatch.setattr(storage.sqlite_backend, "MAX_AGE", 60.0)  # batches close when idle
    store = await open_store(f"sqlite:///{tmp_path / 'q.db'}", migrate=True)
    try:
        yield store
    finally:
        await store.close()


async def test_a_failing_turn_in_a_batch_of_jobs_fails_alone(sqlite_store: SqlStore) -> None:
    keys = [ConversationKey("widget", k) for k in "abc"]
    for key in keys:
        await _inbound_turn(sqlite_store, f"{key.address}1", key)
    commits: list[int] = []
    event.listen(sqlite_store.sync_engine, "commit", lambda _conn: commits.append(1))

    async def second(key: ConversationKey) -> Any:
        if key.address != "b":
            return await _inbound_turn(sqlite_store, f"{key.address}2", key)
        async with sqlite_store.unit() as u:  # a turn whose reply reuses the inbound's seq
            snap = await u.load(key, T0)
            inbound = msg(snap.seq + 1, "b2", ext="b2")
            return await u.finish(turn(snap.conversation_id, inbound=inbound,
                                       messages=(replace(inbound, external_id=None),)))  # fmt: skip

    results = await asyncio.gather(*(second(k) for k in keys), return_exceptions=True)
    assert isinstance(results[1], IntegrityError)
    assert results[0]
    assert results[2]
    assert len(commits) == 1  # the three turns were one batch, one COMMIT
    for key, expected in zip(keys, (["a1", "a2"], ["b1"], ["c1", "c2"]), strict=True):
        stored = [m.external_id for m in await sqlite_store.transcript(key) if m.external_id]
        assert stored == expected
    await _inbound_turn(sqlite_store, "b2", keys[1])  # b's cache entry was dropped, not spoiled
    assert len(await sqlite_store.transcript(keys[1])) == 4
