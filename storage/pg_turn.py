"""A cached turn on PostgreSQL as plain asyncpg statements (no SQLAlchemy, no greenlet).

Through SQLAlchemy Core each statement of a turn cost a few hundred µs of Python (compile-cache
lookup, parameter processing, the greenlet bridge); asyncpg's prepared statements cost a few
tens. The connection is the engine's own (its pool, its ``search_path``), so SQLAlchemy's JSON
codecs are in place: JSON goes in as text. The logic mirrors ``SyncUnit.commit_turn``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.ports import StaleSnapshot
from bot.state import StoredMessage, Turn
from storage.codec import evidence_to_json, lead_changes, quick_replies_to_json
from storage.snapshots import Known, after_turn

_MISSING = object()
_COLUMNS = "conversation_id, seq, channel, external_id, author, author_name, kind, text, " \
    "quick_replies, at"  # fmt: skip
_UPDATE_CONVERSATION = (
    "UPDATE conversations SET state = $1, owner = $2, stage = $3, score = $4, context = $5, "
    "opted_out = $6, wake_at = $7, last_inbound_at = $8, current_evidence = $9, "
    "updated_at = $10, seq = GREATEST(seq, $11), version = version + 1 "
    "WHERE id = $12 AND version = $13"
)
_INSERT_EVIDENCE = (
    "INSERT INTO evidence (conversation_id, slot, status, value, raw_text, extractor, "
    "confidence, message_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
_INSERT_STAGE_CHANGE = (
    "INSERT INTO stage_changes (conversation_id, previous, stage, score, reason, at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
_INSERT_HANDOFF = (
    "INSERT INTO handoffs (conversation_id, reason, stage, score, status, requested_at, team, "
    "offered_rep_id, route_reason, sla_due_at) "
    "VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9)"
)
_STAMP_REP = "UPDATE reps SET last_assigned_at = $1 WHERE id = $2"
_OUTBOX_SQL: dict[int, str] = {}
_MESSAGES_SQL: dict[int, str] = {}
_LEAD_SQL: dict[tuple[str, ...], str] = {}


def _message(cid: int, channel: str, m: StoredMessage) -> tuple[Any, ...]:
    replies = json.dumps(quick_replies_to_json(m.quick_replies)) if m.quick_replies else "null"
    return (cid, m.seq, channel, m.external_id, m.author, m.author_name, m.kind, m.text,
            replies, m.at)  # fmt: skip


def _messages_sql(n: int) -> str:
    """One INSERT for ``n`` messages; a known external id is skipped, not an error."""
    sql = _MESSAGES_SQL.get(n)
    if sql is None:
        values = ", ".join(
            "(" + ", ".join(f"${10 * i + j}" for j in range(1, 11)) + ")" for i in range(n)
        )
        sql = _MESSAGES_SQL[n] = (
            f"INSERT INTO messages ({_COLUMNS}) VALUES {values} "
            "ON CONFLICT (channel, external_id) DO NOTHING RETURNING external_id"
        )
    return sql


def _outbox_sql(n: int) -> str:
    sql = _OUTBOX_SQL.get(n)
    if sql is None:
        values = ", ".join(f"('events', ${2 * i + 1}, ${2 * i + 2})" for i in range(n))
        sql = _OUTBOX_SQL[n] = (
            f"INSERT INTO outbox (topic, payload, created_at) VALUES {values} RETURNING id"
        )
    return sql


class Duplicate(Exception):
    """The turn's inbound message was delivered before: its transaction is rolled back."""


async def commit_turn(
    db: Any, known: Known, turn: Turn, payloads: Sequence[Mapping[str, Any]], now: datetime
) -> list[int]:
    """Write the turn and its inbound message inside the caller's transaction.

    Few round trips: the conditional UPDATE comes first (it takes the row lock, so a second
    writer waits, then matches nothing: ``StaleSnapshot``), then every message in one INSERT;
    a re-delivered inbound raises ``Duplicate`` so the caller's transaction undoes the UPDATE.
    """
    cid = turn.conversation_id
    inbound = turn.inbound
    said = turn.messages if inbound is None else (inbound, *turn.messages)
    seq = max((m.seq for m in said), default=0)
    known.record(turn.evidence)
    context = json.dumps(dict(turn.context))
    status = await db.execute(
        _UPDATE_CONVERSATION, turn.state, turn.owner, turn.stage, turn.score, context,
        turn.opted_out, turn.wake_at, turn.last_inbound_at, known.evidence_text(), now, seq,
        cid, known.version,
    )  # fmt: skip
    if status != "UPDATE 1":
        raise StaleSnapshot(f"conversation {cid} was written since it was loaded")
    known.version += 1
    if said:
        params = [value for m in said for value in _message(cid, known.channel, m)]
        rows = await db.fetch(_messages_sql(len(said)), *params)
        if len(rows) != len(said):
            if inbound is not None and inbound.external_id not in {r[0] for r in rows}:
                raise Duplicate(inbound.external_id)
            raise IntegrityError("INSERT INTO messages", None, ValueError("known external id"))
    await _insert_rows(db, turn)
    outbox_ids: list[int] = []
    if payloads:
        params = []
        for payload in payloads:
            params += (json.dumps(payload), now)
        outbox_ids = [r[0] for r in await db.fetch(_outbox_sql(len(payloads)), *params)]
    changes = lead_changes(turn.lead)
    changes.update(stage=turn.stage, score=turn.score)
    if any(known.lead.get(k, _MISSING) != v for k, v in changes.items()):
        await _update_lead(db, known.lead_id, changes, now)
        known.lead.update(changes)
    if known.snapshot is not None:
        seq = max(known.snapshot.seq, seq)
        known.snapshot = after_turn(known, known.snapshot, turn, seq, context)
    return outbox_ids


async def _insert_rows(db: Any, turn: Turn) -> None:
    cid = turn.conversation_id
    if turn.evidence:
        rows = []
        for e in turn.evidence:
            j = evidence_to_json(e)
            rows.append((cid, e.slot, e.status, json.dumps(j["value"]), e.raw_text, e.extractor,
                         e.confidence, e.message_id, e.at))  # fmt: skip
        await db.executemany(_INSERT_EVIDENCE, rows)
    if (sc := turn.stage_change) is not None:
        await db.execute(_INSERT_STAGE_CHANGE, cid, sc.previous, sc.stage, sc.score, sc.reason,
                         sc.at)  # fmt: skip
    if (h := turn.handoff) is not None:
        await db.execute(_INSERT_HANDOFF, cid, h.reason, h.stage, h.score, h.at, h.team,
                         h.offered_rep_id, h.route_reason, h.sla_due_at)  # fmt: skip
        if h.offered_rep_id is not None:
            await db.execute(_STAMP_REP, h.at, h.offered_rep_id)


async def _update_lead(db: Any, lead_id: int, changes: Mapping[str, Any], now: datetime) -> None:
    names = tuple(changes)
    sql = _LEAD_SQL.get(names)
    if sql is None:
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=1))
        n = len(names)
        sql = f"UPDATE leads SET {sets}, updated_at = ${n + 1} WHERE id = ${n + 2}"
        _LEAD_SQL[names] = sql
    values = [json.dumps(v) if k == "company_size" else v for k, v in changes.items()]
    await db.execute(sql, *values, now, lead_id)
