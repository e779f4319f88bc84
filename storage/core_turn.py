"""A turn's writes as SQLAlchemy Core statements (PostgreSQL; SQLite uses ``sqlite_turn``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from bot.ports import StaleSnapshot
from bot.state import StoredMessage, Turn
from storage.codec import evidence_row, message_row
from storage.snapshots import Known
from storage.sql_statements import (
    INSERT,
    INSERT_MESSAGE,
    INSERT_OUTBOX,
    SELECT_VERSION,
    STAMP_REP,
    UPDATE_CONVERSATION,
    UPDATE_LEAD,
)


class CoreWrites:
    """A turn's writes on one SQLAlchemy connection (same methods as ``SqliteWrites``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._insert_message = INSERT_MESSAGE[conn.dialect.name]

    def insert_inbound(
        self, cid: int, channel: str, message: StoredMessage, version: int
    ) -> bool:
        """Append the inbound message; False for a re-delivered external id.

        First checks (and locks, FOR UPDATE) the conversation at ``version``, raising
        ``StaleSnapshot`` if it moved on, so a stale turn's seq cannot collide. ON CONFLICT,
        not try/except IntegrityError: a failed INSERT aborts a PostgreSQL transaction, and
        the unit must go on (store the duplicate's absence, commit, reply). The conflict
        target is the external id only: a seq collision is a bug and raises.
        """
        if self.conn.execute(SELECT_VERSION, {"cid": cid}).scalar_one_or_none() != version:
            raise StaleSnapshot(f"conversation {cid} was written since it was loaded")
        row = message_row(cid, channel, message)
        return self.conn.execute(self._insert_message, row).scalar_one_or_none() is not None

    def update_conversation(
        self, turn: Turn, known: Known, context: str, seq: int, version: int, now: datetime
    ) -> bool:
        """The turn's new state if the row is still at ``version``; False (nothing written)."""
        values: dict[str, Any] = {
            "state": turn.state, "owner": turn.owner, "stage": turn.stage, "score": turn.score,
            "context": dict(turn.context), "opted_out": turn.opted_out, "wake_at": turn.wake_at,
            "last_inbound_at": turn.last_inbound_at, "current_evidence": known.evidence,
            "updated_at": now, "cid": known.conversation_id, "new_seq": seq, "expected": version,
        }  # fmt: skip
        return self.conn.execute(UPDATE_CONVERSATION, values).rowcount == 1

    def insert_rows(
        self, turn: Turn, known: Known, payloads: Sequence[Mapping[str, Any]], now: datetime
    ) -> list[int]:
        """A turn's append-only rows, one statement per table that has any; the outbox row's id.

        Rows take the conversation's id and channel from ``known`` (its real id).
        """
        cid, channel = known.conversation_id, known.channel
        execute = self.conn.execute
        if turn.messages:
            execute(INSERT["messages"], [message_row(cid, channel, m) for m in turn.messages])
        if turn.evidence:
            execute(INSERT["evidence"], [evidence_row(cid, e) for e in turn.evidence])
        if (sc := turn.stage_change) is not None:
            execute(
                INSERT["stage_changes"],
                {"conversation_id": cid, "previous": sc.previous, "stage": sc.stage,
                 "score": sc.score, "reason": sc.reason, "at": sc.at},
            )  # fmt: skip
        if (h := turn.handoff) is not None:
            execute(
                INSERT["handoffs"],
                {"conversation_id": cid, "reason": h.reason, "stage": h.stage, "score": h.score,
                 "status": "queued", "requested_at": h.at, "team": h.team,
                 "offered_rep_id": h.offered_rep_id, "route_reason": h.route_reason,
                 "sla_due_at": h.sla_due_at},
            )  # fmt: skip
            if h.offered_rep_id is not None:
                execute(STAMP_REP, {"rep": h.offered_rep_id, "at_": h.at})
        if not payloads:
            return []
        # One row per turn holding its events in order (see bot.ports.Outbox).
        row = {"topic": "events", "payload": list(payloads), "created_at": now}
        return list(execute(INSERT_OUTBOX, row).scalars())

    def update_lead(self, lead_id: int, changes: Mapping[str, Any], now: datetime) -> None:
        """Stage, score and the newly known card fields."""
        self.conn.execute(UPDATE_LEAD, {**changes, "updated_at": now, "lid": lead_id})
