"""SqlReps: the Reps port (accounts, presence, load for routing) on SqlStore's database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, false, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.routing import RepLoad
from bot.state import Presence, Rep
from storage.sql_access import SqlAccess
from storage.tables import HANDOFFS, REPS, SESSIONS

_R = REPS.c
_REP_COLUMNS = (
    _R.id, _R.email, _R.name, _R.team, _R.admin, _R.disabled, _R.presence, _R.capacity,
    _R.password_hash, _R.last_seen_at,
)  # fmt: skip
_SELECT_REP = select(*_REP_COLUMNS)
# Duplicates by ON CONFLICT, as the hot path does it: no failed INSERT, no aborted transaction.
_INSERT_REP = {
    "postgresql": postgresql.insert(REPS)
    .on_conflict_do_nothing(index_elements=["email"])
    .returning(_R.id),
    "sqlite": sqlite.insert(REPS).on_conflict_do_nothing(index_elements=["email"]).returning(_R.id),
}
# A LEFT JOIN on only the claimed hand-offs and a GROUP BY: one query whatever the team size.
# PostgreSQL accepts the other rep columns because they depend on the grouped primary key.
_SELECT_LOADS = (
    select(
        _R.id,
        _R.name,
        _R.team,
        _R.presence,
        _R.capacity,
        _R.last_assigned_at,
        _R.last_seen_at,
        func.count(HANDOFFS.c.id).label("active"),
    )
    .select_from(REPS)
    .outerjoin(HANDOFFS, and_(HANDOFFS.c.rep_id == _R.id, HANDOFFS.c.status == "claimed"))
    .where(_R.disabled == false())
    .group_by(_R.id)
    .order_by(_R.id)
)
_DELETE_SESSIONS = delete(SESSIONS).where(SESSIONS.c.rep_id == bindparam("rep"))


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased, so UNIQUE ignores case."""
    return email.strip().lower()


def check_capacity(capacity: int) -> int:
    """Refuse a negative capacity (routing would never pick the rep, and say nothing of why)."""
    if capacity < 0:
        raise ValueError(f"capacity must be 0 or more, not {capacity}")
    return capacity


def rep_from_row(row: Any) -> Rep:
    """A ``reps`` row (any row with the rep columns) back to the value type."""
    return Rep(
        id=row.id,
        email=row.email,
        name=row.name,
        team=row.team,
        admin=row.admin,
        disabled=row.disabled,
        presence=cast(Presence, row.presence),
        capacity=row.capacity,
        password_hash=row.password_hash,
        last_seen_at=row.last_seen_at,
    )


class SqlReps:
    """The Reps port for SqlStore (mixed in); see ``bot.rep_ports.Reps``."""

    async def add_rep(
        self: SqlAccess, email: str, name: str, password_hash: str, team: str | None = None,
        admin: bool = False, capacity: int = 3,
    ) -> Rep:  # fmt: skip
        """Create a rep; raises ValueError when the email is taken (in any letter case)."""
        email = normalize_email(email)
        values = {
            "email": email, "name": name, "team": team, "admin": admin,
            "disabled": False, "presence": "offline", "capacity": check_capacity(capacity),
            "password_hash": password_hash, "created_at": datetime.now(UTC),
        }  # fmt: skip

        def add(conn: Connection) -> int | None:
            stmt = _INSERT_REP[conn.dialect.name]
            rep_id: int | None = conn.execute(stmt, values).scalar_one_or_none()
            return rep_id

        rep_id = await self.write(add)
        if rep_id is None:
            raise ValueError(f"a rep with email {email} already exists")
        return Rep(rep_id, email, name, team, admin, False, "offline", capacity, password_hash)

    async def find_rep(
        self: SqlAccess, *, rep_id: int | None = None, email: str | None = None
    ) -> Rep | None:
        """A rep by id or by email (case-insensitive); both given must match the same rep."""
        if rep_id is None and email is None:
            raise ValueError("find_rep needs rep_id or email")
        stmt = _SELECT_REP
        if rep_id is not None:
            stmt = stmt.where(_R.id == rep_id)
        if email is not None:
            stmt = stmt.where(_R.email == normalize_email(email))
        row = await self.read(lambda conn: conn.execute(stmt).first())
        return None if row is None else rep_from_row(row)

    async def list_reps(self: SqlAccess) -> list[Rep]:
        """Every rep, disabled ones included, by name."""
        stmt = _SELECT_REP.order_by(_R.name, _R.id)
        rows = await self.read(lambda conn: conn.execute(stmt).all())
        return [rep_from_row(r) for r in rows]

    async def update_rep(
        self: SqlAccess, rep_id: int, *, presence: Presence | None = None,
        disabled: bool | None = None, capacity: int | None = None,
        password_hash: str | None = None, seen_at: datetime | None = None,
    ) -> None:  # fmt: skip
        """Change the given fields; disabling also ends the rep's sessions, in one transaction.

        Raises:
            LookupError: no rep has this id.
        """
        given = {
            "presence": presence, "disabled": disabled, "password_hash": password_hash,
            "capacity": None if capacity is None else check_capacity(capacity),
            "last_seen_at": seen_at,
        }  # fmt: skip
        values = {k: v for k, v in given.items() if v is not None}

        def change(conn: Connection) -> bool:
            if not values:  # nothing to change, but an unknown id still raises
                return conn.execute(select(_R.id).where(_R.id == rep_id)).first() is not None
            found = bool(conn.execute(update(REPS).where(_R.id == rep_id).values(values)).rowcount)
            if found and disabled:
                conn.execute(_DELETE_SESSIONS, {"rep": rep_id})
            return found

        if not await self.write(change):
            raise LookupError(f"no rep with id {rep_id}")

    async def rep_loads(self: SqlAccess) -> list[RepLoad]:
        """Enabled reps with their claimed hand-offs and when they were last offered a lead."""
        rows = await self.read(lambda conn: conn.execute(_SELECT_LOADS).all())
        return [
            RepLoad(
                r.id,
                r.name,
                r.team,
                cast(Presence, r.presence),
                r.capacity,
                r.active,
                r.last_assigned_at,
                r.last_seen_at,
            )
            for r in rows
        ]
