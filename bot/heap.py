"""The collector's settings for a long-running server: no stop-the-world pause a prospect notices.

CPython's cyclic collector runs a young collection every 700 allocations and, as the heap
grows, full collections that walk every tracked object. A serving process holds about 110,000
objects from start-up (compiled flows, the extractors' regex analyses, modules) and a hundred
thousand more per thousand open chats, so a full collection stopped every reply for 100-160 ms,
several times a minute under load (measured: docs/benchmarks.md, "Collector pauses").

Two settings remove that: the start-up heap is frozen (moved to a generation the collector
never walks; refcounting still frees it), and the young generation is collected every 10,000
allocations instead of 700, so the older generations fill, and are walked, far less often.
Garbage cycles live a little longer; nothing else changes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections every 10,000 allocations; a middle one every 20 of those; a full one after
# 10 middle ones (and, as always in CPython, only once the long-lived heap grew by a quarter).
SERVER_THRESHOLDS = (10_000, 20, 10)


@contextmanager
def tuned_for_serving(thresholds: tuple[int, int, int] = SERVER_THRESHOLDS) -> Iterator[None]:
    """Freeze what start-up built and raise the thresholds; restore both on exit.

    Enter it once start-up is done (app built, before the first connection): what is frozen is
    never walked again, so anything made later stays collectable. Restoring matters to
    embedders and tests that serve inside a longer-lived process.
    """
    previous = gc.get_threshold()
    gc.collect()  # start-up's own garbage is freed, not frozen
    gc.freeze()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
