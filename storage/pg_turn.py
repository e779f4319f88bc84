"""A cached turn on PostgreSQL as one plain asyncpg statement (no SQLAlchemy, no greenlet).

Through SQLAlchemy Core each statement of a turn cost a few hundred µs of Python (compile-cache
lookup, parameter processing, the greenlet bridge); asyncpg's prepared statements cost a few
tens. Then the round trips were the cost: BEGIN, four statements and COMMIT were six socket
writes and six wake-ups of the server per turn (a quarter of the process's CPU at 100
concurrent conversations, py-spy). So the whole turn is one statement, its writes as
data-modifying CTEs, run on its own (autocommit: one round trip, committed when it returns).
One statement is also all or nothing: when the conversation moved on or the inbound message
was delivered before, its last SELECT fails a cast, and the server undoes every write.

A first contact (a conversation the read found no row for: ``storage.pg_load``) is the same
statement with the conversation's row and its lead INSERTed, as the turn leaves them, instead
of UPDATEd: created and written in one round trip, or not at all. A second worker creating the
same conversation meanwhile fails the unique key (``StaleSnapshot``: the turn is redone on the
winner's row).

The connection is the engine's own (its pool, its ``search_path``), so SQLAlchemy's JSON
codecs are in place: JSON goes in as text. The logic mirrors ``SyncUnit.commit_turn``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.jsontext import dumps
from bot.ports import StaleSnapshot
from bot.state import StoredMessage, Turn
from storage import pg_load
from storage.codec import lead_changes, quick_replies_text
from storage.snapshots import Known, after_turn

_MISSING = object()
_COLUMNS = "conversation_id, seq, channel, external_id, author, author_name, kind, text, " \
    "quick_replies, at"  # fmt: skip
_UPDATE_CONVERSATION = (
    "UPDATE conversations SET state = $1, owner = $2, stage = $3, score = $4, context = $5, "
    "opted_out = $6, wake_at = $7, last_inbound_at = $8, current_evidence = $9, "
    "updated_at = $10, seq = GREATEST(seq, $11), version = version + 1 "
    "WHERE id = $12 AND version = $13 RETURNING id"
)
# A first contact's row as the turn leaves it: created (version 0), then written once. The same
# $1..$11 as the UPDATE, then the key; the lead comes from the ``l`` CTE.
_INSERT_CONVERSATION = (
    "INSERT INTO conversations (state, owner, stage, score, context, opted_out, wake_at, "
    "last_inbound_at, current_evidence, updated_at, seq, channel, address, lead_id, version, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
    "(SELECT id FROM l), 1, $10) RETURNING id, lead_id"
)
# The last SELECT casts this text to int: '0' passes, the others fail the statement (a text
# computed from the CTEs at run time, so the planner cannot fold the cast away).
STALE, DUPLICATE, CONFLICT = "qualibot:stale", "qualibot:duplicate", "qualibot:conflict"
_FAILED_CAST = "22P02"  # invalid_text_representation: the SQLSTATE of that failed cast
_EVIDENCE_COLUMNS = (
    "conversation_id, slot, status, value, raw_text, extractor, confidence, message_id, at"
)
_STAGE_CHANGE_COLUMNS = "conversation_id, previous, stage, score, reason, at"
_HANDOFF_COLUMNS = (
    "conversation_id, reason, stage, score, status, requested_at, team, offered_rep_id, "
    "route_reason, sla_due_at"
)
# (messages, inbound?, evidence, stage change?, hand-off?, stamp?, events?, lead columns, new?)
_Shape = tuple[int, bool, int, bool, bool, bool, bool, tuple[str, ...], bool]
_TURN_SQL: dict[_Shape, str] = {}


def _message(channel: str, m: StoredMessage) -> tuple[Any, ...]:
    replies = quick_replies_text(m.quick_replies) if m.quick_replies else "null"
    return (m.seq, channel, m.external_id, m.author, m.author_name, m.kind, m.text, replies,
            m.at)  # fmt: skip


class Duplicate(Exception):
    """The turn's inbound message was delivered before: nothing of the turn was written."""


