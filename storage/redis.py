"""Redis for several processes: one client shared by RedisBus and RedisLocks (the app's wiring)."""

from __future__ import annotations

from redis.asyncio import Redis

from storage.redis_bus import RedisBus
from storage.redis_locks import RedisLocks


def connect_redis(url: str) -> Redis:
    """A client for ``url``; it connects lazily, so nothing happens at import or construction."""
    return Redis.from_url(url)


__all__ = ["RedisBus", "RedisLocks", "connect_redis"]
