"""The slice of SqlStore that the rep, desk, session and card mixins run statements through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")


class SqlAccess(Protocol):
    """Read and write transactions, as ``SqlStore`` provides them.

    The mixins (``storage.reps``, ``storage.desk``, ``storage.sessions``, ``storage.cards``)
    take it as their self type rather than a backend, so their writes queue on SqlStore's
    SQLite lock like a unit's: a second ``BEGIN IMMEDIATE`` on the one SQLite thread would
    otherwise wait on a unit that cannot move until the thread is free.
    """

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on a read connection."""
        ...

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` in its own write transaction."""
        ...
