"""Redis for several processes: one client shared by RedisBus and RedisLocks (the app's wiring)."""

from __future__ import annotations

from storage.redis_bus import RedisBus
from storage.redis_client import connect_redis
from storage.redis_locks import RedisLocks

__all__ = ["RedisBus", "RedisLocks", "connect_redis"]
