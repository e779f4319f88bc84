"""Helpers for tests that check an extractor's shortcut against the slow path it replaces."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.extract.folded import begin_message, end_message


def joined_texts(pieces: Sequence[str], seed: int, count: int, most: int) -> list[str]:
    """``count`` texts of 1 to ``most`` pieces joined by spaces, the same for the same seed."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, most))) for _ in range(count)]


def alone_and_prepared(
    extract: Callable[[str, datetime, bool], Any], text: str, now: datetime, asked: bool
) -> tuple[Any, Any]:
    """``extract``'s answer with no message under way, then with ``text`` prepared as a turn's.

    Prepared, the extractors take the message's word heads and words (gates only): the two
    answers must be the same.
    """
    alone = extract(text, now, asked)
    begin_message(text)
    try:
        prepared = extract(text, now, asked)
    finally:
        end_message()
    return alone, prepared
