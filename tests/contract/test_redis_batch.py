"""storage.redis_batch: commands sent together still answer each caller alone, in order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from storage.redis_batch import Batch
from tests.services import REDIS_URL, require_redis

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    require_redis()
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def test_each_caller_gets_its_own_reply_and_only_its_own_error(redis: Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    batch = Batch(redis)
    await redis.set(key + ":text", "not a number")
    replies = await asyncio.gather(
        *(batch.run(lambda p, n=n: p.incrby(key, n)) for n in range(1, 6)),
        batch.run(lambda p: p.incr(key + ":text")),
        batch.run(lambda p: p.get(key)),
        return_exceptions=True,
    )
    assert replies[:5] == [1, 3, 6, 10, 15]  # in call order
    assert isinstance(replies[5], ResponseError)
    assert replies[6] == b"15"
    await redis.delete(key, key + ":text")


async def test_a_cancelled_callers_command_is_still_sent(redis: Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    batch = Batch(redis)
    caller = asyncio.create_task(batch.run(lambda p: p.set(key, "sent")))
    await asyncio.sleep(0)  # queued, the pipeline not answered yet
    caller.cancel()
    assert await batch.run(lambda p: p.get(key)) == b"sent"  # later in the same line
    await redis.delete(key)
