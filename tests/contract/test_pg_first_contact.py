"""PostgreSQL: a first contact is a read and one statement that creates and writes (``pg_unit``).

The rows are those the previous path stored (a Core job that read and created, then the turn's
statement: ``SqlUnit``, still what ``unit_type = SqlUnit`` gives) and the Core path's (a
``fresh`` load); two workers' first contacts of one conversation create it once; a re-delivered
first message is stored once; a first turn that fails leaves no lead or conversation behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.clock import FixedClock
from bot.events import MessageAdded, StageChanged
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey, Inbound, QuickReply
from bot.ports import StaleSnapshot
from bot.service import Service
from bot.state import HandoffRequest, StageChange, StoredMessage, Turn
from flows import load_flow
from storage import SqlStore, open_store
from storage.pg_unit import PgUnit
from storage.sql_unit import SqlUnit
from storage.tables import CONVERSATIONS, EVIDENCE, HANDOFFS, LEADS, MESSAGES, OUTBOX, STAGE_CHANGES
from tests.contract.conftest import pg_schema
from tests.contract.test_sql_store import _statements
from tests.contract.test_store import KEY, T0, ev, turn
from tests.services import POSTGRES_URL

pytestmark = pytest.mark.postgres
_C = CONVERSATIONS.c


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    async with pg_schema() as name:
        yield name


@pytest.fixture
async def pg_store(schema: str) -> AsyncIterator[SqlStore]:
    store = await open_store(POSTGRES_URL, migrate=True, schema=schema)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def second(schema: str, pg_store: SqlStore) -> AsyncIterator[SqlStore]:
    """Another store on the same schema: another worker, with a cache of its own."""
    store = await open_store(POSTGRES_URL, migrate=False, schema=schema)
    try:
        yield store
    finally:
        await store.close()


def _first_turn(cid: int, ext: str, seq: int = 0, **kw: Any) -> Turn:
    """A first message's turn with every kind of row: reply, evidence, stage, hand-off, card."""
    at = T0 + timedelta(seconds=1)
    inbound = StoredMessage(seq + 1, "visitor", "5k, I'm the CTO", at, external_id=ext)
    reply = StoredMessage(seq + 2, "bot", "When?", at, quick_replies=(QuickReply("Now", "now"),))
    base: dict[str, Any] = {
        "state": "ask_timeline", "stage": "mql", "score": 40, "context": {"asking": "timeline"},
        "wake_at": at + timedelta(hours=1), "inbound": inbound, "messages": (reply,),
        "evidence": (ev("budget", {"amount": 5000}), ev("authority", "cto")),
        "stage_change": StageChange(None, "mql", 40, "budget known", at),
        "handoff": HandoffRequest("hot", "mql", 40, at, team="sales", route_reason="none"),
        "lead": {"name": "Ada", "company_size": [10, 50]},
        "events": (MessageAdded(KEY, at, seq + 1, "visitor", inbound.text),
                   StageChanged(KEY, at, None, "mql", 40, "budget known")),
    }  # fmt: skip
    base.update(kw)
    return turn(cid, **base)


async def _first_contact(
    store: SqlStore, key: ConversationKey, ext: str, *, fresh: bool = False, **kw: Any
) -> Any:
    """Load ``key`` and finish its first turn in one unit."""
    async with store.unit() as u:
        snap = await u.load(key, T0, fresh=fresh)
        return await u.finish(_first_turn(snap.conversation_id, ext, snap.seq, **kw))


async def _race(stores: tuple[SqlStore, ...], key: ConversationKey, exts: tuple[str, ...]) -> Any:
    """Each store's unit reads ``key`` before any of them writes; results or exceptions."""
    loaded = asyncio.Barrier(len(stores))

    async def visit(store: SqlStore, ext: str) -> Any:
        async with store.unit() as u:
            snap = await u.load(key, T0)
            await loaded.wait()
            return await u.finish(_first_turn(snap.conversation_id, ext, snap.seq))

    visits = (visit(store, ext) for store, ext in zip(stores, exts, strict=True))
    return await asyncio.gather(*visits, return_exceptions=True)


