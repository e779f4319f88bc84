"""Cutting a long message into pieces a platform accepts, at paragraph, line or word breaks."""

from __future__ import annotations

from collections.abc import Callable


def split(text: str, limit: int, *, measure: Callable[[str], int] = len) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` (as ``measure`` counts), at natural breaks.

    Paragraphs first, then lines, then words; a single word longer than ``limit`` is cut hard.
    Each piece is stripped of the whitespace it was cut at.
    """
    text = text.strip()
    if measure(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _cut(rest, limit, measure)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def _cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """Index to cut ``text`` at so that ``text[:index]`` fits in ``limit``."""
    fits = _longest_prefix(text, limit, measure)
    head = text[:fits]
    for sep in ("\n\n", "\n", " "):
        at = head.rfind(sep)
        if at > fits // 4:  # a break too close to the start would make many tiny pieces
            return at + len(sep)
    return max(fits, 1)


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    if measure is len:
        return limit
    low, high = 0, min(len(text), limit)  # measure >= len for the units we count (UTF-16)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: how Telegram counts its 4096-character limit."""
    return len(text.encode("utf-16-le")) // 2
