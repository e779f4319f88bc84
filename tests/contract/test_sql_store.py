"""SqlStore specifics: URL rewriting, SQLite pragmas, the hot path's statement budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection

from bot.events import MessageAdded
from bot.messages import ConversationKey
from bot.ports import StaleSnapshot
from bot.state import Evidence, StoredMessage, Turn
from storage import SqlStore, open_store
from storage.engine import normalize_url
from storage.tables import CONVERSATIONS, LEADS

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KEY = ConversationKey("telegram", "42")


@pytest.fixture
async def sql_store(sql_backend: tuple[str, str | None]) -> AsyncIterator[SqlStore]:
    url, schema = sql_backend
    store = await open_store(url, migrate=True, schema=schema)
    try:
        yield store
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/q", "postgresql+asyncpg://u:p@db:5432/q"),
        ("postgres://u@db/q", "postgresql+asyncpg://u@db/q"),
        ("postgresql+asyncpg://u@db/q", "postgresql+asyncpg://u@db/q"),
        ("sqlite:///qualibot.db", "sqlite+aiosqlite:///qualibot.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_urls_are_rewritten_to_async_drivers(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'q.db'}", migrate=True)
    try:
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        pragmas = await store.read(
            lambda conn: [conn.execute(text(f"PRAGMA {n}")).scalar_one() for n in names]
        )
        assert pragmas == ["wal", 1, 1, 5000]  # synchronous 1 is NORMAL
    finally:
        await store.close()


def _turn(cid: int, seq: int, now: datetime) -> Turn:
    evidence = Evidence("budget", "answer", {"amount": seq}, "5k", "money", 0.9, f"m{seq}", now)
    reply = StoredMessage(seq + 1, "bot", "And when?", now)
    return Turn(
        conversation_id=cid, state="ask_timeline", owner="bot", stage="IQL", score=10,
        context={"asking": "timeline"}, opted_out=False, wake_at=now + timedelta(hours=1),
        last_inbound_at=now, messages=(reply,), evidence=(evidence,),
        events=(MessageAdded(KEY, now, seq, "visitor", "5k"),
                MessageAdded(KEY, now, seq + 1, "bot", "And when?")),
    )  # fmt: skip


async def _message(store: SqlStore, n: int) -> None:
    """One inbound message as the service handles it: load, decide, write turn and inbound.

    Redone on a stale snapshot, as the service does (units here run without the Locks port).
    """
    while True:
        try:
            async with store.unit() as u:
                snap = await u.load(KEY, T0)
                inbound = StoredMessage(snap.seq + 1, "visitor", "5k", T0, external_id=f"u{n}")
                turn = replace(_turn(snap.conversation_id, inbound.seq, T0), inbound=inbound)
                assert await u.finish(turn) is not None
            return
        except StaleSnapshot:
            continue


class _Recorded:
    """An asyncpg connection that reports each query it is given."""

    def __init__(self, db: Any, record: Any) -> None:
        self._db, self._record = db, record

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._db, name)

        def call(query: str, *args: Any) -> Any:
            self._record(query)
            return method(query, *args)

        return call


@asynccontextmanager
async def _statements(store: SqlStore) -> AsyncIterator[list[str]]:
    """The first word of every statement the store sends, transaction control left out.

    On SQLite the hot path bypasses SQLAlchemy (storage/sqlite_turn.py), so the driver's own
    trace callback on the writer connection sees what Core events would miss.
    """
    statements: list[str] = []

    def record(statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    sqlite = store.sync_engine.dialect.name == "sqlite"

    def trace(conn: Connection, callback: Any) -> None:
        conn.connection.driver_connection.set_trace_callback(callback)  # type: ignore[union-attr]

    def core(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        record(statement)

    backend: Any = store.backend
    if sqlite:  # the writer, and the reader of conversations not in the cache
        await store.write(lambda conn: trace(conn, record))
        await backend.peek(lambda db: db.set_trace_callback(record))
    else:  # Core statements, and the hot path's plain asyncpg ones (storage/pg_turn.py)
        event.listen(store.sync_engine, "before_cursor_execute", core)
        raw = backend.raw
        backend.raw = lambda fn, **kw: raw(lambda db: fn(_Recorded(db, record)), **kw)
    try:
        yield statements
    finally:
        if sqlite:
            await store.write(lambda conn: trace(conn, None))
            await backend.peek(lambda db: db.set_trace_callback(None))
        else:
            event.remove(store.sync_engine, "before_cursor_execute", core)
            del backend.raw
        # Transaction control: SQLite's BEGIN IMMEDIATE, and the SAVEPOINT and RELEASE that
        # group commit wraps each unit in (storage/sqlite_backend.py), and COMMIT.
        control = {"BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK"}
        statements[:] = [s for s in statements if s not in control]


_HOT_PATH = {
    "sqlite": ["INSERT", "UPDATE", "INSERT", "INSERT", "INSERT"],
    "postgresql": ["WITH"],
}


async def test_statements_per_inbound_message(sql_store: SqlStore) -> None:
    await _message(sql_store, 0)  # first contact creates lead and conversation
    async with _statements(sql_store) as statements:
        await _message(sql_store, 1)
    # The conversation is in the snapshot cache: no load. SQLite (storage/sqlite_turn.py): the
    # inbound INSERT (which checks the version itself), the conditional conversation UPDATE
    # (seq and version), reply, evidence, outbox: one row holding the turn's events (migration
    # 0004; before, one multi-row INSERT with a row per event: the same count, more rows and
    # index entries). PostgreSQL (storage/pg_turn.py): all of that in one statement
    # (data-modifying CTEs) that commits on its own: one round trip.
    # The lead is not touched: its stage and score did not change.
    assert statements == _HOT_PATH[sql_store.sync_engine.dialect.name]


async def test_a_conversation_not_in_the_cache_is_read_once(sql_store: SqlStore) -> None:
    await _message(sql_store, 0)
    sql_store.snapshots.clear()  # as after a restart, or once evicted
    async with _statements(sql_store) as statements:
        await _message(sql_store, 1)
    assert statements == ["SELECT", *_HOT_PATH[sql_store.sync_engine.dialect.name]]


async def _count(store: SqlStore, table: Any) -> int:
    query = select(func.count()).select_from(table)
    return int(await store.read(lambda conn: conn.execute(query).scalar_one()))


@pytest.mark.parametrize("stores", [1, 2])
async def test_racing_first_contacts_leave_one_lead(
    sql_backend: tuple[str, str | None], stores: int
) -> None:
    """Both read no conversation; the second to create it redoes its turn on the winner's row.

    Two stores on one database race as two processes would: neither has it in its cache.
    """
    url, schema = sql_backend
    opened = [await open_store(url, migrate=True, schema=schema) for _ in range(stores)]
    try:
        both = [opened[0], opened[-1]]

        async def visit(store: SqlStore, delay: float, n: int) -> None:
            await asyncio.sleep(delay)
            while True:  # as the service does: redo on a stale snapshot
                try:
                    async with store.unit() as u:
                        snap = await u.load(KEY, T0)
                        await asyncio.sleep(0.1)  # the other unit reads (and creates) meanwhile
                        said = StoredMessage(snap.seq + 1, "visitor", "hi", T0, external_id=f"u{n}")
                        turn = replace(_turn(snap.conversation_id, said.seq, T0), inbound=said)
                        assert await u.finish(turn) is not None
                    return
                except StaleSnapshot:
                    continue

        await asyncio.gather(visit(both[0], 0, 0), visit(both[1], 0.02, 1))
        store = opened[0]
        assert await _count(store, LEADS) == 1  # the loser's savepoint dropped its lead
        assert await _count(store, CONVERSATIONS) == 1
        said = [m.external_id for m in await store.transcript(KEY) if m.author == "visitor"]
        assert sorted(said) == ["u0", "u1"]  # type: ignore[type-var]
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A SQLite store (PostgreSQL's first contacts: tests/contract/test_pg_first_contact.py)."""
    store = await open_store(f"sqlite:///{tmp_path / 'first.db'}", migrate=True)
    try:
        yield store
    finally:
        await store.close()


