"""Date patterns of the timeline extractor, each with the handler that turns it into a span."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.extract.common import day, start_of_day
from bot.extract.timewords import (
    MAY_PREP,
    MONTH,
    ORDINALS,
    SEASONS,
    WEEKDAYS,
    Span,
    day_span,
    half_span,
    month_no,
    month_span,
    next_occurrence,
    quarter_span,
    shift,
    week_span,
    year_of,
    year_span,
)

_I = re.IGNORECASE
Handler = Callable[[re.Match[str], datetime], Span | None]


class Rule(NamedTuple):
    """A date pattern, how to read it, and whether it needs a preposition when not asked."""

    pattern: re.Pattern[str]
    handler: Handler
    needs_cue: bool  # without ``asked``, only counts after a preposition ("in March")
    confidence: float


def _iso(m: re.Match[str], now: datetime) -> Span | None:
    return day_span(day(now, int(m["y"]), int(m["m"]), int(m["d"])))


def _numeric(m: re.Match[str], now: datetime) -> Span | None:
    a, b = int(m["a"]), int(m["b"])
    if m.group() in ("24/7", "50/50", "9/11") or (m["sep"] == "." and not m["y"]):
        return None
    dom, mon = (b, a) if a <= 12 < b else (a, b)  # day-first unless only month-first fits
    return _dated(now, m["y"], mon, dom)


def _dated(now: datetime, year: str | None, mon: int, dom: int) -> Span | None:
    if year:
        return day_span(day(now, year_of(year, now.year), mon, dom))
    return next_occurrence(now, lambda y: day_span(day(now, y, mon, dom)))


def _month_day(m: re.Match[str], now: datetime) -> Span | None:
    return _dated(now, m["y"], month_no(m["mon"]), int(m["d"]))


def _quarter(m: re.Match[str], now: datetime) -> Span | None:
    q = int(m["q"]) if m["q"] else ORDINALS[m["qw"].lower()]
    return _yearly(m, now, lambda y: quarter_span(now, y, q))


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


def _half(m: re.Match[str], now: datetime) -> Span | None:
    h = int(m["h"]) if m["h"] else min(ORDINALS[m["hw"].lower()], 2)
    return _yearly(m, now, lambda y: half_span(now, y, h))


def _season(m: re.Match[str], now: datetime) -> Span | None:
    first = SEASONS[m["s"].lower()]
    return _yearly(m, now, lambda y: Span(day(now, y, first), day(now, y, first + 3), "quarter"))


def _month(m: re.Match[str], now: datetime) -> Span | None:
    if m["mon"] == "may" and not (m["y"] or m["rel"] or MAY_PREP.search(m.string, 0, m.start())):
        return None  # lowercase "may" is the verb unless a preposition vouches for it
    mon = month_no(m["mon"])
    return _yearly(m, now, lambda y: month_span(now, y, mon))


def _year(m: re.Match[str], now: datetime) -> Span | None:
    return year_span(now, year_of(m["y"], now.year))


def _relative(m: re.Match[str], now: datetime) -> Span | None:
    rel, unit = m["rel"].lower(), m["unit"].lower()
    step = 1 if rel in ("next", "coming", "the following", "following", "upcoming") else 0
    return _period(now, "year" if unit in ("fiscal year", "fy") else unit, step)


def _period(now: datetime, unit: str, step: int) -> Span:
    """The calendar week/month/quarter/year ``step`` periods after the current one."""
    if unit == "week":
        return week_span(now + timedelta(days=7 * step))
    if unit == "month":
        base = shift(now, step, "month")
        return month_span(now, base.year, base.month)
    if unit == "quarter":
        base = shift(now, 3 * step, "month")
        return quarter_span(now, base.year, (base.month - 1) // 3 + 1)
    return year_span(now, now.year + step)


def _amount(m: re.Match[str], now: datetime) -> Span | None:
    n = 1.0 if m["n"].lower() in ("a", "an") else float(m["n"])
    n2 = float(m["n2"]) if m["n2"] else None
    unit = {"wk": "week", "mo": "month", "yr": "year"}.get(m["unit"].lower().rstrip("s"))
    unit = unit or m["unit"].lower().rstrip("s")
    if unit == "fortnight":  # British "in a fortnight": two weeks
        n, n2, unit = 2 * n, 2 * n2 if n2 is not None else None, "week"
    if n > 400 or (n2 or 0) > 400 or unit not in ("day", "week", "month", "quarter", "year"):
        return None
    grain = "month" if unit == "quarter" else unit
    today = start_of_day(now)
    pre = (m["pre"] or "").lower()
    if pre and pre not in ("in", "in about", "in around", "in roughly", "in like"):
        return Span(today, shift(today, n2 or n, unit), grain)  # type: ignore[arg-type]
    if n2 is not None:
        return Span(shift(today, n, unit), shift(today, n2, unit), grain)  # type: ignore[arg-type]
    return Span(shift(today, n, unit), shift(today, n + 1, unit), grain)  # type: ignore[arg-type]


def _weekday(m: re.Match[str], now: datetime) -> Span | None:
    target = WEEKDAYS[m["wd"].lower()]
    ahead = (target - now.weekday() - 1) % 7 + 1  # strictly after today
    return day_span(now + timedelta(days=ahead))


def _dayword(m: re.Match[str], now: datetime) -> Span | None:
    w = m.group().lower()
    if "after" in w:
        return day_span(now + timedelta(days=2))
    if w.startswith(("tom", "tm")):
        return day_span(now + timedelta(days=1))
    unit = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}.get(w)
    if unit:
        return Span(start_of_day(now), _period(now, unit, 0).end, unit)  # type: ignore[arg-type]
    return day_span(now)


def _within_one(m: re.Match[str], now: datetime) -> Span | None:
    unit = m["unit"].lower()
    today = start_of_day(now)
    if unit == "fortnight":  # "in the next fortnight": within two weeks
        return Span(today, shift(today, 2, "week"), "week")
    grain = "month" if unit == "quarter" else unit
    return Span(today, shift(today, 1, unit), grain)  # type: ignore[arg-type]


def _period_end_any(m: re.Match[str], now: datetime) -> Span | None:
    unit = (m["unit"] or m["unit2"] or m["unit3"]).lower()
    return Span(start_of_day(now), _period(now, unit, 0).end, unit)  # type: ignore[arg-type]


# Never start inside a figure: on a long run of digits that would make the scan quadratic.
_NUM = r"(?P<n>(?<![\d.])\d+(?:\.\d+)?|an?)"
RULES: tuple[Rule, ...] = (
    Rule(re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"), _iso, False, 0.95),
    Rule(
        re.compile(
            r"(?<![\d/.,$€£])(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)"
            r"(?:[/.](?P<y>(?:20)?\d\d))?(?![\d/%.,]|\s?k\b)"
        ),
        _numeric,
        False,
        0.9,
    ),
    Rule(
        re.compile(
            rf"\b{MONTH}\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?!\s*(?:%|k\b|[:,.]\d))"
            rf"(?:,?\s*(?P<y>20\d\d))?",
            _I,
        ),
        _month_day,
        False,
        0.95,
    ),
    Rule(
        re.compile(
            rf"\b(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s*(?P<y>20\d\d))?",
            _I,
        ),
        _month_day,
        False,
        0.95,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>next|this|coming) )?(?:q(?P<q>[1-4])|(?P<qw>first|1st|second|2nd|third|"
            r"3rd|fourth|4th|last) quarter)(?:\s*(?:of\s*)?(?:fy\s*)?'?(?P<y>20\d\d|\d\d)\b|"
            r"\s+(?:of\s+)?(?:the\s+)?(?P<rel2>next|this|coming) (?:fiscal )?year)?",
            _I,
        ),
        _quarter,
        False,
        0.9,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>next|this|coming) )?(?:h(?P<h>[12])\b|(?P<hw>first|second|1st|2nd|back|"
            r"latter) half)(?:\s*(?:of\s*)?'?(?P<y>20\d\d|\d\d)\b|\s+(?:of\s+)?(?:the\s+)?"
            r"(?P<rel2>next|this) year|\s+of\s+the\s+year)?",
            _I,
        ),
        _half,
        False,
        0.85,
    ),
    Rule(
        re.compile(
            r"\b(?:(?P<rel>this|next|coming) )?(?P<s>spring|summer|fall|autumn|winter)"
            r"(?:\s+(?:of\s+)?(?P<y>20\d\d))?\b",
            _I,
        ),
        _season,
        True,
        0.75,
    ),
    Rule(
        re.compile(r"\b(?:eod|eow|eom|eoq|eoy|today|tonight|tomorrow|tmrw|day after tomorrow)\b",
                   _I),
        _dayword,
        False,
        0.9,
    ),
    Rule(
        re.compile(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>week|month|quarter|year)|"
            r"(?P<unit2>week|month|quarter|year)[\s-]end|(?:within|during) (?:the|this) "
            r"(?P<unit3>week|month|quarter|year))\b(?!\s+(?:of|20\d\d))",
            _I,
        ),
        lambda m, now: _period_end_any(m, now),
        False,
        0.85,
    ),
    Rule(
        re.compile(
            r"\b(?:within (?:the )?|(?:(?:in|over|during) )?(?:the )?(?=(?:next|coming) fortnight))"
            r"(?:next|coming) (?P<unit>day|week|month|quarter|year|fortnight)\b",
            _I,
        ),
        lambda m, now: _within_one(m, now),
        False,
        0.85,
    ),
    Rule(
        re.compile(
            r"\b(?P<rel>next|this|coming|the following|following|current|upcoming)\s+"
            r"(?P<unit>week|month|quarter|fiscal year|year|fy)\b",
            _I,
        ),
        _relative,
        False,
        0.9,
    ),
    Rule(
        re.compile(
            rf"(?:\b(?P<pre>in|within|in the next|over the next|during the next|the next|next|"
            rf"inside(?: of)?|in about|in around|in roughly|in like|under|less than)\s+)?"
            rf"(?:(?:about|around|roughly|approx(?:imately)?|like|maybe|~)\s*)?{_NUM}"
            rf"(?:\s*(?:-|–|to|or)\s*(?P<n2>\d+))?\s*(?P<unit>days?|weeks?|wks?|fortnights?|months?|mos?|"
            rf"quarters?|years?|yrs?)\b(?:\s+or\s+(?P<n3>\d+))?(?P<post>\s+(?:from now|out|away|"
            rf"from today|time))?",
            _I,
        ),
        _amount,
        True,
        0.85,
    ),
    Rule(
        re.compile(rf"\b(?:(?P<rel>next|this|coming|on)\s+)?(?P<wd>{'|'.join(WEEKDAYS)})\b", _I),
        _weekday,
        True,
        0.85,
    ),
    Rule(
        re.compile(
            rf"\b(?:(?P<rel>next|this|coming)\s+)?{MONTH}(?:\s*(?:of\s*)?,?\s*'?(?P<y>20\d\d|\d\d)"
            rf"(?![\d%:]))?",
            _I,
        ),
        _month,
        True,
        0.85,
    ),
    Rule(
        re.compile(
            r"\b(?:fy\s?'?)?(?P<y>20[2-9]\d|(?<=fy)\d\d|(?<=fy')\d\d|(?<=fy )\d\d)\b"
            r"(?![\d%,.]|\s?(?:k|people|employees))",
            _I,
        ),
        _year,
        True,
        0.8,
    ),
)
