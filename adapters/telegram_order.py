"""Per-chat ordering of Telegram updates: one chat's updates one at a time, by update_id.

Telegram may deliver a chat's updates over several webhook connections at once, so they can
arrive out of order. Each chat gets a small heap and one worker: the worker waits a moment
(``settle``) for updates arriving together, then applies the lowest update_id first. Chats run
concurrently, so a slow chat never holds up the others. The service's per-conversation lock
serializes turns too, but it does not order them: this does.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

log = structlog.stdlib.get_logger(__name__)

T = TypeVar("T")
MAX_QUEUED = 200  # per chat; beyond this a flooding chat's updates are dropped (and logged)


@dataclass(slots=True)
class _Chat(Generic[T]):
    heap: list[tuple[int, int, T]] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None


class ChatQueues(Generic[T]):
    """Runs ``handle`` for each item, per chat in ascending order, chats in parallel.

    Args:
        handle: applies one item (an Update); its failures are logged, not raised.
        settle: seconds a chat's worker waits before taking from its heap, so concurrent
            deliveries are all in it and sorted. Small: a human does not notice 50 ms.
    """

    def __init__(self, handle: Callable[[T], Awaitable[None]], settle: float = 0.05) -> None:
        self._handle, self._settle = handle, settle
        self._chats: dict[int, _Chat[T]] = {}
        self._tie = itertools.count()
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, chat_id: int, order: int, item: T) -> bool:
        """Queue ``item`` for ``chat_id`` at position ``order``; False if the chat is flooding."""
        chat = self._chats.setdefault(chat_id, _Chat())
        if len(chat.heap) >= MAX_QUEUED:
            log.warning("telegram.chat_flooding", chat=chat_id)
            return False
        heapq.heappush(chat.heap, (order, next(self._tie), item))
        self._idle.clear()
        if chat.worker is None:
            chat.worker = asyncio.create_task(self._work(chat_id, chat))
        return True

    async def join(self) -> None:
        """Wait until every queued item has been applied."""
        await self._idle.wait()

    async def close(self, grace: float) -> None:
        """Apply what is queued for up to ``grace`` seconds, then cancel the rest."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.join()
        workers = [c.worker for c in self._chats.values() if c.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._chats.clear()
        self._idle.set()

    async def _work(self, chat_id: int, chat: _Chat[T]) -> None:
        try:
            while chat.heap:
                await asyncio.sleep(self._settle)
                while chat.heap:
                    _, _, item = heapq.heappop(chat.heap)
                    try:
                        await self._handle(item)
                    except Exception:
                        log.exception("telegram.update_failed", chat=chat_id)
        finally:
            chat.worker = None
            if not chat.heap:
                self._chats.pop(chat_id, None)
            if not self._chats:
                self._idle.set()
