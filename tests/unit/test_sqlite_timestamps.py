"""SQLite's hot path writes datetimes as ``UTCDateTime`` does (storage/sqlite_turn.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.sqlite_turn import ts


@pytest.mark.parametrize(
    "at",
    [
        datetime(2025, 3, 1, 9, 0, tzinfo=UTC),  # no microseconds: still written
        datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits: padded
        datetime(2025, 3, 1, 0, 30, 0, 12, tzinfo=timezone(timedelta(hours=2))),  # to UTC
        datetime(2024, 2, 29, 23, 0, 0, 500_000, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_datetime_is_written_as_naive_utc_with_microseconds(at: datetime) -> None:
    assert ts(at) == at.astimezone(UTC).isoformat(" ", "microseconds")[:-6]
    assert ts(at) == ts(at)  # the kept conversion gives the same text


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ts(datetime(2025, 3, 1, 9, 0))
