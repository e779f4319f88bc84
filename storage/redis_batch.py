"""Redis commands issued while one pipeline is in flight go together in the next one.

Every redis-py command checks a connection out of the pool, writes it, waits for the reply and
checks the connection back in; under load that client-side work (not Redis) was most of a
lock's cost, two commands per visitor message. Callers of ``Batch.run`` wait for their own
reply as before, but the commands go out in one pipeline per round trip: one checkout, one
write, however many conversations take or release a lock meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

Command = Callable[[Pipeline], object]


class Batch:
    """Queues commands and sends them in pipelines, one in flight at a time, in call order.

    A caller cancelled while waiting for its reply does not take its command back: it is sent
    all the same (RedisLocks relies on this only as it did on a command already in flight).
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._queued: list[tuple[Command, asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def run(self, command: Command) -> Any:
        """Queue ``command(pipeline)`` (one command) and return its reply; raise its error."""
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append((command, reply))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="redis batch")
        return await reply

    async def _send(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for command, _ in batch:
                        command(pipe)
                    replies = await pipe.execute(raise_on_error=False)
            except BaseException as error:  # the connection: every command of the batch failed
                for _, reply in batch:
                    if reply.done():
                        continue
                    if isinstance(error, Exception):
                        reply.set_exception(error)
                    else:  # this task was cancelled (the loop is closing)
                        reply.cancel()
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, reply), result in zip(batch, replies, strict=True):
                if reply.done():  # its caller was cancelled
                    continue
                if isinstance(result, Exception):
                    reply.set_exception(result)
                else:
                    reply.set_result(result)
