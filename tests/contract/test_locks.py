"""Locks contract: MemoryLocks and RedisLocks give the same per-name mutual exclusion."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.inprocess import MemoryLocks
from storage.redis_locks import RedisLocks
from tests.services import REDIS_URL, require_redis


async def test_mutual_exclusion_under_contention(locks: Any) -> None:
    counter = 0
    inside = 0
    most_inside = 0

    async def bump() -> None:
        nonlocal counter, inside, most_inside
        async with locks.hold("conversation"):
            inside += 1
            most_inside = max(most_inside, inside)
            value = counter
            await asyncio.sleep(0)  # interleave: without the lock, updates would be lost
            await asyncio.sleep(0.001)
            counter = value + 1
            inside -= 1

    await asyncio.gather(*(bump() for _ in range(25)))
    assert (counter, most_inside) == (25, 1)


async def test_released_when_the_block_raises(locks: Any) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with locks.hold("c"):
            raise RuntimeError("boom")
    async with asyncio.timeout(2), locks.hold("c"):
        pass


async def test_different_names_do_not_block(locks: Any) -> None:
    async with locks.hold("a"), asyncio.timeout(2), locks.hold("b"):
        pass


async def test_a_cancelled_waiter_does_not_break_the_lock(locks: Any) -> None:
    # Cancel at many moments: a cancel that lands while a Redis command is in flight is the
    # one redis-py can swallow, and the waiter must still stop at once, holding nothing.
    for attempt in range(30):
        async with locks.hold("c"):
            waiter = asyncio.create_task(_enter(locks, "c"))
            await asyncio.sleep(attempt / 2000)
            waiter.cancel()
            async with asyncio.timeout(2):
                with pytest.raises(asyncio.CancelledError):
                    await waiter
        async with asyncio.timeout(2), locks.hold("c"):
            pass


async def _enter(locks: Any, name: str) -> None:
    async with locks.hold(name):
        pass


async def test_more_conversations_at_once_than_redis_connections_all_get_their_lock(
    locks: Any,
) -> None:
    # redis-py 8 caps a pool at 100 connections and raised past it: the 101st visitor talking
    # at the same moment got "that did not work, try again" (found by bench/workers.py).
    held: list[int] = []

    async def turn(n: int) -> None:
        async with locks.hold(f"conversation-{n}"):
            held.append(n)

    await asyncio.gather(*(turn(n) for n in range(300)))
    assert sorted(held) == list(range(300))


async def test_memory_locks_forget_names_nobody_uses() -> None:
    locks = MemoryLocks()
    async with locks.hold("a"):
        waiter = asyncio.create_task(_enter(locks, "a"))
        await asyncio.sleep(0)
        assert len(locks) == 1
    await waiter
    with pytest.raises(RuntimeError, match="x"):
        async with locks.hold("b"):
            raise RuntimeError("x")
    assert len(locks) == 0


@pytest.mark.redis
async def test_redis_lock_of_a_crashed_holder_expires() -> None:
    require_redis()
    prefix = f"test:{uuid.uuid4().hex}:lock:"
    client = Redis.from_url(REDIS_URL)
    survivor = RedisLocks(client, prefix=prefix, wait_timeout=5)
    try:
        # The key as a process that died while holding the lock left it: a token and a TTL.
        await client.set(prefix + "conv", "token-of-a-dead-process", px=200)
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with survivor.hold("conv"):
            waited = loop.time() - start
        assert 0.1 < waited < 2
    finally:
        await survivor.close()
        await client.aclose()


@pytest.mark.redis
async def test_redis_lock_is_renewed_during_a_long_turn() -> None:
    require_redis()
    prefix = f"test:{uuid.uuid4().hex}:lock:"
    a = RedisLocks(REDIS_URL, prefix=prefix, ttl=0.3)
    b = RedisLocks(REDIS_URL, prefix=prefix, wait_timeout=0.5)
    try:
        async with a.hold("conv"):
            await asyncio.sleep(0.6)  # twice the TTL: only renewal keeps it
            with pytest.raises(TimeoutError):
                async with b.hold("conv"):
                    pass
        async with b.hold("conv"):
            pass
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_redis_locks_held_together_are_all_renewed(caplog: pytest.LogCaptureFixture) -> None:
    # One task renews every lock a process holds, in one round trip: each must stay held, and
    # one taken away (expired, then taken by another) is reported without stopping the rest.
    require_redis()
    prefix = f"test:{uuid.uuid4().hex}:lock:"
    client = Redis.from_url(REDIS_URL)
    a = RedisLocks(client, prefix=prefix, ttl=0.3)
    b = RedisLocks(client, prefix=prefix, wait_timeout=0.2)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name in ("x", "y", "z"):
                await stack.enter_async_context(a.hold(name))
            await client.set(prefix + "y", "another-process", px=5000)  # as if it lapsed
            await asyncio.sleep(0.6)  # twice the TTL: only renewal keeps x and z
            for name in ("x", "z"):
                with pytest.raises(TimeoutError):
                    async with b.hold(name):
                        pass
        assert f"lock {prefix}y was lost" in caplog.text
        assert await client.get(prefix + "y") == b"another-process"  # release left it alone
        async with b.hold("x"), b.hold("z"):
            pass
    finally:
        await a.close()
        await b.close()
        await client.aclose()


@pytest.mark.redis
async def test_redis_locks_release_after_redis_forgot_its_scripts() -> None:
    # Release runs a script by its digest; after a Redis restart (or SCRIPT FLUSH) the digest
    # is unknown, and the lock must still be released, not left to expire.
    require_redis()
    prefix = f"test:{uuid.uuid4().hex}:lock:"
    client = Redis.from_url(REDIS_URL)
    a = RedisLocks(client, prefix=prefix)
    b = RedisLocks(client, prefix=prefix, wait_timeout=1)
    try:
        async with a.hold("conv"):
            await client.script_flush()
        async with b.hold("conv"):
            pass
    finally:
        await a.close()
        await b.close()
        await client.aclose()
