"""SqlCards: the Cards port (hand-off cards in a reps' room, one poster each) on SqlStore."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from bot.state import Card
from storage.sql_access import SqlAccess
from storage.tables import CARDS, CONVERSATIONS, HANDOFFS

_K, _H, _C = CARDS.c, HANDOFFS.c, CONVERSATIONS.c
_BY_KEY = (_C.channel == bindparam("channel"), _C.address == bindparam("address"))
_THIS_CARD = (_K.handoff_id == bindparam("handoff"), _K.room == bindparam("in_room"))
_LATEST_HANDOFF = (
    select(_H.id)
    .join(CONVERSATIONS, _C.id == _H.conversation_id)
    .where(*_BY_KEY)
    .order_by(_H.id.desc())
    .limit(1)
)
# An abandoned claim (its process died between claiming and posting) makes room for a new one.
_DROP_ABANDONED = delete(CARDS).where(
    *_THIS_CARD, _K.message_id.is_(None), _K.claimed_at < bindparam("abandoned")
)
# The claim itself: ON CONFLICT DO NOTHING, so a lost race is no row rather than an error
# (a failed INSERT would abort a PostgreSQL transaction). RETURNING says who won.
_CLAIM = {
    "postgresql": postgresql.insert(CARDS)
    .on_conflict_do_nothing(index_elements=["handoff_id", "room"])
    .returning(_K.handoff_id),
    "sqlite": sqlite.insert(CARDS)
    .on_conflict_do_nothing(index_elements=["handoff_id", "room"])
    .returning(_K.handoff_id),
}
_PLACE = (
    update(CARDS)
    .where(*_THIS_CARD)
    .values(message_id=bindparam("ts"), head=bindparam("blocks"), posted_at=bindparam("at"))
)
_RELEASE = delete(CARDS).where(*_THIS_CARD, _K.message_id.is_(None))
_CARD_COLUMNS = (_K.handoff_id, _K.room, _K.message_id, _K.head, _C.channel, _C.address)
# The latest hand-off, whether or not it has a card here: an older hand-off's card is not
# the conversation's card any more.
_CARD_FOR = (
    select(*_CARD_COLUMNS)
    .select_from(HANDOFFS)
    .join(CONVERSATIONS, _C.id == _H.conversation_id)
    .outerjoin(CARDS, and_(_K.handoff_id == _H.id, _K.room == bindparam("room")))
    .where(*_BY_KEY)
    .order_by(_H.id.desc())
    .limit(1)
)
_CARD_AT = (
    select(*_CARD_COLUMNS)
    .select_from(CARDS)
    .join(HANDOFFS, _H.id == _K.handoff_id)
    .join(CONVERSATIONS, _C.id == _H.conversation_id)
    .where(_K.room == bindparam("room"), _K.message_id == bindparam("ts"))
)


def _card(row: Any) -> Card | None:
    """A ``_CARD_FOR``/``_CARD_AT`` row as a Card; None for no row or an unposted claim."""
    if row is None or row.message_id is None:
        return None
    key = ConversationKey(row.channel, row.address)
    return Card(row.handoff_id, key, row.room, row.message_id, list(row.head or []))


class SqlCards:
    """The Cards port for SqlStore (mixed in); see ``bot.rep_ports.Cards``."""

    async def claim_card(
        self: SqlAccess,
        key: ConversationKey,
        room: str,
        now: datetime,
        abandoned_after: timedelta,
    ) -> int | None:
        """Insert the card's row for the latest hand-off; its id if this insert made it."""

        def claim(conn: Connection) -> int | None:
            where = {"channel": key.channel, "address": key.address}
            handoff = conn.execute(_LATEST_HANDOFF, where).scalar_one_or_none()
            if handoff is None:
                return None
            this = {"handoff": handoff, "in_room": room}
            conn.execute(_DROP_ABANDONED, {**this, "abandoned": now - abandoned_after})
            values = {"handoff_id": handoff, "room": room, "claimed_at": now}
            won = conn.execute(_CLAIM[conn.dialect.name], values).scalar_one_or_none()
            return None if won is None else int(won)

        return await self.write(claim)

    async def place_card(
        self: SqlAccess,
        handoff_id: int,
        room: str,
        message_id: str,
        head: Sequence[Mapping[str, Any]],
    ) -> None:
        """Record the posted card's message id and head blocks."""
        values = {
            "handoff": handoff_id, "in_room": room, "ts": message_id, "blocks": list(head),
            "at": datetime.now(UTC),
        }  # fmt: skip
        await self.write(lambda conn: conn.execute(_PLACE, values))

    async def release_card(self: SqlAccess, handoff_id: int, room: str) -> None:
        """Delete an unposted claim (a no-op once the card is posted)."""
        values = {"handoff": handoff_id, "in_room": room}
        await self.write(lambda conn: conn.execute(_RELEASE, values))

    async def card_for(self: SqlAccess, key: ConversationKey, room: str) -> Card | None:
        """The posted card of the conversation's latest hand-off in ``room``."""
        values = {"channel": key.channel, "address": key.address, "room": room}
        return await self.read(lambda conn: _card(conn.execute(_CARD_FOR, values).first()))

    async def card_at(self: SqlAccess, room: str, message_id: str) -> Card | None:
        """The posted card that is message ``message_id`` in ``room``."""
        values = {"room": room, "ts": message_id}
        return await self.read(lambda conn: _card(conn.execute(_CARD_AT, values).first()))
