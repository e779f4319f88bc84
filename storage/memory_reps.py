"""MemoryReps: the Reps and Sessions ports for MemoryStore, with SqlStore's semantics."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.routing import RepLoad
from bot.state import Presence, Rep
from storage.codec import utc
from storage.reps import check_capacity, normalize_email

if TYPE_CHECKING:
    from storage.memory_desk import HandoffRecord


@dataclass(slots=True)
class RepRecord:
    """One ``reps`` row: the value type plus the columns only the store reads."""

    rep: Rep
    created_at: datetime
    last_assigned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One ``sessions`` row, keyed by token hash in ``MemoryStore._sessions``."""

    rep_id: int
    csrf: str
    created_at: datetime
    expires_at: datetime


class MemoryReps:
    """The Reps and Sessions ports for MemoryStore (mixed in); see ``bot.ports``.

    Every method runs without awaiting, so each is atomic on the event loop; none waits for a
    unit, as SqlStore's do not wait for a PostgreSQL unit either.
    """

    _ids: Iterator[int]
    _reps: dict[int, RepRecord]
    _sessions: dict[str, SessionRecord]
    _handoff_rows: dict[int, HandoffRecord]

    async def add_rep(
        self, email: str, name: str, password_hash: str, team: str | None = None,
        admin: bool = False, capacity: int = 3,
    ) -> Rep:  # fmt: skip
        """Create a rep; raises ValueError when the email is taken (in any letter case)."""
        email = normalize_email(email)
        if any(r.rep.email == email for r in self._reps.values()):
            raise ValueError(f"a rep with email {email} already exists")
        rep = Rep(
            next(self._ids), email, name, team, admin, False, "offline",
            check_capacity(capacity), password_hash,
        )  # fmt: skip
        self._reps[rep.id] = RepRecord(rep, datetime.now(UTC))
        return rep

    async def find_rep(self, *, rep_id: int | None = None, email: str | None = None) -> Rep | None:
        """A rep by id or by email (case-insensitive); both given must match the same rep."""
        if rep_id is None and email is None:
            raise ValueError("find_rep needs rep_id or email")
        wanted = None if email is None else normalize_email(email)
        for record in self._reps.values():
            rep = record.rep
            if rep_id in (None, rep.id) and wanted in (None, rep.email):
                return rep
        return None

    async def list_reps(self) -> list[Rep]:
        """Every rep, disabled ones included, by name."""
        return sorted((r.rep for r in self._reps.values()), key=lambda rep: (rep.name, rep.id))

    async def update_rep(
        self, rep_id: int, *, presence: Presence | None = None, disabled: bool | None = None,
        capacity: int | None = None, password_hash: str | None = None,
        seen_at: datetime | None = None,
    ) -> None:  # fmt: skip
        """Change the given fields; disabling also ends the rep's sessions.

        Raises:
            LookupError: no rep has this id.
        """
        record = self._reps.get(rep_id)
        if record is None:
            raise LookupError(f"no rep with id {rep_id}")
        rep = record.rep
        record.rep = dataclasses.replace(
            rep,
            presence=rep.presence if presence is None else presence,
            disabled=rep.disabled if disabled is None else disabled,
            capacity=rep.capacity if capacity is None else check_capacity(capacity),
            password_hash=rep.password_hash if password_hash is None else password_hash,
            last_seen_at=rep.last_seen_at if seen_at is None else utc(seen_at),
        )
        if disabled:
            for token in [t for t, s in self._sessions.items() if s.rep_id == rep_id]:
                del self._sessions[token]

    async def rep_loads(self) -> list[RepLoad]:
        """Enabled reps with their claimed hand-offs and when they were last offered a lead."""
        active: dict[int, int] = {}
        for h in self._handoff_rows.values():
            if h.status == "claimed" and h.rep_id is not None:
                active[h.rep_id] = active.get(h.rep_id, 0) + 1
        return [
            RepLoad(
                r.rep.id,
                r.rep.name,
                r.rep.team,
                r.rep.presence,
                r.rep.capacity,
                active.get(r.rep.id, 0),
                r.last_assigned_at,
                r.rep.last_seen_at,
            )
            for r in sorted(self._reps.values(), key=lambda r: r.rep.id)
            if not r.rep.disabled
        ]

    def stamp_assigned(self, rep_id: int, at: datetime) -> None:
        """Round robin's clock: the rep was offered a lead at ``at`` (applied on commit)."""
        record = self._reps.get(rep_id)
        if record is not None:  # no foreign keys here: an unknown rep id is ignored
            record.last_assigned_at = at

    async def create_session(
        self, token_hash: str, rep_id: int, csrf: str, expires_at: datetime
    ) -> None:
        """Remember a session by the hash of its cookie token (ValueError if it exists)."""
        if token_hash in self._sessions:  # the primary key refuses it in SQL too
            raise ValueError("session token hash already exists")
        if rep_id not in self._reps:
            raise LookupError(f"no rep {rep_id}")
        self._sessions[token_hash] = SessionRecord(rep_id, csrf, datetime.now(UTC), utc(expires_at))

    async def find_session(self, token_hash: str, now: datetime) -> tuple[Rep, str] | None:
        """The enabled rep and CSRF token of a session that expires after ``now``."""
        session = self._sessions.get(token_hash)
        if session is None or session.expires_at <= utc(now):
            return None
        rep = self._reps[session.rep_id].rep
        return None if rep.disabled else (rep, session.csrf)

    async def delete_session(self, token_hash: str) -> None:
        """Log out (a no-op for an unknown token)."""
        self._sessions.pop(token_hash, None)

    async def purge_sessions(self, now: datetime) -> int:
        """Delete sessions expired at ``now``; returns how many."""
        now = utc(now)
        expired = [t for t, s in self._sessions.items() if s.expires_at <= now]
        for token in expired:
            del self._sessions[token]
        return len(expired)
