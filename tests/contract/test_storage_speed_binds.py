"""The SQLite path's binding and formatting shortcuts against the calls they replace."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import storage.sqlite_turn  # noqa: F401  (registers the None adapter)
from bot.state import Evidence
from storage.codec import evidence_to_json, utc, utc_isoformat

_KEY = (type(None), sqlite3.PrepareProtocol)


@contextmanager
def _without_none_adapter() -> Iterator[None]:
    adapter = sqlite3.adapters.pop(_KEY)
    try:
        yield
    finally:
        sqlite3.adapters[_KEY] = adapter


def _round_trip(params: tuple[Any, ...]) -> list[Any]:
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE t (a, b INTEGER, c TEXT, d REAL)")
        db.execute("INSERT INTO t VALUES (?,?,?,?)", params)
        row = db.execute("SELECT a, b, c, d, typeof(a), typeof(b), typeof(c), typeof(d), "
                         "a IS NULL, b IS NULL FROM t").fetchone()  # fmt: skip
        return [*row, db.execute("SELECT count(*) FROM t WHERE c IS ?", (params[2],)).fetchone()]
    finally:
        db.close()


_PARAMS = [(None, None, None, None), (1, None, "x", 2.5), (None, 3, None, None), (b"b", 1, "", 0.0)]


@pytest.mark.parametrize("params", _PARAMS)
def test_none_binds_as_null_with_or_without_the_adapter(params: tuple[Any, ...]) -> None:
    assert _KEY in sqlite3.adapters
    fast = _round_trip(params)
    with _without_none_adapter():
        slow = _round_trip(params)
    assert fast == slow


_TIMES = [
    datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    datetime(2025, 3, 1, 9, 0, 0, 7, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(2025, 3, 1, 9, 0, 0, 120, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2025, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("at", _TIMES)
def test_utc_isoformat_is_utc_then_isoformat(at: datetime) -> None:
    assert utc_isoformat(at) == utc(at).isoformat()
    assert utc_isoformat(at) == utc(at).isoformat()  # the kept last one, too


def test_utc_isoformat_alternating_and_naive_times() -> None:
    for at in [*_TIMES, *reversed(_TIMES)]:
        assert utc_isoformat(at) == utc(at).isoformat()
    with pytest.raises(ValueError, match="naive"):
        utc_isoformat(datetime(2025, 3, 1, 9, 0))  # refused, as utc() refuses it


def test_evidence_json_time_reads_back() -> None:
    at = datetime(2025, 3, 1, 9, 0, 0, 5, tzinfo=UTC)
    entry = evidence_to_json(Evidence("budget", "answer", 5, "5", "budget", 0.9, None, at))
    assert entry["at"] == at.isoformat()
    assert datetime.fromisoformat(entry["at"]) == at
