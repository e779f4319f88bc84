"""Column types and field helpers the tables share: UTC times, ids, references, JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Dialect, ForeignKey, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

# BIGINT ids on PostgreSQL (messages and evidence grow without bound); plain INTEGER on SQLite,
# where only ``INTEGER PRIMARY KEY`` is the auto-incrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (binary, compact, indexable); JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out, on every backend.

    SQLite has no timezone type: SQLAlchemy stores a naive string and hands back a naive
    datetime. This decorator stores UTC (naive on SQLite, ``timestamptz`` on PostgreSQL) and
    always returns an aware UTC value, so ``Evidence.at`` and the timers compare correctly.
    Naive input is refused rather than guessed at: the Clock port promises aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalize to UTC; drop the tzinfo on SQLite so stored strings sort chronologically."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the driver gave."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def id_field() -> Any:
    """An auto-incrementing primary key (BIGINT on PostgreSQL)."""
    return Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))


def fk_field(target: str, *, index: bool = False) -> Any:
    """A required reference to ``target``; its rows go when the target row goes."""
    return Field(
        sa_column=Column(BigId, ForeignKey(target, ondelete="CASCADE"), nullable=False, index=index)
    )


def time_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware UTC time (``UTCDateTime``)."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def rep_fk_field(name: str, *, index: bool = False) -> Any:
    """An optional, named reference to a rep."""
    # Named, so migration 0002 can add it to an existing table (SQLite batch mode needs a name).
    # SET NULL: reps are disabled, not deleted, but a deleted one must not take history along.
    fk = ForeignKey("reps.id", name=name, ondelete="SET NULL")
    return Field(default=None, sa_column=Column(BigId, fk, nullable=True, index=index))


def json_field(*, nullable: bool = True) -> Any:
    """JSON (JSONB on PostgreSQL)."""
    return Field(default=None, sa_column=Column(Json, nullable=nullable))
