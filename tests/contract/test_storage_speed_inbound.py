"""Shortcuts of the SQLite service path against what they replace.

The inbound INSERT tells new, duplicate and stale apart by its row count (no RETURNING); a unit
that never began a transaction skips its stack's exit, one whose opening failed does not.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.ports import StaleSnapshot
from bot.state import StoredMessage
from storage import SqlStore, open_store
from storage.sqlite_turn import SqliteWrites
from tests.contract.test_store import KEY, T0, first_contact, msg, turn


def _db(conn: Connection) -> sqlite3.Connection:
    db = conn.connection.driver_connection
    assert isinstance(db, sqlite3.Connection)
    return db


async def _store(tmp_path: Path) -> SqlStore:
    store = await open_store(f"sqlite:///{tmp_path / 'speed.db'}", migrate=True)
    assert isinstance(store, SqlStore)
    return store


async def _insert(store: SqlStore, cid: int, m: StoredMessage, version: int) -> bool:
    return await store.write(lambda conn: SqliteWrites(_db(conn)).insert_inbound(
        cid, "widget", m, version))  # fmt: skip


async def test_inbound_new_duplicate_stale_and_collision(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        cid = await first_contact(store)  # version 1 after its first turn
        version = await store.read(lambda conn: _db_version(conn, cid))
        assert await _insert(store, cid, msg(1, ext="a"), version) is True
        assert await _insert(store, cid, msg(2, ext="a"), version) is False  # a re-delivery
        with pytest.raises(StaleSnapshot):  # a new message, decided on an older version
            await _insert(store, cid, msg(2, ext="b"), version - 1)
        with pytest.raises(StaleSnapshot):  # a re-delivery seen from an older version
            await _insert(store, cid, msg(2, ext="a"), version - 1)
        with pytest.raises(IntegrityError):  # a seq taken at the current version: a bug
            await _insert(store, cid, msg(1, ext="c"), version)
        texts = [(m.seq, m.external_id) for m in await store.transcript(KEY)]
        assert texts == [(1, "a")]
    finally:
        await store.close()


def _db_version(conn: Connection, cid: int) -> int:
    row = _db(conn).execute("SELECT version FROM conversations WHERE id=?", (cid,)).fetchone()
    return int(row[0])


async def test_a_unit_whose_opening_fails_still_ends_its_transaction(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        cid = await first_contact(store)
        # Another writer moves the conversation on: the cached copy is stale now.
        await store.write(lambda conn: _db(conn).execute(
            "UPDATE conversations SET version=version+1 WHERE id=?", (cid,)))  # fmt: skip
        began: list[bool] = []

        async def stale_unit() -> None:
            async with store.unit() as u:
                await u.load(KEY, T0)  # from the cache: no transaction yet
                began.append(u.began)
                try:
                    await u.add_message(cid, msg(1, ext="x"))  # begins, then its check fails
                finally:
                    began.append(u.began)

        with pytest.raises(StaleSnapshot):
            await stale_unit()
        assert began == [False, True]
        # The failed unit's transaction was rolled back and the writer freed, at once (not
        # later, when the abandoned context manager would be collected and closed).
        assert not store.backend._lock.locked()  # type: ignore[attr-defined]
        async with asyncio.timeout(10):
            async with store.unit() as u:
                snap = await u.load(KEY, T0)
                await u.commit_turn(turn(snap.conversation_id, inbound=msg(snap.seq + 1, ext="y")))
        assert [m.external_id for m in await store.transcript(KEY)] == ["y"]
    finally:
        await store.close()
