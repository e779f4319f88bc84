"""Committed events onto the bus: from memory after each commit, from the outbox after a crash."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.ports import Bus, Outbox

log = logging.getLogger(__name__)

# The crash-recovery relay leaves events younger than this to the process publishing them.
OUTBOX_GRACE = timedelta(seconds=30)


class Publisher:
    """Publishes each committed event once on "events" and on its conversation's topic.

    Replies go straight back to the calling adapter, so no turn waits for the bus: events are
    queued after commit and one background task publishes them in commit order, then marks them
    published with one UPDATE for however many turns committed meanwhile.
    """

    def __init__(self, bus: Bus, outbox: Outbox | None, clock: Clock) -> None:
        self.bus, self.outbox, self.clock = bus, outbox, clock
        self._queued: list[tuple[int, Mapping[str, Any]]] = []  # (outbox row id, event JSON)
        self._task: asyncio.Task[None] | None = None

    def committed(self, events: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        """Queue a committed turn's events (never call before its commit) and wake the task.

        Each event comes with the id of the outbox row holding it (the turn's one row).
        """
        self._queued.extend(events)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._publish_queued())

    async def drain(self) -> None:
        """Wait until every queued event is published (shutdown, tests, benchmarks)."""
        while self._task is not None and not self._task.done():
            await self._task

    async def relay(self) -> int:
        """Publish events a crash left unpublished (the app runs this every few seconds).

        Only events older than ``OUTBOX_GRACE`` are taken, so events this or another process is
        publishing right now are not published twice. Delivery is at least once.
        """
        if self.outbox is None:
            return 0
        published = 0
        older_than = self.clock.now() - OUTBOX_GRACE
        while batch := await self.outbox.pending(500, older_than):
            for _, events in batch:  # rows in commit order, each a turn's events in order
                for payload in events:
                    await self._publish(payload)
                published += len(events)
            await self.outbox.mark_published([row_id for row_id, _ in batch])
        return published

    async def _publish_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                for _, payload in batch:
                    await self._publish(payload)
                if self.outbox is not None:
                    # A turn's events share one row: mark each row once, in order.
                    rows = dict.fromkeys(row_id for row_id, _ in batch)
                    await self.outbox.mark_published(list(rows))
            except Exception:
                # Left unmarked in the outbox: the periodic relay publishes it after the grace.
                log.exception("publishing events failed")

    async def _publish(self, payload: Mapping[str, Any]) -> None:
        await self.bus.publish("events", payload)
        await self.bus.publish(f"conversation:{payload['key']}", payload)
