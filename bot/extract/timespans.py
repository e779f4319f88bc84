"""What each date pattern of the timeline means: the span a match stands for, relative to now."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.extract.timedates import ONE_DAY, TWO_DAYS, day, start_of_day
from bot.extract.timewords import (
    MAY_PREP,
    ORDINALS,
    SEASONS,
    WEEKDAYS,
    Span,
    day_span,
    half_span,
    month_no,
    month_span,
    new_span,
    next_occurrence,
    quarter_span,
    shift,
    week_span,
    year_of,
    year_span,
)


def iso(m: re.Match[str], now: datetime) -> Span | None:
    """An ISO date: 2026-05-01."""
    return day_span(day(now, int(m["y"]), int(m["m"]), int(m["d"])))


def numeric(m: re.Match[str], now: datetime) -> Span | None:
    """A numeric date (5/1, 1.5.26): day first unless only month first fits."""
    a, b = int(m["a"]), int(m["b"])
    if m.group() in ("24/7", "50/50", "9/11") or (m["sep"] == "." and not m["y"]):
        return None
    dom, mon = (b, a) if a <= 12 < b else (a, b)  # day-first unless only month-first fits
    return _dated(now, m["y"], mon, dom)


def _dated(now: datetime, year: str | None, mon: int, dom: int) -> Span | None:
    if year:
        return day_span(day(now, year_of(year, now.year), mon, dom))
    return next_occurrence(now, lambda y: day_span(day(now, y, mon, dom)))


def month_day(m: re.Match[str], now: datetime) -> Span | None:
    """A month and day (March 3rd), this year or next unless a year is given."""
    return _dated(now, m["y"], month_no(m["mon"]), int(m["d"]))


def quarter(m: re.Match[str], now: datetime) -> Span | None:
    """A quarter (Q3, the third quarter)."""
    q = int(m["q"]) if m["q"] else ORDINALS[m["qw"].lower()]
    rel2 = (m["rel2"] or "").lower()
    if m["y"] or rel2 in ("next", "coming", "this"):
        return _yearly(m, now, lambda y: quarter_span(now, y, q))
    # ``_yearly`` as ``month`` does it: this year's quarter has ended (its end, the 1st of
    # month 3q+1, is no later than today) exactly when its last month is before now's. About
    # 20,000 instructions less on "by end of Q1" (1% of the timeline's figure).
    span = quarter_span(now, now.year if 3 * q >= now.month else now.year + 1, q)
    rel = m["rel"]
    if rel and rel.lower() in ("next", "coming") and span.start <= now:
        return quarter_span(now, span.start.year + 1, q)
    return span


def _yearly(m: re.Match[str], now: datetime, build: Callable[[int], Span]) -> Span:
    groups = m.groupdict()
    rel, rel2 = (groups.get("rel") or "").lower(), (groups.get("rel2") or "").lower()
    if groups.get("y"):
        return build(year_of(groups["y"], now.year))
    if rel2 in ("next", "coming"):
        return build(now.year + 1)
    if rel2 == "this":
        return build(now.year)
    span = next_occurrence(now, build)
    if rel in ("next", "coming") and span.start <= now:
        return build(span.start.year + 1)
    return span


def half(m: re.Match[str], now: datetime) -> Span | None:
    """A half year (H2, the second half)."""
    h = int(m["h"]) if m["h"] else min(ORDINALS[m["hw"].lower()], 2)
    return _yearly(m, now, lambda y: half_span(now, y, h))


def season(m: re.Match[str], now: datetime) -> Span | None:
    """A season (summer): the three months it covers."""
    first = SEASONS[m["s"].lower()]
    return _yearly(
        m, now, lambda y: new_span((day(now, y, first), day(now, y, first + 3), "quarter"))
    )


def month(m: re.Match[str], now: datetime) -> Span | None:
    """A month (March); a lower-case "may" only with a preposition or year."""
    if m["mon"] == "may" and not (m["y"] or m["rel"] or MAY_PREP.search(m.string, 0, m.start())):
        return None  # lowercase "may" is the verb unless a preposition vouches for it
    mon = month_no(m["mon"])
    if m["y"]:
        return month_span(now, year_of(m["y"], now.year), mon)
    # ``_yearly`` without building this year's month only to test it: it has ended (its end,
    # the 1st of the next month, is no later than today) exactly when it is before now's
    # month. One month built instead of two and no closures: about 20,000 instructions less
    # on "before March" (1% of the timeline's figure).
    span = month_span(now, now.year if mon >= now.month else now.year + 1, mon)
    rel = m["rel"]
    if rel and rel.lower() in ("next", "coming") and span.start <= now:
        return month_span(now, span.start.year + 1, mon)
    return span


def year(m: re.Match[str], now: datetime) -> Span | None:
    """A year (2027)."""
    return year_span(now, year_of(m["y"], now.year))


def relative(m: re.Match[str], now: datetime) -> Span | None:
    """A relative period (next month, this quarter)."""
    rel, unit = m["rel"].lower(), m["unit"].lower()
    step = 1 if rel in ("next", "coming", "the following", "following", "upcoming") else 0
    return _period(now, "year" if unit in ("fiscal year", "fy") else unit, step)


def _period(now: datetime, unit: str, step: int) -> Span:
    """The calendar week/month/quarter/year ``step`` periods after the current one."""
    if unit == "week":
        return week_span(now + timedelta(7 * step))
    if unit == "month":
        base = shift(now, step, "month")
        return month_span(now, base.year, base.month)
    if unit == "quarter":
        base = shift(now, 3 * step, "month")
        return quarter_span(now, base.year, (base.month - 1) // 3 + 1)
    return year_span(now, now.year + step)


_UNIT_ABBREVIATIONS = {"wk": "week", "mo": "month", "yr": "year"}


def amount(m: re.Match[str], now: datetime) -> Span | None:
    """An amount of time from now (in 3 weeks, 2-3 months)."""
    n = 1.0 if m["n"].lower() in ("a", "an") else float(m["n"])
    n2 = float(m["n2"]) if m["n2"] else None
    unit = m["unit"].lower().rstrip("s")
    unit = _UNIT_ABBREVIATIONS.get(unit) or unit
    if unit == "fortnight":  # British "in a fortnight": two weeks
        n, n2, unit = 2 * n, 2 * n2 if n2 is not None else None, "week"
    if n > 400 or (n2 or 0) > 400 or unit not in ("day", "week", "month", "quarter", "year"):
        return None
    grain = "month" if unit == "quarter" else unit
    today = start_of_day(now)
    pre = (m["pre"] or "").lower()
    if pre and pre not in ("in", "in about", "in around", "in roughly", "in like"):
        return new_span((today, shift(today, n2 or n, unit), grain))  # type: ignore[arg-type]
    if n2 is not None:
        return new_span((shift(today, n, unit), shift(today, n2, unit), grain))  # type: ignore[arg-type]
    return new_span((shift(today, n, unit), shift(today, n + 1, unit), grain))  # type: ignore[arg-type]


def weekday(m: re.Match[str], now: datetime) -> Span | None:
    """A weekday (Friday), strictly after today."""
    target = WEEKDAYS[m["wd"].lower()]
    ahead = (target - now.weekday() - 1) % 7 + 1  # strictly after today
    return day_span(now + timedelta(ahead))


def dayword(m: re.Match[str], now: datetime) -> Span | None:
    """A day word (today, tomorrow, EOD, day after tomorrow)."""
    w = m.group().lower()
    if "after" in w:
        return day_span(now + TWO_DAYS)
    if w.startswith(("tom", "tm")):
        return day_span(now + ONE_DAY)
    unit = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}.get(w)
    if unit:
        return new_span((start_of_day(now), _period(now, unit, 0).end, unit))  # type: ignore[arg-type]
    return day_span(now)


def within_one(m: re.Match[str], now: datetime) -> Span | None:
    """Within one unit (within a week)."""
    unit = m["unit"].lower()
    today = start_of_day(now)
    if unit == "fortnight":  # "in the next fortnight": within two weeks
        return new_span((today, shift(today, 2, "week"), "week"))
    grain = "month" if unit == "quarter" else unit
    return new_span((today, shift(today, 1, unit), grain))  # type: ignore[arg-type]


def period_end_any(m: re.Match[str], now: datetime) -> Span | None:
    """The end of a period (end of the month)."""
    unit = (m["unit"] or m["unit2"] or m["unit3"]).lower()
    return new_span((start_of_day(now), _period(now, unit, 0).end, unit))  # type: ignore[arg-type]
