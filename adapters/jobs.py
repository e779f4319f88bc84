"""Background work started after a platform's request is acknowledged, tracked until it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.stdlib.get_logger("adapters.slack")  # its one user logs there


class Jobs:
    """Background work started after an ack: tracked, so shutdown and tests can wait for it."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background, logging (not losing) its failure."""
        task = asyncio.create_task(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def busy(self) -> bool:
        """Whether any work is running."""
        return bool(self._tasks)

    async def join(self) -> None:
        """Wait until no work is running (work may start more work)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, grace: float) -> None:
        """Let running work finish for ``grace`` seconds, then cancel it."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.join()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("slack.work_failed")
