"""A turn's writes on SQLite as plain pysqlite statements (the hot path, no SQLAlchemy).

SQLAlchemy Core costs about 100 µs of Python per statement here (compiled-cache lookup,
parameter processing, result set-up); pysqlite with its own statement cache costs a few. The
values are converted exactly as the Core column types convert them (``UTCDateTime`` to naive
UTC text with microseconds, JSON to ``bot.jsontext.dumps`` text, which the engines also use,
booleans to 0/1), so every other query, still in Core, reads these rows as it reads its own.
Statements run in the unit's transaction on the same connection (``SyncUnit`` passes the driver
connection of its SQLAlchemy connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.jsontext import dumps as _dumps
from bot.ports import StaleSnapshot
from bot.state import Evidence, StoredMessage, Turn
from storage.codec import quick_replies_text
from storage.snapshots import Known

_MESSAGE_COLUMNS = (
    "conversation_id, seq, channel, external_id, author, author_name, kind, text, quick_replies, at"
)
_INSERT_MESSAGE = f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
# Only if the conversation is still at the version the turn was decided from, so a stale
# turn's seq cannot collide. The conflict target is the external id only: a seq collision
# is a caller bug and raises. No row written: a duplicate, or a stale version (_VERSION tells).
# The row count says which, not a RETURNING row: that costs a result row and a fetch a turn.
_INSERT_INBOUND = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) SELECT ?,?,?,?,?,?,?,?,?,? "
    "WHERE (SELECT version FROM conversations WHERE id=?) = ? "
    "ON CONFLICT (channel, external_id) DO NOTHING"
)
_VERSION = "SELECT version FROM conversations WHERE id=?"
_UPDATE_CONVERSATION = (
    "UPDATE conversations SET state=?, owner=?, stage=?, score=?, context=?, opted_out=?, "
    "wake_at=?, last_inbound_at=?, current_evidence=?, updated_at=?, seq=max(seq, ?), "
    "version=version+1 WHERE id=? AND version=?"
)
_INSERT_EVIDENCE = (
    "INSERT INTO evidence (conversation_id, slot, status, value, raw_text, extractor, "
    "confidence, message_id, at) VALUES (?,?,?,?,?,?,?,?,?)"
)
_INSERT_STAGE_CHANGE = (
    "INSERT INTO stage_changes (conversation_id, previous, stage, score, reason, at) "
    "VALUES (?,?,?,?,?,?)"
)
_INSERT_HANDOFF = (
    "INSERT INTO handoffs (conversation_id, reason, stage, score, status, requested_at, team, "
    "offered_rep_id, route_reason, sla_due_at) VALUES (?,?,?,?,'queued',?,?,?,?,?)"
)
_STAMP_REP = "UPDATE reps SET last_assigned_at=? WHERE id=?"


def ts(at: datetime | None) -> str | None:
    """``UTCDateTime`` on SQLite: naive UTC, SQLAlchemy's format (microseconds always shown).

    A turn stamps its rows with two or three datetimes (``now``, the inbound message's time,
    a timer), alternating between them: the last two conversions are kept.
    """
    global _last, _before
    if at is None:
        return None
    last = _last
    if at is last[0]:
        return last[1]
    before = _before
    if at is before[0]:
        _last, _before = before, last
        return before[1]
    if at.tzinfo is not UTC:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"naive datetime {at!r}: pass a timezone-aware datetime")
        utc_at = at.astimezone(UTC)
    else:
        utc_at = at
    # What ``utc_at.isoformat(" ", "microseconds")`` less its "+00:00" gives, for half the
    # instructions: that call formats the offset, and its printf is costly (some 3 calls a
    # turn that miss the two kept, on the SQLite thread).
    year, two = utc_at.year, _TWO
    text = (
        f"{year if year >= 1000 else f'{year:04d}'}-{two[utc_at.month]}-{two[utc_at.day]} "
        f"{two[utc_at.hour]}:{two[utc_at.minute]}:{two[utc_at.second]}."
        f"{str(1_000_000 + utc_at.microsecond)[1:]}"
    )
    _last, _before = (at, text), last
    return text


_TWO = [f"{n:02d}" for n in range(60)]  # months, days, hours, minutes and seconds
_last: tuple[datetime | None, str] = (None, "")
_before: tuple[datetime | None, str] = (None, "")


# pysqlite adapts every parameter that is not exactly an int, float, str or bytearray: None
# too. With no adapter registered for its type, it looks ``__adapt__`` up on its protocol
# class, and that miss formats an AttributeError: about 2,500 instructions per None bound,
# some 11 thousand a turn (replies' external ids, evidence ids, NULL stages and timers). An
# adapter giving None back (a C call: ``{}.get(None)`` is None) binds the same NULL. The
# registry is the sqlite3 module's, so every pysqlite connection of the process gains.
_NO_ADAPTER: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NO_ADAPTER.get)


def _message(cid: int, channel: str, m: StoredMessage) -> tuple[Any, ...]:
    # No buttons is JSON null, as Core writes None to a JSON column (most lines have none).
    replies = quick_replies_text(m.quick_replies) if m.quick_replies else "null"
    return (cid, m.seq, channel, m.external_id, m.author, m.author_name, m.kind, m.text,
            replies, ts(m.at))  # fmt: skip


def _evidence(cid: int, e: Evidence) -> tuple[Any, ...]:
    return (cid, e.slot, e.status, _dumps(e.value), e.raw_text, e.extractor, e.confidence,
            e.message_id, ts(e.at))  # fmt: skip


def _integrity(exc: sqlite3.IntegrityError, sql: str) -> IntegrityError:
    """The error Core would raise, so callers catch one type whichever path wrote."""
    return IntegrityError(sql, None, exc)


def insert_inbound(
    db: sqlite3.Cursor, cid: int, channel: str, m: StoredMessage, version: int
) -> bool:
    """Append the turn's inbound message; False for a re-delivered external id.

    Raises ``StaleSnapshot`` if the conversation is no longer at ``version``.
    """
    try:
        params = (*_message(cid, channel, m), cid, version)
        if db.execute(_INSERT_INBOUND, params).rowcount == 1:
            return True
    except sqlite3.IntegrityError as exc:
        raise _integrity(exc, _INSERT_INBOUND) from exc
    row = db.execute(_VERSION, (cid,)).fetchone()
    if row is None or row[0] != version:
        raise StaleSnapshot(f"conversation {cid} was written since it was loaded")
    return False


def update_conversation(
    db: sqlite3.Cursor, turn: Turn, known: Known, context: str, seq: int, version: int,
    now: datetime,
) -> bool:
    """The turn's new state, if the row is still at ``version``; False (nothing written) if not.

    ``context`` is the context's JSON text; ``known`` has the evidence after the turn, and the
    conversation's real id (``turn``'s is provisional on a first contact).
    """
    params = (turn.state, turn.owner, turn.stage, turn.score, context, int(turn.opted_out),
              ts(turn.wake_at), ts(turn.last_inbound_at), known.evidence_text(), ts(now), seq,
              known.conversation_id, version)  # fmt: skip
    return db.execute(_UPDATE_CONVERSATION, params).rowcount == 1


def insert_rows(
    db: sqlite3.Cursor, turn: Turn, known: Known, payloads: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[int]:
    """A turn's append-only rows, one statement per table that has any; the outbox row's id.

    Rows take the conversation's id and channel from ``known`` (its real id).
    """
    cid, channel = known.conversation_id, known.channel
    try:
        if turn.messages:
            db.executemany(_INSERT_MESSAGE, [_message(cid, channel, m) for m in turn.messages])
        if turn.evidence:
            db.executemany(_INSERT_EVIDENCE, [_evidence(cid, e) for e in turn.evidence])
        if (sc := turn.stage_change) is not None:
            db.execute(_INSERT_STAGE_CHANGE,
                       (cid, sc.previous, sc.stage, sc.score, sc.reason, ts(sc.at)))  # fmt: skip
        if (h := turn.handoff) is not None:
            db.execute(_INSERT_HANDOFF, (cid, h.reason, h.stage, h.score, ts(h.at), h.team,
                       h.offered_rep_id, h.route_reason, ts(h.sla_due_at)))  # fmt: skip
            if h.offered_rep_id is not None:
                db.execute(_STAMP_REP, (ts(h.at), h.offered_rep_id))
        return insert_outbox(db, payloads, now)
    except sqlite3.IntegrityError as exc:
        raise _integrity(exc, "INSERT") from exc


# One row per turn, its events a JSON array: one row and one index entry to write, not one
# per event (a turn has 3 to 5 events).
_INSERT_OUTBOX = "INSERT INTO outbox (topic, payload, created_at) VALUES ('events',?,?)"


def insert_outbox(
    db: sqlite3.Cursor, payloads: Sequence[Mapping[str, Any]], now: datetime
) -> list[int]:
    """One outbox row holding the turn's events in order; its id (none without events)."""
    if not payloads:
        return []
    row_id = db.execute(_INSERT_OUTBOX, (_dumps(payloads), ts(now))).lastrowid  # an array
    assert row_id is not None  # an INSERT of one row always sets it
    return [row_id]


