"""Dates that ended a day or more before today are skipped before their modifiers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.extract.timeline import extract_timeline

_NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "after October '26",
        "from October '26",
        "by October '26",
        "before October '26",
        "early March '26",
        "by the end of October '26",
        "starting October '26",
        "October '26 end",
        "after 20/11/26",
        "by 20/11/26",
    ],
)
def test_a_date_a_day_past_stays_past(text: str) -> None:
    assert extract_timeline(text, _NOW, True) is None


def test_after_a_date_ending_today_is_a_timeline() -> None:
    # 21/11/26 ends at the start of today: "after" it starts today, which is not past.
    found = extract_timeline("after 21/11/26", _NOW, True)
    assert found is not None
    assert found.value.start == datetime(2026, 11, 22, tzinfo=UTC)
    assert found.value.end is None