async def test_a_unit_that_loads_a_first_contact_and_writes_nothing_creates_nothing(
    sqlite_store: SqlStore,
) -> None:
    sql_store = sqlite_store
    async with sql_store.unit() as u:
        snap = await u.load(KEY, T0)
    assert (snap.state, snap.owner, snap.seq) == ("start", "bot", 0)
    assert await _count(sql_store, LEADS) == 0
    assert await _count(sql_store, CONVERSATIONS) == 0
    async with sql_store.unit() as u:  # nor did it cache the conversation it never wrote
        assert (await u.load(KEY, T0)).conversation_id != snap.conversation_id


async def test_a_first_contact_is_one_transaction(sqlite_store: SqlStore) -> None:
    """Read outside any transaction; lead, conversation and the first turn in one COMMIT."""
    sql_store = sqlite_store
    commits: list[int] = []

    def count(_conn: Any) -> None:
        commits.append(1)

    async with _statements(sql_store) as statements:
        event.listen(sql_store.sync_engine, "commit", count)
        await _message(sql_store, 0)
        event.remove(sql_store.sync_engine, "commit", count)
    assert commits == [1]  # the read commits nothing
    # the read (on the reader connection), then lead, conversation and the turn in one job
    assert statements[:3] == ["SELECT", "INSERT", "INSERT"]
    assert await _count(sql_store, LEADS) == 1
    assert len(await sql_store.transcript(KEY)) == 2  # the inbound message and the reply


async def test_a_cancelled_unit_releases_the_database(sql_store: SqlStore) -> None:
    entered = asyncio.Event()

    async def slow_turn() -> None:
        async with sql_store.unit() as u:
            await u.load(KEY, T0)
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow_turn())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    starting = [asyncio.create_task(_message(sql_store, n)) for n in range(3)]
    await asyncio.sleep(0)
    starting[0].cancel()  # cancelled while opening its transaction
    done = await asyncio.wait_for(asyncio.gather(*starting, return_exceptions=True), 5)
    assert isinstance(done[0], asyncio.CancelledError)
    inbound = [m.external_id for m in await sql_store.transcript(KEY) if m.external_id]
    assert sorted(inbound) == ["u1", "u2"]
