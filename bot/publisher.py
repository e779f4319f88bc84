"""Committed events onto the bus: from memory after each commit, from the outbox after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.ports import Bus, Outbox

log = logging.getLogger(__name__)

# The crash-recovery relay leaves events younger than this to the process publishing them.
OUTBOX_GRACE = timedelta(seconds=30)
# Published rows are marked together at most this long after their events went out: at a
# modest load each turn was published alone, so marking it was a second write transaction per
# turn. Far below OUTBOX_GRACE, so the relay never takes a row only because its mark waits.
MARK_DELAY = 1.0  # seconds

# A bus's optional ``publish_many(messages)``: every (topic, payload) in order, in one go (Redis:
# one pipeline, one round trip, instead of two round trips per event; see RedisBus).
PublishMany = Callable[[Sequence[tuple[str, Mapping[str, Any]]]], Awaitable[None]]


class Publisher:
    """Publishes each committed event once on "events" and on its conversation's topic.

    Replies go straight back to the calling adapter, so no turn waits for the bus: events are
    queued after commit and one background task publishes them in commit order. Another marks
    their rows published, one UPDATE for every row published within ``MARK_DELAY``.
    """

    def __init__(
        self, bus: Bus, outbox: Outbox | None, clock: Clock, mark_delay: float = MARK_DELAY
    ) -> None:
        self.bus, self.outbox, self.clock = bus, outbox, clock
        self.mark_delay = mark_delay
        self._queued: list[tuple[int, Mapping[str, Any]]] = []  # (outbox row id, event JSON)
        self._task: asyncio.Task[None] | None = None
        self._unmarked: dict[int, None] = {}  # published rows not marked yet, in order
        self._marker: asyncio.Task[None] | None = None
        self._mark_now: asyncio.Event | None = None  # set by ``drain``: mark without waiting
        self._many: PublishMany | None = getattr(bus, "publish_many", None)

    def committed(self, events: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        """Queue a committed turn's events (never call before its commit) and wake the task.

        Each event comes with the id of the outbox row holding it (the turn's one row).
        """
        self._queued.extend(events)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._publish_queued())

    async def drain(self) -> None:
        """Wait until every queued event is published and marked (shutdown, tests, benchmarks)."""
        while self._task is not None and not self._task.done():
            await self._task
        while self._marker is not None and not self._marker.done():
            assert self._mark_now is not None
            self._mark_now.set()
            await self._marker

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
            done = await self._publish_batch([payload for _, payload in batch])
            failed = batch[done][0] if done < len(batch) else None
            for row_id, _ in batch[:done]:  # a row only once all its events went out
                if row_id != failed:
                    self._unmarked[row_id] = None
        if self.outbox is not None and self._unmarked and (
            self._marker is None or self._marker.done()
        ):
            self._mark_now = asyncio.Event()
            self._marker = asyncio.get_running_loop().create_task(self._mark_later(self.outbox))

    async def _mark_later(self, outbox: Outbox) -> None:
        """Mark what was published during the next ``mark_delay`` seconds (or until ``drain``)."""
        assert self._mark_now is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._mark_now.wait(), self.mark_delay)
        while self._unmarked:
            rows, self._unmarked = list(self._unmarked), {}
            try:
                await outbox.mark_published(rows)
            except Exception:
                # Unmarked rows are published again by the relay: at least once, as always.
                log.exception("marking published events failed")

    async def _publish_batch(self, payloads: Sequence[Mapping[str, Any]]) -> int:
        """Publish ``payloads`` in order; how many went out (the rest stay for the relay).

        A bus that publishes many at once does so all or nothing, as far as we can tell: on
        a failure none is counted (some may have gone out: the relay's delivery is at least
        once anyway).
        """
        done = 0
        try:
            if self._many is not None:
                messages: list[tuple[str, Mapping[str, Any]]] = []
                for payload in payloads:  # the same two topics as ``_publish``, in its order
                    messages += (("events", payload), (f"conversation:{payload['key']}", payload))
                await self._many(messages)
                return len(payloads)
            for payload in payloads:
                await self._publish(payload)
                done += 1
        except Exception:
            # Left unmarked in the outbox: the periodic relay publishes it after the grace.
            log.exception("publishing events failed")
        return done

    async def _publish(self, payload: Mapping[str, Any]) -> None:
        await self.bus.publish("events", payload)
        await self.bus.publish(f"conversation:{payload['key']}", payload)