class _Params:
    """Positional parameters of one statement: ``take`` returns the next placeholders."""

    def __init__(self) -> None:
        self.n = 0

    def take(self, count: int) -> list[str]:
        first = self.n + 1
        self.n += count
        return [f"${i}" for i in range(first, first + count)]

    def rows(self, count: int, width: int, cid: str) -> str:
        """``count`` rows of ``cid`` (the conversation's id) and ``width`` placeholders."""
        return ", ".join("(" + ", ".join([cid, *self.take(width)]) + ")" for _ in range(count))


def _turn_sql(shape: _Shape) -> str:
    """The turn as one statement; parameters in the order ``commit_turn`` lists them."""
    sql = _TURN_SQL.get(shape)
    if sql is not None:
        return sql
    n_messages, inbound, n_evidence, stage_change, handoff, stamp, events, lead, new = shape
    p = _Params()
    p.take(13)  # the conversation's UPDATE (or a first contact's INSERT)
    # Rows name their conversation by the UPDATE's $12, or by the id the INSERT returns.
    cid = "(SELECT id FROM c)" if new else "$12"
    ctes = [f"c AS ({_INSERT_CONVERSATION if new else _UPDATE_CONVERSATION})"]
    # A first contact's INSERT cannot match nothing: it makes a row or fails the statement.
    checks = [] if new else [f"WHEN NOT EXISTS (SELECT 1 FROM c) THEN '{STALE}'"]
    if n_messages:
        inbound_id = f"${p.n + 3}"  # the first message's external_id
        values = p.rows(n_messages, 9, cid)
        ctes.append(
            f"m AS (INSERT INTO messages ({_COLUMNS}) VALUES {values} "
            "ON CONFLICT (channel, external_id) DO NOTHING RETURNING external_id)"
        )
        if inbound:
            checks.append(
                f"WHEN NOT EXISTS (SELECT 1 FROM m WHERE external_id = {inbound_id}) "
                f"THEN '{DUPLICATE}'"
            )
        checks.append(f"WHEN (SELECT count(*) FROM m) <> {n_messages} THEN '{CONFLICT}'")
    if n_evidence:
        values = p.rows(n_evidence, 8, cid)
        ctes.append(f"e AS (INSERT INTO evidence ({_EVIDENCE_COLUMNS}) VALUES {values})")
    if stage_change:
        values = p.rows(1, 5, cid)
        ctes.append(f"s AS (INSERT INTO stage_changes ({_STAGE_CHANGE_COLUMNS}) VALUES {values})")
    if handoff:
        slots = p.take(8)
        row = ", ".join([cid, *slots[:3], "'queued'", *slots[3:]])
        ctes.append(f"h AS (INSERT INTO handoffs ({_HANDOFF_COLUMNS}) VALUES ({row}))")
    if stamp:
        at, rep = p.take(2)
        ctes.append(f"r AS (UPDATE reps SET last_assigned_at = {at} WHERE id = {rep})")
    outbox = "ARRAY[]::bigint[]"
    if events:
        # One row holding the turn's events (a JSON array), stamped with the UPDATE's $10 (now).
        (payload,) = p.take(1)
        ctes.append(
            f"o AS (INSERT INTO outbox (topic, payload, created_at) "
            f"VALUES ('events', {payload}, $10) RETURNING id)"
        )
        outbox = "ARRAY(SELECT id FROM o)"
    if new:  # the lead as the turn leaves it, created first: the conversation refers to it
        columns, values = ", ".join(lead), ", ".join(p.take(len(lead)))
        ctes.insert(0, f"l AS (INSERT INTO leads ({columns}, created_at, updated_at) "
                       f"VALUES ({values}, $10, $10) RETURNING id)")  # fmt: skip
    elif lead:
        sets = ", ".join(f"{name} = {ph}" for name, ph in zip(lead, p.take(len(lead)), strict=True))
        at, lead_id = p.take(2)
        ctes.append(f"l AS (UPDATE leads SET {sets}, updated_at = {at} WHERE id = {lead_id})")
    check = "CAST(CASE " + " ".join(checks) + " ELSE '0' END AS int)" if checks else "0"
    selected = [check, outbox]
    if new:  # the ids the first contact was given
        selected += ["(SELECT id FROM c)", "(SELECT lead_id FROM c)"]
    sql = _TURN_SQL[shape] = "WITH " + ", ".join(ctes) + " SELECT " + ", ".join(selected)
    return sql


