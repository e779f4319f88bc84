"""``bot.isotime.isoformat`` writes UTC times itself: it must equal ``datetime.isoformat``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.events import MessageAdded
from bot.extract.types import Timeline
from bot.isotime import isoformat
from bot.messages import ConversationKey


class _Moment(datetime):
    """A subclass: left to ``datetime.isoformat``."""


def _moments() -> list[datetime]:
    rng = random.Random(7)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), ZoneInfo("America/New_York"), None]
    found = []
    for _ in range(2000):
        moment = datetime(
            rng.choice([1, 999, 1000, 2026, 9999]), rng.randint(1, 12), rng.randint(1, 28),
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
            rng.choice([0, 0, 1, 999_999]), tzinfo=rng.choice(zones),
        )  # fmt: skip
        found.append(moment)
    return found


def test_every_moment_reads_as_datetime_writes_it() -> None:
    for moment in _moments():
        assert isoformat(moment) == moment.isoformat(), moment


def test_a_subclass_keeps_its_own_isoformat() -> None:
    moment = _Moment(2026, 3, 14, 10, 30, tzinfo=UTC)
    assert isoformat(moment) == moment.isoformat()


@pytest.mark.parametrize("offset", [UTC, timezone(timedelta(hours=-7))], ids=["utc", "-07"])
def test_a_timeline_reads_back_to_the_same_moments(offset: timezone) -> None:
    start = datetime(2026, 4, 1, tzinfo=offset)
    shape = Timeline(start, start + timedelta(days=30), "month", "soon").to_json()
    assert datetime.fromisoformat(shape["start"]) == start
    assert shape["end"] == (start + timedelta(days=30)).isoformat()


def test_an_event_writes_its_time_as_datetime_writes_it() -> None:
    key = ConversationKey("widget", "v1")
    for moment in _moments():
        if moment.tzinfo is None:
            continue
        shape = MessageAdded(key, moment, seq=1, author="bot", text="hi").to_json()
        assert shape["at"] == moment.isoformat(), moment
