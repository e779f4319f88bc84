"""MemoryCards: the Cards port (hand-off cards in a reps' room) for MemoryStore."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.jsontext import dumps, loads
from bot.messages import ConversationKey
from bot.state import Card
from storage.codec import utc

if TYPE_CHECKING:
    from storage.memory_desk import HandoffRecord
    from storage.memory_rows import ConversationRow


@dataclass(slots=True)
class CardRecord:
    """One ``cards`` row: claimed at ``claimed_at``, posted once ``message_id`` is set."""

    claimed_at: datetime
    message_id: str | None = None
    head: list[Any] | None = None


class MemoryCards:
    """The Cards port for MemoryStore (mixed in); see ``bot.rep_ports.Cards``.

    Each method runs without awaiting, so within one event loop a claim's check and insert
    cannot interleave with another claim: the same one-winner rule as SQL's primary key.
    """

    _conversations: dict[int, ConversationRow]
    _by_key: dict[ConversationKey, int]
    _handoff_rows: dict[int, HandoffRecord]
    _cards: dict[tuple[int, str], CardRecord]

    async def claim_card(
        self, key: ConversationKey, room: str, now: datetime, abandoned_after: timedelta
    ) -> int | None:
        """Add the card's row for the latest hand-off; its id if this call added it."""
        handoff = self._latest_handoff(key)
        if handoff is None:
            return None
        found = self._cards.get((handoff, room))
        abandoned = found is not None and found.message_id is None and (
            found.claimed_at < utc(now) - abandoned_after
        )
        if found is not None and not abandoned:
            return None
        self._cards[handoff, room] = CardRecord(utc(now))
        return handoff

    async def place_card(
        self, handoff_id: int, room: str, message_id: str, head: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record the posted card's message id and head (a JSON round trip, as SQL stores it)."""
        found = self._cards.get((handoff_id, room))
        if found is not None:
            found.message_id, found.head = message_id, loads(dumps(list(head)))

    async def release_card(self, handoff_id: int, room: str) -> None:
        """Forget an unposted claim (a no-op once the card is posted)."""
        found = self._cards.get((handoff_id, room))
        if found is not None and found.message_id is None:
            del self._cards[handoff_id, room]

    async def card_for(self, key: ConversationKey, room: str) -> Card | None:
        """The posted card of the conversation's latest hand-off in ``room``."""
        handoff = self._latest_handoff(key)
        return None if handoff is None else self._card(handoff, room)

    async def card_at(self, room: str, message_id: str) -> Card | None:
        """The posted card that is message ``message_id`` in ``room``."""
        for (handoff, where), found in self._cards.items():
            if where == room and found.message_id == message_id:
                return self._card(handoff, room)
        return None

    def _latest_handoff(self, key: ConversationKey) -> int | None:
        cid = self._by_key.get(key)
        ids = [r.id for r in self._handoff_rows.values() if r.conversation_id == cid]
        return max(ids) if ids else None

    def _card(self, handoff: int, room: str) -> Card | None:
        found = self._cards.get((handoff, room))
        if found is None or found.message_id is None:
            return None
        key = self._conversations[self._handoff_rows[handoff].conversation_id].key
        return Card(handoff, key, room, found.message_id, loads(dumps(found.head)))
