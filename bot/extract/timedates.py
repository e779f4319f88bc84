"""Day arithmetic of the timeline extractor: ``common``'s, without keyword ``replace``.

``datetime.replace`` with keywords costs about 1.3 µs here and the positional constructor
about 0.3 µs; a date reading makes some ten datetimes. For a plain ``datetime`` with ``fold``
0, ``datetime(y, m, d, ..., tzinfo)`` is the very value ``replace`` returns (same fields, same
tzinfo object, fold 0), and it raises ValueError on the same invalid dates. A subclass (which
``replace`` keeps) or ``fold`` 1 takes ``common``'s functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.extract import common

ONE_DAY = timedelta(days=1)
TWO_DAYS = timedelta(days=2)
ONE_WEEK = timedelta(days=7)
# Days of each month in a common year; February of a leap year has 29.
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s date, keeping its tzinfo (``common.start_of_day``)."""
    if type(now) is datetime and not now.fold:
        return datetime(now.year, now.month, now.day, 0, 0, 0, 0, now.tzinfo)
    return common.start_of_day(now)


def day(now: datetime, year: int, month: int, dom: int = 1) -> datetime:
    """Midnight of a calendar date in ``now``'s timezone (``common.day``)."""
    if type(now) is datetime and not now.fold:
        year += (month - 1) // 12
        return datetime(year, (month - 1) % 12 + 1, dom, 0, 0, 0, 0, now.tzinfo)
    return common.day(now, year, month, dom)


def add_months(moment: datetime, months: int) -> datetime:
    """Shift by whole months, clamping the day (``common.add_months``).

    ``common`` tries the day, then 30, 29 and 28: the first that exists is the smaller of the
    day and the month's length. A year out of range raises ValueError there and here.
    """
    if type(moment) is not datetime or moment.fold:
        return common.add_months(moment, months)
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    length = _MONTH_DAYS[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        length = 29
    m = moment
    dom = m.day if m.day <= length else length
    return datetime(year, month, dom, m.hour, m.minute, m.second, m.microsecond, m.tzinfo)
