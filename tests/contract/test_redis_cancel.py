"""A cancel redis-py swallows (Python 3.11): the hang at 1,000 conversations on bd07fb6.

redis-py sends each command through ``asyncio.wait_for``, which on 3.11 drops a cancel that
arrives in the loop step where the write completes (CPython gh-86296). On bd07fb6 every lock
hold cancelled its renewal task and awaited it: a renewal in flight ran on for ever, and so did
the turn waiting for it, holding its lock (storage/redis_cancel.py). The loop steps below are
counted, not timed: one step after a command starts is inside that window every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from storage.redis_cancel import stop_task
from storage.redis_client import connect_redis
from storage.redis_locks import RedisLocks
from tests.services import REDIS_URL, require_redis

pytestmark = pytest.mark.redis
# Python 3.12 fixed wait_for: the cancel is no longer lost, and these tests would show nothing.
swallows = pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for fixed in 3.12")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    require_redis()
    client = connect_redis(REDIS_URL)
    await client.ping()  # a pooled connection, so a command's first step is its write
    try:
        yield client
    finally:
        await client.aclose()


@swallows
async def test_redis_py_loses_a_cancel_that_lands_as_its_command_is_written(
    redis: Redis,
) -> None:
    key = f"test:cancel:{uuid.uuid4().hex}"
    command = asyncio.create_task(redis.set(key, "written"))
    await asyncio.sleep(0)  # one loop step: the command's write is under way
    command.cancel()
    assert await command is True  # no CancelledError: the command ran to the end
    await redis.delete(key)


@swallows
async def test_stop_task_ends_a_redis_loop_that_swallowed_its_cancel(redis: Redis) -> None:
    key = f"test:cancel:{uuid.uuid4().hex}"
    ran = asyncio.Event()

    async def renew_for_ever() -> None:  # the shape of a lock renewer or a bus reader
        while True:
            await redis.set(key, "renewed", px=30_000)
            ran.set()

    async def runs_another_command() -> bool:
        ran.clear()
        waiter = asyncio.create_task(ran.wait())
        await asyncio.wait({waiter, loop}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        return ran.is_set()

    loop = asyncio.create_task(renew_for_ever())
    await asyncio.sleep(0)  # its first command is being written
    loop.cancel()
    # It finishes that command and goes on to the next: a bare ``await loop`` never returns.
    assert await runs_another_command()
    assert await runs_another_command()

    await stop_task(loop)

    assert loop.cancelled()
    await redis.delete(key)


async def test_stop_task_raises_what_the_task_ended_with() -> None:
    async def fail() -> None:
        raise RuntimeError("reader broke")

    task = asyncio.create_task(fail())
    await asyncio.sleep(0)  # it broke before it was stopped
    with pytest.raises(RuntimeError, match="reader broke"):
        await stop_task(task)


async def test_stop_task_lets_its_callers_own_cancel_through() -> None:
    """``suppress(CancelledError)`` around ``await task`` also ate the caller's own cancel."""
    done = asyncio.Event()

    async def ignore_cancels_until_done() -> None:
        while not done.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    stubborn = asyncio.create_task(ignore_cancels_until_done())
    stopping = asyncio.create_task(stop_task(stubborn))
    await asyncio.sleep(0)  # stopping waits for stubborn, which shrugged off its cancel
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    done.set()
    stubborn.cancel()
    await stubborn


async def test_leaving_a_redis_lock_cancels_no_task() -> None:
    """Pins what removed the hang: a turn's end waits on no task it cancelled (bd07fb6 did)."""
    require_redis()
    locks = RedisLocks(REDIS_URL, prefix=f"test:lock:{uuid.uuid4().hex}:")
    try:
        before = asyncio.all_tasks()
        async with locks.hold("widget:a"):
            started = asyncio.all_tasks() - before
        await asyncio.sleep(0)  # a task cancelled on the way out would be done by now
        assert started  # the renewal task
        assert not [t for t in started if t.cancelled()]
    finally:
        await locks.close()
