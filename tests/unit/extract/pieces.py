"""Random messages made of chosen pieces, for tests that check a shortcut against its slow path."""

from __future__ import annotations

import random
from collections.abc import Sequence


def joined_texts(pieces: Sequence[str], seed: int, count: int, most: int) -> list[str]:
    """``count`` texts of 1 to ``most`` pieces joined by spaces, the same for the same seed."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, most))) for _ in range(count)]
