"""PostgreSQL: a cached turn is one statement (``storage.pg_turn``), all or nothing.

Every kind of row a turn writes goes in through it, a turn it refuses leaves nothing behind
(not even in the snapshot cache), and many turns at once, more than the pool has connections,
all commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messages import ConversationKey
from bot.state import HandoffRequest, StageChange
from storage import SqlStore, open_store
from storage.backend import AsyncBackend
from storage.tables import LEADS, REPS
from tests.contract.conftest import pg_schema
from tests.contract.test_store import KEY, T0, ev
from tests.contract.test_turn_jobs import _inbound_turn
from tests.services import POSTGRES_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_store() -> AsyncIterator[SqlStore]:
    async with pg_schema() as schema:
        store = await open_store(POSTGRES_URL, migrate=True, schema=schema)
        try:
            yield store
        finally:
            await store.close()


async def test_every_row_of_a_turn_is_written_by_the_one_statement(pg_store: SqlStore) -> None:
    rep = await pg_store.add_rep("ada@example.com", "Ada", "hash", team="sales")
    await _inbound_turn(pg_store, "m1")  # first contact: now cached, so the next is one statement
    at = T0 + timedelta(minutes=1)
    due = at + timedelta(hours=1)
    handoff = HandoffRequest("hot", "sql", 80, at, team="sales", offered_rep_id=rep.id,
                             route_reason="round robin", sla_due_at=due)  # fmt: skip
    change = StageChange("mql", "sql", 80, "budget known", at)
    outbox = await _inbound_turn(
        pg_store, "m2", stage="sql", score=80, evidence=(ev("budget", 5000), ev("role", "cto")),
        stage_change=change, handoff=handoff, lead={"name": "Grace", "company_size": [10, 50]},
    )  # fmt: skip
    assert outbox is not None
    assert len(outbox) == 1
    assert [m.external_id for m in await pg_store.transcript(KEY) if m.external_id] == ["m1", "m2"]
    assert [e.slot for e in await pg_store.evidence_log(KEY)] == ["budget", "role"]
    assert await pg_store.stage_history(KEY) == [change]
    assert await pg_store.handoff_requests(KEY) == [handoff]
    lead = await pg_store.read(lambda c: c.execute(select(LEADS)).one())
    assert (lead.name, lead.company_size, lead.stage, lead.score) == ("Grace", [10, 50], "sql", 80)
    stamped = await pg_store.read(lambda c: c.execute(select(REPS.c.last_assigned_at)).scalar())
    assert stamped == at
    cached = (await _load(pg_store)).evidence
    pg_store.snapshots.clear()
    assert (await _load(pg_store)).evidence == cached  # the cache holds what the database does


async def test_a_refused_turn_leaves_nothing_in_the_cache(pg_store: SqlStore) -> None:
    await _inbound_turn(pg_store, "m1")
    before = await _load(pg_store)
    assert await _inbound_turn(pg_store, "m1", evidence=(ev("budget", 1),), state="dup") is None
    assert await _load(pg_store) == before  # the duplicate's evidence was not recorded
    assert await _inbound_turn(pg_store, "m2", state="next")  # and the next turn is not stale
    pg_store.snapshots.clear()
    after = await _load(pg_store)
    assert (after.state, after.seq, after.evidence) == ("next", 4, before.evidence)


async def test_more_concurrent_turns_than_connections_all_commit(pg_store: SqlStore) -> None:
    backend = pg_store.backend
    assert isinstance(backend, AsyncBackend)
    backend.gate = type(backend.gate)(2)  # two connections for 40 conversations
    keys = [ConversationKey("widget", f"visitor-{i}") for i in range(40)]

    async def talk(key: ConversationKey) -> None:
        for n in range(3):  # the first is a first contact: read, then write
            assert await _inbound_turn(pg_store, f"{key.address}:{n}", key=key)

    await asyncio.gather(*(talk(key) for key in keys))
    for key in keys:
        assert len(await pg_store.transcript(key)) == 6


async def _load(store: SqlStore) -> object:
    async with store.unit() as u:
        return await u.load(KEY, T0)

