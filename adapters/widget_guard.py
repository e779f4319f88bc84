"""The widget's defences: signed visitor tokens, exact origin matching, rate and connection caps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.env import normalize_origin

_TOKEN_PREFIX = "v1"
# Domain separation: the same QUALIBOT_SECRET may sign other things later (console sessions).
_TOKEN_CONTEXT = b"qualibot.widget.visitor.v1:"


class VisitorTokens:
    """Issue and check ``v1.<visitor>.<mac>`` tokens (HMAC-SHA256, after itsdangerous).

    The token is the visitor's only credential for their conversation, so it travels in the
    ``hello`` frame and localStorage, never in a URL (URLs end up in logs and Referer headers).
    Tokens do not expire: a visitor coming back weeks later should find their conversation.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a signing secret is required")
        self._key = secret.encode()

    def issue(self) -> tuple[str, str]:
        """A new visitor id and its token."""
        visitor = secrets.token_urlsafe(16)
        return visitor, f"{_TOKEN_PREFIX}.{visitor}.{self._mac(visitor)}"

    def verify(self, token: str) -> str | None:
        """The visitor id if ``token`` was signed by us and is intact, else None."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_PREFIX or not parts[1] or len(token) > 200:
            return None
        return parts[1] if hmac.compare_digest(parts[2], self._mac(parts[1])) else None

    def _mac(self, visitor: str) -> str:
        digest = hmac.new(self._key, _TOKEN_CONTEXT + visitor.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def origin_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """Exact match of the handshake's ``Origin`` against the allowed list.

    Browsers always send ``Origin`` on websocket handshakes, so a missing one means a non-browser
    client or a stripped header: refused, like any origin not listed. Comparison is by whole
    normalized origin, never ``startswith``/``endswith`` (``https://example.com.evil.com``).
    """
    if not header:
        return False
    normalized = normalize_origin(header)
    return normalized is not None and normalized in set(allowed)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key (visitor id): ``burst`` at once, then ``per_minute`` sustained.

    Shared by all of a visitor's connections, so opening more tabs does not buy more messages.
    """

    def __init__(
        self, per_minute: int, burst: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._now = monotonic
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until one is available."""
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely: they hold no information."""
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]


class ConnectionCounter:
    """Open websockets per client address, capped so one host cannot exhaust the server."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, address: str) -> bool:
        """Count one more connection from ``address``; False (and nothing counted) at the cap."""
        current = self._open.get(address, 0)
        if current >= self._limit:
            return False
        self._open[address] = current + 1
        return True

    def release(self, address: str) -> None:
        """Forget one connection from ``address``."""
        left = self._open.get(address, 0) - 1
        if left > 0:
            self._open[address] = left
        else:
            self._open.pop(address, None)