async def commit_turn(
    db: Any, known: Known, turn: Turn, payloads: Sequence[Mapping[str, Any]], now: datetime
) -> list[int]:
    """Write the turn and its inbound message as one statement, committed on its own.

    Raises ``StaleSnapshot`` when the conversation is not at ``known.version`` any more (the
    UPDATE waits on a concurrent writer's row lock, then matches nothing) or, for a first
    contact (``known.new``), exists by now; ``Duplicate`` for a re-delivered inbound message,
    ``IntegrityError`` for any other known external id; in each case the statement wrote
    nothing (but a first contact's duplicate creates its empty conversation, as Core's load
    did). Call it outside a transaction: it is one.
    """
    inbound = turn.inbound
    new = known.new
    try:
        row = await _write(db, known, turn, payloads, now)
    except Exception as error:
        text = str(error) if getattr(error, "sqlstate", None) == _FAILED_CAST else ""
        if STALE in text:
            cid = known.conversation_id
            raise StaleSnapshot(f"conversation {cid} was written since it was loaded") from None
        if new and pg_load.created_meanwhile(error):  # another worker's first contact won
            raise StaleSnapshot("the conversation was created since it was read") from None
        if DUPLICATE in text:
            if new:
                await pg_load.create(db, known, now)
            raise Duplicate(inbound.external_id if inbound else "") from None
        if CONFLICT in text:
            raise IntegrityError("INSERT INTO messages", None, error) from error
        raise
    return list(row[1])


async def _write(
    db: Any, known: Known, turn: Turn, payloads: Sequence[Mapping[str, Any]], now: datetime
) -> Any:
    """Send the turn's statement; on success ``known`` is as the turn leaves it, else unchanged."""
    inbound = turn.inbound
    said = turn.messages if inbound is None else (inbound, *turn.messages)
    seq = max((m.seq for m in said), default=0)
    evidence = dict(known.evidence), dict(known.encoded)  # to put back if nothing is written
    read = known.record(turn.evidence)
    context = dumps(dict(turn.context))
    new = known.new
    if new:  # the INSERT's key (the provisional id is the process's own)
        assert known.snapshot is not None
        head: tuple[Any, Any] = (known.channel, known.snapshot.key.address)
    else:  # the UPDATE's row and the version it must still be at
        head = (known.conversation_id, known.version)
    params: list[Any] = [
        turn.state, turn.owner, turn.stage, turn.score, context, turn.opted_out, turn.wake_at,
        turn.last_inbound_at, known.evidence_text(), now, seq, *head,
    ]  # fmt: skip
    channel = known.channel
    for m in said:
        params += _message(channel, m)
    for e in turn.evidence:
        params += (e.slot, e.status, dumps(e.value), e.raw_text, e.extractor, e.confidence,
                   e.message_id, e.at)  # fmt: skip
    if (sc := turn.stage_change) is not None:
        params += (sc.previous, sc.stage, sc.score, sc.reason, sc.at)
    stamp = False
    if (h := turn.handoff) is not None:
        params += (h.reason, h.stage, h.score, h.at, h.team, h.offered_rep_id, h.route_reason,
                   h.sla_due_at)  # fmt: skip
        if h.offered_rep_id is not None:
            stamp = True
            params += (h.at, h.offered_rep_id)
    if payloads:
        params.append(dumps(list(payloads)))
    changes = lead_changes(turn.lead)
    changes.update(stage=turn.stage, score=turn.score)
    lead: tuple[str, ...] = ()
    if new or any(known.lead.get(k, _MISSING) != v for k, v in changes.items()):
        lead = tuple(changes)
        params += [dumps(v) if k == "company_size" else v for k, v in changes.items()]
        if not new:
            params += (now, known.lead_id)
    shape: _Shape = (len(said), inbound is not None, len(turn.evidence), sc is not None,
                     h is not None, stamp, bool(payloads), lead, new)  # fmt: skip
    try:
        row = await db.fetchrow(_turn_sql(shape), *params)
    except BaseException:  # refused, or cancelled (the statement may or may not have run)
        known.evidence, known.encoded = evidence
        raise
    if new:
        pg_load.adopt(known, row[2], row[3])
    known.version += 1
    if lead:
        known.lead.update(changes)
    if known.snapshot is not None:
        seq = max(known.snapshot.seq, seq)
        known.snapshot = after_turn(known.snapshot, turn, seq, context, read)
    return row
