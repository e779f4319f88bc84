"""Numbers as people type them: "40,000" vs "40.000", "2,5k", and spelled-out "fifty thousand"."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from bot.extract.folded import Folded, current_message
from bot.extract.word_gates import HEAD_WIDTH

# A figure with optional thousands groups ("40,000", "40.000", "40 000", "1'000") and an optional
# decimal tail ("1.5", "2,5", "1,250.50"). Grouped thousands come first so "40 000" is one number.
# Indian grouping ("1,00,000", "12,50,000": lakhs and crores) is tried first.
NUMBER = (
    r"(?:\d{1,2}(?:,\d\d)+,\d{3}(?:\.\d+)?|"
    r"\d{1,3}(?:(?:,|\.|[ \u00a0\u202f'’])\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
)

MULTIPLIERS: dict[str, float] = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "thou": 1e3,
    "grand": 1e3,
    "g": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mil": 1e6,
    "mill": 1e6,
    "million": 1e6,
    "mn": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "lakh": 1e5,
    "lakhs": 1e5,
    "lac": 1e5,
    "crore": 1e7,
    "crores": 1e7,
}

_GROUP_SPACES = re.compile(r"[ \u00a0\u202f'’]")


def parse_number(token: str) -> float | None:
    """Read one figure matched by ``NUMBER``, deciding which separator is the decimal point.

    A lone separator followed by exactly three digits is a thousands separator ("40.000" is
    forty thousand, "1,500" fifteen hundred); otherwise it is a decimal point ("1.5", "2,5").
    When both "," and "." occur, the last one is the decimal point ("1.250,50", "1,250.50").

    Args:
        token: The digits and separators.

    Returns:
        The value, or None when the token is not a number.
    """
    if token.isdecimal():
        return float(token)  # digits only (most figures): what the steps below come to
    t = _GROUP_SPACES.sub("", token)
    if "," in t and "." in t:
        decimal = "," if t.rfind(",") > t.rfind(".") else "."
        group = "." if decimal == "," else ","
        t = t.replace(group, "").replace(decimal, ".")
    elif "," in t or "." in t:
        sep = "," if "," in t else "."
        parts = t.split(sep)
        t = "".join(parts) if len(parts) > 2 or len(parts[-1]) == 3 else ".".join(parts)
    try:
        return float(t)
    except ValueError:
        return None


_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
    "couple": 2,
    "few": 3,
    "several": 5,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_WORD = "|".join(sorted([*_UNITS, *_SCALES, "half", "a", "an"], key=len, reverse=True))
_RUN = re.compile(
    rf"\b(?:{_WORD})\b(?:(?:[\s-]+|[\s-]+and[\s-]+|[\s-]+of[\s-]+)(?:{_WORD})\b)*(?:\s+of\b)?",
    re.IGNORECASE,
)
_FAST_RUN = Folded(_RUN)
_SPLIT = re.compile(r"[\s-]+")
# A run changes the text only through a unit or scale word ("a", "an" and "half" alone read as
# None in ``words_value``) or "a grand": each a whole word of a run, so a word of the message
# starts with its head. Without one of these heads, ``_spell_out`` returns the text unchanged.
NUMBER_HEADS = frozenset(
    word[:HEAD_WIDTH].encode("ascii") for word in (*_UNITS, *_SCALES, "grand")
)
_PLACEHOLDER_OK = {"hundred", "thousand", "million", "billion", "dozen", "couple", "few", "half"}


def words_value(run: str) -> float | None:
    """Value of a run of number words ("a hundred and fifty", "half a million", "a couple").

    Args:
        run: Words matched by the number-word pattern.

    Returns:
        The value, or None when the run holds no real number word (a bare "a").
    """
    words = [w for w in _SPLIT.split(run.lower()) if w and w not in ("and", "of")]
    total, current, seen, from_article = 0.0, 0.0, False, False
    for i, w in enumerate(words):
        if w in ("a", "an"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if current == 0 and nxt in _PLACEHOLDER_OK:
                current, from_article = 1.0, True
            continue
        if w == "half":
            current = 0.5 if (current == 0 or from_article) else current + 0.5
            from_article, seen = False, True
        elif w in _UNITS:
            value = _UNITS[w]
            current = value if from_article else current + value
            from_article, seen = False, True
        elif w == "hundred":
            current, seen, from_article = (current or 1.0) * 100, True, False
        elif w in _SCALES:
            total += (current or 1.0) * _SCALES[w]
            current, seen, from_article = 0.0, True, False
    if not seen or all(w in ("half", "a", "an") for w in words):
        return None  # "first half of the year" is not 0.5
    return total + current


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


@dataclass(slots=True)
class Rewritten:
    """Text with spelled-out numbers replaced by digits, able to map offsets back."""

    text: str
    original: str
    # (new_start, new_end, orig_start, orig_end) of each replacement, in order.
    edits: list[tuple[int, int, int, int]] = field(default_factory=list)

    def orig(self, pos: int, *, end: bool = False) -> int:
        """Map an offset in ``text`` to the matching offset in ``original``."""
        starts = [e[0] for e in self.edits]
        i = bisect_right(starts, pos) - 1
        if i < 0:
            return pos
        ns, ne, os_, oe = self.edits[i]
        if pos < ne or (end and pos == ne):
            return oe if (end or pos > ns) else os_
        return pos - ne + oe

    def span(self, start: int, end: int) -> str:
        """The original text behind ``text[start:end]``."""
        if not self.edits:
            return self.original[start:end].strip()  # what ``orig`` maps every offset to
        return self.original[self.orig(start) : self.orig(end, end=True)].strip()


_TRAILING = re.compile(r"[\s-]+(?:a|an|and|of)$", re.IGNORECASE)
_KEEPS_OF = re.compile(r"(?:couple|few|dozen|several)[\s-]+of$", re.IGNORECASE)


def _trim_run(text: str, start: int, end: int) -> int:
    """Drop trailing "a"/"and"/"of" a run swallowed ("thirty a month" keeps "a month")."""
    while True:
        piece = text[start:end]
        if _KEEPS_OF.search(piece):
            return end
        m = _TRAILING.search(piece)
        if not m:
            return end
        end = start + m.start()


_A_GRAND = re.compile(r"an?\s+grand\b", re.IGNORECASE)
_SCALE_FIRST = re.compile(r"(?:hundred|thousand|million|billion)\b", re.IGNORECASE)
_AND = re.compile(r"[\s-]+and[\s-]+", re.IGNORECASE)
_JOINS_AND = re.compile(r"(?:hundred|thousand|million|billion)$", re.IGNORECASE)


def _segments(text: str) -> list[tuple[int, int]]:
    """Spans of number-word runs, split at an "and" that separates two numbers.

    "two hundred and fifty" is one number; "between twenty and thirty" is two.
    """
    spans: list[tuple[int, int]] = []
    # Same offsets and, for ``_SCALE_FIRST``, the same verdicts on the lowered ASCII text; the
    # case-sensitive scan is several times faster (see ``Folded``).
    if not text.isascii():
        runs: Iterable[re.Match[str]] = _RUN.finditer(text)
    elif _FAST_RUN.needs is not None and not _FAST_RUN.needs.present(text.lower()):
        return spans  # no number word at all
    else:
        runs = _FAST_RUN.fast.finditer(text.lower())
    for m in runs:
        if _SCALE_FIRST.match(m.group()):
            continue  # "30 thousand": the digits' multiplier, read by the caller
        start, end = m.start(), _trim_run(text, m.start(), m.end())
        for a in _AND.finditer(text, start, end):
            after = text[a.end() : a.end() + 2].lower()
            if not _JOINS_AND.search(text, start, a.start()) and after != "a ":
                spans.append((start, a.start()))
                start = a.end()
        spans.append((start, end))
    return spans


def spell_out_digits(text: str) -> Rewritten:
    """Replace runs of number words with digits ("fifty thousand" → "50000").

    Timeline, budget and company size all spell out the message ``read_text`` is reading: the
    first call for it keeps the result with the prepared message (for that call only), and the
    others share it (nothing changes a ``Rewritten``).

    Runs that are only an article ("a", "an") are left alone. "a couple of weeks" becomes
    "2 weeks" and "a few months" "3 months", which the timeline reader relies on.

    Args:
        text: The cleaned message.

    Returns:
        The rewritten text with an offset map back to ``text``.
    """
    message = current_message(text)
    if message is None:
        return _spell_out(text)
    if message.spelled is None:
        if message.heads.isdisjoint(NUMBER_HEADS):
            message.spelled = Rewritten(text, text)  # no number word: what _spell_out returns
        else:
            message.spelled = _spell_out(text)
    return cast(Rewritten, message.spelled)


def _spell_out(text: str) -> Rewritten:
    out: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    last, shift = 0, 0
    for start, end in _segments(text):
        value = words_value(text[start:end])
        if value is None and _A_GRAND.match(text, start):
            value = 1.0  # "a grand a month"
        if value is None:
            continue
        digits = _fmt(value)
        out.append(text[last:start])
        new_start = start + shift
        edits.append((new_start, new_start + len(digits), start, end))
        out.append(digits)
        shift += len(digits) - (end - start)
        last = end
    if not edits:
        return Rewritten(text, text)
    out.append(text[last:])
    return Rewritten("".join(out), text, edits)
