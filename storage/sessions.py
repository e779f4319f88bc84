"""SqlSessions: the Sessions port (console log-ins, revocable server-side) on SqlStore."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, false, insert, select
from sqlalchemy.engine import Connection

from bot.state import Rep
from storage.reps import rep_from_row
from storage.sql_access import SqlAccess
from storage.tables import REPS, SESSIONS

_S, _R = SESSIONS.c, REPS.c
_INSERT_SESSION = insert(SESSIONS)
# One query answers every console request: the session, its expiry and its rep's standing.
# A disabled rep's sessions are deleted too, but checking here keeps a race between the two
# (a request in flight while an admin disables the rep) from letting one more request in.
_FIND_SESSION = (
    select(REPS, _S.csrf)
    .select_from(SESSIONS)
    .join(REPS, _R.id == _S.rep_id)
    .where(
        _S.token_hash == bindparam("token"),
        _S.expires_at > bindparam("now"),
        _R.disabled == false(),
    )
)
_DELETE_SESSION = delete(SESSIONS).where(_S.token_hash == bindparam("token"))
_PURGE_SESSIONS = delete(SESSIONS).where(_S.expires_at <= bindparam("now"))


class SqlSessions:
    """The Sessions port for SqlStore (mixed in); see ``bot.rep_ports.Sessions``.

    Only the hash of a cookie token is stored, so a copy of the table opens no console.
    """

    async def create_session(
        self: SqlAccess, token_hash: str, rep_id: int, csrf: str, expires_at: datetime
    ) -> None:
        """Remember a session by the hash of its cookie token."""
        values = {
            "token_hash": token_hash,
            "rep_id": rep_id,
            "csrf": csrf,
            "created_at": datetime.now(UTC),
            "expires_at": expires_at,
        }
        await self.write(lambda conn: conn.execute(_INSERT_SESSION, values))

    async def find_session(
        self: SqlAccess, token_hash: str, now: datetime
    ) -> tuple[Rep, str] | None:
        """The enabled rep and CSRF token of a session that expires after ``now``."""

        def find(conn: Connection) -> tuple[Rep, str] | None:
            row = conn.execute(_FIND_SESSION, {"token": token_hash, "now": now}).first()
            return None if row is None else (rep_from_row(row), row.csrf)

        return await self.read(find)

    async def delete_session(self: SqlAccess, token_hash: str) -> None:
        """Log out (a no-op for an unknown token)."""
        await self.write(lambda conn: conn.execute(_DELETE_SESSION, {"token": token_hash}))

    async def purge_sessions(self: SqlAccess, now: datetime) -> int:
        """Delete sessions expired at ``now``; returns how many (a periodic clean-up)."""

        def purge(conn: Connection) -> int:
            return int(conn.execute(_PURGE_SESSIONS, {"now": now}).rowcount)

        return await self.write(purge)
