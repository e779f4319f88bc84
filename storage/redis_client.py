"""The Redis client every part of Qualibot uses: a pool that waits for a free connection.

redis-py 8 caps a client's pool at 100 connections and raises ``MaxConnectionsError`` for the
101st command in flight. At 100 or more visitors talking at once, every lock taken and event
published past that failed the visitor's message ("that did not work, try again"), found by
the ``workers`` benchmark. A blocking pool queues such a command until a connection is free,
as the database pool does; commands are short, so the wait is too.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 100
# A command waits at most this long for a free connection, then raises (Redis is down or stuck).
POOL_TIMEOUT = 10.0


def connect_redis(url: str) -> Redis:
    """A client for ``url``; it connects lazily, so nothing happens at import or construction."""
    pool = BlockingConnectionPool.from_url(url, max_connections=MAX_CONNECTIONS,
                                           timeout=POOL_TIMEOUT)  # fmt: skip
    return Redis.from_pool(pool)  # closing the client closes its pool