def _rows(conn: Connection, key: ConversationKey) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``key``'s conversation, without ids and the key itself."""
    row = conn.execute(select(CONVERSATIONS).where(_C.address == key.address)).one()._mapping
    lead = conn.execute(select(LEADS).where(LEADS.c.id == row["lead_id"])).one()._mapping
    found = {"conversations": [_without(row, "id", "lead_id", "address")],
             "leads": [_without(lead, "id")]}  # fmt: skip
    tables: tuple[Table, ...] = (MESSAGES, EVIDENCE, STAGE_CHANGES, HANDOFFS)
    for table in tables:
        query = select(table).where(table.c.conversation_id == row["id"]).order_by(table.c.id)
        found[table.name] = [_without(r._mapping, "id", "conversation_id")
                             for r in conn.execute(query)]  # fmt: skip
    return found


def _without(row: Any, *names: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}


async def _count(store: SqlStore, table: Table) -> int:
    query = select(func.count()).select_from(table)
    return int(await store.read(lambda conn: conn.execute(query).scalar_one()))


async def _outbox(store: SqlStore, ids: list[int]) -> list[Any]:
    query = select(OUTBOX.c.payload, OUTBOX.c.created_at).where(OUTBOX.c.id.in_(ids))
    return [tuple(r) for r in await store.read(lambda conn: conn.execute(query).all())]


async def test_a_first_contact_stores_the_rows_of_the_previous_and_the_core_path(
    pg_store: SqlStore,
) -> None:
    keys = {name: ConversationKey("widget", name) for name in ("new", "previous", "core")}
    assert pg_store.unit_type is PgUnit
    new = await _first_contact(pg_store, keys["new"], "e-new")
    pg_store.unit_type = SqlUnit  # the read-and-create job, then the turn's statement
    previous = await _first_contact(pg_store, keys["previous"], "e-previous")
    core = await _first_contact(pg_store, keys["core"], "e-core", fresh=True)
    pg_store.unit_type = PgUnit
    rows = {name: await pg_store.read(lambda c, k=k: _rows(c, k)) for name, k in keys.items()}
    for name in ("previous", "core"):
        for m in rows[name]["messages"]:
            if m["external_id"] is not None:
                m["external_id"] = "e-new"
    assert rows["new"] == rows["previous"] == rows["core"]
    assert rows["new"]["conversations"][0]["version"] == 1
    assert len(rows["new"]["messages"]) == 2
    assert await _outbox(pg_store, new) == await _outbox(pg_store, previous)
    assert await _outbox(pg_store, new) == await _outbox(pg_store, core)
    async with pg_store.unit() as u:  # the cache holds the real ids and what the rows say
        cached = await u.load(keys["new"], T0)
    pg_store.snapshots.clear()
    async with pg_store.unit() as u:
        assert await u.load(keys["new"], T0) == cached
    assert cached.conversation_id > 0


async def test_a_first_contact_is_one_read_and_one_statement(pg_store: SqlStore) -> None:
    async with _statements(pg_store) as statements:
        await _first_contact(pg_store, KEY, "e1")
    assert statements == ["SELECT", "WITH"]  # plain asyncpg: no BEGIN, no COMMIT, no Core


async def test_a_unit_that_reads_a_first_contact_and_writes_nothing_creates_nothing(
    pg_store: SqlStore,
) -> None:
    async with pg_store.unit() as u:
        snap = await u.load(KEY, T0)
    assert (snap.state, snap.owner, snap.seq) == ("start", "bot", 0)
    assert await _count(pg_store, CONVERSATIONS) == await _count(pg_store, LEADS) == 0
    async with pg_store.unit() as u:  # and the Core path still creates it when it writes
        cid = (await u.load(KEY, T0)).conversation_id
        assert await u.add_message(cid, StoredMessage(1, "visitor", "hi", T0, external_id="x"))
    assert [m.external_id for m in await pg_store.transcript(KEY)] == ["x"]


