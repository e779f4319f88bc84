"""A first contact's Known takes creation's own snapshot (no ``dataclasses.replace``).

``SyncUnit.create_new`` relies on a new Known's snapshot being ``provisional``'s, which differs
from what creating the conversation gives only by the id; and the turn's rows take the real id
from the Known, not from the Turn (which keeps the provisional one).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from storage import SqlStore, sqlite_load
from storage.snapshots import provisional
from storage.sync_unit import SyncUnit
from storage.tables import EVIDENCE, MESSAGES, OUTBOX
from tests.contract.conftest import SQL_BACKENDS, empty_store
from tests.contract.test_store import T0, ev, msg, turn

KEY = ConversationKey("widget", "first-1")


def _db(conn: Connection) -> sqlite3.Connection:
    db = conn.connection.driver_connection
    assert isinstance(db, sqlite3.Connection)
    return db


@pytest.mark.parametrize("kind", SQL_BACKENDS)
async def test_creation_gives_the_provisional_snapshot_with_the_real_id(
    kind: str, tmp_path: Path
) -> None:
    async with empty_store(kind, tmp_path) as store:
        assert isinstance(store, SqlStore)
        if kind == "sqlite":  # the plain pysqlite creation every SQLite first contact takes
            created = await store.write(lambda conn: sqlite_load.create(_db(conn), KEY, T0))
            assert created is not None
            snapshot = created.snapshot
        else:  # Core's, as a unit with a transaction open creates it
            snapshot = await store.write(lambda conn: SyncUnit(conn, {}, T0).load(KEY, T0))
        assert snapshot is not None
        expected = provisional(KEY).snapshot
        assert expected is not None
        assert snapshot == dataclasses.replace(expected, conversation_id=snapshot.conversation_id)
        assert snapshot.conversation_id > 0


@pytest.mark.parametrize("kind", SQL_BACKENDS)
@pytest.mark.parametrize("how", ["finish", "commit_turn"])
async def test_a_first_turn_writes_its_rows_and_caches_under_the_real_id(
    kind: str, how: str, tmp_path: Path
) -> None:
    async with empty_store(kind, tmp_path) as store:
        assert isinstance(store, SqlStore)
        async with store.unit() as u:
            snap = await u.load(KEY, T0)
            assert snap.conversation_id < 0  # provisional until the first write
            t = turn(snap.conversation_id, inbound=msg(1, ext="e-1"), messages=(msg(2, "yo"),),
                     evidence=(ev("need", "leads"),), payloads=({"event": "x"},))  # fmt: skip
            await getattr(u, how)(t)
        cached = store.snapshots.get(KEY)
        assert cached is not None
        assert cached.snapshot is not None
        cid = cached.conversation_id
        assert cid > 0
        assert cached.snapshot.conversation_id == cid
        assert not cached.new
        async with store.unit() as u:
            fresh = await u.load(KEY, T0, fresh=True)
        assert fresh == cached.snapshot

        def rows(conn: Connection) -> list[Any]:
            return [
                [r[0] for r in conn.execute(select(table.c.conversation_id))]
                for table in (MESSAGES, EVIDENCE)
            ] + [[r[0] for r in conn.execute(select(OUTBOX.c.id))]]

        messages, evidence, outbox = await store.read(rows)
        assert messages == [cid, cid]
        assert evidence == [cid]
        assert len(outbox) == 1