def update_lead(db: sqlite3.Cursor, lead_id: int, changes: Mapping[str, Any],
                now: datetime) -> None:  # fmt: skip
    """Stage, score and the newly known card fields (``company_size`` is JSON)."""
    names = tuple(changes)
    sql = _LEAD_SQL.get(names)
    if sql is None:
        sets = ", ".join(f"{name}=?" for name in names)
        sql = _LEAD_SQL[names] = f"UPDATE leads SET {sets}, updated_at=? WHERE id=?"
    values: Iterable[Any] = (
        _dumps(v) if k == "company_size" else v for k, v in changes.items()
    )
    db.execute(sql, (*values, ts(now), lead_id))


_LEAD_SQL: dict[tuple[str, ...], str] = {}


class SqliteWrites:
    """A turn's writes on one pysqlite connection (same methods as ``CoreWrites``).

    Through one cursor of the connection, kept: ``Connection.execute`` makes a cursor per
    statement, some five statements a turn.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._cursor = db.cursor()

    def insert_inbound(
        self, cid: int, channel: str, message: StoredMessage, version: int
    ) -> bool:
        """See ``insert_inbound``."""
        return insert_inbound(self._cursor, cid, channel, message, version)

    def update_conversation(
        self, turn: Turn, known: Known, context: str, seq: int, version: int, now: datetime
    ) -> bool:
        """See ``update_conversation``."""
        return update_conversation(self._cursor, turn, known, context, seq, version, now)

    def insert_rows(
        self, turn: Turn, known: Known, payloads: Sequence[Mapping[str, Any]], now: datetime
    ) -> list[int]:
        """See ``insert_rows``."""
        return insert_rows(self._cursor, turn, known, payloads, now)

    def update_lead(self, lead_id: int, changes: Mapping[str, Any], now: datetime) -> None:
        """See ``update_lead``."""
        update_lead(self._cursor, lead_id, changes, now)
