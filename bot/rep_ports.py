"""The seams of the reps' side: the sales team, the console's desk, log-in sessions, Slack cards.

Like ``bot.ports``: small Protocols, each with an in-memory implementation (``storage.memory_*``)
and a SQL one (``storage/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.messages import ConversationKey
from bot.routing import RepLoad
from bot.state import Card, HandoffStatus, HandoffView, Note, Presence, Rep


class Reps(Protocol):
    """The sales team: accounts, presence and load for routing."""

    async def add_rep(
        self, email: str, name: str, password_hash: str, team: str | None = None,
        admin: bool = False, capacity: int = 3,
    ) -> Rep:
        """Create a rep; raises ValueError when the email is taken."""
        ...

    async def find_rep(self, *, rep_id: int | None = None, email: str | None = None) -> Rep | None:
        """A rep by id or by email (case-insensitive)."""
        ...

    async def list_reps(self) -> list[Rep]:
        """Every rep, disabled ones included, by name."""
        ...

    async def update_rep(
        self, rep_id: int, *, presence: Presence | None = None, disabled: bool | None = None,
        capacity: int | None = None, password_hash: str | None = None,
        seen_at: datetime | None = None,
    ) -> None:
        """Change the given fields (``seen_at``: a console of the rep's is open at that time)."""
        ...

    async def rep_loads(self) -> list[RepLoad]:
        """Enabled reps with their open conversations and when they were last offered a lead."""
        ...


class Desk(Protocol):
    """What the rep console reads and the notes it writes."""

    async def handoffs(
        self, statuses: Sequence[HandoffStatus] = ("queued", "claimed"),
    ) -> list[HandoffView]:
        """Hand-offs in these states, oldest request first, with their lead cards."""
        ...

    async def handoff_for(self, key: ConversationKey) -> HandoffView | None:
        """The conversation's latest hand-off, if any."""
        ...

    async def add_note(self, key: ConversationKey, rep_id: int, text: str, at: datetime) -> Note:
        """Store an internal note (kept apart from the transcript, so no channel can show it)."""
        ...

    async def notes(self, key: ConversationKey) -> list[Note]:
        """The conversation's notes, oldest first."""
        ...


class Sessions(Protocol):
    """Console log-in sessions, stored server-side so logout revokes them everywhere."""

    async def create_session(
        self, token_hash: str, rep_id: int, csrf: str, expires_at: datetime
    ) -> None:
        """Remember a session by the hash of its cookie token."""
        ...

    async def find_session(self, token_hash: str, now: datetime) -> tuple[Rep, str] | None:
        """The enabled rep and CSRF token of an unexpired session."""
        ...

    async def delete_session(self, token_hash: str) -> None:
        """Log out."""
        ...


class Cards(Protocol):
    """Hand-off cards posted for reps in a room (Slack's sales channel), one per hand-off.

    Kept in the database rather than in the process that posted the card, so a restarted
    process, or any other one, still updates the card and relays replies in its thread; and
    so that exactly one process posts it (the claim).
    """

    async def claim_card(
        self, key: ConversationKey, room: str, now: datetime, abandoned_after: timedelta
    ) -> int | None:
        """Win the right to post the card of the conversation's latest hand-off in ``room``.

        Returns that hand-off's id to the one caller that wins, across processes (a unique
        key decides); None to everyone else, and when the conversation has no hand-off. A
        claim still not posted ``abandoned_after`` it was taken counts as abandoned (its
        process died mid-post) and can be won again.
        """
        ...

    async def place_card(
        self, handoff_id: int, room: str, message_id: str, head: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record the posted card (the winner of ``claim_card`` calls this after posting)."""
        ...

    async def release_card(self, handoff_id: int, room: str) -> None:
        """Give up a claim whose post failed, so that a later claim can post; posted cards stay."""
        ...

    async def card_for(self, key: ConversationKey, room: str) -> Card | None:
        """The posted card of the conversation's latest hand-off in ``room``, if it has one."""
        ...

    async def card_at(self, room: str, message_id: str) -> Card | None:
        """The posted card that is message ``message_id`` in ``room`` (a reply in its thread)."""
        ...
