"""Time as a port, so SLAs and idle timers are testable with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time; the service never calls ``datetime.now`` directly."""

    def now(self) -> datetime:
        """Current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: the test double and the simulator's clock."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        """The set time."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._at += delta

    def set(self, at: datetime) -> None:
        """Jump to ``at``."""
        self._at = at
