"""SqlDesk: the Desk port (hand-off views with lead cards, internal notes) on SqlStore."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from bot.state import HandoffStatus, HandoffView, Note
from storage.codec import LEAD_FIELDS, utc
from storage.sql_access import SqlAccess
from storage.tables import CONVERSATIONS, HANDOFFS, LEADS, NOTES, REPS

_H, _C, _L, _R, _N = HANDOFFS.c, CONVERSATIONS.c, LEADS.c, REPS.c, NOTES.c
# Everything a console row shows in one query (no N+1 per hand-off): the hand-off, its
# conversation's key and current stage and score, the lead card, and the claiming rep's name.
# Lead fields are labelled: hand-offs have a stage and score of their own (at request time).
_VIEWS = (
    select(
        HANDOFFS,
        _C.channel,
        _C.address,
        _C.stage.label("now_stage"),
        _C.score.label("now_score"),
        *(_L[name].label(f"lead_{name}") for name in LEAD_FIELDS),
        _R.name.label("rep_name"),
    )
    .select_from(HANDOFFS)
    .join(CONVERSATIONS, _C.id == _H.conversation_id)
    .join(LEADS, _L.id == _C.lead_id)
    .outerjoin(REPS, _R.id == _H.rep_id)
)
_BY_KEY = (_C.channel == bindparam("channel"), _C.address == bindparam("address"))
_CONVERSATION_ID = select(_C.id).where(*_BY_KEY)
_REP_NAME = select(_R.name).where(_R.id == bindparam("rep"))
_INSERT_NOTE = insert(NOTES)
_NOTES = (
    select(_N.rep_id, _R.name, _N.text, _N.at)
    .select_from(NOTES)
    .join(CONVERSATIONS, _C.id == _N.conversation_id)
    .join(REPS, _R.id == _N.rep_id)
    .where(*_BY_KEY)
    .order_by(_N.id)
)


def _view(row: Any) -> HandoffView:
    """One ``_VIEWS`` row as the console's value type; the lead card lists known fields only."""
    m = row._mapping
    lead: dict[str, Any] = {k: m[f"lead_{k}"] for k in LEAD_FIELDS if m[f"lead_{k}"] is not None}
    lead.update(stage=m["now_stage"], score=m["now_score"])
    return HandoffView(
        id=m["id"],
        key=ConversationKey(m["channel"], m["address"]),
        status=cast(HandoffStatus, m["status"]),
        reason=m["reason"],
        stage=m["stage"],
        score=m["score"],
        team=m["team"],
        route_reason=m["route_reason"],
        requested_at=m["requested_at"],
        sla_due_at=m["sla_due_at"],
        rep_id=m["rep_id"],
        rep_name=m["rep_name"],
        offered_rep_id=m["offered_rep_id"],
        claimed_at=m["claimed_at"],
        closed_at=m["closed_at"],
        outcome=m["outcome"],
        lead=lead,
    )


def _key(key: ConversationKey) -> dict[str, str]:
    return {"channel": key.channel, "address": key.address}


class SqlDesk:
    """The Desk port for SqlStore (mixed in); see ``bot.rep_ports.Desk``."""

    async def handoffs(
        self: SqlAccess, statuses: Sequence[HandoffStatus] = ("queued", "claimed")
    ) -> list[HandoffView]:
        """Hand-offs in these states, oldest request first, with their lead cards."""
        if not statuses:
            return []
        stmt = _VIEWS.where(_H.status.in_(list(statuses))).order_by(_H.requested_at, _H.id)
        rows = await self.read(lambda conn: conn.execute(stmt).all())
        return [_view(r) for r in rows]

    async def handoff_for(self: SqlAccess, key: ConversationKey) -> HandoffView | None:
        """The conversation's latest hand-off, if any."""
        stmt: Select[Any] = _VIEWS.where(*_BY_KEY).order_by(_H.id.desc()).limit(1)
        row = await self.read(lambda conn: conn.execute(stmt, _key(key)).first())
        return None if row is None else _view(row)

    async def add_note(
        self: SqlAccess, key: ConversationKey, rep_id: int, text: str, at: datetime
    ) -> Note:
        """Store an internal note in its own table, apart from the transcript.

        Raises:
            LookupError: the conversation or the rep does not exist.
        """

        def add(conn: Connection) -> str:
            cid = conn.execute(_CONVERSATION_ID, _key(key)).scalar_one_or_none()
            name = conn.execute(_REP_NAME, {"rep": rep_id}).scalar_one_or_none()
            if cid is None or name is None:
                missing = f"conversation {key}" if cid is None else f"rep {rep_id}"
                raise LookupError(f"no {missing}")
            values = {"conversation_id": cid, "rep_id": rep_id, "text": text, "at": at}
            conn.execute(_INSERT_NOTE, values)
            return str(name)

        name = await self.write(add)
        return Note(rep_id, name, text, utc(at))

    async def notes(self: SqlAccess, key: ConversationKey) -> list[Note]:
        """The conversation's notes, oldest first, each with its rep's name."""
        rows = await self.read(lambda conn: conn.execute(_NOTES, _key(key)).all())
        return [Note(r.rep_id, r.name, r.text, r.at) for r in rows]
