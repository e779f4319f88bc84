"""RedisLocks: the Locks port across processes (SET NX PX, token-checked release, renewal)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from storage.redis_batch import Batch
from storage.redis_cancel import stop_task
from storage.redis_client import connect_redis

log = logging.getLogger(__name__)

# Delete or extend only while the key still holds our token: after a TTL lapse another process
# may own the lock, and a plain DEL would free *its* lock (the classic Redis lock bug).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisLocks:
    """Per-conversation mutual exclusion shared by every process using one Redis.

    Acquire is ``SET key token NX PX ttl``; a waiter retries with jittered exponential backoff
    (from ``min_delay`` up to ``max_delay``) rather than spinning. The TTL means a crashed
    process holds a lock for at most ``ttl`` seconds; a live holder renews it every ``ttl / 3``
    (one task renews all of a process's locks) so a long turn never loses it. Release
    deletes the key only if it still holds our token.

    Args:
        url: Redis URL, or a client to share (which ``close`` then leaves open).
        ttl: lock lifetime in seconds without renewal.
        wait_timeout: give up with ``TimeoutError`` after waiting this long; None waits as
            long as it takes, like ``MemoryLocks``.
        prefix: key prefix, so locks never collide with other data in the database.
    """

    def __init__(
        self,
        url: str | Redis,
        *,
        ttl: float = 30.0,
        wait_timeout: float | None = None,
        min_delay: float = 0.002,
        max_delay: float = 0.05,
        prefix: str = "qualibot:lock:",
    ) -> None:
        self._owned = isinstance(url, str)
        self._redis: Redis = connect_redis(url) if isinstance(url, str) else url
        self._ttl_ms = int(ttl * 1000)
        self._wait_timeout = wait_timeout
        self._min_delay, self._max_delay = min_delay, max_delay
        self._prefix = prefix
        self._release = self._redis.register_script(_RELEASE)
        self._renew = self._redis.register_script(_RENEW)
        # SET and release of every conversation go out together, one pipeline per round trip.
        self._batch = Batch(self._redis)
        self._held: dict[str, str] = {}  # token -> key: the locks held through this instance
        self._keeper: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Hold the lock called ``name`` for the duration of the ``async with``."""
        key, token = self._prefix + name, secrets.token_hex(16)
        try:
            await self._acquire(key, token)
        except BaseException:
            # Cancelled while SET was in flight: it may have succeeded. Our token is unique,
            # so a compare-and-delete can only remove our own lock.
            await self._unlock(key, token)
            raise
        self._held[token] = key
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep(), name="renew redis locks")
        try:
            yield
        finally:
            self._held.pop(token, None)  # gone already if the keeper found it lost
            await self._unlock(key, token)

    async def _acquire(self, key: str, token: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if self._wait_timeout is None else loop.time() + self._wait_timeout
        delay = self._min_delay
        task = asyncio.current_task()
        while True:
            acquired = await self._batch.run(
                lambda pipe: pipe.set(key, token, nx=True, px=self._ttl_ms)
            )
            if task is not None and task.cancelling():
                # A guard: redis-py's own commands can swallow a cancel that lands while they
                # are in flight (CPython gh-86296, before 3.12; see storage.redis_cancel), and a
                # cancelled waiter would then poll until wait_timeout. Through ``Batch`` the
                # caller waits on a future, which does get its cancel; ``hold`` deletes the key
                # if SET took it.
                raise asyncio.CancelledError
            if acquired:
                return
            if deadline is not None and loop.time() + delay > deadline:
                raise TimeoutError(f"lock {key!r} still held after {self._wait_timeout}s")
            # Full jitter, so waiters released together do not retry in lockstep.
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, self._max_delay)

    async def _keep(self) -> None:
        """Renew every lock held here, every ``ttl / 3``, in one pipeline; end when none is.

        One task for all of them, not one per lock: a turn no longer starts and cancels a
        task of its own. A lock taken just after a round waits at most ``ttl / 3`` for its
        first renewal, as with a task of its own.
        """
        while self._held:
            await asyncio.sleep(self._ttl_ms / 3000)
            held = list(self._held.items())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for token, key in held:
                        await self._renew(keys=[key], args=[token, self._ttl_ms], client=pipe)
                    renewed: list[Any] = await pipe.execute()
            except RedisError:
                log.warning("could not renew %d locks; retrying", len(held), exc_info=True)
                continue
            for (token, key), ok in zip(held, renewed, strict=True):
                # Not renewed and still held: expired and taken. Released meanwhile: fine.
                if not ok and self._held.pop(token, None) is not None:
                    log.error("lock %s was lost (expired and taken); turns may interleave", key)

    async def _unlock(self, key: str, token: str) -> None:
        sha = self._release.sha
        try:
            try:
                await self._batch.run(lambda pipe: pipe.evalsha(sha, 1, key, token))
            except NoScriptError:  # Redis restarted or flushed its scripts: load it again
                await self._release(keys=[key], args=[token])
        except RedisError:  # the TTL frees it; nothing better to do from here
            log.warning("could not release lock %s; it expires by itself", key, exc_info=True)

    async def close(self) -> None:
        """Stop renewing, and close the client when these locks created it."""
        if self._keeper is not None:
            await stop_task(self._keeper)  # not a bare cancel: a renewal in flight may swallow it
        if self._owned:
            await self._redis.aclose()
