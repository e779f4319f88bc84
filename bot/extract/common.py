"""Shared plumbing for extractors: input cleaning, the never-raise guard, and day arithmetic."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.extract.prefilter import MAX_LITERALS, Heads, required, sure, word_gate, word_heads
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


# Escapes whose meaning does not depend on case-folding, though written in capitals.
_CASE_NEUTRAL_ESCAPES = frozenset("SWDBAZ")
# Named groups ("(?P<mon>", "(?P=mon)") are syntax, not literals: they are skipped.
_ESCAPE_OR_CHAR = re.compile(r"\(\?P[<=]|\\(.)|(.)", re.DOTALL)


def _all_lowercase(pattern: str) -> bool:
    """Whether a pattern's literal letters are all lowercase (escapes such as S and W allowed).

    A cased non-ASCII letter is refused too: ``re`` matches "ſ" with "s" and "ı" with "i"
    case-insensitively, which a case-sensitive run over lowered text would miss.
    """
    for m in _ESCAPE_OR_CHAR.finditer(pattern):
        escaped, char = m.groups()
        if escaped is None and char is None:
            continue
        if escaped is not None and escaped.isupper() and escaped not in _CASE_NEUTRAL_ESCAPES:
            return False
        if char is not None and char.isupper():
            return False
        symbol = escaped or char
        if not symbol.isascii() and symbol.lower() != symbol.upper():
            return False  # "ſ" and "ı" match ASCII letters case-insensitively
    return "(?-i" not in pattern and "(?i" not in pattern


def foldable(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can be wrapped in ``Folded`` (case-insensitive, lowercase literals)."""
    return bool(pattern.flags & re.IGNORECASE) and _all_lowercase(pattern.pattern)


class Folded:
    """A case-insensitive pattern with a fast path for ASCII text.

    Python's ``re`` matches case-insensitively several times slower than exactly. On ASCII
    text, the same all-lowercase pattern compiled without ``IGNORECASE`` and run over
    ``text.lower()`` finds exactly the same matches at the same offsets (lowering ASCII keeps
    length, letters and word boundaries), so yes/no tests and offsets can use it. Matched text
    comes from the exact pattern, and non-ASCII text (where case-folding is subtler: "ſ", the
    Kelvin sign) always takes the exact pattern.
    """

    __slots__ = (
        "_fast_search", "_spaced", "_strings", "_sure_heads", "_sure_strings", "exact", "fast",
        "gate", "needs",
    )  # fmt: skip

    def __init__(self, pattern: re.Pattern[str], most_literals: int = MAX_LITERALS) -> None:
        """Wrap ``pattern``, which must be IGNORECASE with only lowercase literals.

        ``most_literals`` bounds the literal test (see ``prefilter.required``).
        """
        if not foldable(pattern):
            raise ValueError(f"not a lowercase case-insensitive pattern: {pattern.pattern!r}")
        self.exact = pattern
        self.fast = re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)
        # Literals every match contains: most messages lack them all, and testing them is a few
        # substring checks where the fast scan still tries the pattern at every character.
        self.needs = required(pattern, most_literals)
        # ``in_lowered`` runs about sixty times per message: the literal loop is inlined and the
        # bound method kept (one call instead of three, about 0.15 µs each time).
        self._strings = self.needs.strings if self.needs is not None else None
        self._spaced = self.needs is not None and self.needs.spaced
        self._fast_search = self.fast.search
        # Word tokens one of which every match has (``prefilter.word_gate``): tested against
        # the message's ``word_heads`` when the caller has them.
        self.gate = word_gate(pattern)
        # Alternatives that are plain strings or words: finding one proves a match, no scan.
        self._sure_strings, sure_heads = sure(pattern)
        self._sure_heads = sure_heads or None

    def in_lowered(self, lowered: str, heads: Heads | None = None) -> bool:
        """``found`` for ASCII text the caller has already lowered (once per message).

        ``heads`` must be ``word_heads(lowered)`` of this very text (or None): a word of a
        longer text proves nothing about a part of it (see ``may_match`` for that), and a
        substring cut mid-word, or a text rewritten, has word starts the heads lack.
        """
        if heads is not None:
            sure_heads = self._sure_heads
            if sure_heads is not None and not heads.isdisjoint(sure_heads):
                return True  # a word (or a digit) that is a whole alternative
            gate = self.gate
            if gate is not None and heads.isdisjoint(gate):
                return False  # no word of the text starts as every match must
        strings = self._strings
        if strings is not None and (not self._spaced or lowered.isprintable()):
            for string in strings:
                if string in lowered:
                    if string in self._sure_strings:
                        return True  # a whole alternative with no assertion
                    break
            else:
                return False  # none of the literals every match contains
        return self._fast_search(lowered) is not None

    def may_match(self, heads: Heads) -> bool:
        """False when no part of the text ``heads`` were made from can match (word gate).

        Sound for any part of that text cut at word starts (a sentence of a message), unlike
        the sure matches ``in_lowered`` takes from heads.
        """
        return self.gate is None or not heads.isdisjoint(self.gate)

    def found(self, text: str) -> bool:
        """Whether the pattern occurs in ``text`` (``exact.search(text) is not None``)."""
        message = _current
        if message is not None and message.text == text:
            return self.in_lowered(message.lowered, message.heads)
        if text.isascii():
            return self.in_lowered(text.lower())
        return self.exact.search(text) is not None

    def _start(self, lowered: str, heads: Heads | None) -> int:
        r"""``in_lowered`` and where to start the exact scan: -1 when nothing can match.

        Otherwise a position no match starts before: the first fast match's, when the fast scan
        ran, else 0. The exact pattern matches where the fast one does (see the class), so
        scanning from there finds the same first match without scanning the text before it
        twice; ``search(text, pos)`` does not cut the text, so ``\b``, "^" and look-behinds
        still see what precedes ``pos``.
        """
        if heads is not None:
            sure_heads = self._sure_heads
            if sure_heads is not None and not heads.isdisjoint(sure_heads):
                return 0
            gate = self.gate
            if gate is not None and heads.isdisjoint(gate):
                return -1
        strings = self._strings
        if strings is not None and (not self._spaced or lowered.isprintable()):
            for string in strings:
                if string in lowered:
                    if string in self._sure_strings:
                        return 0
                    break
            else:
                return -1
        m = self._fast_search(lowered)
        return -1 if m is None else m.start()

    def search(self, text: str) -> re.Match[str] | None:
        """``exact.search(text)``, skipped when the fast test finds nothing."""
        message = _current
        if message is not None and message.text == text:
            start = self._start(message.lowered, message.heads)
        elif text.isascii():
            start = self._start(text.lower(), None)
        else:
            return self.exact.search(text)
        return None if start < 0 else self.exact.search(text, start)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """``exact.finditer(text)``, skipped when the fast test finds nothing."""
        message = _current
        if message is not None and message.text == text:
            start = self._start(message.lowered, message.heads)
        elif text.isascii():
            start = self._start(text.lower(), None)
        else:
            return self.exact.finditer(text)
        return iter(()) if start < 0 else self.exact.finditer(text, start)


