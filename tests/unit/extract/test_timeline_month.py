"""``timespans.month`` and ``quarter`` pick the year directly: the spans ``_yearly`` gives."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.extract import timespans
from bot.extract.timerules import RULES
from bot.extract.timewords import MAY_PREP, ORDINALS, Span, month_no, month_span, quarter_span


def yearly_month(m: re.Match[str], now: datetime) -> Span | None:
    """``month`` as it was, through the generic ``_yearly``: the reading it shortcuts."""
    if m["mon"] == "may" and not (
        m["y"] or m["rel"] or MAY_PREP.search(m.string, 0, m.start())
    ):
        return None
    mon = month_no(m["mon"])
    return timespans._yearly(m, now, lambda y: month_span(now, y, mon))


def yearly_quarter(m: re.Match[str], now: datetime) -> Span | None:
    """``quarter`` as it was, through the generic ``_yearly``: the reading it shortcuts."""
    q = int(m["q"]) if m["q"] else ORDINALS[m["qw"].lower()]
    return timespans._yearly(m, now, lambda y: quarter_span(now, y, q))


_MONTH_RULE = next(rule for rule in RULES if rule.handler is timespans.month)
_TEXTS = [
    "in January", "by Feb", "before March", "in may", "May 2027", "next April", "coming June",
    "this July", "next December", "coming jan", "Sept '27", "in dec of 2026", "next Nov.",
    "from October", "August", "next March 26", "in November",
]  # fmt: skip
_NOWS = [
    datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),  # the first instant of a month
    datetime(2026, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
    datetime(2027, 6, 15, 8, 30, tzinfo=timezone(timedelta(hours=9))),
]


@pytest.mark.parametrize("text", _TEXTS)
@pytest.mark.parametrize("now", _NOWS)
def test_month_matches_generic_reading(text: str, now: datetime) -> None:
    m = _MONTH_RULE.pattern.search(text)
    assert m is not None
    assert timespans.month(m, now) == yearly_month(m, now)


_QUARTER_RULE = next(rule for rule in RULES if rule.handler is timespans.quarter)
_QUARTERS = [
    "by end of Q1", "q2", "Q3", "in Q4", "next quarter? no: next Q1", "coming Q4", "this Q2",
    "first quarter", "the 3rd quarter", "last quarter", "Q1 2027", "Q2 of FY27",
    "q3 of next year", "Q4 this year", "second quarter of the coming year", "next q4",
]  # fmt: skip


@pytest.mark.parametrize("text", _QUARTERS)
@pytest.mark.parametrize("now", _NOWS)
def test_quarter_matches_generic_reading(text: str, now: datetime) -> None:
    m = _QUARTER_RULE.pattern.search(text)
    assert m is not None
    assert timespans.quarter(m, now) == yearly_quarter(m, now)