async def test_racing_first_contacts_of_one_conversation_create_it_once(
    pg_store: SqlStore, second: SqlStore
) -> None:
    """Two workers read no row, then write at once: the unique key lets one create it."""
    done = await _race((pg_store, second), KEY, ("u0", "u1"))
    stale = [n for n, result in enumerate(done) if isinstance(result, StaleSnapshot)]
    assert len(stale) == 1, done
    assert await _count(pg_store, CONVERSATIONS) == await _count(pg_store, LEADS) == 1
    loser = (pg_store, second)[stale[0]]
    assert await _first_contact(loser, KEY, f"u{stale[0]}")  # redone on the winner's row
    said = [(m.seq, m.external_id) for m in await pg_store.transcript(KEY) if m.external_id]
    assert sorted(said) == [(1, f"u{1 - stale[0]}"), (3, f"u{stale[0]}")]
    assert await _count(pg_store, LEADS) == 1


async def test_two_workers_given_the_first_messages_of_one_visitor_serve_both(
    pg_store: SqlStore, second: SqlStore
) -> None:
    """Through the service, without a shared lock: the second to write redoes its turn."""
    clock = FixedClock(T0)
    services = [Service(load_flow(), s, MemoryBus(), MemoryLocks(), clock)
                for s in (pg_store, second)]  # fmt: skip
    replies = await asyncio.gather(*(
        service.receive(Inbound(KEY, f"m{n}", "hello", T0))
        for n, service in enumerate(services)
    ))  # fmt: skip
    assert [r.duplicate for r in replies] == [False, False]
    assert await _count(pg_store, CONVERSATIONS) == await _count(pg_store, LEADS) == 1
    lines = await pg_store.transcript(KEY)
    assert sorted(m.external_id for m in lines if m.external_id) == ["m0", "m1"]
    assert [m.seq for m in lines] == list(range(1, len(lines) + 1))
    for service in services:
        await service.drain()


async def test_a_first_message_redelivered_to_another_worker_is_stored_once(
    pg_store: SqlStore, second: SqlStore
) -> None:
    assert await _first_contact(pg_store, KEY, "m1")
    before = await pg_store.read(lambda c: _rows(c, KEY))
    assert await _first_contact(second, KEY, "m1", state="again") is None
    assert await pg_store.read(lambda c: _rows(c, KEY)) == before
    race = ConversationKey("widget", "race")  # delivered to both workers at once
    done = await _race((pg_store, second), race, ("r1", "r1"))
    stale = [n for n, result in enumerate(done) if isinstance(result, StaleSnapshot)]
    assert len(stale) == 1
    assert await _first_contact((pg_store, second)[stale[0]], race, "r1") is None  # the redo
    assert [m.external_id for m in await pg_store.transcript(race)] == ["r1", None]


async def test_a_first_message_with_a_known_external_id_stores_what_the_previous_path_did(
    pg_store: SqlStore,
) -> None:
    """The id is another conversation's: no message, and an empty conversation, as before."""
    await _first_contact(pg_store, KEY, "taken")
    new, previous = ConversationKey("widget", "new"), ConversationKey("widget", "previous")
    assert await _first_contact(pg_store, new, "taken") is None
    pg_store.unit_type = SqlUnit
    assert await _first_contact(pg_store, previous, "taken") is None
    pg_store.unit_type = PgUnit
    rows = [await pg_store.read(lambda c, k=k: _rows(c, k)) for k in (new, previous)]
    assert rows[0] == rows[1]
    assert rows[0]["messages"] == []
    assert rows[0]["conversations"][0]["version"] == 0
    assert await _first_contact(pg_store, new, "fresh")  # and the next message is its first


async def test_a_failing_first_turn_leaves_no_conversation_or_lead(pg_store: SqlStore) -> None:
    await _first_contact(pg_store, KEY, "taken")
    other = ConversationKey("widget", "other")
    taken = StoredMessage(2, "bot", "reply", T0, external_id="taken")  # a known external id
    with pytest.raises(IntegrityError):
        await _first_contact(pg_store, other, "fresh", messages=(taken,))
    assert await _count(pg_store, CONVERSATIONS) == await _count(pg_store, LEADS) == 1
    assert other not in pg_store.snapshots
    assert await _first_contact(pg_store, other, "fresh")  # the resend is a first contact
    assert [m.seq for m in await pg_store.transcript(other)] == [1, 2]