class Prefilter:
    """The cheap "cannot match" tests of ``Folded``, for a pattern it cannot wrap.

    For a pattern without IGNORECASE, say: word gate and required literals, on ASCII text
    lowered, never a scan. Lowering keeps both sound for any pattern: a match's literals,
    lowered, are in the lowered text, and lowering ASCII moves no word boundary.
    """

    __slots__ = ("gate", "needs")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        """Read the tests from ``pattern``."""
        self.gate = word_gate(pattern)
        self.needs = required(pattern)

    def in_lowered(self, lowered: str, heads: Heads | None = None) -> bool:
        """False when ``pattern`` cannot match the ASCII text ``lowered``; True if it may."""
        if heads is not None and self.gate is not None and heads.isdisjoint(self.gate):
            return False
        return self.needs is None or self.needs.present(lowered)


class Message:
    """The message ``read_text`` is reading, prepared once for all extractors of that call.

    ``lowered`` is the cleaned text lowered (ASCII only) and ``heads`` its ``word_heads``.
    """

    __slots__ = ("heads", "lowered", "spelled", "text")

    def __init__(self, cleaned: str) -> None:
        """Prepare ``cleaned`` (ASCII)."""
        self.text = cleaned
        self.lowered = cleaned.lower()
        self.heads = word_heads(self.lowered)
        # ``numbers.spell_out_digits(text)``, made by its first caller (a ``Rewritten``; typed
        # loosely here, as numbers imports this module).
        self.spelled: object | None = None


# The message of the ``read_text`` call under way, or None: set for the length of one call and
# cleared after it, never reused across calls. Read with an equality test on the lowered text,
# so a stale or foreign value can only mean "no heads" (one reference read: thread-safe).
_current: Message | None = None


def begin_message(cleaned: str) -> Message | None:
    """Prepare ``cleaned`` for the extractors about to read it (ASCII text only)."""
    global _current
    _current = Message(cleaned) if cleaned.isascii() else None
    return _current


def end_message() -> None:
    """Forget the message: the next call prepares its own."""
    global _current
    _current = None


def current_message(text: str) -> Message | None:
    """The message under way when ``text`` is its cleaned text, else None."""
    message = _current
    if message is not None and message.text == text:
        return message
    return None


def heads_of_text(text: str) -> Heads | None:
    """``word_heads(text.lower())`` when ``text`` is the cleaned message under way, else None."""
    message = _current
    if message is not None and message.text == text:
        return message.heads
    return None


def heads_of(lowered: str) -> Heads | None:
    """``word_heads(lowered)`` when ``lowered`` is the message under way, else None."""
    message = _current
    if message is not None and message.lowered == lowered:
        return message.heads
    return None


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


def clamp01(value: float) -> float:
    """Clamp a confidence into 0..1, rounded to two places."""
    return round(max(0.0, min(1.0, value)), 2)
