"""SQLite jobs run without a savepoint each; a failure undoes the hop and reruns it job by job.

Whatever path a hop takes, a job that raises leaves none of its writes and fails only its
caller, the other jobs of its batch commit and return, and what the units cache afterwards is
what the database holds (storage/sqlite_jobs.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

import storage.sqlite_backend
from bot.messages import ConversationKey
from storage import SqlStore, open_store
from storage.tables import CONVERSATIONS, LEADS
from tests.contract.test_group_commit import _known, _say
from tests.contract.test_store import T0, msg, turn
from tests.contract.test_turn_jobs import _inbound_turn


class Boom(Exception):
    """A job's own failure, raised after it has written."""


@pytest.fixture
async def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SqlStore]:
    monkeypatch.setattr(storage.sqlite_backend, "MAX_AGE", 60.0)  # batches close on idle only
    store = await open_store(f"sqlite:///{tmp_path / 'q.db'}", migrate=True)
    try:
        yield store
    finally:
        await store.close()


def _lead(score: int, *, fail: bool = False) -> Callable[[Connection], int]:
    """A job inserting a lead with ``score``; with ``fail`` it raises after the INSERT."""

    def job(conn: Connection) -> int:
        values = {"score": score, "created_at": T0, "updated_at": T0}
        conn.execute(insert(LEADS).values(values))
        if fail:
            raise Boom(score)
        return score

    return job


async def _count(store: SqlStore, table: Any) -> int:
    stmt = select(func.count()).select_from(table)
    return int(await store.read(lambda conn: conn.execute(stmt).scalar_one()))


async def _scores(store: SqlStore) -> list[int]:
    stmt = select(LEADS.c.score).order_by(LEADS.c.score)
    return list(await store.read(lambda conn: conn.execute(stmt).scalars().all()))


async def _failing_turn(store: SqlStore, key: ConversationKey, ext: str) -> Any:
    """A turn whose reply reuses the inbound message's seq: its INSERT raises IntegrityError."""
    async with store.unit() as u:
        snap = await u.load(key, T0)
        inbound = msg(snap.seq + 1, ext, ext=ext)
        return await u.finish(turn(snap.conversation_id, inbound=inbound,
                                   messages=(replace(inbound, external_id=None),)))  # fmt: skip


async def test_a_job_failing_in_a_batch_leaves_none_of_its_writes(sqlite_store: SqlStore) -> None:
    backend: Any = sqlite_store.backend
    await sqlite_store.write(lambda conn: None)  # the writer connection exists
    commits: list[int] = []
    event.listen(sqlite_store.sync_engine, "commit", lambda _conn: commits.append(1))
    futures = [backend.submit(_lead(n, fail=n == 2)) for n in (1, 2, 3)]  # one hop
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 1
    assert isinstance(results[1], Boom)
    assert results[2] == 3
    assert await _scores(sqlite_store) == [1, 3]
    assert len(commits) <= 2  # the undone hop's COMMIT, if any, held nothing of it


async def test_a_lone_job_that_fails_leaves_nothing(sqlite_store: SqlStore) -> None:
    backend: Any = sqlite_store.backend
    with pytest.raises(Boom):
        await backend.submit(_lead(7, fail=True))
    assert await _count(sqlite_store, LEADS) == 0
    assert await backend.submit(_lead(8)) == 8  # the writer is free, the connection usable
    assert await _scores(sqlite_store) == [8]


async def test_a_lone_first_contact_that_fails_creates_nothing(sqlite_store: SqlStore) -> None:
    key = ConversationKey("widget", "new")
    with pytest.raises(IntegrityError):
        await _failing_turn(sqlite_store, key, "n1")
    assert (await _count(sqlite_store, CONVERSATIONS), await _count(sqlite_store, LEADS)) == (0, 0)
    await _inbound_turn(sqlite_store, "n1", key)  # the resend goes through
    assert [m.external_id for m in await sqlite_store.transcript(key)] == ["n1", None]


async def test_turns_run_again_after_a_failure_start_from_where_they_were(
    sqlite_store: SqlStore,
) -> None:
    """The others of a failed hop run twice: what they cache must be their one committed run.

    Were a rerun to start from the first run's changes (a version counted twice, say), the
    next turn from the cache would fail as stale.
    """
    keys = [ConversationKey("widget", k) for k in "abcd"]
    for key in keys[:3]:  # a, b and c are known and cached; d is a first contact
        await _inbound_turn(sqlite_store, f"{key.address}1", key)

    async def second(key: ConversationKey) -> Any:
        if key.address == "b":
            return await _failing_turn(sqlite_store, key, "b2")
        return await _inbound_turn(sqlite_store, f"{key.address}2", key)

    results = await asyncio.gather(*(second(k) for k in keys), return_exceptions=True)
    assert isinstance(results[1], IntegrityError)
    assert all(isinstance(results[i], list) for i in (0, 2, 3)), results
    assert (await _count(sqlite_store, CONVERSATIONS), await _count(sqlite_store, LEADS)) == (4, 4)
    for key in keys:  # a third turn each, from the cache: no StaleSnapshot
        await _inbound_turn(sqlite_store, f"{key.address}3", key)
    expected = {"a": ["a1", "a2", "a3"], "b": ["b1", "b3"], "c": ["c1", "c2", "c3"],
                "d": ["d2", "d3"]}  # fmt: skip
    for key in keys:
        stored = [m.external_id for m in await sqlite_store.transcript(key) if m.external_id]
        assert stored == expected[key.address]


async def test_a_failed_hop_keeps_the_writes_of_its_batch_s_earlier_unit(
    sqlite_store: SqlStore,
) -> None:
    """The hop's undo reaches back to its own start only, not to the batch's BEGIN."""
    backend: Any = sqlite_store.backend
    await _known(sqlite_store, "a")
    unit = asyncio.ensure_future(_say(sqlite_store, "a"))
    await asyncio.sleep(0)  # a's unit holds the writer: the jobs' hop joins its batch
    futures = [backend.submit(_lead(n, fail=n == 2)) for n in (1, 2, 3)]
    results = await asyncio.gather(unit, *futures, return_exceptions=True)
    assert results[0] == 1  # a's message, committed and seen by another connection
    assert results[1] == 1
    assert isinstance(results[2], Boom)
    assert results[3] == 3
    assert await _scores(sqlite_store) == [0, 1, 3]  # a's lead (score 0), then the jobs'


async def test_a_turn_alone_is_its_own_transaction_with_no_savepoint(
    sqlite_store: SqlStore,
) -> None:
    """One conversation at a time: BEGIN, the turn's statements, COMMIT; nothing around them."""
    key = ConversationKey("widget", "one")
    await _inbound_turn(sqlite_store, "one1", key)  # created and cached
    statements: list[str] = []

    def trace(conn: Connection, callback: Any) -> None:
        conn.connection.driver_connection.set_trace_callback(callback)  # type: ignore[union-attr]

    await sqlite_store.write(lambda conn: trace(conn, lambda s: statements.append(s.split()[0])))
    statements.clear()  # the write's own COMMIT
    await _inbound_turn(sqlite_store, "one2", key)
    turn = list(statements)
    await sqlite_store.write(lambda conn: trace(conn, None))
    assert turn[:2] + turn[-1:] == ["BEGIN", "INSERT", "COMMIT"]
    assert "SAVEPOINT" not in turn
