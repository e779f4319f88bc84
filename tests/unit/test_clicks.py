"""A button's label read once per day (bot/clicks.py) equals reading it afresh at each click."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.clicks import LabelReadings, read_label
from bot.extract import EXTRACTORS
from bot.extract.types import Extracted
from bot.understand import Reading, read_click, to_json
from flows import load_flow
from flows.schema import QuickReplySpec

FLOW = load_flow()
TIMELINE = EXTRACTORS["timeline"]
# The flow's labels, and labels that take every kind of timeline reading: days after today,
# weekdays, ends of periods, next periods, amounts of time, named months, quarters and years.
LABELS = (
    *(button.label for _, button in FLOW.buttons.values() if button.means is None),
    "Today", "Tomorrow", "Day after tomorrow", "EOD", "EOW", "EOM", "EOQ", "EOY",
    "Next Friday", "Monday", "This week", "Next week", "By end of month", "End of the quarter",
    "Next month", "This quarter", "Next quarter", "Q1", "Q4", "Next Q1", "H2", "This year",
    "Next year", "March", "Next March", "December", "In 2 weeks", "In 3 days", "2-3 months",
    "Within a week", "Within a fortnight", "Within a quarter", "In a year", "By March 1st",
    "Before 2027-03-01", "By 12/31", "Summer", "Next spring", "Not for a while", "Soon",
)  # fmt: skip
# Fixed offsets either side of UTC, and zones whose clocks change (Lord Howe by half an hour).
ZONES = (
    UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11)),
    ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"),
)  # fmt: skip
# Times of day: the first and last instants, noon, and one the clocks change around.
TIMES = (time(0), time(1, 30), time(12), time(23, 59, 59, 999999))


def _days() -> list[datetime]:
    """Month ends and starts of 2027-2029 (quarters, years, a leap day), and other days."""
    days = set()
    for year in (2027, 2028, 2029):
        for month in range(1, 13):
            first = datetime(year, month, 1)
            days |= {first + timedelta(days=shift) for shift in (-1, 0)}
    rng = random.Random(7)
    days |= {datetime(2023, 1, 1) + timedelta(days=rng.randrange(2600)) for _ in range(12)}
    return sorted(days)


def _seen(result: Extracted[Any] | None) -> tuple[Any, ...] | None:
    """What a click reads of an extraction (its JSON shape, confidence and span)."""
    return None if result is None else (to_json(result.value), result.confidence, result.span)


def test_a_label_reads_the_same_at_every_time_of_its_day() -> None:
    # The premise of keeping one reading per day: it depends on the day, zone and fold only.
    days = _days()
    for label in LABELS:
        for zone in ZONES:
            for day in days:
                nows = [datetime.combine(day.date(), at, zone) for at in TIMES]
                nows.append(nows[1].replace(fold=1))  # (an ambiguous 01:30 in some zones)
                first = _seen(read_label(TIMELINE, label, nows[0]))
                for now in nows[1:]:
                    if now.fold == nows[0].fold:
                        assert _seen(read_label(TIMELINE, label, now)) == first, (label, now)


def _button(label: str, value: str = "b") -> QuickReplySpec:
    return QuickReplySpec(label=label, value=value)


def test_kept_readings_equal_fresh_ones_in_any_order_of_clicks() -> None:
    values = {label: f"b{index}" for index, label in enumerate(LABELS)}
    buttons = {values[label]: ("timeline", _button(label, values[label])) for label in LABELS}
    kept = LabelReadings({"timeline": TIMELINE}, buttons)
    rng = random.Random(11)
    days = _days()
    for _ in range(1000):
        now = datetime.combine(rng.choice(days).date(), rng.choice(TIMES), rng.choice(ZONES))
        if rng.random() < 0.1:
            now = now.replace(fold=1)
        for label in rng.sample(LABELS, 3):
            # A click or two a day on each of few buttons: kept hits and misses alike.
            for _ in range(rng.randint(1, 2)):
                fresh = read_label(TIMELINE, label, now)
                assert kept.read(values[label], now) == fresh, (label, now)


def test_a_reading_is_kept_per_day_zone_and_fold() -> None:
    calls: list[datetime] = []

    def counting(text: str, now: datetime, asked: bool = False) -> Extracted[str] | None:
        calls.append(now)
        return Extracted(f"{text} {now.date()}", 1.0, text)

    kept = LabelReadings({"slot": counting}, {"b": ("slot", _button("Soon"))})
    morning = datetime(2028, 2, 29, 8, tzinfo=UTC)
    assert kept.read("b", morning) == Extracted("Soon 2028-02-29", 1.0, "Soon")
    assert kept.read("b", morning.replace(hour=23)) == Extracted("Soon 2028-02-29", 1.0, "Soon")
    assert len(calls) == 1
    kept.read("b", morning + timedelta(days=1))  # the next day
    kept.read("b", morning.replace(tzinfo=timezone(timedelta(0))))  # an equal zone, not the same
    kept.read("b", morning.replace(fold=1))

    class Later(datetime):
        pass

    later = Later(2028, 2, 29, 8, tzinfo=UTC)
    kept.read("b", later)
    kept.read("b", later)  # a subclass is never kept
    assert len(calls) == 6


def test_read_click_reads_a_label_at_each_day() -> None:
    value = next(v for v, (_, b) in FLOW.buttons.items() if b.label == "Within 3 months")
    for now in (datetime(2026, 11, 22, 10, tzinfo=UTC), datetime(2028, 2, 29, 23, tzinfo=UTC)):
        reading = read_click(FLOW, value, now)
        result = TIMELINE("Within 3 months", now, True)
        assert result is not None
        assert reading == Reading(
            "timeline", to_json(result.value), 1.0, "Within 3 months", "quick_reply"
        )
