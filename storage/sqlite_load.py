"""Loading (and on first contact creating) a conversation on SQLite with plain pysqlite.

One conversation in seven of the service bench is new, and through SQLAlchemy Core its SELECT
and two INSERTs cost about 300 µs of Python; these cost a few each. Values are converted as
the Core column types convert them (see ``storage.sqlite_turn``), so rows written here and
read through Core, or the other way round, agree.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any, cast

from bot.messages import ConversationKey
from bot.state import Owner, Snapshot
from storage.codec import INITIAL_STATE, LEAD_FIELDS, evidence_from_json
from storage.snapshots import Known
from storage.sqlite_turn import ts

_SELECT = (
    "SELECT c.id, c.lead_id, c.state, c.owner, c.stage, c.score, c.opted_out, c.context, "
    "c.current_evidence, c.seq, c.version, c.last_inbound_at, "
    f"{', '.join('l.' + name for name in LEAD_FIELDS)}, l.stage, l.score "
    "FROM conversations c JOIN leads l ON l.id = c.lead_id WHERE c.channel = ? AND c.address = ?"
)
_INSERT_LEAD = "INSERT INTO leads (score, created_at, updated_at) VALUES (0, ?, ?) RETURNING id"
# ON CONFLICT, not SELECT-then-INSERT alone: another process may have missed the SELECT too.
_INSERT_CONVERSATION = (
    "INSERT INTO conversations (channel, address, lead_id, state, owner, stage, score, "
    "opted_out, context, current_evidence, seq, version, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, 'bot', NULL, 0, 0, '{}', '{}', 0, 0, ?, ?) "
    "ON CONFLICT (channel, address) DO NOTHING RETURNING id"
)


def _time(text: str | None) -> datetime | None:
    """``UTCDateTime`` back from SQLite's naive UTC text."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def load(db: sqlite3.Connection, key: ConversationKey, now: datetime) -> Known:
    """The conversation as ``Known`` (with its snapshot), created on first contact."""
    known = read(db, key)
    if known is None:
        known = create(db, key, now) or read(db, key)  # None: a concurrent writer created it
    assert known is not None
    return known


def read(db: sqlite3.Connection, key: ConversationKey) -> Known | None:
    """The conversation as ``Known`` (with its snapshot), or None if there is none yet."""
    row = db.execute(_SELECT, (key.channel, key.address)).fetchone()
    if row is None:
        return None
    cid, lead_id, state, owner, stage, score, opted_out, context, evidence_text, seq, version, \
        last_inbound_at, *card, lead_stage, lead_score = row  # fmt: skip
    lead = {
        name: _json(value) if name == "company_size" else value
        for name, value in zip(LEAD_FIELDS, card, strict=True)
    }
    lead = {k: v for k, v in lead.items() if v is not None}
    evidence = json.loads(evidence_text)
    snapshot = Snapshot(
        conversation_id=cid,
        key=key,
        state=state,
        owner=cast(Owner, owner),
        stage=stage,
        score=score,
        evidence={slot: evidence_from_json(e) for slot, e in evidence.items()},
        context=json.loads(context),
        opted_out=bool(opted_out),
        seq=seq,
        last_inbound_at=_time(last_inbound_at),
        lead=lead,
    )
    known = Known(cid, lead_id, key.channel, version, evidence, dict(lead), snapshot)
    known.lead.update(stage=lead_stage, score=lead_score)
    return known


def create(db: sqlite3.Connection, key: ConversationKey, now: datetime) -> Known | None:
    """Insert lead and conversation; None when someone else created the conversation first."""
    at = ts(now)
    lead_id = db.execute(_INSERT_LEAD, (at, at)).fetchone()[0]
    row = db.execute(
        _INSERT_CONVERSATION, (key.channel, key.address, lead_id, INITIAL_STATE, at, at)
    ).fetchone()
    if row is None:
        db.execute("DELETE FROM leads WHERE id = ?", (lead_id,))  # no orphan lead
        return None
    snapshot = Snapshot(
        conversation_id=row[0], key=key, state=INITIAL_STATE, owner="bot", stage=None, score=0,
        evidence={}, context={}, opted_out=False, seq=0,
    )  # fmt: skip
    return Known(row[0], lead_id, key.channel, 0, {}, {"stage": None, "score": 0}, snapshot)
