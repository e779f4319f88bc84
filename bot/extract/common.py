"""Shared plumbing for extractors: input cleaning, the never-raise guard, and day arithmetic.

Fast matching of patterns over the message under way (``Folded``, ``Message``) lives in
``bot/extract/folded.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.extract.types import Extracted

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class TypedExtractor(Protocol[T_co]):
    """An ``Extractor`` that states the type of value it returns."""

    def __call__(self, text: str, now: datetime, asked: bool = False) -> Extracted[T_co] | None:
        """Extract a value from ``text`` relative to ``now``."""
        ...


# Chat messages are short; anything past this is pasted noise. Capping keeps every regex linear
# on a bounded input, so a 20,000-character paste costs the same as a long paragraph.
MAX_CHARS = 2000

# C0/C1 control characters (except tab and newline) become spaces one-for-one, so offsets into the
# cleaned text are offsets into the original.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def clean(text: str) -> str:
    """Return ``text`` capped at ``MAX_CHARS`` with control characters blanked (same offsets)."""
    text = text[:MAX_CHARS]
    if text.isascii() and text.isprintable():
        # Nothing to blank: every extractor call cleans, and most text is plain ASCII.
        return text
    return _CONTROL.sub(" ", text)


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and trim.

    ``str.split()`` splits on exactly the characters the regex whitespace class matches
    (``str.isspace``, checked over every code point), so this equals substituting runs of
    whitespace and stripping, several times faster.
    """
    return " ".join(text.split())


def guarded(
    fn: Callable[[str, datetime, bool], Extracted[T] | None],
) -> TypedExtractor[T]:
    """Wrap an extractor so it never raises and rejects non-string or empty input.

    Args:
        fn: The raw extractor, which receives already-cleaned text.

    Returns:
        An extractor with the public signature ``(text, now, asked=False)``.
    """

    @functools.wraps(fn)
    def wrapper(text: str, now: datetime, asked: bool = False) -> Extracted[T] | None:
        if not isinstance(text, str) or not isinstance(now, datetime):
            return None
        cleaned = clean(text)
        if not cleaned.strip():
            return None
        try:
            return fn(cleaned, now, bool(asked))
        except Exception:  # the contract is "never raises": a parse bug must not kill a chat
            return None

    # ``read_text`` checks and cleans once per message and calls ``fn`` itself (bot/readers.py).
    setattr(wrapper, RAW_ATTRIBUTE, fn)  # a function attribute: mypy refuses plain assignment
    return wrapper


RAW_ATTRIBUTE = "_guarded_raw"


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s date, keeping its tzinfo."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def day(now: datetime, year: int, month: int, dom: int = 1) -> datetime:
    """Midnight of a calendar date in ``now``'s timezone; overflowing months roll into years."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return now.replace(year=year, month=month, day=dom, hour=0, minute=0, second=0, microsecond=0)


def add_months(moment: datetime, months: int) -> datetime:
    """Shift by whole months, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    for dom in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=dom)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=28)


def add_days(moment: datetime, days: float) -> datetime:
    """Shift by calendar days (wall-clock), keeping the offset of ``moment``."""
    return moment + timedelta(days=days)


# The floats of two places in 0..1, each its own clamped and rounded value: a confidence is nearly
# always one of them, and a lookup is a tenth of ``round(x, 2)`` (which formats the float).
_TWO_PLACES = {k / 100: k / 100 for k in range(101)}


def clamp01(value: float) -> float:
    """Clamp a confidence into 0..1, rounded to two places."""
    if type(value) is float:  # an int or a Fraction equal to a key rounds to its own type
        exact = _TWO_PLACES.get(value)  # the stored 0.0 for -0.0, as ``max(0.0, -0.0)`` gives
        if exact is not None:
            return exact
    return round(max(0.0, min(1.0, value)), 2)
